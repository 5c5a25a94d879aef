"""``import wandb``: offline run directories written by the real wandb
package (WANDB_MODE=offline), imported into the real server and read back:
history point for point, config, tags, name, summary, exit status."""

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

from conftest import child_env
from importer_support import assert_same_points, metric_counts, read_points, run_import, runs, server  # noqa: F401

SCRIPT = r"""
import math, sys, wandb
name, steps, code = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
run = wandb.init(project="wb", name=name, config={"lr": 3e-4, "model": {"layers": 12}}, tags=["baseline", name])
for s in range(steps):
    row = {"train/loss": math.nan if s == 5 else 1.0 / (s + 1), "acc": s / steps, "flag": s % 2 == 0, "note": "text %d" % s}
    if s % 25 == 0:
        row["weights"] = wandb.Histogram([1, 2, 3])
        row["eval"] = {"loss": 0.5 + s}
    wandb.log(row)
wandb.log({"final/score": 0.75}, step=steps + 10)
run.summary["best_acc"] = 0.99
run.finish(exit_code=code)
print(run.id)
"""


def logged(steps: int) -> Dict[str, list]:
    pts: Dict[str, list] = {"train/loss": [], "acc": [], "flag": [], "eval.loss": []}
    for s in range(steps):
        pts["train/loss"].append((s, float("nan") if s == 5 else 1.0 / (s + 1), None))
        pts["acc"].append((s, s / steps, None))
        pts["flag"].append((s, 1.0 if s % 2 == 0 else 0.0, None))
        if s % 25 == 0:
            pts["eval.loss"].append((s, 0.5 + s, None))
    pts["final/score"] = [(steps + 10, 0.75, None)]
    return pts


def write_offline_run(tmp: Path, name: str, steps: int, code: int) -> str:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, name, str(steps), str(code)],
        cwd=str(tmp), env=child_env(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=str(tmp)),
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_offline_runs_imported_point_for_point(server: Any, tmp_path: Path) -> None:
    t0 = time.time() * 1000
    ids = {"good": write_offline_run(tmp_path, "good", 300, 0), "bad": write_offline_run(tmp_path, "bad", 60, 1)}
    t1 = time.time() * 1000
    assert len(list((tmp_path / "wandb").glob("offline-run-*"))) == 2
    res = run_import(["wandb", str(tmp_path / "wandb"), "--project", "wb", "--url", server.url], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "histogram: 15" in res.stdout and "text: 360" in res.stdout, res.stdout  # 12 + 3; 300 + 60
    stored = runs(server, "wb", 2)
    for name, steps in (("good", 300), ("bad", 60)):
        run = stored["wandb-%s" % ids[name]]
        assert run["name"] == name and sorted(run["tags"]) == sorted(["baseline", name])
        assert run["config"] == {"lr": 3e-4, "model": {"layers": 12}}
        assert run["status"] == ("finished" if name == "good" else "failed")
        assert json.loads(run["meta"]["wandb.summary"])["best_acc"] == 0.99
        want = logged(steps)
        got = read_points(server, "wb", run["id"], want)
        assert_same_points(got, want)
        times = [t for _, _, t in got["acc"]]
        assert times == sorted(times) and t0 <= times[0] and times[-1] <= t1  # the rows' own wall times


def test_offline_run_imported_twice_is_stored_once(server: Any, tmp_path: Path) -> None:
    wid = write_offline_run(tmp_path, "twice", 100, 0)
    args = ["wandb", str(tmp_path / "wandb"), "--project", "wb-twice", "--url", server.url]
    assert run_import(args, tmp_path).returncode == 0
    read_points(server, "wb-twice", "wandb-%s" % wid, logged(100))
    res = run_import(args, tmp_path)
    assert res.returncode == 0 and "already imported" in res.stdout, res.stdout
    assert metric_counts(server, "wb-twice", "wandb-%s" % wid) == {m: len(p) for m, p in logged(100).items()}
