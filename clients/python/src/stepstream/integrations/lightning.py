"""A Lightning ``Logger`` writing to Stepstream.

    from stepstream.integrations.lightning import StepstreamLogger
    trainer = Trainer(logger=StepstreamLogger(project="llm"), ...)

Works with ``lightning`` (``lightning.pytorch``) or, when that is not
installed, ``pytorch_lightning``. Under DDP every rank joins the same run and
logs its own points under its rank; the hyperparameters and the status are
sent by rank 0 only.
"""

from argparse import Namespace
from typing import Any, Dict, Mapping, Optional, Set, Union

from .. import _init
from .._run import Run
from ._common import jsonable, numbers_of, status_of
from ._runs import shared_run_id, torch_rank

try:
    from lightning.pytorch.loggers.logger import Logger as _Logger
except ImportError:  # pragma: no cover - the older package name
    from pytorch_lightning.loggers.logger import Logger as _Logger  # type: ignore[no-redef]


class StepstreamLogger(_Logger):
    """``name`` is the project, ``version`` the run id. ``experiment`` is the
    :class:`stepstream.Run`, made on first use (the first ``log_*`` call, which
    comes after DDP is set up, so the rank is known). Every other keyword
    argument goes to :func:`stepstream.init` (``url``, ``tags``, ``mode``,
    ``system_metrics``...).

    ``finalize(status)`` finishes the run: Lightning's ``"success"`` as
    finished, ``"failed"`` as failed. A later ``fit``/``test`` with the same
    logger joins the same run again."""

    def __init__(
        self,
        project: Optional[str] = None,
        name: Optional[str] = None,
        run_id: Optional[str] = None,
        rank: Optional[int] = None,
        **init_kwargs: Any,
    ) -> None:
        super().__init__()
        self._project = project
        self._run_name = name
        self._run_id = shared_run_id(run_id)
        self._rank = rank
        self._init_kwargs = init_kwargs
        self._run: Optional[Run] = None
        self._skipped: Set[str] = set()

    @property
    def name(self) -> Optional[str]:
        return self._project or (self._run.project if self._run is not None else None)

    @property
    def version(self) -> str:
        return self._run_id

    @property
    def experiment(self) -> Run:
        return self._run if self._run is not None else self._open()

    def _open(self) -> Run:
        """A run: the first one, or the run again after finalize() (a later test/fit)."""
        if self._run is None or self._run.finished:
            self._run = _init.init(
                project=self._project,
                name=self._run_name,
                run_id=self._run_id,
                rank=self._rank if self._rank is not None else torch_rank(),
                **self._init_kwargs,
            )
            self._project = self._run.project
        return self._run

    def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
        data = numbers_of(metrics, self._skipped)
        if data:
            self._open().log(data, step=step)

    def log_hyperparams(self, params: Union[Dict[str, Any], Namespace], *args: Any, **kwargs: Any) -> None:
        run = self._open()
        if not run.owns_run_info:  # rank 0 sends the config, once
            return
        config = jsonable(vars(params) if isinstance(params, Namespace) else params)
        if isinstance(config, dict) and config:
            run.update_config(config)

    def save(self) -> None:
        """Ask for what was logged to be sent now (without waiting)."""
        if self._run is not None and not self._run.finished:
            self._run.flush(timeout=0)

    def finalize(self, status: str) -> None:
        if self._run is not None:
            self._run.finish(status_of(status))

    def __getstate__(self) -> Dict[str, Any]:
        # ddp_spawn pickles the logger into each worker: the run stays here,
        # the worker makes its own with the same run id
        state = self.__dict__.copy()
        state["_run"] = None
        return state
