"""Interpreter exit (atexit flush, status) and the sync command line, in
child processes, against the stub server."""

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Optional

import pytest
from conftest import child_env
from stub_server import StubServer

from stepstream._proto import RunStatus

HERE = Path(__file__).resolve().parent


def run_script(code: str, env_extra: Dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    env = child_env(**env_extra)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=str(cwd),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
    )


SCRIPT = """
    import stepstream
    run = stepstream.init(project="exit", run_id="r", flush_interval=60)
    for s in range(500):
        stepstream.log({"loss": 1.0 / (s + 1)})
    {tail}
"""


def test_exit_without_finish_flushes_everything(stub: StubServer, tmp_path: Path) -> None:
    res = run_script(SCRIPT.replace("{tail}", "print('bye')"), {"STEPSTREAM_URL": stub.url}, tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert stub.total_points() == 500
    assert stub.run_infos()[-1][1].status == RunStatus.FINISHED
    assert not (tmp_path / "stepstream-spool").exists()


def test_uncaught_exception_marks_run_failed(stub: StubServer, tmp_path: Path) -> None:
    res = run_script(SCRIPT.replace("{tail}", "raise RuntimeError('boom')"), {"STEPSTREAM_URL": stub.url}, tmp_path)
    assert res.returncode == 1 and b"boom" in res.stderr
    assert stub.total_points() == 500
    assert stub.run_infos()[-1][1].status == RunStatus.FAILED


def test_exit_with_server_down_keeps_spool_and_says_so(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = "http://127.0.0.1:%d" % port
    res = run_script(
        SCRIPT.replace("{tail}", ""),
        {"STEPSTREAM_URL": url, "STEPSTREAM_FLUSH_TIMEOUT": "1", "STEPSTREAM_SPOOL_DIR": str(tmp_path / "sp")},
        tmp_path,
    )
    err = res.stderr.decode()
    assert res.returncode == 0, err
    assert "not taking data" in err and "Nothing is lost" in err and "python -m stepstream sync" in err
    assert list((tmp_path / "sp").rglob("*.pb"))
    # then the server comes back and the spool is uploaded with the CLI
    with StubServer(port) as stub:
        cli = run_script("import sys, stepstream.__main__ as m; sys.exit(m.main(['sync', %r]))" % str(tmp_path / "sp"), {}, tmp_path)
        assert cli.returncode == 0, cli.stdout.decode() + cli.stderr.decode()
        assert b"done: 1 spool(s)" in cli.stdout
        assert stub.total_points() == 500
        assert stub.run_infos()[-1][1].status == RunStatus.FINISHED
    assert not list((tmp_path / "sp").rglob("*.pb"))


def test_offline_env_mode_then_python_m_sync(stub: StubServer, tmp_path: Path) -> None:
    res = run_script(SCRIPT.replace("{tail}", ""), {"STEPSTREAM_MODE": "offline"}, tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stderr.count(b"stepstream: run r of project exit (offline, spooled to ") == 1
    assert b"offline run 'r' saved in" in res.stderr and b"stepstream-sync" in res.stderr
    assert stub.requests == []
    cli = subprocess.run(
        [sys.executable, "-m", "stepstream", "sync", str(tmp_path / "stepstream-spool"), "--url", stub.url],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr.decode()
    assert stub.total_points() == 500


def test_sync_usage_errors(tmp_path: Path) -> None:
    from stepstream._commands import main

    assert main([]) == 64
    assert main(["sync", str(tmp_path / "missing")]) == 64
    # argparse's own errors exit 2, which is "the server refused the key" here
    assert main(["sync"]) == 64
    assert main(["sync", str(tmp_path), "--no-such-flag"]) == 64
    assert main(["--version"]) == 0


def test_sync_exit_statuses(tmp_path: Path) -> None:
    """The statuses the README documents, shared with stepstream-sync-js."""
    from stepstream._commands import main

    def spool_with_one_batch(name: str) -> Path:
        res = run_script(SCRIPT.replace("{tail}", ""), {"STEPSTREAM_MODE": "offline", "STEPSTREAM_SPOOL_DIR": name}, tmp_path)
        assert res.returncode == 0, res.stderr.decode()
        return tmp_path / name

    with StubServer() as ok:
        assert main(["sync", str(spool_with_one_batch("a")), "--url", ok.url]) == 0
    with StubServer() as bad:
        bad.policy = lambda req, body: (400, {}, {"statusCode": 400, "code": "SS_ERR_DECODE", "message": "bad"})
        assert main(["sync", str(spool_with_one_batch("b")), "--url", bad.url]) == 1
    with StubServer() as key:
        key.policy = lambda req, body: (401, {}, {"statusCode": 401, "code": "SS_ERR_UNAUTHORIZED", "message": "no"})
        assert main(["sync", str(spool_with_one_batch("c")), "--url", key.url]) == 2


def _console_script() -> Optional[str]:
    found = shutil.which("stepstream-sync", path=os.path.dirname(sys.executable))
    return found or shutil.which("stepstream-sync")


@pytest.mark.skipif(_console_script() is None, reason="package not installed (stepstream-sync not on PATH)")
def test_console_script(stub: StubServer, tmp_path: Path) -> None:
    res = run_script(SCRIPT.replace("{tail}", ""), {"STEPSTREAM_MODE": "offline"}, tmp_path)
    assert res.returncode == 0
    cli = subprocess.run(
        [str(_console_script()), str(tmp_path / "stepstream-spool"), "--url", stub.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr.decode()
    assert stub.total_points() == 500
