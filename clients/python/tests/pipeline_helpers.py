"""Shared by the tests against the stub server: log a known pattern of
points, check that the stub stored exactly it, list the batch files left in
a spool directory tree."""

from pathlib import Path
from typing import List

from stub_server import StubServer

import stepstream
from stepstream._spool import Spool, find_spools


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
