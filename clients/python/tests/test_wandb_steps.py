"""stepstream.wandb's step semantics (W&B's, but for a step below the
current one, which is kept), define_metric's step metrics, config and the
features not covered, which warn once and never raise."""

import warnings
from typing import Dict, List, Tuple

import pytest

from stepstream.wandb._config import Config
from stepstream.wandb._history import History
from stepstream.wandb._unsupported import Noop, unsupported_class


def history() -> Tuple[History, List[Tuple[Dict[str, float], int]]]:
    sent: List[Tuple[Dict[str, float], int]] = []
    return History(lambda row, step: sent.append((row, step)), lambda row: None), sent


def test_rows_commit_and_explicit_steps() -> None:
    h, sent = history()
    h.log({"a": 1})
    h.log({"b": 2}, commit=False)
    h.log({"c": 3})
    h.log({"d": 4}, step=10)  # commits nothing yet: waits at step 10
    h.log({"e": 5}, step=10)
    assert sent == [({"a": 1.0}, 0), ({"b": 2.0, "c": 3.0}, 1)] and h.step == 10
    h.log({"f": 6})  # no step: joins the row at 10 and commits it
    assert sent[-1] == ({"d": 4.0, "e": 5.0, "f": 6.0}, 10) and h.step == 11
    h.log({"g": 7}, step=12, commit=True)
    assert sent[-1] == ({"g": 7.0}, 12) and h.step == 13


def test_a_lower_step_is_kept_with_one_warning() -> None:
    h, sent = history()
    h.log({"x": 1}, step=5)
    with pytest.warns(UserWarning, match="W&B would drop it"):
        h.log({"x": 0.5}, step=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h.log({"x": 0.25}, step=3)  # warned once already
    assert sent == [({"x": 0.5}, 2), ({"x": 0.25}, 3)] and h.step == 5
    h.flush()
    assert sent[-1] == ({"x": 1.0}, 5)


def test_step_metrics_and_skipped_values() -> None:
    h, sent = history()
    h.define("val/*", "epoch")
    h.define("lr", "opt_step")
    h.log({"train/loss": 1.0, "val/acc": 0.8, "epoch": 3, "img": unsupported_class("Image")()})
    assert sorted(sent, key=lambda r: r[1]) == [({"train/loss": 1.0, "epoch": 3.0}, 0), ({"val/acc": 0.8}, 3)]
    assert sent[-1][1] == 0  # the row's own step last: the run's current step
    h.log({"val/acc": 0.9})  # no epoch in the row: its last value
    assert sent[-1] == ({"val/acc": 0.9}, 3)
    with pytest.warns(UserWarning, match="no usable step value"):
        h.log({"lr": 0.1})  # opt_step never logged: at _step
    assert sent[-1] == ({"lr": 0.1}, 2)
    with pytest.warns(UserWarning, match="not a number"):
        h.log({"note": "text", "bad name!": 1, "nested": {"k": 2}})
    assert sent[-1] == ({"bad_name_": 1.0, "nested/k": 2.0}, 3)


def test_config_access() -> None:
    changes: List[Dict[str, object]] = []
    c = Config({"lr": 0.1}, on_change=changes.append)
    c.bs = 32
    c["depth"] = 4
    c.update({"lr": 0.2, "opt": {"name": "sgd"}})
    c.setdefaults({"lr": 9, "wd": 0.0})
    assert dict(c) == {"lr": 0.2, "bs": 32, "depth": 4, "opt": {"name": "sgd"}, "wd": 0.0} and c.opt == {"name": "sgd"}
    assert changes[0] == {"bs": 32} and changes[-1] == {"wd": 0.0}
    with pytest.raises(AttributeError):
        c.missing  # noqa: B018


def test_not_covered_is_a_quiet_noop() -> None:
    n = Noop("x")
    assert not n and list(n) == [] and n.anything(1).deeper is n
    with n:
        pass
