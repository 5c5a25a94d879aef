"""Restarts, rewinds and forks in the client: which attempt a process is (the
argument, else the launcher's restart count), that every batch carries it
(sent, spooled, synced), and that rank 0 declares the resume step and the
fork in its run info."""

import io
import json
import re
from pathlib import Path
from typing import Any, Dict

import pytest
from stub_server import StubServer

import stepstream
from stepstream._proto import decode_request
from stepstream._restart import ATTEMPT_VARIABLES, env_attempt
from stepstream._sync import sync


@pytest.fixture(autouse=True)
def no_launcher(monkeypatch: Any) -> None:
    """Only what a test sets is seen of the launcher's variables."""
    for name in ATTEMPT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def start(tmp_path: Path, **kw: Any) -> stepstream.Run:
    kw.setdefault("run_id", "job")
    return stepstream.init(project="p", spool_dir=tmp_path / "spool", flush_interval=0.05, register_atexit=False, **kw)


def test_the_attempt_is_the_first_variable_set_in_order_else_0() -> None:
    every = {"STEPSTREAM_ATTEMPT": "7", "TORCHELASTIC_RESTART_COUNT": "3", "SLURM_RESTART_COUNT": "2"}
    assert env_attempt(every) == 7
    assert env_attempt({"TORCHELASTIC_RESTART_COUNT": "3", "SLURM_RESTART_COUNT": "2"}) == 3
    assert env_attempt({"SLURM_RESTART_COUNT": "2"}) == 2
    assert env_attempt({}) == 0
    # set but empty is not set; spaces around the number are fine
    assert env_attempt({"STEPSTREAM_ATTEMPT": "", "TORCHELASTIC_RESTART_COUNT": " 4 "}) == 4
    assert env_attempt({"STEPSTREAM_ATTEMPT": "4294967295"}) == 2**32 - 1


@pytest.mark.parametrize(
    "name,raw",
    [
        ("STEPSTREAM_ATTEMPT", "two"),
        ("TORCHELASTIC_RESTART_COUNT", "-1"),
        ("SLURM_RESTART_COUNT", "1.5"),
        ("STEPSTREAM_ATTEMPT", "4294967296"),
    ],
)
def test_a_variable_that_is_not_a_whole_number_in_range_is_an_error_naming_it(name: str, raw: str, monkeypatch: Any) -> None:
    monkeypatch.setenv(name, raw)
    want = "environment variable %s must be an integer from 0 to 4294967295 (the attempt of the run), got %r" % (name, raw)
    with pytest.raises(stepstream.StepstreamError, match=re.escape(want)):
        stepstream.init(project="p", run_id="r", mode="disabled")


def test_the_argument_wins_and_is_checked(monkeypatch: Any) -> None:
    monkeypatch.setenv("STEPSTREAM_ATTEMPT", "5")
    assert stepstream.init(project="p", run_id="r", mode="disabled", attempt=9).attempt == 9
    assert stepstream.init(project="p", run_id="r", mode="disabled").attempt == 5
    for bad in (-1, 2**32, 1.5, True):
        with pytest.raises(ValueError, match="attempt must be an integer in"):
            stepstream.init(project="p", run_id="r", mode="disabled", attempt=bad)


def test_every_batch_of_every_rank_carries_it(stub: StubServer, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "2")
    runs = [start(tmp_path, url=stub.url, rank=r) for r in (0, 1)]
    for run in runs:
        assert run.attempt == 2
        for s in range(3):
            run.log({"loss": float(s)})
            run.flush(timeout=5)
        assert run.finish(timeout=5)
    reqs = [r["request"] for r in stub.requests]
    assert len(reqs) >= 8 and {r.attempt for r in reqs} == {2}


def test_rank_0_declares_the_resume_step_and_the_fork_in_every_run_info(stub: StubServer, tmp_path: Path) -> None:
    lineage: Dict[str, Any] = dict(attempt=1, resume_step=0, fork_from=("parent", 500))
    r0, r1 = start(tmp_path, url=stub.url, rank=0, **lineage), start(tmp_path, url=stub.url, rank=1, **lineage)
    for run in (r0, r1):
        run.log({"loss": 1.0}, step=600)
        assert run.finish(timeout=5)
    infos = [run for _, run in stub.run_infos()]
    assert len(infos) == 2 and {r.client_id for r in stub.stored.values() if r.run} == {r0.client_id}
    # resume_step 0 is sent (present), not left out as a default
    assert [(i.resume_step, i.fork_of, i.fork_step) for i in infos] == [(0, "parent", 500)] * 2
    plain = start(tmp_path, url=stub.url, rank=0, run_id="plain")
    assert plain.finish(timeout=5)
    assert {(r.run.resume_step, r.run.fork_of) for r in stub.stored.values() if r.run_id == "plain" and r.run} == {(None, "")}


def test_log_without_a_step_begins_at_the_resume_step_else_the_fork_step() -> None:
    common: Dict[str, Any] = dict(project="p", run_id="r", mode="disabled")
    assert stepstream.init(resume_step=1200, fork_from=("x", 1000), **common).step == 1200
    assert stepstream.init(fork_from=("x", 1000), **common).step == 1000
    assert stepstream.init(**common).step == 0


@pytest.mark.parametrize(
    "kw,message",
    [
        (dict(resume_step=-1), r"resume_step must be an integer in \[0, 9007199254740992\), got -1"),
        (dict(resume_step=2**53), "resume_step must be an integer in"),
        (dict(fork_from="parent"), r"fork_from must be a \(run_id, step\) tuple"),
        (dict(fork_from=("a\nb", 1)), "fork_from's run id must be 1 to 256 bytes without control characters"),
        (dict(fork_from=("p", 1.5)), "fork_from's step must be an integer in"),
        (dict(fork_from=("r", 1)), "fork_from names this run itself"),
    ],
)
def test_resume_step_and_fork_from_that_cannot_work_are_refused(kw: Dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stepstream.init(project="p", run_id="r", mode="disabled", **kw)


def test_the_spool_keeps_the_attempt_with_each_batch_through_sync(stub: StubServer, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("SLURM_RESTART_COUNT", "3")
    run = start(tmp_path, mode="offline", resume_step=40)
    for _ in range(5):
        run.log({"loss": 1.0})
    assert run.finish(timeout=5)
    assert json.loads((run.spool.path / "spool.json").read_text())["attempt"] == 3
    batches = [decode_request(p.read_bytes()) for p in sorted(run.spool.path.glob("*.pb"))]
    assert batches and {b.attempt for b in batches} == {3}
    assert [st for b in batches for s in b.series for st in s.steps] == [40, 41, 42, 43, 44]
    result = sync(tmp_path / "spool", stub.url, out=io.StringIO())
    assert result.sent_batches == len(batches)
    assert {r.attempt for r in stub.stored.values()} == {3}
    assert {r.run.resume_step for r in stub.stored.values() if r.run} == {40}
