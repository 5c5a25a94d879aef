"""The batches waiting for the sender: in memory up to max_queue_bytes, in
the spool past that bound (or offline, or once closed), handed out in
(sequence, split) order whichever of the two holds them."""

import heapq
import logging
import threading
from collections import deque
from typing import Deque, List, Optional, Tuple

from ._batch import Batch
from ._spool import Spool

log = logging.getLogger("stepstream")


class SendQueue:
    """Shared by the batcher (submit), the sender and close(). Methods named
    ``*_locked`` expect ``cond`` held; so do reads and writes of ``inflight``,
    ``closed`` and ``fatal``."""

    def __init__(self, spool: Spool, online: bool, max_queue_bytes: int, errors: List[str]) -> None:
        self.spool = spool
        self.online = online  # False: every batch goes to the spool
        self.max_queue_bytes = max_queue_bytes
        self.errors = errors  # shared with the pipeline (Run.errors)
        self.cond = threading.Condition(threading.Lock())
        self.inflight: Optional[Batch] = None  # taken by the sender, not yet settled
        self.closed = False
        self.fatal: Optional[str] = None  # why the server refused all data
        self.spilled_batches = 0
        self._mem: Deque[Batch] = deque()  # in sequence order
        self._mem_bytes = 0
        self._spooled: List[Batch] = []  # heap by (sequence, split)

    def submit(self, batch: Batch) -> None:
        body = batch.body or b""
        with self.cond:
            if self.closed:
                self.spill_locked(batch)
            elif self.online and self.fatal is None and self._mem_bytes + len(body) <= self.max_queue_bytes:
                self._mem.append(batch)
                self._mem_bytes += len(body)
            else:
                self.spill_locked(batch)
            self.cond.notify_all()

    def spill_locked(self, batch: Batch) -> None:
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

    def pop_next_locked(self) -> Optional[Batch]:
        head_mem = self._mem[0] if self._mem else None
        head_sp = self._spooled[0] if self._spooled else None
        if head_mem is None and head_sp is None:
            return None
        if head_sp is None or (head_mem is not None and head_mem.key < head_sp.key):
            return self._mem.popleft()
        return heapq.heappop(self._spooled)

    def forget_locked(self, batch: Batch, in_memory: bool, keep_file: bool = False) -> None:
        if in_memory:
            self._mem_bytes -= len(batch.body or b"")
        if batch.path is not None and not keep_file:
            self.spool.remove(batch.path)

    def putback_locked(self, batch: Batch, in_memory: bool) -> None:
        if batch.path is not None and not in_memory:
            heapq.heappush(self._spooled, batch)
        elif self.closed or self.fatal is not None:
            self.spill_locked(batch)
        else:
            self._mem.appendleft(batch)

    def replace_locked(self, batch: Batch, in_memory: bool, halves: Tuple[Batch, Batch]) -> None:
        """Queue the halves of a split batch first, in place of the whole."""
        h0, h1 = halves
        if not in_memory or self.closed:
            # NOTE: both halves are on disk before the whole goes,
            # so a crash in between re-sends (deduplicated) halves.
            self.spill_locked(h0)
            self.spill_locked(h1)
            self.forget_locked(batch, in_memory)
        else:
            self._mem_bytes += len(h0.body or b"") + len(h1.body or b"") - len(batch.body or b"")
            self._mem.appendleft(h1)
            self._mem.appendleft(h0)

    def spill_memory_locked(self) -> None:
        """At close: everything still in memory goes to the spool, the
        in-flight batch included."""
        # NOTE: the in-flight batch may still be acknowledged after this;
        # spooling it anyway is safe because a re-send of the same
        # (attempt, client_id, sequence) is stored once.
        leftovers = list(self._mem)
        if self.inflight is not None and self.inflight.path is None:
            leftovers.insert(0, self.inflight)
        self._mem.clear()
        self._mem_bytes = 0
        for b in leftovers:
            self.spill_locked(b)

    def unsent_locked(self) -> bool:
        return bool(self._mem or self._spooled or self.inflight is not None)

    def in_memory_locked(self) -> int:
        """Batches in memory (after close: those the spool refused)."""
        return len(self._mem)

    @property
    def pending_batches(self) -> int:
        with self.cond:
            return len(self._mem) + len(self._spooled) + (1 if self.inflight is not None else 0)
