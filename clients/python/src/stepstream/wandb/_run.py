"""The run ``wandb.init()`` returns: ``log``, ``define_metric``, ``config``,
``summary``, ``finish``, over a :class:`stepstream.Run`."""

import logging
from typing import Any, Dict, Optional

from .._init import dashboard_link
from .._run import Run
from ._config import Config
from ._history import History
from ._summary import Summary
from ._unsupported import FUNCTIONS, Noop, warn_once

_logger = logging.getLogger("stepstream")


class Metric:
    """What ``define_metric`` returns."""

    def __init__(self, name: str, step_metric: Optional[str]) -> None:
        self.name = name
        self.step_metric = step_metric


class WandbRun:
    def __init__(self, run: Run, config: Config, start_step: int = 0, extra: Optional[Dict[str, Any]] = None) -> None:
        self._run = run
        self.config = config
        self.summary = Summary(on_change=self._send_meta)
        self._history = History(self._send, self.summary.observe, start_step)
        extra = extra or {}
        self.group = extra.get("group")
        self.job_type = extra.get("job_type")
        self.notes = extra.get("notes")
        self.resumed = bool(extra.get("resumed"))
        self.entity = extra.get("entity") or ""
        self.sweep_id = None
        self.start_time = run.started_ms / 1000.0

    # What the run is
    id = property(lambda self: self._run.id)
    project = property(lambda self: self._run.project)
    tags = property(lambda self: tuple(self._run.tags))
    step = property(lambda self: self._history.step)
    url = property(lambda self: dashboard_link(self._run.url, self._run.project))
    path = property(lambda self: "%s/%s" % (self._run.project, self._run.id))
    offline = property(lambda self: str(self._run.mode) == "offline")
    disabled = property(lambda self: str(self._run.mode) == "disabled")
    dir = property(lambda self: str(self._run.spool_dir or ""))
    stepstream_run = property(lambda self: self._run)

    @property
    def name(self) -> str:
        return self._run.name

    @name.setter
    def name(self, value: str) -> None:
        self._run.name = str(value)
        self._send_meta("name")

    def log(self, data: Dict[str, Any], step: Optional[int] = None, commit: Optional[bool] = None, sync: Any = None) -> None:
        if self._run.finished:
            warn_once("log() after finish()", "does nothing")
            return
        self._history.log(data, step, commit)

    def define_metric(self, name: str, step_metric: Optional[str] = None, step_sync: Optional[bool] = None,
                      hidden: Optional[bool] = None, summary: Optional[str] = None, goal: Optional[str] = None,
                      overwrite: Optional[bool] = None, **kwargs: Any) -> Metric:
        if step_metric:
            self._history.define(str(name), str(step_metric))
        for what, given in (("summary", summary), ("goal", goal), ("hidden", hidden)):
            if given is not None:
                warn_once("define_metric(%s=...)" % what)
        return Metric(str(name), step_metric)

    def finish(self, exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
        """Send what is pending; the status is ``finished`` for exit code 0 or
        None, ``failed`` otherwise."""
        if self._run.finished:
            return
        self.flush_pending()
        self._run.finish("finished" if not exit_code else "failed")

    def flush_pending(self) -> None:
        """The row not yet committed (W&B sends it at exit too)."""
        if not self._run.finished:
            self._history.flush()

    def _send(self, row: Dict[str, float], step: int) -> None:
        try:
            self._run.log(row, step=step)
        except Exception as e:  # never into training
            warn_once("log() of %d value(s) at step %d" % (len(row), step), "failed: %s" % e)

    def _send_meta(self, what: str) -> None:
        run = self._run
        if not run.owns_run_info or run.finished:
            return
        if what == "summary":
            text = self.summary.to_json()
            if text is None:
                return
            run._meta["summary"] = text  # NOTE: metadata entries go with the run info, re-sent below
        try:
            run.update_config({})  # re-sends the run info: name, config and metadata
        except Exception as e:
            warn_once("sending the run's %s" % what, "failed: %s" % e)

    def __enter__(self) -> "WandbRun":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.finish(exit_code=1 if exc_type is not None else 0)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        warn_once("run.%s" % name if name not in FUNCTIONS else "run.%s()" % name)
        return Noop(name)

    def __repr__(self) -> str:
        return "<stepstream.wandb run %s of project %s>" % (self._run.id, self._run.project)
