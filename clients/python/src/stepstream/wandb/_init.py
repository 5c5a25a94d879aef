"""``wandb.init()`` onto :func:`stepstream.init`: W&B's arguments and
environment variables (after Stepstream's own), resume, and settings."""

import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any, Dict, Optional, Sequence, Tuple
from urllib.parse import quote

from .. import _init as core
from .._options import DEFAULT_URL
from ._unsupported import warn_once

_logger = logging.getLogger("stepstream")
MODES = {"online": "online", "run": "online", "shared": "online", "offline": "offline", "dryrun": "offline",
         "disabled": "disabled"}
QUIET = {"dir", "reinit", "save_code", "anonymous", "allow_val_change", "magic", "force", "sync_tensorboard",
         "monitor_gym", "config_exclude_keys", "config_include_keys", "settings", "entity", "job_type", "notes"}


class Error(Exception):
    """wandb.Error: what the facade raises where W&B would (resume="must" of an unknown run)."""


class Settings:
    """wandb.Settings: kept; ``x_disable_stats`` / ``x_stats_sampling_interval``
    switch system metrics; the rest is ignored."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


def _env(*names: str) -> Optional[str]:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None


def last_step(url: str, project: str, run_id: str) -> Optional[int]:
    """The run's last step on the server, -1 for a run without points; None
    if the server does not know the run."""
    req = "%s/v1/projects/%s/runs/%s" % (url.rstrip("/"), quote(project, safe=""), quote(run_id, safe=""))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            doc = json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
    steps = [m.get("last_step") for m in doc.get("metrics", []) if isinstance(m.get("last_step"), int)]
    last = doc.get("last_step")
    return int(last) if isinstance(last, int) else max(steps, default=-1)


def _system_metrics(settings: Any) -> Any:
    if settings is None:
        return None
    get = settings.get if isinstance(settings, dict) else lambda k: getattr(settings, k, None)
    if get("x_disable_stats") or get("_disable_stats"):
        return False
    return get("x_stats_sampling_interval") or get("_stats_sample_rate_seconds")


def _fork(fork_from: Any) -> Optional[Tuple[str, int]]:
    """W&B's ``fork_from="run?_step=N"``."""
    run, _, q = str(fork_from).partition("?_step=")
    try:
        return run, int(float(q))
    except ValueError:
        warn_once("init(fork_from=%r)" % fork_from, "is not of the form 'run?_step=N': not forked")
        return None


def start(project: Optional[str], name: Optional[str], run_id: Optional[str], config: Dict[str, Any],
          tags: Optional[Sequence[str]], group: Optional[str], resume: Any, mode: Optional[str],
          kwargs: Dict[str, Any]) -> Tuple[Any, int, bool]:
    """The Stepstream run, the step W&B's counter starts at, and whether it resumed."""
    for k in kwargs:
        if k not in QUIET and k not in ("fork_from", "resume_from", "stepstream"):
            warn_once("init(%s=...)" % k)
    if kwargs.get("resume_from"):
        warn_once("init(resume_from=...)", "is not covered (use stepstream's resume_step): ignored")
    project = project or _env("STEPSTREAM_PROJECT", "WANDB_PROJECT") or "uncategorized"
    run_id = run_id or _env("STEPSTREAM_RUN_ID", "WANDB_RUN_ID")
    raw_mode = mode or _env("STEPSTREAM_MODE", "WANDB_MODE") or "online"
    mode = MODES.get(str(raw_mode).lower(), "online")
    tags = list(tags) if tags else [t for t in (_env("WANDB_TAGS") or "").split(",") if t]
    meta = {k: str(v) for k, v in (("wandb.group", group or _env("WANDB_RUN_GROUP")),
                                   ("wandb.job_type", kwargs.get("job_type") or _env("WANDB_JOB_TYPE")),
                                   ("wandb.notes", kwargs.get("notes") or _env("WANDB_NOTES")),
                                   ("wandb.entity", kwargs.get("entity"))) if v}
    url = _env("STEPSTREAM_URL") or DEFAULT_URL
    start_step, resumed = 0, False
    if resume and run_id and mode == "online" and resume != "never":
        try:
            last = last_step(url, project, run_id)
        except Exception as e:
            warn_once("init(resume=...)", "could not reach %s (%s): the step counter starts at 0" % (url, e))
            last = None
        if last is None and resume == "must":
            raise Error("stepstream.wandb: resume='must' but run %r of project %r does not exist" % (run_id, project))
        if last is not None:
            start_step, resumed = last + 1, True
    extra = dict(kwargs.get("stepstream") or {})  # stepstream.init's own arguments, for those who want them
    extra.setdefault("system_metrics", _system_metrics(kwargs.get("settings")))
    if kwargs.get("fork_from"):
        extra.setdefault("fork_from", _fork(kwargs["fork_from"]))
    run = core.init(project=project, name=name or _env("WANDB_NAME"), run_id=run_id, config=config, tags=tags,
                    mode=mode, meta=meta, url=url, **extra)
    return run, start_step, resumed
