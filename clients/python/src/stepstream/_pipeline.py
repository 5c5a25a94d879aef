"""From column buffers to the server: the batcher and sender threads.

    log() ──▶ column buffers ──(batcher: every flush_interval or batch_points)──▶
        encode ──▶ memory queue (≤ max_queue_bytes) ──▶ sender: gzip, POST /v1/ingest
                      └── past the bound, or offline ──▶ spool dir ──┘

Two threads so that a sender stuck on a dead server (timeouts, backoff)
never stops the buffers from being cut: the batcher keeps memory bounded by
spilling to disk while the sender waits. Compression happens only in the
sender (and in ``stepstream sync``), where zlib runs without the GIL beside
training; batches in memory and in the spool are plain protobuf.
"""

import gzip
import heapq
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from . import _proto
from ._spool import Spool, batch_name
from ._transport import FATAL, OK, REJECT, SPLIT, Answer, Transport, deliver

log = logging.getLogger("stepstream")

# The server's bounds on one request (proto/src/limits.ts): batches are cut
# below them, whatever batch_points says.
MAX_SERIES_PER_REQUEST = 10_000
MAX_POINTS_PER_REQUEST = 1_000_000

# (metric -> (steps, values)), (step -> time_ms), run info to upsert or None
Snapshot = Tuple[Dict[str, Tuple[List[int], List[float]]], Dict[int, int], Optional[_proto.RunInfo]]


def gzip_body(body: bytes) -> bytes:
    # level 1: floats barely compress anyway; steps and times (repetitive
    # varints) shrink well already at the fastest level.
    return gzip.compress(body, compresslevel=1, mtime=0)


def gunzip_body(body: bytes) -> bytes:
    return gzip.decompress(body)


@dataclass(frozen=True)
class CloseSummary:
    """What close() left behind (for the message finish() prints)."""

    all_sent: bool  # online: every batch reached the server
    left_batches: int  # batch files left in the spool
    unwritten_batches: int  # batches neither sent nor in the spool (the disk refused them)
    spool: str
    fatal: Optional[str]  # why the server refused all data (key, url)
    rejected: int  # batches the server refused as invalid


class Batch:
    """One encoded request, in memory and/or in the spool."""

    __slots__ = ("sequence", "split", "body", "gzipped", "points", "path")

    def __init__(
        self,
        sequence: int,
        split: str,
        body: Optional[bytes],
        gzipped: bool,
        points: int = -1,
        path: Optional[Path] = None,
    ) -> None:
        self.sequence = sequence
        self.split = split
        self.body = body
        self.gzipped = gzipped
        self.points = points  # -1: unknown (read back from the spool)
        self.path = path

    @property
    def key(self) -> Tuple[int, str]:
        return (self.sequence, self.split)

    @property
    def name(self) -> str:
        return batch_name(self.sequence, self.split, self.gzipped)

    def __lt__(self, other: "Batch") -> bool:
        return self.key < other.key

    def load(self) -> bytes:
        if self.body is None:
            assert self.path is not None
            with open(self.path, "rb") as f:
                return f.read()
        return self.body


def split_body(body: bytes, gzipped: bool) -> Optional[Tuple[bytes, bytes]]:
    """The two halves of a batch the server found too large, each with its own
    deterministic identity (``client_id~0`` / ``client_id~1``, same sequence),
    so splitting the same batch again after a crash yields the same requests.
    None if the batch cannot be split (a single point)."""
    req = _proto.decode_request(gunzip_body(body) if gzipped else body)
    series = [s for s in req.series if len(s.steps)]
    if len(series) >= 2:
        mid = len(series) // 2
        parts = (series[:mid], series[mid:])
    elif len(series) == 1 and len(series[0].steps) >= 2:
        s = series[0]
        mid = len(s.steps) // 2
        times = list(s.time_ms)

        def cut(a: int, b: int) -> _proto.Series:
            return _proto.Series(s.metric, s.rank, s.steps[a:b], s.values[a:b], times[a:b] if times else [])

        parts = ([cut(0, mid)], [cut(mid, len(s.steps))])
    else:
        return None
    halves = []
    for i, part in enumerate(parts):
        raw = _proto.encode_request(
            req.project,
            req.run_id,
            part,
            req.run if i == 0 else None,
            "%s~%d" % (req.client_id, i) if req.client_id else "",
            req.sequence,
        )
        halves.append(gzip_body(raw) if gzipped else raw)
    return halves[0], halves[1]


class Pipeline:
    """Owns the batcher and sender threads of one run on one rank."""

    def __init__(
        self,
        *,
        project: str,
        run_id: str,
        rank: int,
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
        self.client_id = client_id
        self.take = take
        self.spool = spool
        self.transport = transport  # None: offline
        self.gzip_enabled = gzip_enabled
        self.flush_interval = flush_interval
        self.batch_points = batch_points
        self.max_queue_bytes = max_queue_bytes
        self.label = label

        self.sequence = 0
        self.wake = threading.Event()  # set by log() when a buffer is full

        self._cond = threading.Condition(threading.Lock())
        self._mem: Deque[Batch] = deque()  # in sequence order
        self._mem_bytes = 0
        self._spooled: List[Batch] = []  # heap by (sequence, split)
        self._inflight: Optional[Batch] = None
        self._closed = False
        self._stop_batcher = False
        self._stop_send = threading.Event()
        self._fatal: Optional[str] = None
        self._outage_logged = False
        self._cut_lock = threading.Lock()  # one cut at a time: sequences stay in order
        self._flush_asked = 0  # flush() requests, and the last one a cut served
        self._flush_cut = 0

        # counters (read by tests and the finish message)
        self.sent_batches = 0
        self.sent_points = 0
        self.spilled_batches = 0
        self.rejected_batches = 0
        self.encoded_points = 0
        self.errors: List[str] = []

        self._batcher = threading.Thread(target=self._batch_loop, name="stepstream-batcher", daemon=True)
        self._sender: Optional[threading.Thread] = None
        if transport is not None:
            self._sender = threading.Thread(target=self._send_loop, name="stepstream-sender", daemon=True)

    def start(self) -> None:
        self._batcher.start()
        if self._sender is not None:
            self._sender.start()

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
        cache = _proto._VarintCache()  # steps and times repeat across this cut's requests
        for series, include_run in self._chunks(cols, times, run_info):
            self.sequence += 1
            points = sum(len(s.steps) for s in series)
            raw = _proto.encode_request(
                self.project,
                self.run_id,
                series,
                run_info if include_run else None,
                self.client_id,
                self.sequence,
                cache,
            )
            self.submit(Batch(self.sequence, "", raw, False, points))
            taken += points
        self.encoded_points += taken
        return taken

    def _chunks(
        self,
        cols: Dict[str, Tuple[List[int], List[float]]],
        times: Dict[int, int],
        run_info: Optional[_proto.RunInfo],
    ) -> Any:
        """Series grouped into requests of at most batch_points points (and
        the server's bounds on points and series); the run info rides on the
        first request (or alone if there are no points)."""
        tget = times.__getitem__
        rank = self.rank
        limit = max(1, min(self.batch_points, MAX_POINTS_PER_REQUEST))
        group: List[_proto.Series] = []
        size = 0
        first = True
        for metric, (steps, values) in cols.items():
            n = len(steps)
            start = 0
            while start < n:
                take = min(n - start, limit - size)
                st = steps[start : start + take] if (start or take < n) else steps
                va = values[start : start + take] if (start or take < n) else values
                group.append(_proto.Series(metric, rank, st, va, list(map(tget, st))))
                size += take
                start += take
                if size >= limit or len(group) >= MAX_SERIES_PER_REQUEST:
                    yield group, first and run_info is not None
                    first = False
                    group, size = [], 0
        if group or first and run_info is not None:
            yield group, first and run_info is not None

    # -------------------------------------------------------------- queueing

    def submit(self, batch: Batch) -> None:
        body = batch.body or b""
        with self._cond:
            if self._closed:
                self._spill_locked(batch)
            elif (
                self.transport is not None
                and self._fatal is None
                and self._mem_bytes + len(body) <= self.max_queue_bytes
            ):
                self._mem.append(batch)
                self._mem_bytes += len(body)
            else:
                self._spill_locked(batch)
            self._cond.notify_all()

    def _spill_locked(self, batch: Batch) -> None:
        if batch.path is not None:
            heapq.heappush(self._spooled, batch)
            return
        try:
            batch.path = self.spool.write(batch.sequence, batch.split, batch.load(), batch.gzipped)
        except OSError as e:
            # NOTE: the disk is full or unwritable: keep the batch in memory
            # past the bound rather than lose it, and say so.
            msg = "stepstream: cannot write the spool %s (%s); keeping batch in memory" % (self.spool.path, e)
            if msg not in self.errors:
                self.errors.append(msg)
                log.error(msg)
            self._mem.append(batch)
            self._mem_bytes += len(batch.body or b"")
            return
        batch.body = None
        self.spilled_batches += 1
        heapq.heappush(self._spooled, batch)

    def _pop_next_locked(self) -> Optional[Batch]:
        head_mem = self._mem[0] if self._mem else None
        head_sp = self._spooled[0] if self._spooled else None
        if head_mem is None and head_sp is None:
            return None
        if head_sp is None or (head_mem is not None and head_mem.key < head_sp.key):
            return self._mem.popleft()
        return heapq.heappop(self._spooled)

    @property
    def pending_batches(self) -> int:
        with self._cond:
            return len(self._mem) + len(self._spooled) + (1 if self._inflight is not None else 0)

    # --------------------------------------------------------------- sender

    def _on_retry(self, answer: Answer, delay: float) -> None:
        if not self._outage_logged:
            self._outage_logged = True
            log.warning(
                "stepstream: %s not taking data (%s); retrying with backoff, nothing is dropped%s",
                self.transport.url if self.transport else "server",
                answer.describe(),
                " [%s]" % self.label if self.label else "",
            )

    def _send_loop(self) -> None:
        assert self.transport is not None
        while True:
            with self._cond:
                while not self._stop_send.is_set() and self._fatal is None:
                    batch = self._pop_next_locked()
                    if batch is not None:
                        break
                    self._cond.wait()
                else:
                    return
                self._inflight = batch
            try:
                body = batch.load()
            except OSError as e:  # the file vanished (another sync sent it)
                log.warning("stepstream: spooled batch %s unreadable: %s", batch.path, e)
                with self._cond:
                    self._inflight = None
                    self._cond.notify_all()
                continue
            try:
                # the same compressed bytes for every retry of this batch
                if self.gzip_enabled and not batch.gzipped:
                    wire, wire_gz = gzip_body(body), True
                else:
                    wire, wire_gz = body, batch.gzipped
                answer = deliver(self.transport, wire, wire_gz, self._stop_send, on_retry=self._on_retry)
                self._settle(batch, body, answer)
            except Exception as e:  # pragma: no cover - a bug; keep the batch and the thread
                log.exception("stepstream: unexpected error sending batch %d: %s", batch.sequence, e)
                with self._cond:
                    self._inflight = None
                    self._putback_locked(batch, batch.path is None or batch.body is not None)
                    self._cond.notify_all()
                self._stop_send.wait(1.0)

    def _settle(self, batch: Batch, body: bytes, answer: Answer) -> None:
        with self._cond:
            self._inflight = None
            in_memory = batch.path is None or batch.body is not None
            if answer.kind == OK:
                if self._outage_logged:
                    self._outage_logged = False
                    log.warning("stepstream: %s is taking data again", self.transport.url if self.transport else "")
                self.sent_batches += 1
                self.sent_points += answer.accepted_points
                self._forget_locked(batch, in_memory)
            elif answer.kind == SPLIT:
                halves = split_body(body, batch.gzipped)
                if halves is None:
                    self._forget_locked(batch, in_memory, keep_file=True)
                    self._reject_locked(batch, body, answer)
                else:
                    h0 = Batch(batch.sequence, batch.split + "~0", halves[0], batch.gzipped)
                    h1 = Batch(batch.sequence, batch.split + "~1", halves[1], batch.gzipped)
                    if not in_memory or self._closed:
                        # NOTE: both halves are on disk before the whole goes,
                        # so a crash in between re-sends (deduplicated) halves.
                        self._spill_locked(h0)
                        self._spill_locked(h1)
                        self._forget_locked(batch, in_memory)
                    else:
                        self._mem_bytes += len(halves[0]) + len(halves[1]) - len(batch.body or b"")
                        self._mem.appendleft(h1)
                        self._mem.appendleft(h0)
            elif answer.kind == REJECT:
                self._forget_locked(batch, in_memory, keep_file=True)
                self._reject_locked(batch, body, answer)
            elif answer.kind == FATAL:
                self._fatal = answer.describe()
                msg = (
                    "stepstream: %s refused the data (%s): check the url and api key; "
                    "no more sends, batches are kept in %s" % (
                        self.transport.url if self.transport else "server", self._fatal, self.spool.path)
                )
                self.errors.append(msg)
                log.error(msg)
                self._putback_locked(batch, in_memory)
            else:  # INTERRUPTED: we are closing, and close() spilled it
                if not self._closed:  # pragma: no cover - not reached
                    self._putback_locked(batch, in_memory)
            self._cond.notify_all()

    def _forget_locked(self, batch: Batch, in_memory: bool, keep_file: bool = False) -> None:
        if in_memory:
            self._mem_bytes -= len(batch.body or b"")
        if batch.path is not None and not keep_file:
            self.spool.remove(batch.path)

    def _putback_locked(self, batch: Batch, in_memory: bool) -> None:
        if batch.path is not None and not in_memory:
            heapq.heappush(self._spooled, batch)
        elif self._closed or self._fatal is not None:
            self._spill_locked(batch)
        else:
            self._mem.appendleft(batch)

    def _reject_locked(self, batch: Batch, body: bytes, answer: Answer) -> None:
        self.rejected_batches += 1
        why = {"status": answer.status, "answer": answer.json() or answer.body.decode("utf-8", "replace")}
        try:
            kept = self.spool.reject(batch.path, body, batch.name, why)
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
            while self._mem or self._spooled or self._inflight is not None:
                if self._fatal is not None or not (self._sender and self._sender.is_alive()):
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
                if left <= 0 or self._fatal is not None or not (self._sender and self._sender.is_alive()):
                    all_sent = False
                    break
                if not told and on_slow is not None and time.monotonic() >= slow_at:
                    told = True
                    on_slow(self.pending_batches)
        with self._cond:
            self._closed = True
            self._stop_send.set()
            # NOTE: the in-flight batch may still be acknowledged after this;
            # spooling it anyway is safe because a re-send of the same
            # (client_id, sequence) is stored once.
            leftovers = list(self._mem)
            if self._inflight is not None and self._inflight.path is None:
                leftovers.insert(0, self._inflight)
            self._mem.clear()
            self._mem_bytes = 0
            for b in leftovers:
                self._spill_locked(b)
            self._cond.notify_all()
        if self._sender is not None:
            self._sender.join(timeout=0.5)
        if self.transport is not None:
            self.transport.close()
        left_batches = len(self.spool.pending())
        with self._cond:
            unwritten = len(self._mem)
        return CloseSummary(
            all_sent=all_sent and left_batches == 0 and unwritten == 0,
            left_batches=left_batches,
            unwritten_batches=unwritten,
            spool=str(self.spool.path),
            fatal=self._fatal,
            rejected=self.rejected_batches,
        )
