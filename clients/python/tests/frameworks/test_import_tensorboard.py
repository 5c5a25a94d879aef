"""``import tensorboard``: event files written by the real tensorboardX (and
torch.utils.tensorboard when torch is installed), imported into the real
server and read back point for point, wall times included."""

import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from importer_support import assert_same_points, metric_counts, read_points, run_import, runs, server  # noqa: F401
from tensorboardX import SummaryWriter

T0 = 1_700_000_000.0


def f32(v: float) -> float:
    return struct.unpack("<f", struct.pack("<f", v))[0]


def write_run(writer_cls: Any, path: Path, steps: range, expected: dict) -> None:
    w = writer_cls(str(path))
    for s in steps:
        wall = T0 + s * 0.25
        loss = math.nan if s == 7 else (math.inf if s == 8 else 1.0 / (s + 1))
        w.add_scalar("train/loss", loss, s, walltime=wall)
        w.add_scalar("lr", 0.001 * (s % 10), s, walltime=wall)
        expected.setdefault("train/loss", []).append((s, f32(loss), int(round(wall * 1000))))
        expected.setdefault("lr", []).append((s, f32(0.001 * (s % 10)), int(round(wall * 1000))))
        if s % 50 == 0:
            w.add_histogram("weights", np.arange(10.0), s, walltime=wall)
            w.add_image("sample", np.zeros((3, 2, 2)), s, walltime=wall)
            w.add_text("notes", "step %d" % s, s, walltime=wall)
    w.close()


def test_tensorboardx_runs_imported_point_for_point(server: Any, tmp_path: Path) -> None:
    a, b = {}, {}
    write_run(SummaryWriter, tmp_path / "logs" / "baseline", range(0, 400), a)
    write_run(SummaryWriter, tmp_path / "logs" / "sweep" / "lr-1", range(0, 120), b)
    res = run_import(["tensorboard", str(tmp_path / "logs"), "--project", "tb", "--url", server.url], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    for kind in ("histogram: 11", "image: 11", "text: 11"):  # left out and said so: 8 + 3 of each
        assert "\n  " + kind in res.stdout, res.stdout
    by_name = {r["name"]: r for r in runs(server, "tb", 2).values()}
    assert set(by_name) == {"baseline", "sweep/lr-1"}
    assert by_name["baseline"]["status"] == "finished"
    assert by_name["baseline"]["started_ms"] == int(T0 * 1000)
    assert_same_points(read_points(server, "tb", by_name["baseline"]["id"], a), a)
    assert_same_points(read_points(server, "tb", by_name["sweep/lr-1"]["id"], b), b)


def test_the_same_logdir_imported_twice_is_stored_once(server: Any, tmp_path: Path) -> None:
    want = {}
    write_run(SummaryWriter, tmp_path / "logs" / "r", range(0, 300), want)
    args = ["tensorboard", str(tmp_path / "logs"), "--project", "tb-twice", "--url", server.url]
    first = run_import(args, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    (run_id,) = runs(server, "tb-twice")
    read_points(server, "tb-twice", run_id, want)  # settled
    again = run_import(args, tmp_path)
    assert again.returncode == 0 and "already imported" in again.stdout, again.stdout
    # and when the server had not yet counted them, the same batches again: stored once
    assert list(runs(server, "tb-twice")) == [run_id]
    assert_same_points(read_points(server, "tb-twice", run_id, want), want)
    assert metric_counts(server, "tb-twice", run_id) == {"train/loss": 300, "lr": 300}


def test_a_run_that_went_on_is_imported_again_as_a_new_attempt(server: Any, tmp_path: Path) -> None:
    want = {}
    write_run(SummaryWriter, tmp_path / "logs" / "r", range(0, 200), want)
    args = ["tensorboard", str(tmp_path / "logs"), "--project", "tb-grow", "--url", server.url]
    assert run_import(args, tmp_path).returncode == 0
    (run_id,) = runs(server, "tb-grow")
    read_points(server, "tb-grow", run_id, want)
    write_run(SummaryWriter, tmp_path / "logs" / "r", range(200, 350), want)  # a second event file: the run resumed
    res = run_import(args, tmp_path)
    assert res.returncode == 0 and "re-imported" in res.stdout and "(attempt 1)" in res.stdout, res.stdout
    assert list(runs(server, "tb-grow")) == [run_id]  # the same run id: derived from its first event file
    assert_same_points(read_points(server, "tb-grow", run_id, want), want)


def test_torch_summary_writer_files(server: Any, tmp_path: Path) -> None:
    torch_tb = pytest.importorskip(
        "torch.utils.tensorboard", reason="torch.utils.tensorboard needs the tensorboard package, not installed here (tensorboardX's files are tested above)")
    want = {}
    write_run(torch_tb.SummaryWriter, tmp_path / "logs" / "torch", range(0, 100), want)
    res = run_import(["tensorboard", str(tmp_path / "logs"), "--project", "tb-torch", "--url", server.url], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    (run_id,) = runs(server, "tb-torch")
    assert_same_points(read_points(server, "tb-torch", run_id, want), want)
