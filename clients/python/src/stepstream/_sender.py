"""The sender thread: takes batches off the send queue one at a time,
delivers each (gzip, POST, retries) and settles it by the server's answer:
sent, split in halves, rejected and kept aside, or refused with the key."""

import logging
import threading
from typing import List

from ._answer import FATAL, OK, REJECT, SPLIT, Answer
from ._batch import Batch, gzip_body, split_body
from ._send_queue import SendQueue
from ._transport import Transport, deliver

log = logging.getLogger("stepstream")


class Sender:
    """Owns the sender thread of one run on one rank (online mode only)."""

    def __init__(
        self,
        queue: SendQueue,
        transport: Transport,
        errors: List[str],
        gzip_enabled: bool = True,
        label: str = "",
    ) -> None:
        self.queue = queue
        self.transport = transport
        self.errors = errors  # shared with the pipeline (Run.errors)
        self.gzip_enabled = gzip_enabled
        self.label = label
        self.stop = threading.Event()  # set by close(): interrupts retries
        self.sent_batches = 0
        self.sent_points = 0
        self.rejected_batches = 0
        self._outage_logged = False
        self._thread = threading.Thread(target=self._send_loop, name="stepstream-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout=timeout)

    def _on_retry(self, answer: Answer, delay: float) -> None:
        if not self._outage_logged:
            self._outage_logged = True
            log.warning(
                "stepstream: %s not taking data (%s); retrying with backoff, nothing is dropped%s",
                self.transport.url,
                answer.describe(),
                " [%s]" % self.label if self.label else "",
            )

    def _send_loop(self) -> None:
        q = self.queue
        while True:
            with q.cond:
                while not self.stop.is_set() and q.fatal is None:
                    batch = q.pop_next_locked()
                    if batch is not None:
                        break
                    q.cond.wait()
                else:
                    return
                q.inflight = batch
            try:
                body = batch.load()
            except OSError as e:  # the file vanished (another sync sent it)
                log.warning("stepstream: spooled batch %s unreadable: %s", batch.path, e)
                with q.cond:
                    q.inflight = None
                    q.cond.notify_all()
                continue
            try:
                # the same compressed bytes for every retry of this batch
                if self.gzip_enabled and not batch.gzipped:
                    wire, wire_gz = gzip_body(body), True
                else:
                    wire, wire_gz = body, batch.gzipped
                answer = deliver(self.transport, wire, wire_gz, self.stop, on_retry=self._on_retry)
                self._settle(batch, body, answer)
            except Exception as e:  # pragma: no cover - a bug; keep the batch and the thread
                log.exception("stepstream: unexpected error sending batch %d: %s", batch.sequence, e)
                with q.cond:
                    q.inflight = None
                    q.putback_locked(batch, batch.path is None or batch.body is not None)
                    q.cond.notify_all()
                self.stop.wait(1.0)

    def _settle(self, batch: Batch, body: bytes, answer: Answer) -> None:
        q = self.queue
        with q.cond:
            q.inflight = None
            in_memory = batch.path is None or batch.body is not None
            if answer.kind == OK:
                if self._outage_logged:
                    self._outage_logged = False
                    log.warning("stepstream: %s is taking data again", self.transport.url)
                self.sent_batches += 1
                self.sent_points += answer.accepted_points
                q.forget_locked(batch, in_memory)
            elif answer.kind == SPLIT:
                halves = split_body(body, batch.gzipped)
                if halves is None:
                    q.forget_locked(batch, in_memory, keep_file=True)
                    self._reject_locked(batch, body, answer)
                else:
                    h0 = Batch(batch.sequence, batch.split + "~0", halves[0], batch.gzipped)
                    h1 = Batch(batch.sequence, batch.split + "~1", halves[1], batch.gzipped)
                    q.replace_locked(batch, in_memory, (h0, h1))
            elif answer.kind == REJECT:
                q.forget_locked(batch, in_memory, keep_file=True)
                self._reject_locked(batch, body, answer)
            elif answer.kind == FATAL:
                q.fatal = answer.describe()
                msg = (
                    "stepstream: %s refused the data (%s): check the url and api key; "
                    "no more sends, batches are kept in %s" % (self.transport.url, q.fatal, q.spool.path)
                )
                self.errors.append(msg)
                log.error(msg)
                q.putback_locked(batch, in_memory)
            else:  # INTERRUPTED: we are closing, and close() spilled it
                if not q.closed:  # pragma: no cover - not reached
                    q.putback_locked(batch, in_memory)
            q.cond.notify_all()

    def _reject_locked(self, batch: Batch, body: bytes, answer: Answer) -> None:
        self.rejected_batches += 1
        why = {"status": answer.status, "answer": answer.json() or answer.body.decode("utf-8", "replace")}
        try:
            kept = self.queue.spool.reject(batch.path, body, batch.name, why)
            where = "kept in %s" % kept
        except OSError as e:
            where = "could not be kept (%s)" % e
        msg = "stepstream: the server rejected batch %d (%s); it will not be retried, %s" % (
            batch.sequence,
            answer.describe(),
            where,
        )
        self.errors.append(msg)
        log.error(msg)
