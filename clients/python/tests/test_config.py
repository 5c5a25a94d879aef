"""The run config as the server takes it: non-finite floats kept as the API
writes them, and the server's bounds checked in the script, not at the server."""

import json

import pytest

import stepstream
from stepstream._config import MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, config_json


def test_nan_and_infinity_become_the_apis_strings_so_the_json_is_valid():
    text = config_json({"lr": float("nan"), "clip": float("inf"), "low": -float("inf"), "nested": {"x": [float("nan"), 1.5]}})
    assert json.loads(text) == {"lr": "NaN", "clip": "Infinity", "low": "-Infinity", "nested": {"x": ["NaN", 1.5]}}
    assert "NaN," not in text and "NaN}" not in text  # never the bare token JSON lacks


def test_a_config_over_the_size_limit_fails_at_init_naming_the_limit():
    with pytest.raises(ValueError, match=str(MAX_CONFIG_BYTES)):
        stepstream.init(project="p", run_id="r", mode="disabled", config={"blob": "x" * MAX_CONFIG_BYTES})


def test_a_config_nested_past_the_limit_fails_at_init():
    deep: dict = {}
    cur = deep
    for _ in range(MAX_CONFIG_DEPTH + 1):
        cur["a"] = {}
        cur = cur["a"]
    with pytest.raises(ValueError, match="nested more than %d" % MAX_CONFIG_DEPTH):
        stepstream.init(project="p", run_id="r", mode="disabled", config=deep)


def test_update_config_past_the_limit_raises_and_keeps_the_config():
    run = stepstream.init(project="p", run_id="r", mode="disabled", config={"lr": 0.1})
    try:
        with pytest.raises(ValueError):
            run.update_config({"blob": "x" * MAX_CONFIG_BYTES})
        assert run.config == {"lr": 0.1}
    finally:
        run.finish()
