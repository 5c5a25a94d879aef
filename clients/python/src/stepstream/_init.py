"""``init()`` and the current run: arguments, their environment fallbacks,
and the module-level ``log()`` / ``finish()`` that act on the last run
``init()`` returned (like ``wandb.log``)."""

import logging
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote

from . import _hooks
from ._errors import StepstreamError
from ._options import DEFAULT_SPOOL_DIR, DEFAULT_URL, Mode
from ._restart import env_attempt
from ._run import Run
from ._system._monitor import start_monitor

_logger = logging.getLogger("stepstream")
_current: Optional[Run] = None


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise StepstreamError("stepstream: %s must be a number of seconds, got %r" % (name, raw)) from None


def _env_rank() -> Optional[int]:
    raw = os.environ.get("RANK")
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise StepstreamError("stepstream: the RANK environment variable must be an integer, got %r" % raw) from None


def _default_run_id() -> str:
    for var in ("STEPSTREAM_RUN_ID", "TORCHELASTIC_RUN_ID"):
        v = os.environ.get(var, "").strip()
        if v and v != "none":
            return v
    rank = os.environ.get("RANK")
    if rank not in (None, "", "0") or os.environ.get("WORLD_SIZE", "1") not in ("", "1"):
        _logger.warning(
            "stepstream: no run_id given in a multi-process job: every rank will create its own run. "
            "Pass run_id= or set STEPSTREAM_RUN_ID to the same value on all ranks."
        )
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]


def dashboard_link(url: str, project: str) -> str:
    """The dashboard page listing ``project``'s runs."""
    return "%s/?project=%s" % (url.rstrip("/"), quote(project, safe=""))


def _announce(run: Run) -> None:
    """One line on stderr saying where the run goes (rank 0 only, so a
    64-rank job prints it once)."""
    if run.mode == Mode.DISABLED or not run.owns_run_info:
        return
    if run.mode == Mode.OFFLINE:
        where = "offline, spooled to %s" % run.spool.path.parent
    else:
        where = "dashboard: %s" % dashboard_link(run.url, run.project)
    print("stepstream: run %s of project %s (%s)" % (run.id, run.project, where), file=sys.stderr)


def init(
    project: Optional[str] = None,
    name: Optional[str] = None,
    run_id: Optional[str] = None,
    config: Optional[Mapping[str, Any]] = None,
    tags: Optional[Sequence[str]] = None,
    url: Optional[str] = None,
    api_key: Optional[str] = None,
    rank: Optional[int] = None,
    mode: Optional[Union[Mode, str]] = None,
    spool_dir: Optional[Union[str, Path]] = None,
    flush_interval: float = 1.0,
    flush_timeout: Optional[float] = None,
    *,
    batch_points: int = 100_000,
    max_queue_bytes: int = 64 << 20,
    gzip: bool = True,
    timeout: float = 30.0,
    meta: Optional[Mapping[str, str]] = None,
    register_atexit: bool = True,
    attempt: Optional[int] = None,
    resume_step: Optional[int] = None,
    fork_from: Optional[Tuple[str, int]] = None,
    system_metrics: Union[bool, float, None] = None,
) -> Run:
    """Start (or join, on ranks > 0) a run and make it the current one.

    Every argument has an environment fallback: STEPSTREAM_PROJECT,
    STEPSTREAM_RUN_ID (then torchrun's TORCHELASTIC_RUN_ID), STEPSTREAM_URL
    (default http://127.0.0.1:4300), STEPSTREAM_API_KEY, RANK,
    STEPSTREAM_MODE (online | offline | disabled), STEPSTREAM_SPOOL_DIR
    (default ./stepstream-spool), STEPSTREAM_FLUSH_TIMEOUT (default 30 s).
    The keyword-only ones: ``batch_points`` (points per request at most),
    ``max_queue_bytes`` (in memory before spilling to the spool), ``gzip``,
    ``timeout`` (per HTTP request, s), ``meta`` (extra run metadata),
    ``register_atexit`` (finish the run at interpreter exit).

    Restarts: ``attempt`` (default: STEPSTREAM_ATTEMPT, else torchrun's
    TORCHELASTIC_RESTART_COUNT, else SLURM_RESTART_COUNT, else 0) says which
    attempt of the run this process is, so a job restarted by torchrun or
    SLURM needs no code change; ``resume_step`` (the checkpoint's step) is
    where this attempt takes over the run; ``fork_from=(run_id, step)``
    starts the run as a copy of another run's history below ``step``.

    ``system_metrics``: True (every 15 s), False, or seconds between samples
    of CPU, memory and GPUs, logged as ``system/...`` metrics (default: the
    STEPSTREAM_SYSTEM_METRICS variable, on/off or seconds, else 15 s).

    Rank 0 prints the run id and its dashboard link once, on stderr.
    """
    global _current
    project = project or os.environ.get("STEPSTREAM_PROJECT")
    if not project:
        raise StepstreamError("stepstream: init() needs project= (or STEPSTREAM_PROJECT)")
    run = Run(
        project,
        run_id=run_id or _default_run_id(),
        name=name,
        config=config,
        tags=tags,
        url=url or os.environ.get("STEPSTREAM_URL") or DEFAULT_URL,
        api_key=api_key if api_key is not None else os.environ.get("STEPSTREAM_API_KEY") or None,
        rank=rank if rank is not None else _env_rank(),
        mode=mode or os.environ.get("STEPSTREAM_MODE") or Mode.ONLINE,
        spool_dir=spool_dir or os.environ.get("STEPSTREAM_SPOOL_DIR") or DEFAULT_SPOOL_DIR,
        flush_interval=flush_interval,
        flush_timeout=flush_timeout if flush_timeout is not None else _env_float("STEPSTREAM_FLUSH_TIMEOUT", 30.0),
        batch_points=batch_points,
        max_queue_bytes=max_queue_bytes,
        gzip=gzip,
        timeout=timeout,
        meta=meta,
        register_atexit=register_atexit,
        attempt=attempt if attempt is not None else env_attempt(),
        resume_step=resume_step,
        fork_from=fork_from,
    )
    if run.mode != Mode.DISABLED:
        _hooks.install()
        run.system_monitor = start_monitor(run, system_metrics)
    _current = run
    _announce(run)
    return run


def _need_run() -> Run:
    if _current is None:
        raise StepstreamError("stepstream: call stepstream.init(project=...) before log()")
    return _current


def log(data: Mapping[str, Any], step: Optional[int] = None) -> None:
    """``log()`` on the current run (the last one ``init()`` returned)."""
    run = _current
    if run is None:
        run = _need_run()
    run.log(data, step)


def finish(status: Union[str, int] = "finished", timeout: Optional[float] = None) -> bool:
    """``finish()`` the current run."""
    global _current
    run = _current
    if run is None:
        return True
    _current = None
    return run.finish(status, timeout)


def current_run() -> Optional[Run]:
    return _current
