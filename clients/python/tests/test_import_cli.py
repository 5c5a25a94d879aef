"""``stepstream-py import ...``: usage and exit statuses, a dry run, an
unreachable server, and an import of event files made here with the stdlib
into the real server (skipped, with the reason, when it is not built)."""

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import child_env
from real_server import Server, metric_counts, settle_counts, skip_reason
from test_importer_readers import event, simple

from stepstream._commands import main
from stepstream.importers._tfrecord import frame


def write_logdir(root: Path, steps: int = 50) -> Path:
    (root / "run1").mkdir(parents=True)
    data = b"".join(frame(event(1700000000.0 + s, s % 128, [simple("loss", 1.0 / (s + 1))])) for s in range(steps))
    (root / "run1" / "events.out.tfevents.1700000000.h.1.0").write_bytes(data)
    return root


def cli(args: list, tmp: Path) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([sys.executable, "-m", "stepstream"] + args, env=child_env(), cwd=str(tmp), capture_output=True, text=True, timeout=120)


def test_usage_errors_and_help(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert main([]) == 64 and "import tensorboard LOGDIR" in capsys.readouterr().err
    assert main(["--help"]) == 0 and "sync DIR" in capsys.readouterr().out
    assert main(["nope"]) == 64
    assert main(["import"]) == 64
    assert main(["import", "tensorboard", str(tmp_path)]) == 64  # no --project
    assert main(["import", "tensorboard", str(tmp_path / "missing"), "--project", "p"]) == 64
    assert "does not exist" in capsys.readouterr().err
    assert main(["import", "mlflow", "--experiment", "e", "--project", "p"]) == 64  # no --tracking-uri
    with pytest.raises(SystemExit) as e:
        main(["import", "tensorboard", "--help"])
    assert e.value.code == 0 and "--dry-run" in capsys.readouterr().out


def test_dry_run_says_what_would_be_imported(tmp_path: Path) -> None:
    res = cli(["import", "tensorboard", str(write_logdir(tmp_path / "logs")), "--project", "p", "--dry-run"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "dry run 'run1' as tb-run1-" in res.stdout and "50 points in 1 metrics" in res.stdout


def test_unreachable_server_exits_3(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = cli(["import", "tensorboard", str(write_logdir(tmp_path / "logs")), "--project", "p", "--url", "http://127.0.0.1:%d" % port, "--timeout", "0.5"], tmp_path)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "error: cannot read run" in res.stdout


@pytest.mark.integration
@pytest.mark.skipif(bool(skip_reason()), reason=skip_reason() or "")
def test_import_into_the_real_server_twice_stores_once(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", tmp_path / "server.log")
    srv.start()
    try:
        args = ["import", "tensorboard", str(write_logdir(tmp_path / "logs", 200)), "--project", "cli", "--url", srv.url]
        first = cli(args, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        run_id = first.stdout.split(" as ")[1].split(":")[0]
        # steps 0..127 then 0..71 again: a step logged twice is two points, as in the source
        assert settle_counts(srv, "cli", run_id, {"loss": 200}) == {"loss": 200}
        again = cli(args, tmp_path)
        assert again.returncode == 0 and "already imported" in again.stdout, again.stdout
        assert metric_counts(srv, "cli", run_id) == {"loss": 200}
    finally:
        srv.stop()
