"""What every reader turns a source run into (a ``SourceRun``: run info and
columns of points per metric), and the tally of what it could not bring
(``Skipped``)."""

from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .._proto import RunStatus
from ._names import metric_name

MAX_STEP = (1 << 53) - 1  # ingest's highest step
MAX_FINITE = 1e292  # ingest's largest finite value


class Column:
    """The points of one metric, in source order: steps, values and wall
    times (ms). Arrays, so a run of millions of points stays at 24 bytes a point."""

    __slots__ = ("steps", "values", "times")

    def __init__(self) -> None:
        self.steps = array("q")
        self.values = array("d")
        self.times = array("q")

    def add(self, step: int, value: float, time_ms: int) -> None:
        self.steps.append(step)
        self.values.append(value)
        self.times.append(time_ms)

    def __len__(self) -> int:
        return len(self.steps)


@dataclass
class Skipped:
    """What a reader left out, by kind ("image", "histogram", "text", ...),
    with a few examples of where, for the report."""

    counts: Counter = field(default_factory=Counter)
    examples: Dict[str, List[str]] = field(default_factory=dict)

    def add(self, kind: str, where: str = "", n: int = 1) -> None:
        self.counts[kind] += n
        ex = self.examples.setdefault(kind, [])
        if where and len(ex) < 3 and where not in ex:
            ex.append(where)

    def merge(self, other: "Skipped") -> None:
        for kind, n in other.counts.items():
            self.counts[kind] += n
            ex = self.examples.setdefault(kind, [])
            for w in other.examples.get(kind, []):
                if len(ex) < 3 and w not in ex:
                    ex.append(w)

    def lines(self) -> List[str]:
        out = []
        for kind, n in sorted(self.counts.items()):
            ex = self.examples.get(kind) or []
            out.append("%s: %d%s" % (kind, n, (" (e.g. %s)" % ", ".join(ex)) if ex else ""))
        return out

    def __bool__(self) -> bool:
        return bool(self.counts)


@dataclass
class SourceRun:
    """One run of another tracker, read whole.

    ``kind`` and ``key`` identify it in its source (``key`` stays the same
    on every import of the same run: the run id and client ids derive from
    it); ``name`` is the source's own run name."""

    kind: str
    key: str
    name: str
    run_id: str
    config: Dict[str, Any] = field(default_factory=dict)
    tags: List[str] = field(default_factory=list)
    status: int = RunStatus.FINISHED
    started_ms: int = 0
    finished_ms: int = 0
    meta: Dict[str, str] = field(default_factory=dict)
    series: Dict[Tuple[str, int], Column] = field(default_factory=dict)  # (metric, rank) -> points
    skipped: Skipped = field(default_factory=Skipped)
    source: str = ""  # where it was read from, for messages
    name_map: Dict[str, str] = field(default_factory=dict)  # source name -> metric name, once decided
    _taken: Dict[str, str] = field(default_factory=dict, repr=False)  # metric name -> source name

    def add(self, source_name: str, step: int, value: float, time_ms: int, rank: int = -1) -> None:
        """One point of a source metric; what the server cannot store is
        tallied in ``skipped`` instead (negative or too large steps, values
        beyond 1e292), a name it does not take is renamed once."""
        metric = self.name_map.get(source_name)
        if metric is None:
            metric = self.name_map[source_name] = metric_name(source_name, self._taken)
            if metric != source_name:
                self.skipped.add("renamed metric", "%s -> %s" % (source_name, metric))
        if not 0 <= step <= MAX_STEP:
            self.skipped.add("step out of range", "%s@%d" % (source_name, step))
            return
        if value == value and MAX_FINITE < abs(value) < float("inf"):
            self.skipped.add("value beyond 1e292", "%s@%d" % (source_name, step))
            return
        col = self.series.get((metric, rank))
        if col is None:
            col = self.series[(metric, rank)] = Column()
        col.add(step, value, time_ms)

    @property
    def points(self) -> int:
        return sum(len(c) for c in self.series.values())

    def note_times(self, time_ms: Optional[int]) -> None:
        """Widen started/finished to a point's wall time (sources without run times)."""
        if time_ms is None or time_ms <= 0:
            return
        if not self.started_ms or time_ms < self.started_ms:
            self.started_ms = time_ms
        if time_ms > self.finished_ms:
            self.finished_ms = time_ms


class ReadFailure:
    """A source run that could not be read; the import goes on with the others."""

    __slots__ = ("where", "why")

    def __init__(self, where: str, why: str) -> None:
        self.where = where
        self.why = why

    def __str__(self) -> str:
        return "%s: %s" % (self.where, self.why)


class MissingPackage(Exception):
    """A package the source needs is not installed (the message says which)."""

    def __init__(self, package: str, what: str) -> None:
        super().__init__("%s needs the %r package: pip install %s" % (what, package, package))
