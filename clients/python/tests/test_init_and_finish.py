"""A run's start and end around log(): init() and its message, the
module-level API, disabled mode, finish() twice and what it returns offline."""

from typing import Any

import pytest

import stepstream


def test_log_after_finish_raises(make_run: Any) -> None:
    r = make_run(mode="offline")
    r.log({"a": 1.0})
    r.finish()
    with pytest.raises(stepstream.StepstreamError, match="after finish"):
        r.log({"a": 1.0})
    assert r.finish() is True  # twice is fine


def test_disabled_mode_is_a_no_op(tmp_path: Any) -> None:
    r = stepstream.init(project="p", run_id="r", mode="disabled", spool_dir=tmp_path)
    r.log({"a": 1.0})
    r.log({"a": "not checked either"})
    assert stepstream.finish() is True
    assert list(tmp_path.iterdir()) == []


def test_module_level_api_needs_init() -> None:
    stepstream._init._current = None
    with pytest.raises(stepstream.StepstreamError, match="init"):
        stepstream.log({"a": 1.0})
    assert stepstream.finish() is True


def test_init_prints_the_run_and_its_dashboard_once_on_rank_0(tmp_path: Any, capsys: Any) -> None:
    common = dict(project="my proj", run_id="r1", spool_dir=tmp_path, register_atexit=False, url="http://127.0.0.1:9/")
    r0 = stepstream.init(rank=0, **common)  # type: ignore[arg-type]
    r1 = stepstream.init(rank=1, **common)  # type: ignore[arg-type]
    off = stepstream.init(mode="offline", **common)  # type: ignore[arg-type]
    for r in (r0, r1, off):
        r.finish(timeout=0.1)
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("stepstream: run r1 ")]
    assert len(said) == 2  # rank 0 and the rank-less offline run; not rank 1
    assert said[0] == "stepstream: run r1 of project my proj (dashboard: http://127.0.0.1:9/?project=my%20proj)"
    assert said[1].startswith("stepstream: run r1 of project my proj (offline, spooled to ")


def test_offline_finish_is_false_when_the_spool_refused_a_batch(make_run: Any) -> None:
    r = make_run(mode="offline", flush_interval=3600)

    def disk_full(*a: Any) -> Any:
        raise OSError(28, "No space left on device")

    r.spool.write = disk_full
    r.log({"a": 1.0})
    assert r.finish(timeout=1) is False
    assert any("cannot write the spool" in e for e in r.errors)


def test_offline_finish_is_true_when_everything_is_in_the_spool(make_run: Any) -> None:
    r = make_run(mode="offline", flush_interval=3600)
    r.log({"a": 1.0})
    assert r.finish(timeout=1) is True
    assert list(r.spool.path.glob("*.pb"))
