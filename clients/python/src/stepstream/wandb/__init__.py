"""A W&B-shaped facade: ``import stepstream.wandb as wandb`` runs a typical
wandb training script unchanged, for what Stepstream covers:

    run = wandb.init(project="llm", config={"lr": 3e-4})
    wandb.config.batch_size = 512
    for step in range(steps):
        wandb.log({"train/loss": loss})
    wandb.summary["best_loss"] = best
    wandb.finish()

``init``, ``config``, ``log`` (W&B's steps: _history.py), ``summary``,
``define_metric(name, step_metric=...)``, ``finish(exit_code)``, ``run``.
What is not covered (Table, Image, Artifact, watch, save, alert...) warns
once and does nothing: it never raises into training.
"""

import atexit
from typing import Any, Dict, Optional, Sequence

from ._config import Config
from ._init import Error, Settings, start
from ._run import Metric, WandbRun
from ._unsupported import FUNCTIONS, MEDIA, OTHER_CLASSES, Noop, unsupported_class, unsupported_function, warn_once

run: Optional[WandbRun] = None
config = Config()  # before init(): values set here are merged into the run's config
summary: Any = Noop("summary")
_exit_hooked = False

for _name in MEDIA + OTHER_CLASSES:
    globals()[_name] = unsupported_class(_name)
for _name in FUNCTIONS:
    globals()[_name] = unsupported_function(_name)
plot = Noop("plot")


def _at_exit() -> None:
    # NOTE: registered after stepstream.init's own hook, so it runs first
    # (atexit is last in, first out): the pending row goes out, then
    # stepstream finishes the run, as failed after an uncaught exception.
    if run is not None:
        run.flush_pending()


def init(project: Optional[str] = None, name: Optional[str] = None, config: Any = None,
         tags: Optional[Sequence[str]] = None, group: Optional[str] = None, resume: Any = None,
         id: Optional[str] = None, mode: Optional[str] = None, **kwargs: Any) -> WandbRun:  # noqa: A002
    """Start a run (W&B's arguments). A second ``init()`` while a run is
    live returns it, unless ``reinit`` is set: then that run is finished."""
    global run, summary, _exit_hooked
    g = globals()
    if run is not None and not run._run.finished:
        if not kwargs.get("reinit"):
            return run
        run.finish()
    pre = g["config"].as_dict() if isinstance(g["config"], Config) else {}
    merged = {**pre, **Config(config).as_dict()}
    core_run, start_step, resumed = start(project, name, id, merged, tags, group, resume, mode, kwargs)
    cfg = Config(merged, on_change=lambda changes: core_run.update_config(changes))
    extra = {"group": group, "job_type": kwargs.get("job_type"), "notes": kwargs.get("notes"),
             "entity": kwargs.get("entity"), "resumed": resumed}
    run = WandbRun(core_run, cfg, start_step, extra)
    g["config"], summary = cfg, run.summary
    if not _exit_hooked:
        _exit_hooked = True
        atexit.register(_at_exit)
    return run


def _need_run(what: str) -> WandbRun:
    if run is None:
        raise Error("stepstream.wandb: call wandb.init() before wandb.%s()" % what)
    return run


def log(data: Dict[str, Any], step: Optional[int] = None, commit: Optional[bool] = None, sync: Any = None) -> None:
    _need_run("log").log(data, step, commit)


def define_metric(name: str, step_metric: Optional[str] = None, **kwargs: Any) -> Metric:
    return _need_run("define_metric").define_metric(name, step_metric, **kwargs)


def finish(exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
    global run, summary
    if run is not None:
        run.finish(exit_code)
    run, summary = None, Noop("summary")
    globals()["config"] = Config()


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to (the server takes STEPSTREAM_API_KEY)."""
    return True


def setup(*args: Any, **kwargs: Any) -> None:
    return None


def termlog(msg: str = "", **kwargs: Any) -> None:
    import sys

    print("wandb: %s" % msg, file=sys.stderr)


termwarn = termerror = termlog


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    warn_once("wandb.%s" % name)
    return Noop(name)
