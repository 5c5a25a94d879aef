"""What the importer suites share: the real server, the import command run
as a user runs it (``python -m stepstream import ...``), and the points read
back through the HTTP API to compare with the source."""

import json
import math
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from conftest import child_env, wait_for
from real_server import Server, running_server, metric_counts, settle_counts, skip_reason

Points = Dict[str, List[Tuple[int, float, Optional[int]]]]  # metric -> [(step, value, time_ms)] in step order


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server per test module (importing into a project per test)."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    yield from running_server(tmp_path_factory.mktemp("server"))


def run_import(args: List[str], tmp: Path, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [sys.executable, "-m", "stepstream", "import"] + args,
        env=child_env(**(env or {})),
        cwd=str(tmp),
        capture_output=True,
        text=True,
        timeout=300,
    )


def runs(srv: Server, project: str, at_least: int = 1) -> Dict[str, Dict[str, Any]]:
    """The project's runs by id, once ``at_least`` of them are stored."""

    def read() -> Dict[str, Dict[str, Any]]:
        doc = srv.get("/v1/projects/%s/runs" % project) or {"runs": []}
        return {r["id"]: r for r in doc["runs"]}

    wait_for(lambda: len(read()) >= at_least, 60, "%d run(s) in %s" % (at_least, project), poll=0.1)
    return read()


def post(srv: Server, path: str, body: Dict[str, Any]) -> Any:
    req = urllib.request.Request(srv.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode())


def read_points(srv: Server, project: str, run: str, expected: Points) -> Points:
    """Every point of ``expected``'s metrics as stored, at raw resolution
    (one bucket per step), with its wall time; after the writer caught up."""
    settle_counts(srv, project, run, {m: len(p) for m, p in expected.items()})
    out: Points = {}
    for metric, pts in expected.items():
        hi = max(s for s, _, _ in pts) + 1
        doc = post(srv, "/v1/projects/%s/series" % project, {"queries": [{"run": run, "metric": metric}], "from": 0, "to": hi, "points": hi, "x": "time"})
        s = doc["series"][0]
        assert s["bucket"] == 1, s
        assert all(c == 1 for c in s["count"]), "a step stored more than once: %s" % metric
        out[metric] = list(zip(s["x"], s["first"], s["time_first"]))
    return out


def same_value(a: Any, b: float) -> bool:
    """The API answers NaN and infinities as strings."""
    if isinstance(a, str):
        return {"NaN": math.isnan(b), "Infinity": b == math.inf, "-Infinity": b == -math.inf}.get(a, False)
    return a == b


def assert_same_points(got: Points, want: Points) -> None:
    assert sorted(got) == sorted(want)
    for metric in want:
        g, w = got[metric], want[metric]
        assert [s for s, _, _ in g] == [s for s, _, _ in w], metric
        # a time of None: the source's time is not known to the test (checked apart)
        bad = [(x, y) for x, y in zip(g, w) if not same_value(x[1], y[1]) or (y[2] is not None and x[2] != y[2])]
        assert not bad, "%s: %d points differ, e.g. %s" % (metric, len(bad), bad[:3])


__all__ = ["server", "run_import", "runs", "read_points", "assert_same_points", "metric_counts", "Server"]
