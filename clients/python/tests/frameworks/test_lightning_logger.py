"""stepstream.integrations.lightning.StepstreamLogger in a real Lightning
Trainer against the real server, compared with Lightning's own CSVLogger
fed the same calls; and under 2-process DDP on CPU, each rank's points."""

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator

import pytest
import torch
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import CSVLogger

from conftest import child_env
from fw_readback import assert_points, series, settled, start_server
from lightning_model import Tiny, data
from real_server import Server
from stepstream.integrations.lightning import StepstreamLogger

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("lightning"))


def csv_points(path: Path) -> Dict[str, Dict[int, float]]:
    out: Dict[str, Dict[int, float]] = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            for k, v in row.items():
                if k != "step" and v != "":
                    out.setdefault(k, {})[int(row["step"])] = float(v)
    return out


def test_trainer_fit_logs_every_point_config_and_status(server: Server, tmp_path: Path) -> None:
    torch.manual_seed(0)
    logger = StepstreamLogger(project="fw", name="fit", run_id="lightning-1", url=server.url,
                              spool_dir=tmp_path / "spool", system_metrics=False)
    reference = CSVLogger(tmp_path / "csv", name="ref")
    trainer = Trainer(accelerator="cpu", max_epochs=2, logger=[logger, reference], log_every_n_steps=1,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Tiny(lr=0.05), data(), data(8, seed=1))
    assert logger.name == "fw" and logger.version == "lightning-1"
    assert logger.experiment.finished

    expected = csv_points(Path(reference.log_dir) / "metrics.csv")
    assert len(expected["train/loss"]) == 16 and len(expected["val/loss"]) == 2
    doc = settled(server, "fw", "lightning-1", {(m, -1): len(p) for m, p in expected.items()})
    assert_points(server, "fw", "lightning-1", expected)
    assert doc["config"] == {"lr": 0.05, "width": 4} and doc["status"] == "finished" and doc["name"] == "fit"


def test_ddp_two_processes_each_rank_logs_its_own(server: Server, tmp_path: Path) -> None:
    env = child_env(STEPSTREAM_URL=server.url, STEPSTREAM_SPOOL_DIR=str(tmp_path / "spool"))
    env.pop("STEPSTREAM_RUN_ID", None)
    done = subprocess.run([sys.executable, str(HERE / "lightning_model.py"), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-4000:]
    ranks = [json.loads((tmp_path / ("rank%d.json" % r)).read_text()) for r in (0, 1)]
    run = ranks[0]["run"]
    assert ranks[1]["run"] == run  # rank 1 (launched by Lightning) joined rank 0's run
    steps = len(ranks[0]["seen"])
    assert steps == 4 and len(ranks[1]["seen"]) == steps  # 32 samples / 2 ranks / batches of 4
    doc = settled(server, "fw", run, {("train/loss", 0): steps, ("train/loss", 1): steps})
    assert doc["config"] == {"lr": 0.05, "width": 4} and doc["name"] == "ddp"
    for r in (0, 1):
        got = series(server, "fw", run, "train/loss", rank=r)
        assert [got[s] for s in sorted(got)] == pytest.approx(ranks[r]["seen"], rel=1e-6)
        assert set(series(server, "fw", run, "rank", rank=r).values()) == {float(r)}
