"""The restart recipes, as real processes: the same training script
(restart_trainer.py), started again by torchrun (TORCHELASTIC_RESTART_COUNT)
or by a SLURM requeue (SLURM_RESTART_COUNT), resumes from its checkpoint and
logs as the next attempt with no change to its code."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

from conftest import child_env
from stub_server import StubServer

HERE = Path(__file__).resolve().parent
# What a launcher sets: the test's own environment is cleared of it, so only what a case gives is seen.
LAUNCHER = re.compile(r"(RANK|WORLD_SIZE|LOCAL_RANK|STEPSTREAM_.*|TORCHELASTIC_.*|SLURM_.*)")


def start(stub: StubServer, tmp_path: Path, **env: str) -> "subprocess.Popen[bytes]":
    full = {k: v for k, v in child_env().items() if not LAUNCHER.fullmatch(k)}
    full.update(STEPSTREAM_URL=stub.url, STEPSTREAM_SPOOL_DIR=str(tmp_path / "spool"), **env)
    return subprocess.Popen(
        [sys.executable, str(HERE / "restart_trainer.py")],
        env=full,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def train(stub: StubServer, tmp_path: Path, envs: List[Dict[str, str]]) -> List[Tuple[int, str]]:
    """Starts one process per environment (the ranks of one launch) and waits for all of them."""
    procs = [start(stub, tmp_path, **env) for env in envs]
    errs = [p.communicate(timeout=60)[1].decode() for p in procs]  # reads the pipes while waiting: never blocks on them
    return [(p.returncode, err) for p, err in zip(procs, errs)]


def steps_by(stub: StubServer, run_id: str) -> Dict[Tuple[int, int], List[int]]:
    """(attempt, rank) -> the steps stored for them, sorted."""
    out: Dict[Tuple[int, int], List[int]] = {}
    with stub.lock:
        for req in stub.stored.values():
            if req.run_id == run_id:
                for s in req.series:
                    out.setdefault((req.attempt, s.rank), []).extend(s.steps)
    return {k: sorted(v) for k, v in out.items()}


def test_torchrun_an_elastic_restart_is_the_next_attempt_on_every_rank(stub: StubServer, tmp_path: Path) -> None:
    job = dict(TORCHELASTIC_RUN_ID="te-job", WORLD_SIZE="2", CKPT=str(tmp_path / "te"))
    ranks = [dict(job, RANK=r, LOCAL_RANK=r) for r in ("0", "1")]
    first = train(stub, tmp_path, [dict(env, TORCHELASTIC_RESTART_COUNT="0", CRASH_AT="60") for env in ranks])
    assert [code for code, _ in first] == [1, 1]
    # torchrun restarts the worker group with the count raised; the checkpoint of step 50 is loaded
    assert [code for code, _ in train(stub, tmp_path, [dict(env, TORCHELASTIC_RESTART_COUNT="1") for env in ranks])] == [0, 0]
    assert steps_by(stub, "te-job") == {
        (0, 0): list(range(0, 61)), (0, 1): list(range(0, 61)), (1, 0): list(range(50, 100)), (1, 1): list(range(50, 100)),
    }
    infos = [r for r in stub.stored.values() if r.run_id == "te-job" and r.run is not None]
    assert {r.client_id.endswith("-r0") for r in infos} == {True}  # run info from rank 0 alone
    assert [r.run.status for r in sorted(infos, key=lambda r: r.sequence) if r.attempt == 1] == [1, 2]


def test_slurm_a_requeued_job_is_the_next_attempt(stub: StubServer, tmp_path: Path) -> None:
    job = dict(SLURM_JOB_ID="4242", STEPSTREAM_RUN_ID="slurm-4242", RANK="0", CKPT=str(tmp_path / "slurm"))
    # the first run of a job has no SLURM_RESTART_COUNT; each requeue raises it
    assert train(stub, tmp_path, [dict(job, CRASH_AT="30")])[0][0] == 1
    assert train(stub, tmp_path, [dict(job, SLURM_RESTART_COUNT="1", CRASH_AT="80")])[0][0] == 1
    assert train(stub, tmp_path, [dict(job, SLURM_RESTART_COUNT="2")])[0][0] == 0
    assert steps_by(stub, "slurm-4242") == {(0, 0): list(range(0, 31)), (1, 0): list(range(25, 81)), (2, 0): list(range(75, 100))}


def test_a_restart_count_that_is_not_a_number_stops_the_script_at_init_naming_it(stub: StubServer, tmp_path: Path) -> None:
    env = dict(STEPSTREAM_RUN_ID="bad", RANK="0", CKPT=str(tmp_path / "bad"), SLURM_RESTART_COUNT="requeued")
    [(code, err)] = train(stub, tmp_path, [env])
    assert code == 1
    assert (
        "environment variable SLURM_RESTART_COUNT must be an integer from 0 to 4294967295 (the attempt of the run), "
        "got 'requeued'" in err
    )
    assert steps_by(stub, "bad") == {}
