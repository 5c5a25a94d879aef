"""A Hugging Face Accelerate tracker writing to Stepstream.

    from stepstream.integrations.accelerate import StepstreamTracker
    accelerator = Accelerator(log_with=[StepstreamTracker(project="llm")])
    accelerator.init_trackers("llm", config={"lr": 3e-4})
    accelerator.log({"loss": loss}, step=step)
    accelerator.end_training()

Accelerate runs trackers on the main process only (``init_trackers`` and
``log`` are main-process methods), so the run's points are those of the
main process, logged as the run as a whole (rank -1) unless ``rank=`` says
otherwise.
"""

from typing import Any, Optional, Set

from accelerate.tracking import GeneralTracker

from .. import _init
from .._run import Run
from ._common import jsonable, numbers_of
from ._runs import shared_run_id


class StepstreamTracker(GeneralTracker):  # type: ignore[misc]
    """``project`` defaults to STEPSTREAM_PROJECT; other keyword arguments
    go to :func:`stepstream.init` (``url``, ``tags``, ``mode``...). The run
    is made when Accelerate starts its trackers (``init_trackers``)."""

    name = "stepstream"
    requires_logging_directory = False
    main_process_only = True

    def __init__(self, project: Optional[str] = None, run_name: Optional[str] = None,
                 run_id: Optional[str] = None, **init_kwargs: Any) -> None:
        super().__init__()
        self._project = project
        self._run_name = run_name
        self._run_id = shared_run_id(run_id)
        self._init_kwargs = init_kwargs
        self._skipped: Set[str] = set()
        self._run: Optional[Run] = None

    def start(self) -> None:
        self.tracker  # noqa: B018  (the run, made now)

    @property
    def tracker(self) -> Run:
        if self._run is None or self._run.finished:
            self._run = _init.init(project=self._project, name=self._run_name, run_id=self._run_id, **self._init_kwargs)
        return self._run

    def store_init_configuration(self, values: dict) -> None:  # type: ignore[type-arg]
        config = jsonable(values or {})
        if isinstance(config, dict):
            self.tracker.update_config(config)

    def log(self, values: dict, step: Optional[int] = None, **kwargs: Any) -> None:  # type: ignore[type-arg]
        data = numbers_of(values, self._skipped)
        if data:
            self.tracker.log(data, step=step)

    def finish(self) -> None:
        if self._run is not None:
            self._run.finish("finished")
