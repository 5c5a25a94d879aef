"""The importers' own readers, on small files made here with the stdlib:
TFRecord framing and TensorBoard events, the .wandb log framing, names,
and the requests an import makes (the same bytes on every import)."""

import io
import struct
from pathlib import Path
from typing import List

import pytest

from stepstream._proto import decode_request
from stepstream.importers._batches import client_id_for, content_digest, requests, run_info, sorted_series
from stepstream.importers._model import SourceRun
from stepstream.importers._names import derived_run_id, metric_name
from stepstream.importers._progress import Progress
from stepstream.importers._tfrecord import RecordError, Truncated, crc32c_py, frame, masked_crc, read_records
from stepstream.importers._wandb_log import BLOCK, HEADER, LogError, LogTruncated, read_log, write_log
from stepstream.importers.tensorboard import read_logdir


def key(num: int, wt: int) -> bytes:
    return bytes([(num << 3) | wt])


def ld(num: int, payload: bytes) -> bytes:
    assert len(payload) < 128 * 128
    n = len(payload)
    size = bytes([n]) if n < 128 else bytes([(n & 0x7F) | 0x80, n >> 7])
    return key(num, 2) + size + payload


def event(wall: float, step: int, values: List[bytes]) -> bytes:
    summary = b"".join(ld(1, v) for v in values)
    return key(1, 1) + struct.pack("<d", wall) + key(2, 0) + bytes([step]) + ld(5, summary)


def simple(tag: str, v: float) -> bytes:
    return ld(1, tag.encode()) + key(2, 5) + struct.pack("<f", v)


def tensor_scalar(tag: str, v: float) -> bytes:
    metadata = ld(1, ld(1, b"scalars"))
    tensor = key(1, 0) + bytes([2]) + ld(2, b"") + ld(4, struct.pack("<d", v))  # DT_DOUBLE, shape [], content
    return ld(1, tag.encode()) + ld(9, metadata) + ld(8, tensor)


def test_crc32c_and_masking() -> None:
    assert crc32c_py(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert masked_crc(b"") == ((0 >> 15 | 0 << 17) + 0xA282EAD8) & 0xFFFFFFFF


def test_tfrecord_framing_truncation_and_damage() -> None:
    recs = [b"a", b"", b"x" * 70000]
    data = b"".join(frame(r) for r in recs)
    assert list(read_records(io.BytesIO(data))) == recs
    got: List[bytes] = []
    with pytest.raises(Truncated):
        for r in read_records(io.BytesIO(data[:-3])):
            got.append(r)
    assert got == recs[:2]
    bad = bytearray(data)
    bad[12 + 1] ^= 0xFF  # the data of the first record
    with pytest.raises(RecordError):
        list(read_records(io.BytesIO(bytes(bad))))


def test_tensorboard_events_read_scalars_and_report_the_rest(tmp_path: Path) -> None:
    run_dir = tmp_path / "logs" / "a b"
    run_dir.mkdir(parents=True)
    image = ld(1, b"img") + ld(4, b"\x08\x01")
    evs = [key(3, 2) + b"\x0dbrain.Event:2"] + [event(1000.0 + s, s, [simple("loss", s / 2), tensor_scalar("lr", 0.1 * s), image]) for s in range(5)]
    (run_dir / "events.out.tfevents.1700000000.host.1.0").write_bytes(b"".join(frame(e) for e in evs) + frame(evs[1])[:5])
    (run, again) = list(read_logdir(tmp_path / "logs", Progress(quiet=True))) * 2
    assert run.name == "a b" and run.run_id.startswith("tb-a-b-") and run.run_id == again.run_id
    assert list(run.series[("loss", -1)].values) == [s / 2 for s in range(5)]
    assert list(run.series[("lr", -1)].values) == [0.1 * s for s in range(5)]
    assert list(run.series[("loss", -1)].times) == [1000_000 + 1000 * s for s in range(5)]
    assert run.skipped.counts["image"] == 5 and run.skipped.counts["partial last record (file still being written?)"] == 1


def test_wandb_log_framing_across_blocks() -> None:
    recs = [b"r%d" % i * 50 for i in range(200)] + [b"big" * 40000, b"", b"tail"]
    data = write_log(recs)
    assert data.startswith(HEADER) and len(data) > 3 * BLOCK
    assert list(read_log(io.BytesIO(data))) == recs
    with pytest.raises(LogTruncated):
        list(read_log(io.BytesIO(data[:-2])))
    with pytest.raises(LogError):
        list(read_log(io.BytesIO(b"PK\x03\x04" + data[4:])))
    bad = bytearray(data)
    bad[len(HEADER) + 7] ^= 0xFF
    with pytest.raises(LogError):
        list(read_log(io.BytesIO(bytes(bad))))


def test_names_are_valid_stable_and_distinct() -> None:
    taken: dict = {}
    assert metric_name("train/loss", taken) == "train/loss"
    assert metric_name("eval acc", taken) == "eval_acc"
    other = metric_name("eval:acc", taken)  # would be eval_acc too
    assert other != "eval_acc" and other.startswith("eval_acc-")
    assert len(metric_name("x" * 300, taken)) == 200
    assert derived_run_id("tb", "k1", "exp/run 1") == derived_run_id("tb", "k1", "exp/run 1") != derived_run_id("tb", "k2", "exp/run 1")


def make_run(points: int) -> SourceRun:
    run = SourceRun(kind="t", key="k", name="n", run_id="r", config={"lr": 0.1}, tags=["a"])
    for s in range(points):
        run.add("m%d" % (s % 3), s, s * 0.5, 1000 + s)
    run.add("neg", -1, 1.0, 0)
    run.add("huge", 1, 1e300, 0)
    return run


def encoded(run: SourceRun, batch_points: int = 1000) -> List[bytes]:
    series = sorted_series(run)
    content = content_digest(run, series)
    return [b for b, _ in requests("p", run, series, run_info(run, content, 0), client_id_for(run, content), 0, batch_points)]


def test_requests_are_the_same_bytes_on_every_import() -> None:
    a, b = encoded(make_run(5000)), encoded(make_run(5000))
    assert a == b and len(a) == 5
    reqs = [decode_request(x) for x in a]
    assert [r.sequence for r in reqs] == [1, 2, 3, 4, 5]
    assert reqs[0].run is not None and reqs[0].run.name == "n" and all(r.run is None for r in reqs[1:])
    assert sum(r.points for r in reqs) == 5000 and len({r.client_id for r in reqs}) == 1
    assert encoded(make_run(5001))[0] != a[0]  # another content: another client id
    assert make_run(1).skipped.counts == {"step out of range": 1, "value beyond 1e292": 1}
