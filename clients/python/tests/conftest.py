import os
import sys
from pathlib import Path
from typing import Any, Iterator, List

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import stepstream  # noqa: F401  (the installed package, when run-tests.sh installed it)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "src"))

import stepstream  # noqa: E402
from stub_server import StubServer  # noqa: E402

# proto/testdata of the monorepo (override with STEPSTREAM_TESTDATA)
TESTDATA = Path(os.environ.get("STEPSTREAM_TESTDATA", HERE.parents[2] / "proto" / "testdata"))


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
