"""The real Stepstream server (all-in-one target) as a child process for
the integration tests, restartable on the same port and data directory,
and the helpers that read it back through the query API or drive trainer
ranks against it."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from conftest import child_env, wait_for

HERE = Path(__file__).resolve().parent
REPO = Path(os.environ.get("STEPSTREAM_REPO", HERE.parents[2]))
ENTRY = REPO / "services" / "cli" / "dist" / "index.js"
NODE = shutil.which("node")


def skip_reason() -> Optional[str]:
    if NODE is None:
        return "node is not installed"
    if not ENTRY.is_file():
        return "the server is not built: %s is missing (run `npm ci && npm run build` at %s)" % (ENTRY, REPO)
    return None


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


def running_server(tmp: Path) -> Iterator[Server]:
    """A real server with its data under ``tmp`` for a fixture's lifetime
    (``yield from`` it); stopped afterwards, also when a test failed."""
    srv = Server(tmp / "data", tmp / "server.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def metric_counts(srv: Server, project: str, run: str) -> Dict[str, int]:
    doc = srv.get("/v1/projects/%s/runs/%s" % (project, run))
    return {m["name"]: m["count"] for m in doc["metrics"]} if doc else {}


def settle_counts(srv: Server, project: str, run: str, expected: Dict[str, int], timeout: float = 60.0) -> Dict[str, int]:
    """Wait until the writer caught up (every count reached), then re-read
    after a pause so a late duplicate would show."""
    wait_for(
        lambda: all(metric_counts(srv, project, run).get(k, 0) >= v for k, v in expected.items()),
        timeout,
        "counts %s" % expected,
        poll=0.2,
    )
    time.sleep(0.5)  # NOTE: a window in which nothing must change: a late duplicate would raise a count
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
