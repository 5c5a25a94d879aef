"""A typical wandb training script, unchanged but for its import line."""

import argparse
import json
import sys
import time

import stepstream.wandb as wandb  # was: import wandb

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.01)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--out", required=True)
args = p.parse_args()

run = wandb.init(project="fw", name="wandb-style", config=args, tags=["facade"], group="sweep-1", job_type="train")
wandb.config.update({"batch_size": 16})
wandb.config.optimizer = "sgd"
wandb.define_metric("epoch")
wandb.define_metric("val/*", step_metric="epoch")
wandb.watch(None, log="all")

steps_per_epoch = 5
best = float("inf")
for epoch in range(args.epochs):
    for i in range(steps_per_epoch):
        step = epoch * steps_per_epoch + i
        time.sleep(0.05)  # the training step
        wandb.log({"train/loss": 1.0 / (step + 1), "train/lr": args.lr}, commit=False)
        wandb.log({"train/acc": step / 100.0, "sample": wandb.Image(None), "phase": "train"})
    val_loss = 0.5 / (epoch + 1)
    wandb.log({"val/loss": val_loss, "epoch": epoch, "examples": wandb.Table(columns=["x"])})
    best = min(best, val_loss)
    wandb.summary["best_val_loss"] = best
    run.log_artifact(wandb.Artifact("model", type="model"))
wandb.alert(title="done", text="training finished")
json.dump({"id": run.id, "name": run.name, "config": dict(wandb.config), "step": run.step}, open(args.out, "w"))
wandb.finish()
sys.exit(0)
