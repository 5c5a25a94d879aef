"""The spool and stepstream-sync, against a stub server: spilling past the
memory bound, what finish() leaves when the server is down, offline runs,
and uploading each batch once, resuming where an upload stopped."""

import gzip
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for
from pipeline_helpers import assert_exactly, batch_files, log_steps
from stub_server import StubServer

from stepstream._proto import RunStatus, Series, encode_request
from stepstream._spool import Spool
from stepstream._sync import sync


def test_memory_bound_spills_to_disk_and_drains(stub: StubServer, make_run: Any) -> None:
    stub.policy = lambda req, body: (503, {"Retry-After": "0.2"}, {})
    run = make_run(url=stub.url, run_id="spill", batch_points=50, max_queue_bytes=2000)
    root = run.spool.path.parents[2]
    for k in range(20):
        log_steps(run, 50, start=k * 50)
        wait_for(lambda: run.stats["encoded_points"] >= (k + 1) * 150, what="cut %d" % k)
    assert run.stats["spilled_batches"] > 0
    assert batch_files(root), "expected batches on disk while the server is busy"
    stub.policy = None
    assert run.finish(timeout=20) is True
    assert_exactly(stub, "spill", -1, 1000)
    assert batch_files(root) == []
    # sent in sequence order even when mixing memory and disk
    stored_seqs = [r["request"].sequence for r in stub.requests if r.get("reply") == 202]
    assert stored_seqs == sorted(stored_seqs)


def test_finish_timeout_leaves_spool_then_sync_sends_once(tmp_path: Path, make_run: Any, caplog: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = "http://127.0.0.1:%d" % port
    run = make_run(url=url, run_id="down", rank=0)
    log_steps(run, 200)
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        t0 = time.monotonic()
        assert run.finish(timeout=1.0) is False
        assert time.monotonic() - t0 < 5
    msg = " ".join(r.getMessage() for r in caplog.records)
    assert "python -m stepstream sync" in msg and str(run.spool.path) in msg and "Nothing is lost" in msg
    files = batch_files(tmp_path / "spool")
    assert files
    with StubServer(port) as stub:
        res = sync(tmp_path / "spool")  # url from spool.json
        assert res.exit_code == 0 and res.sent_batches == len(files)
        assert_exactly(stub, "down", 0, 200)
        assert stub.run_infos()[-1][1].status == RunStatus.FINISHED
        n = len(stub.requests)
        res2 = sync(tmp_path / "spool")
        assert res2.sent_batches == 0 and len(stub.requests) == n
    assert batch_files(tmp_path / "spool") == []


def test_offline_then_sync_each_batch_once(tmp_path: Path, make_run: Any, stub: StubServer) -> None:
    run = make_run(mode="offline", run_id="off", rank=0, batch_points=60)
    log_steps(run, 100)
    assert stub.requests == []
    run.finish()
    files = batch_files(tmp_path / "spool")
    assert len(files) >= 5
    meta = Spool(files[0].parent).read_meta()
    assert meta["run_id"] == "off" and meta["client_id"] == run.client_id and "api_key" not in meta
    res = sync(tmp_path / "spool", url=stub.url)
    assert res.exit_code == 0 and res.sent_points == 300
    assert len(stub.requests) == len(files)
    assert_exactly(stub, "off", 0, 100)
    assert [i.status for _, i in stub.run_infos()][-1] == RunStatus.FINISHED


def test_sync_resumes_where_it_stopped(tmp_path: Path, make_run: Any, stub: StubServer) -> None:
    run = make_run(mode="offline", run_id="resume", batch_points=30)
    log_steps(run, 100)
    run.finish()
    files = batch_files(tmp_path / "spool")
    accepted = {"n": 0}

    def flaky(req: Any, body: bytes) -> Any:
        if accepted["n"] >= 4:
            return 503, {"Retry-After": "0.05"}, {}
        accepted["n"] += 1
        return None

    stub.policy = flaky
    sent_copy = files[0].read_bytes()
    res = sync(tmp_path / "spool", url=stub.url, timeout=0.5)
    assert res.exit_code == 3 and res.sent_batches == 4 and res.left == len(files) - 4
    # a crash between a 202 and the file's removal: the batch comes back
    assert not files[0].exists()
    files[0].write_bytes(sent_copy)
    stub.policy = None
    res = sync(tmp_path / "spool", url=stub.url)
    assert res.exit_code == 0
    assert_exactly(stub, "resume", -1, 100)
    assert stub.total_points() == 300  # the re-sent batch was stored once
    assert sum(1 for r in stub.requests if r.get("duplicate")) == 1


def test_sync_skips_spool_in_use(tmp_path: Path, make_run: Any, stub: StubServer) -> None:
    run = make_run(mode="offline", run_id="busy")
    log_steps(run, 5)
    wait_for(lambda: run.stats["encoded_points"] == 15, what="the points in the spool")
    res = sync(tmp_path / "spool", url=stub.url)
    assert res.skipped and stub.requests == []
    run.finish()
    res = sync(tmp_path / "spool", url=stub.url)
    assert not res.skipped and stub.total_points() == 15


def test_spool_lock_honours_the_typescript_clients_pid_lock(tmp_path: Path) -> None:
    # The TypeScript client cannot flock: its lock is a live pid in .lock.
    import subprocess
    import sys

    from stepstream._spool import SpoolLocked

    spool = Spool(tmp_path / "s")
    spool.path.mkdir()
    lock = spool.path / ".lock"
    lock.write_text(str(os.getppid()))  # alive: the process that started this one
    with pytest.raises(SpoolLocked, match=r"s is in use by a running process \(pid %d\)$" % os.getppid()):
        spool.lock()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    for stale in (dead, "", str(os.getpid())):  # dead; let go; an earlier life of this pid
        lock.write_text(stale)
        spool.lock()
        assert lock.read_text() == str(os.getpid())
        spool.unlock()
        assert lock.read_text() == ""  # let go: free for either client


def test_sync_splits_on_413(tmp_path: Path, make_run: Any, stub: StubServer) -> None:
    run = make_run(mode="offline", run_id="bigsync", batch_points=10**6, flush_interval=3600)
    log_steps(run, 100, metrics=4)
    run.finish()
    stub.max_points = 50
    res = sync(tmp_path / "spool", url=stub.url)
    assert res.exit_code == 0
    assert_exactly(stub, "bigsync", -1, 100, metrics=4)
    assert all(r.points <= 50 for r in stub.stored.values())



def test_sync_reads_plain_and_gzipped_files(tmp_path: Path, stub: StubServer) -> None:
    """Spools written by other clients (the TypeScript one writes plain .pb,
    older files may be .pb.gz) upload the same way."""
    d = tmp_path / "spool" / "p" / "r" / "c1"
    d.mkdir(parents=True)
    (d / "spool.json").write_text('{"format": 1, "url": null, "project": "p", "run_id": "r", "client_id": "c1"}')
    for seq in (1, 2):
        raw = encode_request("p", "r", [Series("m", 0, [seq], [float(seq)])], None, "c1", seq)
        name = "%020d.pb" % seq
        if seq == 2:
            (d / (name + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (d / name).write_bytes(raw)
    res = sync(tmp_path / "spool", url=stub.url)
    assert res.exit_code == 0 and res.sent_batches == 2
    assert [r["headers"].get("content-encoding") for r in stub.requests] == ["gzip", "gzip"]
    assert sorted(stub.points("r")[("m", 0)]) == [(1, 1.0), (2, 2.0)]
    assert not d.exists()
    res = sync(tmp_path / "spool", url=stub.url)  # nothing left
    assert res.sent_batches == 0


def test_sync_without_gzip(tmp_path: Path, make_run: Any, stub: StubServer) -> None:
    run = make_run(mode="offline", run_id="plain")
    log_steps(run, 10)
    run.finish()
    assert sync(tmp_path / "spool", url=stub.url, compress=False).exit_code == 0
    assert all("content-encoding" not in r["headers"] for r in stub.requests)
    assert_exactly(stub, "plain", -1, 10)
