"""stepstream.integrations.accelerate.StepstreamTracker in a real
Accelerator (CPU) against the real server: config, every logged value at
its step, the status at end_training()."""

from pathlib import Path
from typing import Iterator

import pytest
import torch
from accelerate import Accelerator

from fw_readback import assert_points, settled, start_server
from real_server import Server
from stepstream.integrations.accelerate import StepstreamTracker


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("accelerate"))


def test_accelerator_logs_through_the_tracker(server: Server, tmp_path: Path) -> None:
    tracker = StepstreamTracker(project="fw", run_id="accelerate-1", run_name="acc", url=server.url,
                                spool_dir=tmp_path / "spool", system_metrics=False)
    accelerator = Accelerator(cpu=True, log_with=[tracker])
    accelerator.init_trackers("fw", config={"lr": 0.05, "model": {"width": 4}})
    assert accelerator.get_tracker("stepstream", unwrap=True).id == "accelerate-1"
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    model, opt = accelerator.prepare(model, opt)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    logged = {"loss": {}, "grad/norm": {}}
    for step in range(12):
        loss = torch.nn.functional.mse_loss(model(x), y)
        accelerator.backward(loss)
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1e9))
        opt.step()
        opt.zero_grad()
        accelerator.log({"loss": loss, "grad": {"norm": norm}, "note": "text is skipped"}, step=step * 10)
        logged["loss"][step * 10] = loss.item()
        logged["grad/norm"][step * 10] = norm
    accelerator.end_training()

    doc = settled(server, "fw", "accelerate-1", {("loss", -1): 12, ("grad/norm", -1): 12})
    assert doc["name"] == "acc" and doc["config"] == {"lr": 0.05, "model": {"width": 4}}
    assert {m["name"] for m in doc["metrics"]} == {"loss", "grad/norm"}
    assert_points(server, "fw", "accelerate-1", logged)
