"""From column buffers to the server: the batcher and sender threads.

    log() ──▶ column buffers ──(batcher: every flush_interval or batch_points)──▶
        encode ──▶ memory queue (≤ max_queue_bytes) ──▶ sender: gzip, POST /v1/ingest
                      └── past the bound, or offline ──▶ spool dir ──┘

Two threads so that a sender stuck on a dead server (timeouts, backoff)
never stops the buffers from being cut: the batcher keeps memory bounded by
spilling to disk while the sender waits. Compression happens only in the
sender (and in ``stepstream sync``), where zlib runs without the GIL beside
training; batches in memory and in the spool are plain protobuf.

Here: the batcher thread, flush() and close(). The queue between the two
threads is _send_queue.py, the sender _sender.py.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

from ._batch import Batch
from ._cut import Snapshot, group_series
from ._proto import VarintCache, encode_request
from ._send_queue import SendQueue
from ._sender import Sender
from ._spool import Spool
from ._transport import Transport

log = logging.getLogger("stepstream")


@dataclass(frozen=True)
class CloseSummary:
    """What close() left behind (for the message finish() prints)."""

    all_sent: bool  # online: every batch reached the server
    left_batches: int  # batch files left in the spool
    unwritten_batches: int  # batches neither sent nor in the spool (the disk refused them)
    spool: str
    fatal: Optional[str]  # why the server refused all data (key, url)
    rejected: int  # batches the server refused as invalid


class Pipeline:
    """Owns the batcher thread of one run on one rank, its send queue and
    (online) its sender; flush() and close() wait on both."""

    def __init__(
        self,
        *,
        project: str,
        run_id: str,
        rank: int,
        attempt: int,
        client_id: str,
        take: Callable[[], Snapshot],
        spool: Spool,
        transport: Optional[Transport],
        gzip_enabled: bool = True,
        flush_interval: float = 1.0,
        batch_points: int = 100_000,
        max_queue_bytes: int = 64 << 20,
        label: str = "",
    ) -> None:
        self.project = project
        self.run_id = run_id
        self.rank = rank
        self.attempt = attempt  # NOTE: part of every batch's identity with client_id and sequence
        self.client_id = client_id
        self.take = take
        self.spool = spool
        self.transport = transport  # None: offline
        self.flush_interval = flush_interval
        self.batch_points = batch_points

        self.sequence = 0
        self.wake = threading.Event()  # set by log() when a buffer is full
        self.errors: List[str] = []  # read by Run.errors and the finish message
        self.encoded_points = 0

        self.queue = SendQueue(spool, transport is not None, max_queue_bytes, self.errors)
        self._cond = self.queue.cond  # NOTE: one lock for the queue and the flush handshake
        self._stop_batcher = False
        self._cut_lock = threading.Lock()  # one cut at a time: sequences stay in order
        self._flush_asked = 0  # flush() requests, and the last one a cut served
        self._flush_cut = 0

        self._batcher = threading.Thread(target=self._batch_loop, name="stepstream-batcher", daemon=True)
        self._sender: Optional[Sender] = None
        if transport is not None:
            self._sender = Sender(self.queue, transport, self.errors, gzip_enabled, label)

    def start(self) -> None:
        self._batcher.start()
        if self._sender is not None:
            self._sender.start()

    # ------------------------------------------------------------- counters

    @property
    def sent_batches(self) -> int:
        return self._sender.sent_batches if self._sender is not None else 0

    @property
    def sent_points(self) -> int:
        return self._sender.sent_points if self._sender is not None else 0

    @property
    def rejected_batches(self) -> int:
        return self._sender.rejected_batches if self._sender is not None else 0

    @property
    def spilled_batches(self) -> int:
        return self.queue.spilled_batches

    @property
    def pending_batches(self) -> int:
        return self.queue.pending_batches

    # -------------------------------------------------------------- batcher

    def _batch_loop(self) -> None:
        while True:
            self.wake.wait(self.flush_interval)
            self.wake.clear()
            stop = self._stop_batcher
            # NOTE: read before the cut: a flush() asked before this point
            # has its points in this cut (see flush()).
            asked = self._flush_asked
            try:
                self.cut()
            except Exception as e:  # pragma: no cover - a bug; keep the thread alive
                log.exception("stepstream: failed to encode a batch: %s", e)
            with self._cond:
                self._flush_cut = asked
                self._cond.notify_all()
            if stop:
                return

    def cut(self) -> int:
        """Take what log() buffered, encode it into batches, queue them.
        Returns the number of points taken. The batcher thread calls this;
        so does log() itself when the batcher falls far behind."""
        with self._cut_lock:
            return self._cut_locked()

    def _cut_locked(self) -> int:
        cols, times, run_info = self.take()
        if not cols and run_info is None:
            return 0
        taken = 0
        cache = VarintCache()  # steps and times repeat across this cut's requests
        for series, include_run in group_series(cols, times, run_info, self.rank, self.batch_points):
            self.sequence += 1
            points = sum(len(s.steps) for s in series)
            raw = encode_request(
                self.project,
                self.run_id,
                series,
                run_info if include_run else None,
                self.client_id,
                self.sequence,
                cache,
                self.attempt,
            )
            self.queue.submit(Batch(self.sequence, "", raw, False, points))
            taken += points
        self.encoded_points += taken
        return taken

    # ---------------------------------------------------------------- close

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Cut now and wait until every batch is sent. True if all were."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._flush_asked += 1
            mine = self._flush_asked
        self.wake.set()
        # wait for a cut that started after this request
        with self._cond:
            while self._flush_cut < mine and self._batcher.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.1 if left is None else min(left, 0.1))
        return self._wait_sent(deadline)

    def _wait_sent(self, deadline: Optional[float]) -> bool:
        if self.transport is None:
            return True
        with self._cond:
            while self.queue.unsent_locked():
                if self.queue.fatal is not None or not (self._sender and self._sender.is_alive()):
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.25 if left is None else min(left, 0.25))
        return True

    def close(self, timeout: float, on_slow: Optional[Callable[[int], None]] = None) -> CloseSummary:
        """Final cut, wait up to ``timeout`` s for the server, then keep what
        is left in the spool. Returns a summary (for the finish message)."""
        self._stop_batcher = True
        self.wake.set()
        if self._batcher.is_alive():
            self._batcher.join()
        else:
            self.cut()  # e.g. in a forked child, or the batcher never started
        deadline = time.monotonic() + max(0.0, timeout)
        all_sent = True
        if self.transport is not None:
            slow_at = time.monotonic() + 2.0
            told = False
            while True:
                left = deadline - time.monotonic()
                if self._wait_sent(time.monotonic() + max(0.0, min(left, 0.5))):
                    break
                if left <= 0 or self.queue.fatal is not None or not (self._sender and self._sender.is_alive()):
                    all_sent = False
                    break
                if not told and on_slow is not None and time.monotonic() >= slow_at:
                    told = True
                    on_slow(self.pending_batches)
        with self._cond:
            self.queue.closed = True
            if self._sender is not None:
                self._sender.stop.set()
            self.queue.spill_memory_locked()
            self._cond.notify_all()
        if self._sender is not None:
            self._sender.join(timeout=0.5)
        if self.transport is not None:
            self.transport.close()
        left_batches = len(self.spool.pending())
        with self._cond:
            unwritten = self.queue.in_memory_locked()
        return CloseSummary(
            all_sent=all_sent and left_batches == 0 and unwritten == 0,
            left_batches=left_batches,
            unwritten_batches=unwritten,
            spool=str(self.spool.path),
            fatal=self.queue.fatal,
            rejected=self.rejected_batches,
        )
