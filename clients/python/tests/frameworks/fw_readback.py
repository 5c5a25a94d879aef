"""What the framework suites share: the real server for a test module, and
every point of a run read back through the HTTP API (run detail, raw
series), to compare with what the framework logged."""

import math
import time
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple
from urllib.parse import quote

import pytest

from conftest import wait_for
from real_server import Server, running_server, skip_reason


def start_server(tmp: Path) -> Iterator[Server]:
    why = skip_reason()
    if why:
        pytest.skip(why)
    yield from running_server(tmp)


def run_doc(srv: Server, project: str, run: str) -> Dict[str, Any]:
    doc = srv.get("/v1/projects/%s/runs/%s" % (quote(project, safe=""), quote(run, safe="")))
    assert doc is not None, "run %s/%s not found" % (project, run)
    return doc  # type: ignore[no-any-return]


def series(srv: Server, project: str, run: str, metric: str, rank: int = -1) -> Dict[int, float]:
    """Every point (step -> value) of one metric on one rank."""
    doc = srv.get("/v1/projects/%s/runs/%s/series?metric=%s&rank=%d&points=100000"
                  % (quote(project, safe=""), quote(run, safe=""), quote(metric, safe=""), rank))
    assert doc is not None and doc["bucket"] == 1, doc
    return {int(x): (math.nan if v is None else float(v)) for x, v in zip(doc["x"], doc["last"])}


def settled(srv: Server, project: str, run: str, expected: Dict[Tuple[str, int], int], status: str = "finished",
            timeout: float = 60.0) -> Dict[str, Any]:
    """Wait until the run has ``status`` and each (metric, rank) at least its
    count of points; the run detail then."""

    def ready() -> bool:
        doc = srv.get("/v1/projects/%s/runs/%s" % (quote(project, safe=""), quote(run, safe="")))
        if doc is None or doc.get("status") != status:
            return False
        have = {m["name"]: m["count"] for m in doc["metrics"]}
        by_metric: Dict[str, int] = {}
        for (m, _rank), n in expected.items():
            by_metric[m] = by_metric.get(m, 0) + n
        return all(have.get(m, 0) >= n for m, n in by_metric.items())

    wait_for(ready, timeout, "run %s settled" % run, poll=0.2)
    time.sleep(0.3)  # NOTE: a late duplicate would show in the counts read next
    return run_doc(srv, project, run)


def assert_points(srv: Server, project: str, run: str, expected: Dict[str, Dict[int, float]], rank: int = -1) -> None:
    """Each metric's points on ``rank`` are exactly ``expected`` (step -> value)."""
    for metric, points in expected.items():
        # NOTE: the run detail's counts (settled) can lead the raw points by one
        # insert (docs/guarantees.md, "When a stored point can be read"): the
        # raw steps are waited for; a step lost or extra fails at the deadline.
        try:
            wait_for(lambda: sorted(series(srv, project, run, metric, rank)) == sorted(points), 10.0, "raw steps", poll=0.1)
        except AssertionError:
            pass  # the assert below says what differs
        got = series(srv, project, run, metric, rank)
        assert sorted(got) == sorted(points), (metric, got, points)
        for step, v in points.items():
            assert got[step] == pytest.approx(v, rel=1e-6, abs=1e-9), (metric, step, got[step], v)
