"""Against the real Stepstream server (all-in-one target), started here on a
free port with a temporary data directory. Skipped, with the reason, when
the server is not built (``npm run build`` at the repository root) or node
is missing. Verified through the query API."""

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
from conftest import child_env
from rank_worker import expected_value

import stepstream
from stepstream._sync import sync

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
REPO = Path(os.environ.get("STEPSTREAM_REPO", HERE.parents[2]))
ENTRY = REPO / "services" / "cli" / "dist" / "index.js"
NODE = shutil.which("node")


def _skip_reason() -> Optional[str]:
    if NODE is None:
        return "node is not installed"
    if not ENTRY.is_file():
        return "the server is not built: %s is missing (run `npm ci && npm run build` at %s)" % (ENTRY, REPO)
    return None


if _skip_reason():
    pytestmark = [pytest.mark.integration, pytest.mark.skip(reason=_skip_reason() or "")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real server as a child process; restartable on the same port and
    data directory."""

    def __init__(self, data: Path, log_path: Path) -> None:
        self.port = free_port()
        self.data = data
        self.log_path = log_path
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc: Optional[subprocess.Popen] = None  # type: ignore[type-arg]

    def start(self, timeout: float = 60.0) -> None:
        assert NODE is not None
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [NODE, str(ENTRY), "--port", str(self.port), "--data", str(self.data)],
            cwd=str(REPO),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.proc.returncode, self.tail()))
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready within %.0f s:\n%s" % (timeout, self.tail()))
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data", tmp_path / "server.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()  # SIGTERM, then SIGKILL after 20 s


def wait_until(cond: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %.0f s" % (what, timeout))
        time.sleep(0.2)


def metric_counts(srv: Server, project: str, run: str) -> Dict[str, int]:
    doc = srv.get("/v1/projects/%s/runs/%s" % (project, run))
    return {m["name"]: m["count"] for m in doc["metrics"]} if doc else {}


def settle_counts(srv: Server, project: str, run: str, expected: Dict[str, int], timeout: float = 60.0) -> Dict[str, int]:
    """Wait until the writer caught up (every count reached), then re-read
    after a pause so a late duplicate would show."""
    wait_until(
        lambda: all(metric_counts(srv, project, run).get(k, 0) >= v for k, v in expected.items()),
        timeout,
        "counts %s" % expected,
    )
    time.sleep(0.5)
    return metric_counts(srv, project, run)


def rank_counts(srv: Server, project: str, run: str, metric: str) -> Dict[int, int]:
    doc = srv.get("/v1/projects/%s/runs/%s/ranks?metric=%s" % (project, run, metric))
    return {r["rank"]: r["count"] for r in doc["ranks"]}


def raw_series(srv: Server, project: str, run: str, metric: str, rank: int, lo: int, hi: int) -> Dict[str, Any]:
    doc = srv.get(
        "/v1/projects/%s/runs/%s/series?metric=%s&rank=%d&from=%d&to=%d&points=%d" % (project, run, metric, rank, lo, hi, hi - lo)
    )
    assert doc["bucket"] == 1, doc
    return doc


def spawn_ranks(srv_url: str, run_id: str, ranks: int, steps: int, metrics: int, tmp: Path, pace: str = "") -> List[subprocess.Popen]:  # type: ignore[type-arg]
    procs = []
    for r in range(ranks):
        env = child_env(
            RANK=str(r),
            WORLD_SIZE=str(ranks),
            STEPSTREAM_RUN_ID=run_id,
            STEPSTREAM_URL=srv_url,
            STEPSTREAM_SPOOL_DIR=str(tmp / "spool"),
        )
        args = [sys.executable, str(HERE / "rank_worker.py"), str(steps), str(metrics)] + (pace.split() if pace else [])
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    return procs


def join_all(procs: List[subprocess.Popen], timeout: float = 120.0) -> List[str]:  # type: ignore[type-arg]
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=timeout)
        outs.append(out.decode("utf-8", "replace"))
        assert p.returncode == 0, outs[-1]
    return outs


# ---------------------------------------------------------------- the tests


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
    time.sleep(1.2)
    server.stop(signal.SIGTERM)
    time.sleep(1.0)  # down: the clients retry and keep buffering
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
    time.sleep(1.2)
    server.stop(signal.SIGKILL)
    time.sleep(1.0)
    server.start()
    join_all(procs, timeout=180)
    expected = {"m%d" % j: ranks * steps for j in range(metrics)}
    assert settle_counts(server, "itest", "sigkill", expected, timeout=60) == expected
