"""The user-facing run: ``init``, ``log``, ``finish``.

``log()`` is the hot path: it checks each value and appends it to the
metric's column lists under a lock, nothing else. Encoding, compression and
I/O happen on the run's background threads (see _pipeline.py).
"""

import atexit
import json
import logging
import numbers
import operator
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
import weakref
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import __version__
from ._pipeline import Pipeline, Snapshot
from ._proto import RunInfo, RunStatus
from ._spool import Spool, safe_component
from ._transport import Transport

_logger = logging.getLogger("stepstream")

DEFAULT_URL = "http://127.0.0.1:4300"
DEFAULT_SPOOL_DIR = "stepstream-spool"
MAX_STEP = 1 << 53  # steps are in [0, 2^53): exact in a double, as the server requires
_METRIC_RE = re.compile(r"[A-Za-z0-9_./-]{1,200}")
_time = time.time
_NO_KEY = object()


class StepstreamError(Exception):
    """Base class of the errors this package raises."""


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


def _short(v: Any) -> str:
    try:
        r = repr(v)
    except Exception:  # pragma: no cover
        r = "<unprintable>"
    return r if len(r) <= 60 else r[:57] + "..."


def _not_a_number(key: str, v: Any, why: str = "") -> TypeError:
    return TypeError(
        "stepstream: the value of %r must be a number (int, float, bool, or a numpy/torch scalar), "
        "got %s %s%s" % (key, type(v).__name__, _short(v), why)
    )


def coerce_value(key: str, v: Any) -> float:
    """A logged value as a float, or a TypeError/ValueError saying why not.

    bool is accepted as 0.0/1.0. numpy and torch scalars (and 1-element
    arrays/tensors) are read through their ``.item()`` without importing
    numpy or torch."""
    if isinstance(v, (str, bytes, bytearray)) or v is None:
        raise _not_a_number(key, v)
    if isinstance(v, (bool, int, float)):
        try:
            return float(v)
        except OverflowError:
            raise ValueError("stepstream: the value of %r is too large for a double: %s" % (key, _short(v))) from None
    item = getattr(v, "item", None)
    if callable(item) and not isinstance(v, Mapping):
        try:
            x = item()
        except Exception as e:
            shape = getattr(v, "shape", None)
            raise _not_a_number(
                key,
                v,
                " (shape %s is not a scalar: log a single number, e.g. x.mean().item())" % (tuple(shape),)
                if shape is not None
                else " (%s)" % e,
            ) from None
        if isinstance(x, (bool, int, float)) and not isinstance(x, complex):
            return float(x)
        raise _not_a_number(key, v, " (its .item() is %s)" % type(x).__name__)
    if isinstance(v, numbers.Real):
        return float(v)
    raise _not_a_number(key, v)


def _check_metric(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError("stepstream: metric names must be strings, got %s %s" % (type(name).__name__, _short(name)))
    if not _METRIC_RE.fullmatch(name):
        raise ValueError(
            "stepstream: invalid metric name %s: use 1 to 200 of A-Z a-z 0-9 _ . / - "
            "(for example 'train/loss')" % _short(name)
        )
    return name


def _check_step(step: Any) -> int:
    if isinstance(step, bool):
        raise TypeError("stepstream: step must be an integer, got bool")
    try:
        s = operator.index(step)
    except TypeError:
        if isinstance(step, float) and step.is_integer():
            s = int(step)
        else:
            raise TypeError("stepstream: step must be an integer, got %s %s" % (type(step).__name__, _short(step))) from None
    if not 0 <= s < MAX_STEP:
        raise ValueError("stepstream: step must be in [0, 2^53), got %d" % s)
    return s


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=2,
            check=False,
        )
        return out.stdout.decode().strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


class Run:
    """A run as seen from one process (one rank). Create with :func:`init`."""

    def __init__(
        self,
        project: str,
        *,
        run_id: str,
        name: Optional[str] = None,
        config: Optional[Mapping[str, Any]] = None,
        tags: Optional[Sequence[str]] = None,
        url: str = DEFAULT_URL,
        api_key: Optional[str] = None,
        rank: Optional[int] = None,
        mode: str = "online",
        spool_dir: Union[str, Path] = DEFAULT_SPOOL_DIR,
        flush_interval: float = 1.0,
        flush_timeout: float = 30.0,
        batch_points: int = 100_000,
        max_queue_bytes: int = 64 << 20,
        gzip: bool = True,
        timeout: float = 30.0,
        meta: Optional[Mapping[str, str]] = None,
        register_atexit: bool = True,
    ) -> None:
        if not isinstance(project, str) or not project:
            raise ValueError("stepstream: project must be a non-empty string")
        if not isinstance(run_id, str) or not run_id:
            raise ValueError("stepstream: run_id must be a non-empty string")
        if mode not in ("online", "offline", "disabled"):
            raise ValueError("stepstream: mode must be 'online', 'offline' or 'disabled', got %r" % (mode,))
        if rank is not None:
            rank = operator.index(rank)
            if not -1 <= rank < (1 << 31):
                raise ValueError("stepstream: rank must be -1 or a non-negative int32, got %d" % rank)
        self.project = project
        self.id = run_id
        self.name = name or run_id
        self.rank = rank  # None: a single-process run
        self.mode = mode
        self.url = url
        self.flush_timeout = flush_timeout
        self.config: Dict[str, Any] = dict(config or {})
        self.tags: List[str] = [str(t) for t in (tags or [])]
        # NOTE: points carry the process's rank; -1 (the run as a whole) when
        # the process has none. Only rank 0 (or a rank-less process) owns the
        # run's metadata: config, tags and status.
        self._wire_rank = -1 if rank is None else rank
        self.owns_run_info = rank is None or rank == 0
        self.client_id = "%s-r%d" % (uuid.uuid4().hex[:16], self._wire_rank)
        self.started_ms = int(_time() * 1000)
        self.finished = False
        self._pid = os.getpid()
        self._meta: Dict[str, str] = {}
        if self.owns_run_info and mode != "disabled":
            self._meta = {
                "host": socket.gethostname(),
                "pid": str(os.getpid()),
                "python": sys.version.split()[0],
                "command": " ".join([os.path.basename(sys.executable)] + sys.argv)[:4000],
                "sdk": "stepstream-python/%s" % __version__,
            }
            commit = _git_commit()
            if commit:
                self._meta["git_commit"] = commit
            if meta:
                self._meta.update({str(k): str(v) for k, v in meta.items()})

        # column buffers: metric -> (steps, values); step -> time_ms
        self._lock = threading.Lock()
        self._cols: Dict[str, Tuple[List[int], List[float]]] = {}
        self._times: Dict[int, int] = {}
        self._pending_info: Optional[RunInfo] = None
        self._known: Dict[str, bool] = {}
        self._step = 0
        self._n = 0
        self._batch_points = max(1, int(batch_points))
        self._wake_at = self._batch_points
        self._hard_limit = 4 * self._batch_points
        self._pipeline: Optional[Pipeline] = None
        self._inactive = True  # disabled or finished: log() does nothing / raises

        if mode == "disabled":
            return
        self.spool = Spool(
            Path(spool_dir).absolute() / safe_component(project) / safe_component(run_id) / self.client_id,
            meta={
                "format": 1,
                "url": url,
                "project": project,
                "run_id": run_id,
                "rank": self._wire_rank,
                "client_id": self.client_id,
                "created_ms": self.started_ms,
                "pid": os.getpid(),
                "host": socket.gethostname(),
            },
        )
        if mode == "offline":
            self.spool.ensure()  # take the lock now: sync skips spools in use
        transport = Transport(url, api_key=api_key, timeout=timeout) if mode == "online" else None
        if self.owns_run_info:
            self._pending_info = self._run_info(RunStatus.RUNNING)
        self._pipeline = Pipeline(
            project=project,
            run_id=run_id,
            rank=self._wire_rank,
            client_id=self.client_id,
            take=self._take,
            spool=self.spool,
            transport=transport,
            gzip_enabled=gzip,
            flush_interval=flush_interval,
            batch_points=self._batch_points,
            max_queue_bytes=max_queue_bytes,
            label="rank %d" % rank if rank is not None else "",
        )
        self._pipeline.start()
        if self._pending_info is not None:
            self._pipeline.wake.set()  # the run shows up now, not a flush_interval later
        self._inactive = False
        if register_atexit:
            _live_runs.add(self)

    # ------------------------------------------------------------------ log

    def log(self, data: Mapping[str, Any], step: Optional[int] = None) -> None:
        """Record ``data`` (metric name -> number) at ``step``.

        Without ``step`` the run's step counter is used and then incremented;
        with one, the counter continues from ``step + 1``. Nested dicts are
        flattened with "/" ({"train": {"loss": 1}} is "train/loss"). The whole
        call is rejected (nothing recorded) if a name or value is invalid.
        """
        if step is None:
            step = self._step
        elif type(step) is not int or step < 0 or step >= MAX_STEP:
            step = _check_step(step)
        if self._inactive:
            if self.finished:
                raise StepstreamError("stepstream: log() after finish() on run %r" % self.id)
            return  # mode="disabled"
        ms = int(_time() * 1000)
        k: Any = _NO_KEY
        with self._lock:
            cols = self._cols
            n = self._n
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
            self._step = step + 1
            self._n = n = n + len(data)
        if n >= self._wake_at:
            self._wake_at = n + self._batch_points
            self._pipeline.wake.set()  # type: ignore[union-attr]
            if n >= self._hard_limit:
                # NOTE: backpressure. The batcher is several batches behind
                # (log() outpaces encoding): encode here rather than let
                # the buffers grow without bound.
                self._pipeline.cut()  # type: ignore[union-attr]

    def _column(self, key: Any, v: Any) -> Optional[Tuple[List[int], List[float]]]:
        if isinstance(v, Mapping):
            if not isinstance(key, str):
                _check_metric(key)  # raises the TypeError
            return None
        if key not in self._known:
            _check_metric(key)
            self._known[key] = True
        c: Tuple[List[int], List[float]] = ([], [])
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
                        _check_metric(key)
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
        """Take back what this log() call appended before ``failed_key``
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

    def _take(self) -> Snapshot:
        """Hand the buffers to the batcher and start new ones (under the lock)."""
        with self._lock:
            cols, self._cols = self._cols, {}
            times, self._times = self._times, {}
            info, self._pending_info = self._pending_info, None
            self._n = 0
            self._wake_at = self._batch_points
        return {k: c for k, c in cols.items() if c[0]}, times, info

    # ------------------------------------------------------------- metadata

    def _run_info(self, status: int, finished_ms: int = 0) -> RunInfo:
        return RunInfo(
            name=self.name,
            config_json=json.dumps(self.config, default=str, allow_nan=True) if self.config else "",
            tags=self.tags,
            status=status,
            started_ms=self.started_ms,
            finished_ms=finished_ms,
            meta=sorted(self._meta.items()),
        )

    def update_config(self, config: Mapping[str, Any]) -> None:
        """Merge ``config`` into the run's config and send it (rank 0 only)."""
        self.config.update(config)
        if self.owns_run_info and self._pipeline is not None and not self.finished:
            with self._lock:
                self._pending_info = self._run_info(RunStatus.RUNNING)
            self._pipeline.wake.set()

    @property
    def step(self) -> int:
        """The step the next ``log()`` without ``step`` will use."""
        return self._step

    @property
    def spool_dir(self) -> Optional[Path]:
        return self.spool.path if self._pipeline is not None else None

    @property
    def errors(self) -> List[str]:
        """Problems met so far (rejected batches, a refused key, ...)."""
        return list(self._pipeline.errors) if self._pipeline is not None else []

    @property
    def stats(self) -> Dict[str, int]:
        p = self._pipeline
        if p is None:
            return {}
        return {
            "encoded_points": p.encoded_points,
            "sent_points": p.sent_points,
            "sent_batches": p.sent_batches,
            "spilled_batches": p.spilled_batches,
            "rejected_batches": p.rejected_batches,
            "pending_batches": p.pending_batches,
        }

    # --------------------------------------------------------------- finish

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Send what was logged so far and wait for the server (online mode).
        True when everything was delivered within ``timeout`` seconds."""
        if self._pipeline is None or self.finished:
            return True
        return self._pipeline.flush(timeout)

    def finish(self, status: Union[str, int] = "finished", timeout: Optional[float] = None) -> bool:
        """End the run: send the final status (rank 0), flush, wait up to
        ``timeout`` seconds (default ``flush_timeout``) for the server. What
        could not be sent stays in the spool, and a message says how to
        upload it. Returns True when everything was delivered. Safe to call
        twice."""
        code = RunStatus.parse(status)
        if self.finished:
            return True
        if os.getpid() != self._pid:  # a forked child: the parent owns the run
            self.finished = self._inactive = True
            return True
        self.finished = True
        self._inactive = True
        _live_runs.discard(self)
        if self._pipeline is None:
            return True
        if self.owns_run_info:
            with self._lock:
                self._pending_info = self._run_info(code, int(_time() * 1000))
        timeout = self.flush_timeout if timeout is None else timeout

        def slow(pending: int) -> None:
            _logger.warning(
                "stepstream: sending the last %d batch(es) of run %r to %s (waiting up to %.0f s)...",
                pending,
                self.id,
                self.url,
                timeout,
            )

        summary = self._pipeline.close(timeout, on_slow=slow)
        if self.mode == "offline":
            self.spool.unlock()
            if self.owns_run_info:
                root = self.spool.path.parent
                _logger.warning(
                    "stepstream: offline run %r saved in %s; upload it with: stepstream-sync %s --url URL",
                    self.id,
                    root,
                    root,
                )
            return True
        if summary["all_sent"]:
            self.spool.cleanup_if_done()
            return summary["rejected"] == 0
        self.spool.unlock()
        why = "the server refused the data: %s" % summary["fatal"] if summary["fatal"] else (
            "%s did not take all data within %.0f s" % (self.url, timeout)
        )
        _logger.warning(
            "stepstream: %s; %d batch(es) of run %r are kept in %s. Nothing is lost: upload them "
            "when the server is back with: python -m stepstream sync %s",
            why,
            summary["left_batches"],
            self.id,
            summary["spool"],
            summary["spool"],
        )
        return False

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.finish("failed" if exc_type is not None else "finished")

    def __repr__(self) -> str:
        return "<stepstream.Run project=%r id=%r rank=%r mode=%s>" % (self.project, self.id, self.rank, self.mode)


# ------------------------------------------------------------- module level

_live_runs: "weakref.WeakSet[Run]" = weakref.WeakSet()
_current: Optional[Run] = None
_hooks_installed = False
_uncaught: List[bool] = []


def _excepthook(exc_type: Any, exc: Any, tb: Any) -> None:
    if not issubclass(exc_type, SystemExit):
        _uncaught.append(True)
    _prev_excepthook(exc_type, exc, tb)


_prev_excepthook = sys.excepthook


def _at_exit() -> None:
    status = "failed" if _uncaught else "finished"
    for run in list(_live_runs):
        try:
            run.finish(status)
        except Exception as e:  # pragma: no cover - never fail the interpreter's exit
            _logger.error("stepstream: could not finish run %r at exit: %s", run.id, e)


def _install_hooks() -> None:
    global _hooks_installed, _prev_excepthook
    if _hooks_installed:
        return
    _hooks_installed = True
    _prev_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_at_exit)


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


def init(
    project: Optional[str] = None,
    name: Optional[str] = None,
    run_id: Optional[str] = None,
    config: Optional[Mapping[str, Any]] = None,
    tags: Optional[Sequence[str]] = None,
    url: Optional[str] = None,
    api_key: Optional[str] = None,
    rank: Optional[int] = None,
    mode: Optional[str] = None,
    spool_dir: Optional[Union[str, Path]] = None,
    flush_interval: float = 1.0,
    flush_timeout: Optional[float] = None,
    **options: Any,
) -> Run:
    """Start (or join, on ranks > 0) a run and make it the current one.

    Every argument has an environment fallback: STEPSTREAM_PROJECT,
    STEPSTREAM_RUN_ID (then torchrun's TORCHELASTIC_RUN_ID), STEPSTREAM_URL
    (default http://127.0.0.1:4300), STEPSTREAM_API_KEY, RANK,
    STEPSTREAM_MODE (online | offline | disabled), STEPSTREAM_SPOOL_DIR
    (default ./stepstream-spool), STEPSTREAM_FLUSH_TIMEOUT (default 30 s).
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
        mode=mode or os.environ.get("STEPSTREAM_MODE") or "online",
        spool_dir=spool_dir or os.environ.get("STEPSTREAM_SPOOL_DIR") or DEFAULT_SPOOL_DIR,
        flush_interval=flush_interval,
        flush_timeout=flush_timeout if flush_timeout is not None else _env_float("STEPSTREAM_FLUSH_TIMEOUT", 30.0),
        **options,
    )
    if run.mode != "disabled":
        _install_hooks()
    _current = run
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

