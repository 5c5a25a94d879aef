"""stepstream.integrations.transformers.StepstreamCallback in a real
Trainer (a tiny BERT made from a config: no downloads) against the real
server: every entry of the Trainer's log history at its step, named as the
wandb integration names them, the config and the status."""

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from fw_readback import assert_points, settled, start_server
from real_server import Server
from stepstream.integrations._common import as_number
from stepstream.integrations.transformers import StepstreamCallback, hf_names


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("transformers"))


class Toy(torch.utils.data.Dataset):  # type: ignore[type-arg]
    def __init__(self, n: int) -> None:
        g = torch.Generator().manual_seed(n)
        self.ids = torch.randint(0, 50, (n, 8), generator=g)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> Dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": int(self.ids[i, 0] % 2)}


def test_trainer_with_the_callback(server: Server, tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16)
    model = BertForSequenceClassification(config)
    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=6, logging_steps=1, eval_strategy="steps",
                             eval_steps=3, per_device_train_batch_size=4, learning_rate=1e-3, save_strategy="no",
                             report_to="none", use_cpu=True, run_name="tiny-bert", disable_tqdm=True)
    callback = StepstreamCallback(project="fw", run_id="hf-1", url=server.url, spool_dir=tmp_path / "spool",
                                  system_metrics=False)
    trainer = Trainer(model=model, args=args, train_dataset=Toy(24), eval_dataset=Toy(8), callbacks=[callback])
    trainer.train()

    expected: Dict[str, Dict[int, float]] = {}
    for entry in trainer.state.log_history:
        entry = dict(entry)
        step = entry.pop("step")
        for name, v in hf_names(entry).items():
            if as_number(v) is not None:
                expected.setdefault(name, {})[step] = float(v)
    assert len(expected["train/loss"]) == 6 and len(expected["eval/loss"]) == 2
    doc = settled(server, "fw", "hf-1", {(m, -1): len(p) for m, p in expected.items()})
    assert_points(server, "fw", "hf-1", expected)
    assert doc["name"] == "tiny-bert" and doc["status"] == "finished"
    assert doc["config"]["learning_rate"] == 1e-3 and doc["config"]["hidden_size"] == 16
    assert doc["config"]["model/num_parameters"] == model.num_parameters()
