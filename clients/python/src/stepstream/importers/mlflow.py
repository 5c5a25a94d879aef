"""``import mlflow --tracking-uri URI --experiment E``: each run of the
experiments, read with the ``mlflow`` package's client: params as config,
tags, status, start and end times, and every step of every metric
(``get_metric_history``) with its timestamp.

- Params are strings in MLflow; those that read as a number or a boolean
  (``"0.001"``, ``"64"``, ``"True"``) become one in the config, so they
  filter and sort as numbers; others stay strings.
- Tags: every tag goes into the run's meta under its own key
  (``mlflow.user``, ``mlflow.source.name``...); the user's own tags (not
  ``mlflow.*``) also become run tags ``key=value``.
- Status: FINISHED -> finished, FAILED -> failed, KILLED -> crashed,
  RUNNING / SCHEDULED -> running.
- A ``file:`` store (or a plain directory) is read with
  ``MLFLOW_ALLOW_FILE_STORE=true``: mlflow 3.7 and later refuse a file
  store without it.
"""

import os
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Union

from .._proto import RunStatus
from ._model import MissingPackage, ReadFailure, SourceRun
from ._progress import Progress

STATUS = {"FINISHED": RunStatus.FINISHED, "FAILED": RunStatus.FAILED, "KILLED": RunStatus.CRASHED}
_INT = re.compile(r"^[+-]?\d{1,18}$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def param_value(text: str) -> Any:
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text in ("True", "true", "False", "false"):
        return text in ("True", "true")
    return text


def _tracking_uri(uri: str) -> str:
    if "://" not in uri and not uri.startswith("file:") and Path(uri).exists():
        uri = Path(uri).resolve().as_uri()
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return uri


def read_experiments(uri: str, experiments: List[str], progress: Progress) -> Iterator[Union[SourceRun, ReadFailure]]:
    uri = _tracking_uri(uri)
    try:
        from mlflow.entities import ViewType
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise MissingPackage("mlflow", "import mlflow") from None
    client = MlflowClient(tracking_uri=uri)
    for wanted in experiments:
        exp = client.get_experiment_by_name(wanted)
        if exp is None and wanted.isdigit():
            try:
                exp = client.get_experiment(wanted)
            except Exception:  # mlflow raises its own MlflowException for an unknown id
                exp = None
        if exp is None:
            yield ReadFailure("experiment %r" % wanted, "no such experiment at %s" % uri)
            continue
        token = None
        while True:
            page = client.search_runs([exp.experiment_id], run_view_type=ViewType.ACTIVE_ONLY, max_results=500, page_token=token)
            for r in page:
                try:
                    yield _read_run(client, r, exp.name, progress)
                except Exception as e:  # one unreadable run does not stop the others
                    yield ReadFailure("mlflow run %s" % r.info.run_id, "%s: %s" % (type(e).__name__, e))
            token = page.token
            if not token:
                break


def _read_run(client: Any, r: Any, experiment: str, progress: Progress) -> SourceRun:
    info, data = r.info, r.data
    tags: Dict[str, str] = dict(data.tags)
    name = info.run_name or tags.get("mlflow.runName") or info.run_id
    meta = {k: str(v) for k, v in tags.items()}
    meta["mlflow.experiment"] = experiment
    meta["mlflow.run_id"] = info.run_id
    run = SourceRun(
        kind="mlflow",
        key="mlflow\n%s" % info.run_id,
        name=name,
        run_id="mlflow-%s" % info.run_id,
        config={k: param_value(v) for k, v in sorted(data.params.items())},
        tags=sorted("%s=%s" % (k, v) for k, v in tags.items() if not k.startswith("mlflow.")),
        status=STATUS.get(info.status, RunStatus.RUNNING),
        started_ms=info.start_time or 0,
        finished_ms=info.end_time or 0,
        meta=meta,
        source="mlflow experiment %s run %s" % (experiment, info.run_id),
    )
    for key in sorted(data.metrics):
        for m in client.get_metric_history(info.run_id, key):
            run.add(key, int(m.step), float(m.value), int(m.timestamp))
        progress.tick(lambda: "  reading mlflow run %s: %d points so far" % (name, run.points))
    try:
        for a in client.list_artifacts(info.run_id):
            run.skipped.add("artifact", a.path)
    except Exception:  # NOTE: an artifact store we cannot list only loses the report line
        pass
    return run
