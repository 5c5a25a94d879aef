"""The column buffers log() appends to and the batcher takes from.

Everything log() decides (the step of a call without one, whether the run
is still open, how full the buffers are) is decided under one lock, so that
threads logging at once, and a finish() racing a log(), see one order.
"""

import threading
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ._cut import Snapshot
from ._errors import StepstreamError
from ._proto import RunInfo
from ._values import check_metric, coerce_value

_NO_KEY = object()

# What the caller of append() should do next.
IDLE = 0
WAKE = 1  # a batch is full: wake the batcher
CUT = 2  # four batches are waiting: encode them in this thread (backpressure)

Column = Tuple[List[int], List[float]]


class ColumnBuffers:
    """metric -> (steps, values), step -> time_ms, and the run info to send."""

    def __init__(self, run_id: str, batch_points: int) -> None:
        self._run_id = run_id
        self._lock = threading.Lock()
        self._cols: Dict[str, Column] = {}
        self._times: Dict[int, int] = {}
        self._pending_info: Optional[RunInfo] = None
        self._known: Dict[str, bool] = {}  # names already checked
        self.step = 0  # the step of the next call without one
        self.n = 0  # points buffered
        self.closed = False  # finish() was called: append() raises
        self._batch_points = batch_points
        self._wake_at = batch_points
        self._hard_limit = 4 * batch_points

    def append(self, data: Mapping[str, Any], step: Optional[int], ms: int) -> int:
        """Record ``data`` at ``step`` (None: the step counter) and time
        ``ms``, all or nothing. Returns IDLE, WAKE or CUT."""
        k: Any = _NO_KEY
        with self._lock:
            # NOTE: the flag and the step counter are read here, under the
            # lock: read before it, two threads could take the same step, and
            # a log() racing finish() could land after the final cut.
            if self.closed:
                raise StepstreamError("stepstream: log() after finish() on run %r" % self._run_id)
            if step is None:
                step = self.step
            cols = self._cols
            n = self.n
            try:
                for k, v in data.items():
                    c = cols.get(k)
                    if c is None:
                        c = self._column(k, v)
                        if c is None:  # a nested mapping, flattened
                            n += self._append_nested(k, v, step) - 1
                            continue
                    tv = type(v)
                    if tv is not float:
                        v = float(v) if tv is int else coerce_value(k, v)
                    c[0].append(step)
                    c[1].append(v)
            except BaseException:
                if not isinstance(data, Mapping):
                    raise TypeError(
                        "stepstream: log() takes a dict of metric name -> number, got %s" % type(data).__name__
                    ) from None
                self._undo(data, k)
                raise
            self._times[step] = ms
            self.step = step + 1
            self.n = n = n + len(data)
            if n < self._wake_at:
                return IDLE
            self._wake_at = n + self._batch_points
            return CUT if n >= self._hard_limit else WAKE

    def append_at_current_step(self, data: Mapping[str, float], ms: int) -> None:
        """Record ``data`` (valid names, float values) at the step last
        logged (0 before any), leaving the step counter where it is: the
        system metrics thread, which must not move a training loop's steps."""
        with self._lock:
            if self.closed:
                raise StepstreamError("stepstream: log() after finish() on run %r" % self._run_id)
            step = self.step - 1 if self.step > 0 else 0
            for k, v in data.items():
                c = self._cols.get(k)
                if c is None:
                    c = self._cols[k] = ([], [])
                c[0].append(step)
                c[1].append(v)
            self._times.setdefault(step, ms)  # the step's own time, if log() gave it one
            self.n += len(data)

    def _column(self, key: Any, v: Any) -> Optional[Column]:
        if isinstance(v, Mapping):
            if not isinstance(key, str):
                check_metric(key)  # raises the TypeError
            return None
        if key not in self._known:
            check_metric(key)
            self._known[key] = True
        c: Column = ([], [])
        self._cols[key] = c
        return c

    def _append_nested(self, prefix: str, d: Mapping[str, Any], step: int) -> int:
        flat: Dict[str, float] = {}

        def walk(p: str, m: Mapping[str, Any]) -> None:
            for k, v in m.items():
                if not isinstance(k, str):
                    raise TypeError("stepstream: metric names must be strings, got %s under %r" % (type(k).__name__, p))
                key = "%s/%s" % (p, k)
                if isinstance(v, Mapping):
                    walk(key, v)
                else:
                    if key not in self._known:
                        check_metric(key)
                    tv = type(v)
                    flat[key] = v if tv is float else float(v) if tv is int else coerce_value(key, v)

        walk(prefix, d)
        for key, v in flat.items():
            self._known[key] = True
            c = self._cols.get(key)
            if c is None:
                c = self._cols[key] = ([], [])
            c[0].append(step)
            c[1].append(v)
        return len(flat)

    def _undo(self, data: Mapping[str, Any], failed_key: Any) -> None:
        """Take back what this append() call appended before ``failed_key``
        (every key before it was appended; the failed one was not)."""

        def leaves(p: str, m: Mapping[str, Any]) -> List[str]:
            out = []
            for k, v in m.items():
                key = "%s/%s" % (p, k)
                out.extend(leaves(key, v) if isinstance(v, Mapping) else [key])
            return out

        for k, v in data.items():
            if k == failed_key:
                break
            for key in leaves(k, v) if isinstance(v, Mapping) else [k]:
                c = self._cols.get(key)
                if c is not None and c[0]:
                    c[0].pop()
                    c[1].pop()

    def set_info(self, info: RunInfo) -> None:
        """Send ``info`` (the run's metadata and status) with the next cut;
        ignored once closed, so it cannot replace the final status."""
        with self._lock:
            if not self.closed:
                self._pending_info = info

    def close(self, info: Optional[RunInfo]) -> bool:
        """Refuse further append() calls and queue the final ``info``. False
        if already closed (only the first finish() goes on)."""
        with self._lock:
            if self.closed:
                return False
            self.closed = True
            if info is not None:
                self._pending_info = info
            return True

    def take(self) -> Snapshot:
        """Hand the buffers to the batcher and start new ones."""
        with self._lock:
            cols, self._cols = self._cols, {}
            times, self._times = self._times, {}
            info, self._pending_info = self._pending_info, None
            self.n = 0
            self._wake_at = self._batch_points
        return {k: c for k, c in cols.items() if c[0]}, times, info
