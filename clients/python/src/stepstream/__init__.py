"""Stepstream client: log training metrics from every rank without slowing
training and without losing a point.

    import stepstream
    run = stepstream.init(project="llm", config={"lr": 3e-4})
    for step in range(steps):
        ...
        run.log({"train/loss": loss, "lr": lr})
    run.finish()
"""

from ._errors import StepstreamError
from .api import Api, ApiError, ApiRun
from ._init import current_run, finish, init, log
from ._proto import RunStatus
from ._options import Mode
from ._run import Run
from ._version import __version__

__all__ = [
    "__version__",
    "Api",
    "ApiError",
    "ApiRun",
    "Mode",
    "Run",
    "RunStatus",
    "StepstreamError",
    "current_run",
    "finish",
    "init",
    "log",
]
