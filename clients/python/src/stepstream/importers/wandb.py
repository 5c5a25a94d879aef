"""``import wandb DIR``: offline W&B runs (``wandb/offline-run-*``, what
``WANDB_MODE=offline`` leaves), read from their ``.wandb`` log: the run's
name, config, tags and start time, its history (every ``wandb.log`` row:
each number at the row's ``_step``, with the row's ``_timestamp``), its
final summary (kept in the run's meta as ``wandb.summary``, JSON) and its
exit code (0: finished, else failed; no exit record: crashed).

The framing is read by _wandb_log.py (stdlib); each record is decoded with
the protobuf module the ``wandb`` package ships (``wandb.proto``), so
``wandb`` must be installed. Directories of one run id (an offline run
resumed) are read into one run, oldest first. History values that are not
numbers (histograms, images, tables: anything with a ``_type``; strings)
are reported, not imported; nested dicts become ``a.b`` as in W&B."""

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple, Union

from .._proto import RunStatus
from ._model import MissingPackage, ReadFailure, SourceRun
from ._progress import Progress
from ._wandb_log import LogError, LogTruncated, read_log

# records that hold something else than metrics, config and summary: reported
LEFT_OUT = {
    "stats": "system metrics (wandb stats)",
    "output": "console output",
    "output_raw": "console output",
    "files": "files",
    "artifact": "artifact",
    "use_artifact": "artifact",
    "tbrecord": "tensorboard record (import the TensorBoard logdir itself)",
    "alert": "alert",
}
_RUN_FILE = re.compile(r"^run-(.+)\.wandb$")


def _run_files(dirs: List[Path]) -> Dict[str, List[Path]]:
    """``.wandb`` files by W&B run id, in the order their directories were made."""
    found: Dict[str, List[Path]] = {}
    for d in dirs:
        for f in sorted([d] if d.is_file() else d.rglob("run-*.wandb")):
            m = _RUN_FILE.match(f.name)
            if m and f not in found.get(m.group(1), []):
                found.setdefault(m.group(1), []).append(f)
    return {k: sorted(v, key=lambda p: p.parent.name) for k, v in sorted(found.items())}


def _path(item: Any) -> List[str]:
    return [item.key] if item.key else list(item.nested_key)


def _set(tree: Dict[str, Any], path: List[str], value: Any) -> None:
    for k in path[:-1]:
        nxt = tree.get(k)
        if not isinstance(nxt, dict):
            nxt = tree[k] = {}
        tree = nxt
    if path:
        tree[path[-1]] = value


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _entries(row: Dict[str, Any], prefix: str = "") -> Iterator[Tuple[str, Any, str]]:
    """``(name, value, W&B type)`` of each entry of a history row, nested
    dicts as ``a.b``; the type is that of a media or table value (its
    ``_type``: histogram, image-file...), else empty."""
    for k, v in row.items():
        name = prefix + k
        if isinstance(v, dict):
            if "_type" in v:
                yield name, None, str(v["_type"])
            else:
                yield from _entries(v, name + ".")
        else:
            yield name, v, ""


def read_dirs(dirs: List[Path], progress: Progress) -> Iterator[Union[SourceRun, ReadFailure]]:
    try:
        from wandb.proto import wandb_internal_pb2 as pb
    except ImportError:
        raise MissingPackage("wandb", "import wandb (to decode its records)") from None
    for wandb_id, files in _run_files(dirs).items():
        run = SourceRun(kind="wandb", key="wandb\n%s" % wandb_id, name=wandb_id, run_id="wandb-%s" % wandb_id, status=RunStatus.CRASHED)
        run.source = str(files[0].parent)
        state: Dict[str, Any] = {"config": {}, "summary": {}}
        try:
            for f in files:
                _read_file(run, f, pb, state, progress)
        except LogError as e:
            yield ReadFailure(str(files[0]), str(e))
            continue
        run.config = {k: v for k, v in state["config"].items() if k != "_wandb"}
        summary = {k: (v if not (isinstance(v, dict) and "_type" in v) else "<%s>" % v["_type"]) for k, v in state["summary"].items() if not k.startswith("_")}
        if summary:
            run.meta["wandb.summary"] = json.dumps(summary, sort_keys=True, default=str)
        yield run


def _read_file(run: SourceRun, path: Path, pb: Any, state: Dict[str, Any], progress: Progress) -> None:
    rec = pb.Record()
    rows = 0
    with open(path, "rb") as f:
        try:
            for data in read_log(f):
                rec.ParseFromString(data)
                kind = rec.WhichOneof("record_type")
                if kind == "history":
                    rows += 1
                    _history(run, rec.history, path)
                    if rows % 1000 == 0:
                        progress.tick(lambda: "  reading %s: %d history rows, %d points so far" % (path, rows, run.points))
                elif kind == "run":
                    _run(run, rec.run, state)
                elif kind == "config":
                    for item in rec.config.update:
                        _set(state["config"], _path(item), _loads(item.value_json))
                elif kind == "summary":
                    for item in rec.summary.update:
                        _set(state["summary"], _path(item), _loads(item.value_json))
                elif kind == "exit":
                    run.status = RunStatus.FINISHED if rec.exit.exit_code == 0 else RunStatus.FAILED
                    run.meta["wandb.exit_code"] = str(rec.exit.exit_code)
                elif kind in LEFT_OUT:
                    run.skipped.add(LEFT_OUT[kind], path.parent.name)
        except LogTruncated as e:
            run.skipped.add("partial last record (run killed or still running?)", "%s: %s" % (path.name, e))


def _run(run: SourceRun, r: Any, state: Dict[str, Any]) -> None:
    run.name = r.display_name or run.name
    run.tags = list(r.tags) or run.tags
    if r.start_time.seconds and not run.meta.get("wandb.start"):
        run.started_ms = r.start_time.seconds * 1000 + r.start_time.nanos // 1_000_000
        run.meta["wandb.start"] = str(run.started_ms)
    for k, v in (("wandb.project", r.project), ("wandb.entity", r.entity), ("wandb.group", r.run_group), ("wandb.job_type", r.job_type), ("host", r.host), ("wandb.notes", r.notes)):
        if v:
            run.meta[k] = v
    if r.git.commit:
        run.meta["git_commit"] = r.git.commit
    for item in r.config.update:
        _set(state["config"], _path(item), _loads(item.value_json))


def _history(run: SourceRun, h: Any, path: Path) -> None:
    row: Dict[str, Any] = {}
    for item in h.item:
        _set(row, _path(item), _loads(item.value_json))
    step = row.pop("_step", None)
    if not isinstance(step, int):
        step = h.step.num
    ts = row.pop("_timestamp", None)
    time_ms = int(round(ts * 1000)) if isinstance(ts, (int, float)) else 0
    row.pop("_runtime", None)
    for name, v, wandb_type in _entries(row):
        if wandb_type:
            run.skipped.add(wandb_type, name)
        elif isinstance(v, bool):
            run.add(name, step, 1.0 if v else 0.0, time_ms)
        elif isinstance(v, (int, float)) or v in ("NaN", "Infinity", "-Infinity"):
            run.add(name, step, float(v), time_ms)
        else:
            run.skipped.add("text" if isinstance(v, str) else type(v).__name__, name)
    run.note_times(time_ms)

