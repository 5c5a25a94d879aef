"""The run as one process (one rank) sees it: ``log``, ``flush``, ``finish``.

``log()`` is the hot path: it checks each value and appends it to the
metric's column buffers (_buffers.py), nothing else. Encoding, compression
and I/O happen on the run's background threads (_pipeline.py).
"""

import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _hooks
from ._config import config_json
from ._buffers import CUT, IDLE, ColumnBuffers
from ._errors import StepstreamError
from ._finish import close_and_report
from ._meta import process_meta
from ._options import DEFAULT_SPOOL_DIR, DEFAULT_URL, Mode, check_settings
from ._pipeline import Pipeline
from ._proto import RunInfo, RunStatus
from ._restart import Lineage
from ._spool import Spool, safe_component
from ._transport import Transport
from ._values import MAX_STEP, check_step

_time = time.time


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
        mode: Union[Mode, str] = Mode.ONLINE,
        spool_dir: Union[str, Path] = DEFAULT_SPOOL_DIR,
        flush_interval: float = 1.0,
        flush_timeout: float = 30.0,
        batch_points: int = 100_000,
        max_queue_bytes: int = 64 << 20,
        gzip: bool = True,
        timeout: float = 30.0,
        meta: Optional[Mapping[str, str]] = None,
        register_atexit: bool = True,
        attempt: int = 0,
        resume_step: Optional[int] = None,
        fork_from: Optional[Tuple[str, int]] = None,
    ) -> None:
        self.mode, rank = check_settings(project, run_id, mode, rank)
        self.lineage = Lineage(run_id, attempt, resume_step, fork_from)
        self.attempt = self.lineage.attempt  # every batch carries it
        self.project = project
        self.id = run_id
        self.name = name or run_id
        self.rank = rank  # None: a single-process run
        self.url = url
        self.flush_timeout = flush_timeout
        self.config: Dict[str, Any] = dict(config or {})
        config_json(self.config)  # the server's bounds, checked before anything is sent
        self.tags: List[str] = [str(t) for t in (tags or [])]
        # NOTE: points carry the process's rank; -1 (the run as a whole) when
        # the process has none. Only rank 0 (or a rank-less process) owns the
        # run's metadata: config, tags and status.
        self._wire_rank = -1 if rank is None else rank
        self.owns_run_info = rank is None or rank == 0
        self.client_id = "%s-r%d" % (uuid.uuid4().hex[:16], self._wire_rank)
        self.started_ms = int(_time() * 1000)
        self._pid = os.getpid()
        self._meta: Dict[str, str] = {}
        self._pipeline: Optional[Pipeline] = None
        self.system_monitor: Optional[Any] = None  # set by init() when system metrics are on
        batch_points = max(1, int(batch_points))
        self._buffers = ColumnBuffers(run_id, batch_points)
        self._buffers.step = self.lineage.first_step  # a resumed attempt logs on from its checkpoint
        if self.mode is Mode.DISABLED:
            return
        if self.owns_run_info:
            self._meta = process_meta(meta)
        self.spool = Spool(
            Path(spool_dir).absolute() / safe_component(project) / safe_component(run_id) / self.client_id,
            meta={
                "format": 1,
                "url": url,
                "project": project,
                "run_id": run_id,
                "rank": self._wire_rank,
                "attempt": self.attempt,
                "client_id": self.client_id,
                "created_ms": self.started_ms,
                "pid": os.getpid(),
                "host": socket.gethostname(),
            },
        )
        if self.mode is Mode.OFFLINE:
            self.spool.ensure()  # take the lock now: sync skips spools in use
        if self.owns_run_info:
            self._buffers.set_info(self._run_info(RunStatus.RUNNING))
        self._pipeline = Pipeline(
            project=project,
            run_id=run_id,
            rank=self._wire_rank,
            attempt=self.attempt,
            client_id=self.client_id,
            take=self._buffers.take,
            spool=self.spool,
            transport=Transport(url, api_key=api_key, timeout=timeout) if self.mode is Mode.ONLINE else None,
            gzip_enabled=gzip,
            flush_interval=flush_interval,
            batch_points=batch_points,
            max_queue_bytes=max_queue_bytes,
            label="rank %d" % rank if rank is not None else "",
        )
        self._pipeline.start()
        if self.owns_run_info:
            self._pipeline.wake.set()  # the run shows up now, not a flush_interval later
        if register_atexit:
            _hooks.live_runs.add(self)

    @property
    def finished(self) -> bool:
        """True once ``finish()`` was called."""
        return self._buffers.closed

    def log(self, data: Mapping[str, Any], step: Optional[int] = None) -> None:
        """Record ``data`` (metric name -> number) at ``step``.

        Without ``step`` the run's step counter is used and then incremented;
        with one, the counter continues from ``step + 1``. Nested dicts are
        flattened with "/" ({"train": {"loss": 1}} is "train/loss"). The whole
        call is rejected (nothing recorded) if a name or value is invalid.
        """
        if step is not None and (type(step) is not int or step < 0 or step >= MAX_STEP):
            step = check_step(step)
        pipeline = self._pipeline
        if pipeline is None:  # mode="disabled"
            if self._buffers.closed:
                raise StepstreamError("stepstream: log() after finish() on run %r" % self.id)
            return
        todo = self._buffers.append(data, step, int(_time() * 1000))
        if todo != IDLE:
            pipeline.wake.set()
            if todo == CUT:
                # NOTE: backpressure. The batcher is several batches behind
                # (log() outpaces encoding): encode here rather than let
                # the buffers grow without bound.
                pipeline.cut()

    def _record_at_current_step(self, data: Mapping[str, float]) -> None:
        """``data`` at the step last logged, the step counter left alone (system metrics)."""
        self._buffers.append_at_current_step(data, int(_time() * 1000))

    def _run_info(self, status: int, finished_ms: int = 0) -> RunInfo:
        return self.lineage.declare(RunInfo(
            name=self.name,
            config_json=config_json(self.config),
            tags=self.tags,
            status=status,
            started_ms=self.started_ms,
            finished_ms=finished_ms,
            meta=sorted(self._meta.items()),
        ))

    def update_config(self, config: Mapping[str, Any]) -> None:
        """Merge ``config`` into the run's config and send it (rank 0 only).

        Raises ValueError, leaving the config as it was, when the merged
        config would break the server's bounds."""
        merged = {**self.config, **config}
        config_json(merged)
        self.config = merged
        if self.owns_run_info and self._pipeline is not None and not self.finished:
            self._buffers.set_info(self._run_info(RunStatus.RUNNING))
            self._pipeline.wake.set()

    @property
    def step(self) -> int:
        """The step the next ``log()`` without ``step`` will use."""
        return self._buffers.step

    spool_dir = property(lambda self: self.spool.path if self._pipeline is not None else None)

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
        upload it. Returns True when nothing is lost: online, everything
        reached the server; offline, everything is in the spool. Safe to
        call twice, and from two threads at once."""
        code = RunStatus.parse(status)
        if os.getpid() != self._pid:  # a forked child: the parent owns the run
            # NOTE: no lock here: a thread of the parent may have held it at
            # fork time, and that thread does not exist in the child.
            self._buffers.closed = True
            return True
        if self.system_monitor is not None:  # its thread ends at its next wake-up
            self.system_monitor.stop()
        final = self._run_info(code, int(_time() * 1000)) if self.owns_run_info else None
        if not self._buffers.close(final):
            return True  # finished already
        _hooks.live_runs.discard(self)
        if self._pipeline is None:
            return True
        return close_and_report(self, self._pipeline, self.flush_timeout if timeout is None else timeout)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.finish("failed" if exc_type is not None else "finished")

    def __repr__(self) -> str:
        return "<stepstream.Run project=%r id=%r rank=%r mode=%s>" % (self.project, self.id, self.rank, self.mode)
