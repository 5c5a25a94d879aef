"""``import mlflow``: a file-store tracking directory written by the real
mlflow package, imported into the real server and read back: every metric
step with its timestamp, params as config, tags, status."""

import math
import os
from pathlib import Path
from typing import Any, Dict

from importer_support import assert_same_points, metric_counts, read_points, run_import, runs, server  # noqa: F401

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # mlflow 3.7+ refuses a file store without it
import mlflow  # noqa: E402

T0 = 1_700_000_000_000


def write_store(root: Path) -> Dict[str, Dict[str, Any]]:
    """Two runs in experiment "exp": what each logged, by run name."""
    mlflow.set_tracking_uri(root.resolve().as_uri())
    mlflow.set_experiment("exp")
    logged: Dict[str, Dict[str, Any]] = {}
    for name, steps, status in (("baseline", 500, "FINISHED"), ("diverged", 50, "FAILED")):
        points: Dict[str, list] = {}
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_params({"lr": "0.0003", "batch_size": 64, "optimizer": "adamw", "use_amp": True})
            mlflow.set_tags({"team": "llm", "stage": "pretrain"})
            for s in range(steps):
                ts = T0 + 1000 * s
                loss = math.nan if (name == "diverged" and s == 49) else 2.0 / (s + 1)
                mlflow.log_metric("loss", loss, step=s, timestamp=ts)
                points.setdefault("loss", []).append((s, loss, ts))
                if s % 10 == 0:
                    mlflow.log_metric("eval acc", s / steps, step=s, timestamp=ts)  # a space: renamed eval_acc
                    points.setdefault("eval_acc", []).append((s, s / steps, ts))
            (root / "note.txt").write_text("hello")
            mlflow.log_artifact(str(root / "note.txt"))
            if status != "FINISHED":
                mlflow.end_run(status=status)
        logged[name] = {"id": run.info.run_id, "points": points}
    return logged


def test_mlflow_file_store_imported_point_for_point(server: Any, tmp_path: Path) -> None:
    logged = write_store(tmp_path / "mlruns")
    res = run_import(
        ["mlflow", "--tracking-uri", (tmp_path / "mlruns").as_uri(), "--experiment", "exp", "--project", "ml", "--url", server.url],
        tmp_path,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "artifact: 2" in res.stdout and "renamed metric" in res.stdout, res.stdout
    stored = runs(server, "ml", 2)
    for name, src in logged.items():
        run = stored["mlflow-%s" % src["id"]]
        assert run["name"] == name
        assert run["config"] == {"lr": 0.0003, "batch_size": 64, "optimizer": "adamw", "use_amp": True}
        assert sorted(run["tags"]) == ["stage=pretrain", "team=llm"]
        assert run["meta"]["mlflow.runName"] == name and run["meta"]["mlflow.experiment"] == "exp"
        assert run["status"] == ("finished" if name == "baseline" else "failed")
        assert_same_points(read_points(server, "ml", run["id"], src["points"]), src["points"])


def test_mlflow_imported_twice_is_stored_once(server: Any, tmp_path: Path) -> None:
    logged = write_store(tmp_path / "mlruns")
    args = ["mlflow", "--tracking-uri", str(tmp_path / "mlruns"), "--experiment", "exp", "--project", "ml-twice", "--url", server.url]
    for _ in range(2):
        res = run_import(args, tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
    for src in logged.values():
        run_id = "mlflow-%s" % src["id"]
        read_points(server, "ml-twice", run_id, src["points"])
        assert metric_counts(server, "ml-twice", run_id) == {m: len(p) for m, p in src["points"].items()}


def test_unknown_experiment_is_reported_not_fatal(server: Any, tmp_path: Path) -> None:
    write_store(tmp_path / "mlruns")
    res = run_import(
        ["mlflow", "--tracking-uri", str(tmp_path / "mlruns"), "--experiment", "nope", "--experiment", "exp", "--project", "ml-some", "--url", server.url],
        tmp_path,
    )
    assert res.returncode == 1 and "no such experiment" in res.stdout + res.stderr, res.stdout + res.stderr
    assert len(runs(server, "ml-some", 2)) == 2
