import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SRC = HERE.parent / "src"
try:
    import stepstream  # noqa: F401  (the installed package, when run-tests.sh installed it)

    FROM_SOURCE = False
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(SRC))
    FROM_SOURCE = True

import stepstream  # noqa: E402
from stub_server import StubServer  # noqa: E402

# proto/testdata of the monorepo (override with STEPSTREAM_TESTDATA)
TESTDATA = Path(os.environ.get("STEPSTREAM_TESTDATA", HERE.parents[2] / "proto" / "testdata"))


def child_env(**extra: str) -> Dict[str, str]:
    """Environment for a child Python process that imports the same
    stepstream as these tests (the installed one, or src/)."""
    env = dict(os.environ)
    if FROM_SOURCE:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def wait_for(cond: Callable[[], Any], timeout: float = 10.0, what: str = "condition", poll: float = 0.01) -> None:
    """Poll ``cond`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %.1f s" % (what, timeout))
        time.sleep(poll)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as s:
        yield s


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[Any]:
    """Runs with test-friendly defaults, finished (quickly) after the test."""
    runs: List[stepstream.Run] = []

    def make(**kw: Any) -> stepstream.Run:
        kw.setdefault("project", "test")
        kw.setdefault("run_id", "run-%d" % len(runs))
        kw.setdefault("spool_dir", tmp_path / "spool")
        kw.setdefault("flush_interval", 0.05)
        kw.setdefault("register_atexit", False)
        project = kw.pop("project")
        run = stepstream.Run(project, **kw)
        runs.append(run)
        return run

    yield make
    for r in runs:
        r.finish(timeout=0.5)


# The framework and importer suites (tests/frameworks) run only when
# STEPSTREAM_FRAMEWORK_TESTS=1: run-tests.sh then installs
# requirements-frameworks.txt (CI sets it). Off, their modules are not even
# imported, since they import the frameworks.
FRAMEWORK_TESTS = os.environ.get("STEPSTREAM_FRAMEWORK_TESTS") == "1"
if not FRAMEWORK_TESTS:
    collect_ignore_glob = ["frameworks/*"]


def pytest_report_header(config: Any) -> str:  # noqa: ARG001
    if FRAMEWORK_TESTS:
        return "framework suites (tests/frameworks): on"
    return "framework suites (tests/frameworks): off; STEPSTREAM_FRAMEWORK_TESTS=1 runs them (CI does)"
