"""The messages of ``stepstream.v1``: the run status, a series of points,
the run's metadata (columnar, as on the wire)."""

import enum
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple, Union


class RunStatus(enum.IntEnum):
    """The ``RunStatus`` enum of the protocol."""

    UNSPECIFIED = 0
    RUNNING = 1
    FINISHED = 2
    FAILED = 3
    CRASHED = 4

    @classmethod
    def parse(cls, status: Union[int, str]) -> "RunStatus":
        """A status from its number or its name (any case, with or without
        the ``RUN_STATUS_`` prefix)."""
        if isinstance(status, int) and not isinstance(status, bool):
            if 0 <= status <= 4:
                return cls(status)
        elif isinstance(status, str):
            key = status.upper()
            key = key[len("RUN_STATUS_"):] if key.startswith("RUN_STATUS_") else key
            if key in cls.__members__:
                return cls[key]
        raise ValueError(
            "run status must be one of running, finished, failed, crashed; got %r" % (status,)
        )


class Series:
    """Points of one metric on one rank (columnar)."""

    __slots__ = ("metric", "rank", "steps", "values", "time_ms")

    def __init__(
        self,
        metric: str,
        rank: int = -1,
        steps: Sequence[int] = (),
        values: Sequence[float] = (),
        time_ms: Sequence[int] = (),
    ) -> None:
        self.metric = metric
        self.rank = rank
        self.steps = steps
        self.values = values
        self.time_ms = time_ms

    def __repr__(self) -> str:
        return "Series(metric=%r, rank=%r, points=%d)" % (self.metric, self.rank, len(self.steps))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Series):
            return NotImplemented
        return (
            self.metric == other.metric
            and self.rank == other.rank
            and list(self.steps) == list(other.steps)
            and _same_floats(self.values, other.values)
            and list(self.time_ms) == list(other.time_ms)
        )


class RunInfo:
    """Run metadata upsert (sent by rank 0). ``resume_step`` is the first
    step the batch's attempt owns (None: not declared; 0 is a value);
    ``fork_of``/``fork_step``: this run begins as a copy of that run's
    history below ``fork_step``."""

    __slots__ = (
        "name", "config_json", "tags", "status", "started_ms", "finished_ms", "meta",
        "resume_step", "fork_of", "fork_step",
    )

    def __init__(
        self,
        name: str = "",
        config_json: str = "",
        tags: Sequence[str] = (),
        status: int = RunStatus.UNSPECIFIED,
        started_ms: int = 0,
        finished_ms: int = 0,
        meta: Union[Mapping[str, str], Sequence[Tuple[str, str]], None] = None,
        resume_step: Optional[int] = None,
        fork_of: str = "",
        fork_step: int = 0,
    ) -> None:
        self.name = name
        self.config_json = config_json
        self.tags = list(tags)
        self.status = status
        self.started_ms = started_ms
        self.finished_ms = finished_ms
        if meta is None:
            self.meta: List[Tuple[str, str]] = []
        elif isinstance(meta, Mapping):
            self.meta = list(meta.items())
        else:
            self.meta = list(meta)
        self.resume_step = resume_step
        self.fork_of = fork_of
        self.fork_step = fork_step

    def __repr__(self) -> str:
        return "RunInfo(name=%r, status=%r)" % (self.name, self.status)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunInfo):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)


def _same_floats(a: Iterable[float], b: Iterable[float]) -> bool:
    a, b = list(a), list(b)
    if len(a) != len(b):
        return False
    return all(x == y or (x != x and y != y) for x, y in zip(a, b))
