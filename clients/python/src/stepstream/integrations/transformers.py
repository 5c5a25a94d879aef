"""A Hugging Face Transformers ``TrainerCallback`` writing to Stepstream.

    from stepstream.integrations.transformers import StepstreamCallback
    trainer = Trainer(model, args, ..., callbacks=[StepstreamCallback(project="llm")])

The Trainer's logs are already averaged over processes, so the world process
zero logs them; every process joins the run (rank = ``args.process_index``
when there is more than one), so each rank's system metrics are recorded.
"""

from typing import Any, Dict, Mapping, Optional, Set

from transformers import TrainerCallback

from .. import _init
from .._run import Run
from ._common import jsonable, numbers_of
from ._runs import shared_run_id


def hf_names(logs: Mapping[str, Any]) -> Dict[str, Any]:
    """The Trainer's log keys named as its wandb integration names them:
    ``eval_loss`` -> ``eval/loss``, ``test_x`` -> ``test/x``, else ``train/...``."""
    out: Dict[str, Any] = {}
    for k, v in logs.items():
        if k.startswith("eval_"):
            out["eval/" + k[5:]] = v
        elif k.startswith("test_"):
            out["test/" + k[5:]] = v
        else:
            out["train/" + k] = v
    return out


def run_config(args: Any, model: Any) -> Dict[str, Any]:
    """The model's config with the TrainingArguments over it (as the wandb
    callback merges them), and the model's parameter count."""
    config: Dict[str, Any] = {}
    model_config = getattr(model, "config", None)
    if model_config is not None and hasattr(model_config, "to_dict"):
        config.update(jsonable(model_config.to_dict()))
    to_args = getattr(args, "to_sanitized_dict", None) or getattr(args, "to_dict", None)
    if callable(to_args):
        config.update(jsonable(to_args()))
    count = getattr(model, "num_parameters", None)
    if callable(count):
        try:
            config["model/num_parameters"] = int(count())
        except Exception:
            pass
    return config


class StepstreamCallback(TrainerCallback):  # type: ignore[misc]
    """Keyword arguments go to :func:`stepstream.init` (``url``, ``tags``,
    ``mode``, ``system_metrics``...); ``name`` defaults to ``args.run_name``."""

    def __init__(self, project: Optional[str] = None, name: Optional[str] = None,
                 run_id: Optional[str] = None, **init_kwargs: Any) -> None:
        self._project = project
        self._name = name
        self._run_id = shared_run_id(run_id)
        self._init_kwargs = init_kwargs
        self._skipped: Set[str] = set()
        self.run: Optional[Run] = None

    def _ensure_run(self, args: Any, model: Any = None) -> Run:
        if self.run is None or self.run.finished:
            world = int(getattr(args, "world_size", 1) or 1)
            name = self._name or getattr(args, "run_name", None)
            self.run = _init.init(
                project=self._project,
                name=str(name) if name else None,
                run_id=self._run_id,
                rank=int(getattr(args, "process_index", 0)) if world > 1 else None,
                **self._init_kwargs,
            )
            if self.run.owns_run_info:
                self.run.update_config(run_config(args, model))
        return self.run

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        self._ensure_run(args, model)

    def on_log(self, args: Any, state: Any, control: Any, logs: Optional[Mapping[str, Any]] = None,
               model: Any = None, **kwargs: Any) -> None:
        run = self._ensure_run(args, model)
        if not logs or not state.is_world_process_zero:
            return
        data = numbers_of(hf_names(logs), self._skipped)
        if data:
            run.log(data, step=int(state.global_step))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is not None:
            self.run.finish("finished")
