"""Against the real Stepstream server (all-in-one target), started here on a
free port with a temporary data directory. Skipped, with the reason, when
the server is not built (``npm run build`` at the repository root) or node
is missing. Verified through the query API."""

import json
import math
import signal
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
from conftest import wait_for
from rank_worker import expected_value
from real_server import Server, join_all, metric_counts, rank_counts, raw_series, settle_counts, skip_reason, spawn_ranks

import stepstream
from stepstream._sync import sync

pytestmark = pytest.mark.integration

if skip_reason():
    pytestmark = [pytest.mark.integration, pytest.mark.skip(reason=skip_reason() or "")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data", tmp_path / "server.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()  # SIGTERM, then SIGKILL after 20 s


def test_eight_ranks_concurrently(server: Server, tmp_path: Path) -> None:
    steps, metrics, ranks = 3000, 4, 8
    join_all(spawn_ranks(server.url, "eight", ranks, steps, metrics, tmp_path))
    counts = settle_counts(server, "itest", "eight", {"m%d" % j: ranks * steps for j in range(metrics)})
    assert counts == {"m%d" % j: ranks * steps for j in range(metrics)}
    assert rank_counts(server, "itest", "eight", "m0") == {r: steps for r in range(ranks)}
    run = server.get("/v1/projects/itest/runs/eight")
    assert run["status"] == "finished" and run["config"] == {"steps": steps}
    assert all(m["ranks"] == ranks for m in run["metrics"])
    doc = raw_series(server, "itest", "eight", "m3", 5, 1000, 1100)
    assert doc["x"] == list(range(1000, 1100))
    assert doc["first"] == [expected_value(5, s, 3) for s in range(1000, 1100)]


def test_threads_as_ranks_in_one_process(server: Server, tmp_path: Path) -> None:
    steps = 2000
    runs = [
        stepstream.Run("itest", run_id="threads", rank=r, url=server.url, spool_dir=tmp_path / "spool", flush_interval=0.1, register_atexit=False)
        for r in range(8)
    ]

    def work(run: stepstream.Run) -> None:
        for s in range(steps):
            run.log({"loss": expected_value(run.rank or 0, s, 0), "lr": 1e-4})

    threads = [threading.Thread(target=work, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.finish(timeout=60) for r in runs)
    counts = settle_counts(server, "itest", "threads", {"loss": 8 * steps, "lr": 8 * steps})
    assert counts == {"loss": 8 * steps, "lr": 8 * steps}


def test_server_restarted_mid_run_loses_and_doubles_nothing(server: Server, tmp_path: Path) -> None:
    steps, metrics, ranks = 20000, 3, 4
    # paced: 1000 steps then 0.15 s, so the run spans the restart
    procs = spawn_ranks(server.url, "restart", ranks, steps, metrics, tmp_path, pace="1000 0.15")
    wait_for(lambda: sum(metric_counts(server, "itest", "restart").values()) > 0, 60, "some points stored", poll=0.1)
    server.stop(signal.SIGTERM)
    time.sleep(1.0)  # NOTE: an outage of 1 s on purpose: the clients retry and keep buffering
    server.start()
    outs = join_all(procs, timeout=180)
    expected = {"m%d" % j: ranks * steps for j in range(metrics)}
    counts = settle_counts(server, "itest", "restart", expected, timeout=90)
    assert counts == expected, "\n".join(outs)
    assert rank_counts(server, "itest", "restart", "m2") == {r: steps for r in range(ranks)}
    for r in range(ranks):
        doc = raw_series(server, "itest", "restart", "m1", r, 9500, 10500)
        assert doc["first"] == [expected_value(r, s, 1) for s in range(9500, 10500)]
        assert doc["count"] == [1] * 1000


def test_offline_then_sync(server: Server, tmp_path: Path) -> None:
    run = stepstream.Run("itest", run_id="offline", rank=0, mode="offline", spool_dir=tmp_path / "spool", register_atexit=False, batch_points=500, config={"a": 1})
    for s in range(1000):
        run.log({"loss": 1.0 / (s + 1), "nan_here": math.nan if s == 7 else float(s)})
    run.finish()
    assert server.get("/v1/projects/itest/runs/offline") is None
    res = sync(tmp_path / "spool", url=server.url)
    assert res.exit_code == 0 and res.sent_points == 2000
    counts = settle_counts(server, "itest", "offline", {"loss": 1000, "nan_here": 1000})
    assert counts == {"loss": 1000, "nan_here": 1000}
    doc = raw_series(server, "itest", "offline", "nan_here", 0, 0, 10)
    assert doc["first"][7] == "NaN" and doc["nonfinite"][7] == 1
    assert server.get("/v1/projects/itest/runs/offline")["status"] == "finished"


def test_sync_resent_batches_are_stored_once(server: Server, tmp_path: Path) -> None:
    run = stepstream.Run("itest", run_id="resend", mode="offline", spool_dir=tmp_path / "spool", register_atexit=False, batch_points=100)
    for s in range(500):
        run.log({"x": float(s)})
    run.finish()
    files = sorted((tmp_path / "spool").rglob("*.pb"))
    copies = {p: p.read_bytes() for p in files}
    assert sync(tmp_path / "spool", url=server.url).exit_code == 0
    # as if the sync had crashed after every 202 and before removing the files
    for p, data in copies.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    spool_json = tmp_path / "spool" / "itest" / "resend" / run.client_id / "spool.json"
    spool_json.write_text(json.dumps({"url": server.url}))
    res = sync(tmp_path / "spool", url=server.url)
    assert res.exit_code == 0 and res.sent_batches == len(files)
    counts = settle_counts(server, "itest", "resend", {"x": 500})
    assert counts == {"x": 500}


def test_bad_value_rejected_at_log(server: Server, tmp_path: Path) -> None:
    run = stepstream.Run("itest", run_id="badvalue", url=server.url, spool_dir=tmp_path / "spool", register_atexit=False)
    run.log({"loss": 1.0, "acc": 0.5})
    with pytest.raises(TypeError, match="'acc'"):
        run.log({"loss": 2.0, "acc": "0.7"})
    with pytest.raises(ValueError, match="invalid metric name"):
        run.log({"bad name": 1.0})
    run.log({"loss": 3.0, "acc": 0.75})
    assert run.finish(timeout=30) and run.errors == []
    counts = settle_counts(server, "itest", "badvalue", {"loss": 2, "acc": 2})
    assert counts == {"loss": 2, "acc": 2}
    doc = raw_series(server, "itest", "badvalue", "loss", -1, 0, 2)
    assert doc["x"] == [0, 1] and doc["first"] == [1.0, 3.0]


def test_nonfinite_and_large_steps_roundtrip(server: Server, tmp_path: Path) -> None:
    run = stepstream.Run("itest", run_id="edges", url=server.url, spool_dir=tmp_path / "spool", register_atexit=False)
    big = 2**40
    vals = [math.nan, math.inf, -math.inf, 1e-300, -0.0, 1.0]
    for i, v in enumerate(vals):
        run.log({"g": v}, step=big + i)
    assert run.finish(timeout=30)
    settle_counts(server, "itest", "edges", {"g": len(vals)})
    doc = raw_series(server, "itest", "edges", "g", -1, big, big + len(vals))
    assert doc["x"] == [big + i for i in range(len(vals))]
    assert doc["first"][:3] == ["NaN", "Infinity", "-Infinity"]
    assert doc["first"][3:] == [1e-300, 0, 1.0]


def test_server_sigkilled_mid_run(server: Server, tmp_path: Path) -> None:
    """SIGKILL, no graceful shutdown: what got a 202 must survive (the
    all-in-one queue is a write-ahead log), the rest is retried."""
    steps, metrics, ranks = 20000, 3, 4
    procs = spawn_ranks(server.url, "sigkill", ranks, steps, metrics, tmp_path, pace="1000 0.15")
    wait_for(lambda: sum(metric_counts(server, "itest", "sigkill").values()) > 0, 60, "some points stored", poll=0.1)
    server.stop(signal.SIGKILL)
    time.sleep(1.0)  # NOTE: an outage of 1 s on purpose, as above
    server.start()
    join_all(procs, timeout=180)
    expected = {"m%d" % j: ranks * steps for j in range(metrics)}
    assert settle_counts(server, "itest", "sigkill", expected, timeout=60) == expected
