"""``import parquet``: files in the Neptune exporter's schema (its
ParquetWriter's SCHEMA, written here with pyarrow: the exporter itself is
not on PyPI) and in Stepstream's own export columns, imported into the real
server and read back point for point."""

import math
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pyarrow as pa
import pyarrow.parquet as pq
from importer_support import assert_same_points, metric_counts, read_points, run_import, runs, server  # noqa: F401

NEPTUNE_SCHEMA = pa.schema([
    ("project_id", pa.string()), ("run_id", pa.string()), ("attribute_path", pa.string()), ("attribute_type", pa.string()),
    ("step", pa.decimal128(18, 6)), ("timestamp", pa.timestamp("ms", tz="UTC")),
    ("int_value", pa.int64()), ("float_value", pa.float64()), ("string_value", pa.string()), ("bool_value", pa.bool_()),
    ("datetime_value", pa.timestamp("ms", tz="UTC")), ("string_set_value", pa.list_(pa.string())),
    ("file_value", pa.struct([("path", pa.string())])),
    ("histogram_value", pa.struct([("type", pa.string()), ("edges", pa.list_(pa.float64())), ("values", pa.list_(pa.float64()))])),
])
T0 = 1_700_000_000_000


def row(run: str, path: str, kind: str, **kw: Any) -> Dict[str, Any]:
    r = {c: None for c in NEPTUNE_SCHEMA.names}
    r.update(project_id="org/proj", run_id=run, attribute_path=path, attribute_type=kind, **kw)
    return r


def neptune_run(root: Path, run: str, steps: int, parts: int = 2) -> Dict[str, list]:
    """One run in ``parts`` files; what it logged, as points."""
    rows: List[Dict[str, Any]] = [
        row(run, "sys/name", "string", string_value="exp-" + run),
        row(run, "sys/tags", "string_set", string_set_value=["neptune", "legacy"]),
        row(run, "sys/creation_time", "datetime", datetime_value=datetime.fromtimestamp(T0 / 1000, timezone.utc)),
        row(run, "sys/failed", "bool", bool_value=False),
        row(run, "parameters/lr", "float", float_value=0.01),
        row(run, "parameters/epochs", "int", int_value=3),
        row(run, "monitoring/stdout", "string_series", step=Decimal(0), string_value="hello"),
        row(run, "charts/hist", "histogram_series", step=Decimal(0), histogram_value={"type": "COUNTING", "edges": [0.0, 1.0], "values": [2.0]}),
    ]
    want: Dict[str, list] = {"train/loss": [], "eval/acc": []}
    for s in range(steps):
        ts = T0 + 100 * s
        loss = math.inf if s == 3 else 1.0 / (s + 1)
        rows.append(row(run, "train/loss", "float_series", step=Decimal(s), timestamp=datetime.fromtimestamp(ts / 1000, timezone.utc), float_value=loss))
        want["train/loss"].append((s, loss, ts))
        if s % 10 == 0:
            rows.append(row(run, "eval/acc", "float_series", step=Decimal(s), timestamp=datetime.fromtimestamp(ts / 1000, timezone.utc), float_value=s / steps))
            want["eval/acc"].append((s, s / steps, ts))
    root.mkdir(parents=True, exist_ok=True)
    size = len(rows) // parts + 1
    for i in range(parts):
        pq.write_table(pa.Table.from_pylist(rows[i * size : (i + 1) * size], schema=NEPTUNE_SCHEMA), root / ("%s_part_%d.parquet" % (run, i)))
    return want


def test_neptune_exporter_files_imported_point_for_point(server: Any, tmp_path: Path) -> None:
    want = {"PROJ-1": neptune_run(tmp_path / "data" / "org_proj", "PROJ-1", 500), "PROJ-2": neptune_run(tmp_path / "data" / "org_proj", "PROJ-2", 40, parts=1)}
    res = run_import(["parquet", str(tmp_path / "data"), "--project", "nep", "--url", server.url], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "text series: 2" in res.stdout and "histogram series: 2" in res.stdout, res.stdout
    by_name = {r["name"]: r for r in runs(server, "nep", 2).values()}
    assert set(by_name) == {"exp-PROJ-1", "exp-PROJ-2"}
    for src, points in want.items():
        run = by_name["exp-" + src]
        assert run["config"] == {"parameters": {"lr": 0.01, "epochs": 3}}
        assert sorted(run["tags"]) == ["legacy", "neptune"] and run["status"] == "finished"
        assert run["started_ms"] == T0 and run["meta"]["neptune.run_id"] == src
        assert_same_points(read_points(server, "nep", run["id"], points), points)


def test_stepstream_export_imported_with_ranks(server: Any, tmp_path: Path) -> None:
    metric, rank, step, value, time_ms = [], [], [], [], []
    for r in (-1, 0, 3):
        for s in range(200):
            metric.append("loss")
            rank.append(r)
            step.append(s)
            value.append(math.nan if s == 9 else r + s / 10)
            time_ms.append(T0 + s)
    table = pa.table({"metric": metric, "rank": pa.array(rank, pa.int32()), "step": step, "value": value, "time_ms": time_ms})
    pq.write_table(table, tmp_path / "my-run.parquet")
    args = ["parquet", str(tmp_path / "my-run.parquet"), "--project", "own", "--url", server.url]
    for _ in range(2):  # and again: stored once
        res = run_import(args, tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
    assert list(runs(server, "own")) == ["my-run"]
    want = {"loss": [(s, -1 + s / 10 if s != 9 else math.nan, T0 + s) for s in range(200)]}
    assert_same_points(read_points(server, "own", "my-run", want), want)  # rank -1
    assert metric_counts(server, "own", "my-run") == {"loss": 600}


def test_parquet_of_another_shape_is_reported(server: Any, tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "other.parquet")
    res = run_import(["parquet", str(tmp_path / "other.parquet"), "--project", "x", "--url", server.url], tmp_path)
    assert res.returncode == 1 and "neither Neptune exporter columns" in res.stdout + res.stderr, res.stdout + res.stderr
