"""Restarts, rewinds and forks: which attempt of its run a process is (the
argument, else what the launcher sets: ``STEPSTREAM_ATTEMPT``, torchrun's
``TORCHELASTIC_RESTART_COUNT``, SLURM's ``SLURM_RESTART_COUNT``), and what
rank 0 declares of the run's history: the step this attempt resumes from,
the run it is a fork of. Every batch carries the attempt; from its start
step on, an attempt's points supersede those of every earlier attempt."""

import operator
import os
import re
from typing import Any, Mapping, Optional, Tuple

from ._errors import StepstreamError
from ._proto import RunInfo
from ._values import MAX_STEP

ATTEMPT_VARIABLES = ("STEPSTREAM_ATTEMPT", "TORCHELASTIC_RESTART_COUNT", "SLURM_RESTART_COUNT")
MAX_ATTEMPT = (1 << 32) - 1  # a uint32 on the wire
MAX_ID_BYTES = 256  # the server's bound on a run id
_DIGITS = re.compile(r"[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def env_attempt(environ: Mapping[str, str] = os.environ) -> int:
    """The first of ATTEMPT_VARIABLES that is set (not empty), else 0. One
    that is set but not a whole number from 0 to MAX_ATTEMPT is an error
    naming it, never read as 0."""
    for name in ATTEMPT_VARIABLES:
        raw = environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        # NOTE: ASCII digits only: int() would also take "-1", "+2", "1_0" and other scripts' digits.
        if not _DIGITS.fullmatch(raw.strip()) or int(raw) > MAX_ATTEMPT:
            raise StepstreamError(
                "stepstream: environment variable %s must be an integer from 0 to %d (the attempt of the run), got %r"
                % (name, MAX_ATTEMPT, raw)
            )
        return int(raw)
    return 0


def _index(name: str, v: Any, limit: int) -> int:
    """``v`` as an int in [0, limit), else a ValueError naming the argument."""
    try:
        i = operator.index(v) if not isinstance(v, bool) else -1
    except TypeError:
        i = -1
    if not 0 <= i < limit:
        raise ValueError("stepstream: %s must be an integer in [0, %d), got %r" % (name, limit, v))
    return i


class Lineage:
    """This process's attempt, and what it declares of the run's history,
    checked: ``resume_step`` (None: undeclared) and the fork (``fork_of``
    "" when the run is not a fork)."""

    __slots__ = ("attempt", "resume_step", "fork_of", "fork_step")

    def __init__(
        self,
        run_id: str,
        attempt: int = 0,
        resume_step: Optional[int] = None,
        fork_from: Optional[Tuple[str, int]] = None,
    ) -> None:
        self.attempt = _index("attempt", attempt, MAX_ATTEMPT + 1)
        self.resume_step = None if resume_step is None else _index("resume_step", resume_step, MAX_STEP)
        self.fork_of, self.fork_step = "", 0
        if fork_from is not None:
            if not isinstance(fork_from, tuple) or len(fork_from) != 2 or not isinstance(fork_from[0], str):
                raise ValueError("stepstream: fork_from must be a (run_id, step) tuple, got %r" % (fork_from,))
            parent, step = fork_from
            if not parent or len(parent.encode("utf-8")) > MAX_ID_BYTES or _CONTROL.search(parent):
                raise ValueError(
                    "stepstream: fork_from's run id must be 1 to 256 bytes without control characters, got %r" % parent
                )
            if parent == run_id:
                raise ValueError("stepstream: fork_from names this run itself (%r): a run cannot fork itself" % run_id)
            self.fork_of, self.fork_step = parent, _index("fork_from's step", step, MAX_STEP)

    @property
    def first_step(self) -> int:
        """Where log() without a step begins: the resume step, else the fork step, else 0."""
        return self.resume_step if self.resume_step is not None else self.fork_step

    def declare(self, info: RunInfo) -> RunInfo:
        """``info`` with the lineage in it. NOTE: rank 0 declares it in every
        run info it sends: declaring it again is harmless (the last
        resume_step and the first fork_of received count)."""
        info.resume_step, info.fork_of, info.fork_step = self.resume_step, self.fork_of, self.fork_step
        return info
