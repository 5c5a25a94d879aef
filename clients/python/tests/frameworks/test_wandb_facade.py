"""An unmodified wandb-style training script run with
``import stepstream.wandb as wandb`` against the real server: W&B's steps
(commit=False rows, define_metric step metrics), config, summary, tags,
group, the status, system metrics, and one warning per feature not covered."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator

import pytest

from conftest import child_env
from fw_readback import assert_points, series, settled, start_server
from real_server import Server

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("wandb"))


def expected_points(lr: float, epochs: int, steps_per_epoch: int = 5) -> Dict[str, Dict[int, float]]:
    """Where W&B puts the script's values: each committed row takes the next
    _step; val/* goes at the value of epoch."""
    out: Dict[str, Dict[int, float]] = {"train/loss": {}, "train/lr": {}, "train/acc": {}, "val/loss": {}, "epoch": {}}
    row = 0
    for epoch in range(epochs):
        for i in range(steps_per_epoch):
            step = epoch * steps_per_epoch + i
            out["train/loss"][row] = 1.0 / (step + 1)
            out["train/lr"][row] = lr
            out["train/acc"][row] = step / 100.0
            row += 1
        out["epoch"][row] = epoch
        out["val/loss"][epoch] = 0.5 / (epoch + 1)
        row += 1
    return out


def test_unmodified_wandb_script(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    env = child_env(STEPSTREAM_URL=server.url, STEPSTREAM_RUN_ID="wandb-1", STEPSTREAM_SPOOL_DIR=str(tmp_path / "spool"),
                    STEPSTREAM_SYSTEM_METRICS="0.2", PYTHONWARNINGS="default")
    done = subprocess.run([sys.executable, str(HERE / "wandb_style_script.py"), "--lr", "0.02", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    facts = json.loads(out.read_text())
    assert facts["id"] == "wandb-1" and facts["step"] == 18

    expected = expected_points(0.02, 3)
    doc = settled(server, "fw", "wandb-1", {(m, -1): len(p) for m, p in expected.items()})
    assert_points(server, "fw", "wandb-1", expected)
    assert doc["name"] == "wandb-style" and doc["tags"] == ["facade"]
    assert doc["config"] == {"lr": 0.02, "epochs": 3, "out": str(out), "batch_size": 16, "optimizer": "sgd"}
    assert json.loads(doc["meta"]["summary"]) == {"best_val_loss": 0.5 / 3}
    assert doc["meta"]["wandb.group"] == "sweep-1" and doc["meta"]["wandb.job_type"] == "train"

    # system metrics, sampled every 0.2 s, at steps the run had reached
    names = {m["name"] for m in doc["metrics"]}
    assert "system/memory_percent" in names and "system/proc/rss_mb" in names
    assert set(series(server, "fw", "wandb-1", "system/proc/rss_mb")) <= set(range(18))

    # each feature not covered warned once, none raised
    for feature in ("wandb.watch()", "wandb.Image", "wandb.Table", "run.log_artifact()", "wandb.Artifact", "wandb.alert()"):
        assert done.stderr.count("stepstream.wandb: %s " % feature) == 1, (feature, done.stderr)
    assert done.stderr.count("log() value of type str") == 1
