"""Stepstream client: log training metrics from every rank without slowing
training and without losing a point.

    import stepstream
    run = stepstream.init(project="llm", config={"lr": 3e-4})
    for step in range(steps):
        ...
        run.log({"train/loss": loss, "lr": lr})
    run.finish()
"""

__version__ = "0.1.0"

from ._proto import RunStatus  # noqa: E402
from ._run import (  # noqa: E402
    Run,
    StepstreamError,
    current_run,
    finish,
    init,
    log,
)

__all__ = [
    "__version__",
    "Run",
    "RunStatus",
    "StepstreamError",
    "current_run",
    "finish",
    "init",
    "log",
]
