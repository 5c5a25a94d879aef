"""Batching, retries, splitting and spooling, against a stub server."""

import gzip
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, List

import pytest
from stub_server import StubServer

import stepstream
from stepstream._pipeline import split_body
from stepstream._proto import RunStatus, Series, decode_request, encode_request
from stepstream._spool import Spool, find_spools
from stepstream._sync import sync
from stepstream._transport import Backoff, parse_retry_after


def batch_files(root: Path) -> List[Path]:
    return sorted(p for d in find_spools(root) for p in Spool(d).pending()) if root.exists() else []


def log_steps(run: stepstream.Run, n: int, metrics: int = 3, start: int = 0) -> None:
    for s in range(start, start + n):
        run.log({"m%d" % j: s * 10.0 + j for j in range(metrics)}, step=s)


def assert_exactly(stub: StubServer, run_id: str, rank: int, n: int, metrics: int = 3, start: int = 0) -> None:
    pts = stub.points(run_id)
    for j in range(metrics):
        got = sorted(pts[("m%d" % j, rank)])
        assert got == [(s, s * 10.0 + j) for s in range(start, start + n)], "metric m%d" % j


def test_online_run_sends_everything_once(stub: StubServer, make_run: Any) -> None:
    run = make_run(url=stub.url, run_id="r1", config={"lr": 0.1}, tags=["a"], name="nice")
    log_steps(run, 1000)
    assert run.finish() is True
    assert_exactly(stub, "r1", -1, 1000)
    assert all(r["headers"].get("content-encoding") == "gzip" for r in stub.requests)
    assert all(r["headers"]["content-type"] == "application/x-protobuf" for r in stub.requests)
    seqs = [r["request"].sequence for r in stub.requests]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] == 1
    assert len({r["request"].client_id for r in stub.requests}) == 1
    infos = stub.run_infos()
    assert infos[-1][1].status == RunStatus.FINISHED
    last = infos[-1][1]
    assert last.name == "nice" and last.config_json == '{"lr": 0.1}' and last.tags == ["a"]
    assert last.finished_ms >= last.started_ms > 0
    meta = dict(last.meta)
    assert meta["host"] and meta["pid"] and meta["sdk"].startswith("stepstream-python/")
    # every point has a time
    for req in stub.stored.values():
        for s in req.series:
            assert len(s.time_ms) == len(s.steps) and all(t > 1.7e12 for t in s.time_ms)
    # nothing left behind on disk
    assert batch_files(run.spool.path.parents[2]) == []
    assert not run.spool.path.exists()


def test_only_rank_zero_sends_run_info(stub: StubServer, make_run: Any) -> None:
    r0 = make_run(url=stub.url, run_id="shared", rank=0, config={"x": 1})
    r1 = make_run(url=stub.url, run_id="shared", rank=1, config={"x": 1})
    log_steps(r0, 10)
    log_steps(r1, 10)
    r0.finish()
    r1.finish("failed")  # a non-zero rank's status is not the run's
    by_client = {}
    for req in stub.stored.values():
        by_client.setdefault(req.client_id, []).append(req)
    assert r0.client_id != r1.client_id and r1.client_id.endswith("-r1")
    assert any(req.run is not None for req in by_client[r0.client_id])
    assert all(req.run is None for req in by_client[r1.client_id])
    assert [i.status for _, i in stub.run_infos()][-1] == RunStatus.FINISHED
    assert_exactly(stub, "shared", 0, 10)
    assert_exactly(stub, "shared", 1, 10)


def test_uncompressed_mode(stub: StubServer, make_run: Any) -> None:
    run = make_run(url=stub.url, gzip=False)
    log_steps(run, 5)
    run.finish()
    assert all("content-encoding" not in r["headers"] for r in stub.requests)
    assert stub.total_points() == 15


def test_batches_are_capped_by_batch_points(stub: StubServer, make_run: Any) -> None:
    run = make_run(url=stub.url, run_id="cap", batch_points=100, flush_interval=3600)
    log_steps(run, 1000, metrics=3)  # 3000 points
    run.finish()
    sizes = [r["request"].points for r in stub.requests]
    assert max(sizes) <= 100 and sum(sizes) == 3000
    assert_exactly(stub, "cap", -1, 1000)


def test_batches_are_cut_below_the_server_series_limit(stub: StubServer, make_run: Any, monkeypatch: Any) -> None:
    from stepstream import _pipeline

    monkeypatch.setattr(_pipeline, "MAX_SERIES_PER_REQUEST", 5)
    run = make_run(url=stub.url, run_id="wide", flush_interval=3600)
    log_steps(run, 2, metrics=12)
    run.finish()
    assert max(len(r["request"].series) for r in stub.requests) <= 5
    assert_exactly(stub, "wide", -1, 2, metrics=12)


def test_retries_503_honouring_retry_after(stub: StubServer, make_run: Any) -> None:
    busy = (503, {"Retry-After": "1"}, {"statusCode": 503, "code": "SS_ERR_BUSY", "message": "queue full"})
    stub.script = [busy, (429, {"Retry-After": "0"}, {"statusCode": 429})]
    run = make_run(url=stub.url, run_id="busy")
    log_steps(run, 20)
    assert run.flush(timeout=10)
    t = [r["time"] for r in stub.requests]
    assert t[1] - t[0] >= 0.95, "Retry-After: 1 not honoured"
    # the retried batch is the same batch: same identity, same bytes
    assert stub.requests[0]["request"].sequence == stub.requests[1]["request"].sequence == stub.requests[2]["request"].sequence
    assert stub.requests[0]["bytes"] == stub.requests[2]["bytes"]
    run.finish()
    assert_exactly(stub, "busy", -1, 20)


def test_lost_answer_retried_batch_is_stored_once(stub: StubServer, make_run: Any) -> None:
    """The server stores the batch but the client sees a 503 (answer lost):
    the re-send carries the same (client_id, sequence) and is deduplicated."""
    calls = {"n": 0}

    def policy(req: Any, body: bytes) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            key = (req.project, req.run_id, req.client_id, req.sequence)
            stub.stored[key] = req
            stub.answers[key] = req.points
            return 503, {"Retry-After": "0"}, {}
        return None

    stub.policy = policy
    run = make_run(url=stub.url, run_id="lost")
    log_steps(run, 30)
    run.finish()
    assert any(r.get("duplicate") for r in stub.requests)
    assert_exactly(stub, "lost", -1, 30)


def test_network_errors_are_retried_until_server_comes_up(tmp_path: Path, make_run: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = make_run(url="http://127.0.0.1:%d" % port, run_id="late")
    log_steps(run, 50)
    time.sleep(0.6)  # a few refused connections
    with StubServer(port) as stub:
        assert run.flush(timeout=15)
        run.finish()
        assert_exactly(stub, "late", -1, 50)


def test_413_splits_the_batch_in_halves(stub: StubServer, make_run: Any) -> None:
    stub.max_points = 40
    run = make_run(url=stub.url, run_id="big", flush_interval=3600, batch_points=10**6)
    log_steps(run, 100, metrics=3)  # one batch of 300 points, 3 series
    run.finish()
    assert_exactly(stub, "big", -1, 100)
    stored = list(stub.stored.values())
    assert all(r.points <= 40 for r in stored)
    ids = {r.client_id for r in stored}
    assert all(i.startswith(run.client_id + "~") for i in ids)
    assert len(stub.run_infos()) >= 1


def test_split_is_deterministic() -> None:
    raw = encode_request("p", "r", [Series("m", 1, list(range(9)), [1.0] * 9, [5] * 9)], None, "cid", 4)
    for gz in (False, True):
        body = gzip.compress(raw) if gz else raw
        a = split_body(body, gz)
        b = split_body(body, gz)
        assert a is not None and b is not None
        dec = [decode_request(gzip.decompress(h) if gz else h) for h in a]
        assert [d.client_id for d in dec] == ["cid~0", "cid~1"]
        assert [d.sequence for d in dec] == [4, 4]
        assert dec[0].series[0].steps + dec[1].series[0].steps == list(range(9))
        if not gz:
            assert a == b
    one = encode_request("p", "r", [Series("m", 1, [1], [1.0])], None, "c", 1)
    assert split_body(one, False) is None


def test_400_is_not_retried_and_is_kept(stub: StubServer, make_run: Any, caplog: Any) -> None:
    bad = (400, {}, {"statusCode": 400, "code": "SS_ERR_VALIDATION", "message": "steps and values differ", "details": {"series": 0}})
    stub.script = [bad]
    run = make_run(url=stub.url, run_id="rej")
    with caplog.at_level(logging.ERROR, logger="stepstream"):
        log_steps(run, 10)
        assert run.flush(timeout=10)
        log_steps(run, 10, start=10)
        assert run.finish() is False  # something was rejected
    assert any("rejected batch 1" in e and "SS_ERR_VALIDATION" in e for e in run.errors)
    assert any("rejected" in r.getMessage() for r in caplog.records)
    assert len([r for r in stub.requests if r["request"].sequence == 1]) == 1  # not retried
    assert_exactly(stub, "rej", -1, 10, start=10)  # later batches went through
    rejected = list((run.spool.path / "rejected").iterdir())
    assert {p.suffix for p in rejected} == {".pb", ".json"}


def test_bad_api_key_stops_sending_and_keeps_data(stub: StubServer, make_run: Any, tmp_path: Path) -> None:
    stub.policy = lambda req, body: (401, {}, {"statusCode": 401, "code": "SS_ERR_AUTH", "message": "bad key"})
    run = make_run(url=stub.url, run_id="auth", api_key="wrong")
    log_steps(run, 10)
    time.sleep(0.3)
    assert run.finish(timeout=2) is False
    assert any("refused" in e for e in run.errors)
    assert stub.requests[0]["headers"]["authorization"] == "Bearer wrong"
    assert len(stub.requests) == 1
    stub.policy = None
    res = sync(tmp_path / "spool", url=stub.url)
    assert res.exit_code == 0
    assert_exactly(stub, "auth", -1, 10)


def test_memory_bound_spills_to_disk_and_drains(stub: StubServer, make_run: Any) -> None:
    stub.policy = lambda req, body: (503, {"Retry-After": "0.2"}, {})
    run = make_run(url=stub.url, run_id="spill", batch_points=50, max_queue_bytes=2000)
    root = run.spool.path.parents[2]
    for k in range(20):
        log_steps(run, 50, start=k * 50)
        time.sleep(0.06)
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
    time.sleep(0.2)
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


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("99999") == 60.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    got = parse_retry_after(date)
    assert got is not None and 3 <= got <= 6


def test_backoff_grows_and_caps() -> None:
    b = Backoff(base=0.25, cap=10)
    delays = [b.next() for _ in range(12)]
    assert delays[0] <= 0.25 and max(delays) <= 10 and delays[-1] >= 5


@pytest.mark.parametrize("status,kind", [(202, "ok"), (413, "split"), (400, "reject"), (415, "reject"), (429, "retry"), (503, "retry"), (500, "retry"), (401, "fatal")])
def test_classify(status: int, kind: str) -> None:
    from stepstream._transport import classify

    assert classify(status) == kind


def test_buffers_are_bounded_when_log_outpaces_the_batcher(stub: StubServer, make_run: Any) -> None:
    """With the batcher asleep and never woken, log() itself cuts once
    4 x batch_points are buffered."""
    run = make_run(url=stub.url, run_id="bound", batch_points=100, flush_interval=3600, rank=1)
    real = run._pipeline.wake
    run._pipeline.wake = _DeafEvent(real)  # log()'s wake-ups go nowhere
    peak = 0
    for s in range(1000):
        run.log({"a": 1.0, "b": 2.0}, step=s)
        peak = max(peak, run._buffers.n)
    assert peak <= 4 * 100
    assert run._pipeline.encoded_points >= 2000 - 4 * 100
    run._pipeline.wake = real
    run.finish()
    assert_exactly_points = stub.points("bound")
    assert sorted(assert_exactly_points[("a", 1)]) == [(s, 1.0) for s in range(1000)]
    assert stub.total_points() == 2000


class _DeafEvent:
    def __init__(self, real: Any) -> None:
        self.real = real

    def set(self) -> None:
        pass

    def wait(self, timeout: Any = None) -> bool:
        return bool(self.real.wait(timeout))

    def clear(self) -> None:
        self.real.clear()

    def is_set(self) -> bool:
        return bool(self.real.is_set())


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
