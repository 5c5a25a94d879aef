"""W&B's step semantics over a Stepstream run.

- Each ``log(d)`` is a row at the current step ``_step`` and then moves to
  the next step; ``commit=False`` merges ``d`` into the current row instead.
- ``log(d, step=s)`` with ``s`` above the current step sends the pending row
  and makes ``s`` current; ``d`` then waits for more (``commit`` defaults to
  False when a step is given), as in W&B.
- ``s`` below the current step: W&B drops the data with a warning (its
  users' loudest complaint: a resumed job loses what it logs again).
  Stepstream keeps it, at step ``s`` (a restart's points supersede the old
  ones server-side), and warns once that this differs from W&B.
- ``define_metric(name, step_metric=m)``: ``name`` (or a ``prefix/*``
  glob) is logged at the value of ``m`` in its row, else ``m``'s last value.
"""

import logging
from typing import Any, Callable, Dict, Mapping, Optional, Set, Tuple

from ..integrations._common import as_number, clean_name
from ._unsupported import Unsupported, warn_once

_logger = logging.getLogger("stepstream")
Send = Callable[[Dict[str, float], int], None]


class History:
    def __init__(self, send: Send, observe: Callable[[Dict[str, float]], None], start_step: int = 0) -> None:
        self.step = start_step  # W&B's _step: the step of the pending row
        self._row: Dict[str, float] = {}
        self._send = send
        self._observe = observe
        self._step_metric: Dict[str, str] = {}  # exact name -> step metric
        self._globs: Tuple[Tuple[str, str], ...] = ()  # (prefix, step metric), longest prefix first
        self._axes: Set[str] = set()  # the step metrics
        self._last_x: Dict[str, float] = {}
        self._names: Dict[str, str] = {}
        self._skipped: Set[str] = set()

    def define(self, name: str, step_metric: str) -> None:
        if name.endswith("*"):
            globs = dict(self._globs)
            globs[name[:-1]] = step_metric
            self._globs = tuple(sorted(globs.items(), key=lambda kv: -len(kv[0])))
        else:
            self._step_metric[name] = step_metric
        self._axes.add(step_metric)

    def log(self, data: Mapping[str, Any], step: Optional[int] = None, commit: Optional[bool] = None) -> None:
        row = self._numbers(data)
        if step is not None:
            step = int(step)
            if step < self.step:
                warn_once("log(step=N) with N below the current step",
                          "is kept at step N (W&B would drop it); first: step %d < %d" % (step, self.step))
                self._emit(row, step)
                return
            if step > self.step:
                self.commit()
                self.step = step
            self._row.update(row)
            if commit:
                self.commit()
            return
        self._row.update(row)
        if commit is None or commit:
            self.commit()

    def commit(self) -> None:
        """Send the pending row at the current step and move to the next."""
        row, self._row = self._row, {}
        if row:
            self._emit(row, self.step)
        self.step += 1

    def flush(self) -> None:
        """Send the pending row (at exit and finish) without moving on."""
        row, self._row = self._row, {}
        if row:
            self._emit(row, self.step)

    def _emit(self, row: Dict[str, float], step: int) -> None:
        self._observe(row)
        if self._axes:
            for axis in self._axes.intersection(row):
                self._last_x[axis] = row[axis]
        if not self._step_metric and not self._globs:
            self._send(row, step)
            return
        by_x: Dict[int, Dict[str, float]] = {}
        for k, v in row.items():
            by_x.setdefault(self._x_of(k, row, step), {})[k] = v
        for x in sorted(by_x, key=lambda x: x == step):  # the row's own step last: the run's current step
            self._send(by_x[x], x)

    def _x_of(self, name: str, row: Dict[str, float], step: int) -> int:
        axis = self._step_metric.get(name)
        if axis is None:
            for prefix, m in self._globs:
                if name.startswith(prefix):
                    axis = m
                    break
        if axis is None or axis == name:
            return step
        x = row.get(axis, self._last_x.get(axis))
        if x is None or not (0 <= x < 2 ** 53):
            warn_once("define_metric(%r, step_metric=%r)" % (name, axis),
                      "has no usable step value yet: logged at _step")
            return step
        if x != int(x):
            warn_once("step_metric %r" % axis, "has fractional values: Stepstream steps are whole numbers, rounded down")
        return int(x)

    def _numbers(self, data: Mapping[str, Any], prefix: str = "") -> Dict[str, float]:
        out: Dict[str, float] = {}
        for k, v in data.items():
            key = prefix + str(k)
            if isinstance(v, Mapping):
                out.update(self._numbers(v, key + "/"))
                continue
            x = as_number(v)
            if x is None:
                if not isinstance(v, Unsupported):
                    self._skip(key, v)
                continue
            name = self._names.get(key)
            if name is None:
                name = self._names[key] = clean_name(key)
                if name != key:
                    warn_once("metric name %r" % key, "has characters Stepstream does not take: logged as %r" % name)
            out[name] = x
        return out

    def _skip(self, key: str, v: Any) -> None:
        kind = type(v).__name__
        if kind not in self._skipped:
            self._skipped.add(kind)
            warn_once("log() value of type %s (%r)" % (kind, key), "is not a number: skipped (Stepstream stores numbers)")
