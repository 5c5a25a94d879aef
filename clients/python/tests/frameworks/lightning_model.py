"""A tiny Lightning model for the logger's tests, and a script entry that
trains it under 2-process DDP on CPU (gloo): each rank logs its own loss
and writes what it logged to <out>/rank<r>.json."""

import json
import sys
from pathlib import Path

import torch
from lightning.pytorch import LightningModule, Trainer
from torch.utils.data import DataLoader, TensorDataset


class Tiny(LightningModule):
    def __init__(self, lr: float = 0.05, width: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(width, 1)
        self.seen: list = []  # (global_step, loss) in the order logged

    def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train/loss", loss, on_step=True, on_epoch=False)
        self.log("rank", float(self.global_rank), on_step=True, on_epoch=False)
        self.seen.append(loss.item())
        return loss

    def validation_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def data(n: int = 32, seed: int = 0) -> DataLoader:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)


if __name__ == "__main__":  # 2-process DDP: Lightning re-runs this script for rank 1
    from stepstream.integrations.lightning import StepstreamLogger

    out = Path(sys.argv[1])
    torch.manual_seed(0)
    model = Tiny()
    logger = StepstreamLogger(project="fw", name="ddp", system_metrics=False)
    trainer = Trainer(accelerator="cpu", devices=2, strategy="ddp", max_epochs=1, logger=logger,
                      log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(model, data())
    (out / ("rank%d.json" % trainer.global_rank)).write_text(json.dumps({"run": logger.version, "seen": model.seen}))
