"""``import parquet FILES``: two long formats, told apart by their columns.

- **Neptune exporter** (neptune-ai/neptune-exporter, its parquet writer's
  schema): ``project_id, run_id, attribute_path, attribute_type, step
  (decimal 18,6), timestamp (ms, UTC), int_value, float_value,
  string_value, bool_value, datetime_value, string_set_value, file_value,
  histogram_value``; files ``<run>_part_<N>.parquet``, one run per file,
  parts of a run read together. ``float_series`` rows are the points
  (``attribute_path`` the metric, ``float_value`` the value); single values
  (``float``, ``int``, ``bool``, ``string``, ``datetime``, ``string_set``)
  are the config, nested at ``/``, except ``sys/*``: ``sys/name`` is the
  run's name, ``sys/tags`` its tags, ``sys/creation_time`` and
  ``sys/modification_time`` its times, ``sys/failed`` its status, the rest
  meta. String, histogram and file series and files are reported. Steps
  that are not whole numbers are all multiplied by the smallest power of
  ten (up to 10^6) that makes them whole, noted as ``neptune.step_scale``.
- **Stepstream's own export** (``GET /runs/:run/export?format=parquet``):
  ``metric, rank, step, value, time_ms``; the run id is ``--run-id`` (all
  FILES one run) or each file's name without ``.parquet``.

Needs ``pyarrow``."""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from .._proto import RunStatus
from ._model import MissingPackage, ReadFailure, SourceRun
from ._names import derived_run_id
from ._progress import Progress

NEPTUNE = {"project_id", "run_id", "attribute_path", "attribute_type", "step", "timestamp", "float_value"}
OURS = {"metric", "rank", "step", "value", "time_ms"}
SINGLE = {"float": "float_value", "int": "int_value", "bool": "bool_value", "string": "string_value", "datetime": "datetime_value", "string_set": "string_set_value"}
REPORTED = {"string_series": "text series", "histogram_series": "histogram series", "file_series": "file series", "file": "file", "file_set": "file"}
_PART = re.compile(r"^(.*)_part_(\d+)\.parquet$")


def _pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingPackage("pyarrow", "import parquet") from None
    return pq


def _files(paths: List[Path]) -> List[Path]:
    out: List[Path] = []
    for p in paths:
        out += sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
    return out


def _groups(files: List[Path]) -> Dict[Tuple[str, str], List[Path]]:
    """Parts of one run together (``<run>_part_<N>``, in part order)."""
    groups: Dict[Tuple[str, str], List[Tuple[int, Path]]] = {}
    for f in files:
        m = _PART.match(f.name)
        key = (str(f.parent), m.group(1)) if m else (str(f.parent), f.name)
        groups.setdefault(key, []).append((int(m.group(2)) if m else 0, f))
    return {k: [f for _, f in sorted(v)] for k, v in groups.items()}


def read_files(paths: List[Path], run_id: Optional[str], name: Optional[str], progress: Progress) -> Iterator[Union[SourceRun, ReadFailure]]:
    pq = _pyarrow()
    files = _files(paths)
    ours = [f for f in files if OURS <= set(pq.read_schema(f).names)]
    others = [f for f in files if f not in ours]
    if ours:
        yield from _read_ours(pq, ours, run_id, name, progress)
    for group in _groups(others).values():
        cols = set(pq.read_schema(group[0]).names)
        if not NEPTUNE <= cols:
            yield ReadFailure(str(group[0]), "neither Neptune exporter columns (%s) nor Stepstream export columns (%s)" % (", ".join(sorted(NEPTUNE)), ", ".join(sorted(OURS))))
            continue
        yield from _read_neptune(pq, group, progress)


def _read_ours(pq: Any, files: List[Path], run_id: Optional[str], name: Optional[str], progress: Progress) -> Iterator[SourceRun]:
    by_run: Dict[str, List[Path]] = {}
    for f in files:
        stem = f.name[: -len(".parquet")] if f.name.endswith(".parquet") else f.name
        by_run.setdefault(run_id or stem, []).append(f)
    for rid, group in by_run.items():
        run = SourceRun(kind="stepstream", key="stepstream\n%s" % rid, name=name or rid, run_id=rid, source=str(group[0]))
        for f in group:
            t = pq.read_table(f, columns=sorted(OURS))
            cols = [t.column(c).to_pylist() for c in ("metric", "rank", "step", "value", "time_ms")]
            for metric, rank, step, value, time_ms in zip(*cols):
                run.add(metric, int(step), float("nan") if value is None else float(value), int(time_ms or 0), int(rank))
                run.note_times(time_ms)
            progress.tick(lambda: "  read %s: %d points so far" % (f, run.points))
        yield run


def _set(tree: Dict[str, Any], path: str, value: Any) -> None:
    parts = [p for p in path.split("/") if p] or [path]
    for k in parts[:-1]:
        nxt = tree.get(k)
        if not isinstance(nxt, dict):
            nxt = tree[k] = {}
        tree = nxt
    tree[parts[-1]] = value


def _read_neptune(pq: Any, files: List[Path], progress: Progress) -> Iterator[SourceRun]:
    runs: Dict[Tuple[str, str], SourceRun] = {}
    series: Dict[Tuple[str, str], List[Tuple[str, Decimal, float, int]]] = {}
    for f in files:
        t = pq.read_table(f)
        names = set(t.schema.names)
        cols = {c: t.column(c).to_pylist() for c in names if c in NEPTUNE or c in SINGLE.values()}
        for i in range(t.num_rows):
            key = (cols["project_id"][i] or "", cols["run_id"][i] or "")
            run = runs.get(key)
            if run is None:
                run = runs[key] = SourceRun(kind="neptune", key="neptune\n%s\n%s" % key, name=key[1], run_id=derived_run_id("neptune", "%s\n%s" % key, key[1]), source=str(f))
                run.meta.update({"neptune.project": key[0], "neptune.run_id": key[1]})
            path, kind = cols["attribute_path"][i] or "", cols["attribute_type"][i] or ""
            if kind == "float_series":
                ts = cols["timestamp"][i]
                value = cols["float_value"][i]
                series.setdefault(key, []).append((path, cols["step"][i], float("nan") if value is None else value, round(ts.timestamp() * 1000) if ts else 0))
            elif kind in SINGLE and SINGLE[kind] in cols:
                _attribute(run, path, kind, cols[SINGLE[kind]][i])
            else:
                run.skipped.add(REPORTED.get(kind, kind or "attribute of no type"), path)
        progress.tick(lambda: "  read %s" % f)
    for key, run in runs.items():
        _points(run, series.get(key, []))
        yield run


def _attribute(run: SourceRun, path: str, kind: str, value: Any) -> None:
    if kind == "datetime" and value is not None:
        value = value.isoformat()
    if path == "sys/name" and value:
        run.name = str(value)
    elif path == "sys/tags":
        run.tags = sorted(value or [])
    elif path == "sys/creation_time" and value:
        run.started_ms = _ms(value)
    elif path in ("sys/modification_time", "sys/ping_time") and value:
        run.finished_ms = max(run.finished_ms, _ms(value))
    elif path == "sys/failed":
        run.status = RunStatus.FAILED if value else RunStatus.FINISHED
    elif path.startswith("sys/"):
        run.meta["neptune." + path] = str(value)
    else:
        _set(run.config, path, value)


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(str(iso)).timestamp() * 1000)


def _points(run: SourceRun, rows: List[Tuple[str, Any, float, int]]) -> None:
    scale = 1
    while scale < 10**6 and any(s is not None and Decimal(s) * scale % 1 for _, s, _, _ in rows):
        scale *= 10
    if scale > 1:
        run.meta["neptune.step_scale"] = str(scale)
        run.skipped.add("steps not whole: all multiplied by %d" % scale, run.name)
    for path, step, value, time_ms in rows:
        if step is None:
            run.skipped.add("point without a step", path)
            continue
        d = Decimal(step) * scale
        if d % 1:
            run.skipped.add("step finer than 1e-6", "%s@%s" % (path, step))
            continue
        run.add(path, int(d), value, time_ms)
        run.note_times(time_ms)
