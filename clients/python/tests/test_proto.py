"""The encoder against the shared vectors (byte for byte) and its edge cases."""

import json
import math
import struct
from array import array
from pathlib import Path
from typing import Any, Dict

import pytest
from conftest import TESTDATA

from stepstream._proto import (
    IngestRequest,
    ProtoDecodeError,
    RunInfo,
    RunStatus,
    Series,
    decode_request,
    encode_request,
)
from stepstream._proto.encode import _varint

VECTORS = sorted(TESTDATA.glob("*.json")) if TESTDATA.is_dir() else []


def _num(v: Any) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v] if isinstance(v, str) else float(v)


def request_from_json(j: Dict[str, Any]) -> bytes:
    run = None
    if "run" in j:
        r = j["run"]
        run = RunInfo(
            name=r.get("name", ""),
            config_json=r.get("config_json", ""),
            tags=r.get("tags", []),
            status=RunStatus.parse(r.get("status", "RUN_STATUS_UNSPECIFIED")),
            started_ms=int(r.get("started_ms", "0")),
            finished_ms=int(r.get("finished_ms", "0")),
            meta=r.get("meta"),
            resume_step=int(r["resume_step"]) if "resume_step" in r else None,
            fork_of=r.get("fork_of", ""),
            fork_step=int(r.get("fork_step", "0")),
        )
    series = [
        Series(
            s["metric"],
            s.get("rank", 0),
            [int(x) for x in s.get("steps", [])],
            [_num(x) for x in s.get("values", [])],
            [int(x) for x in s.get("time_ms", [])],
        )
        for s in j.get("series", [])
    ]
    return encode_request(
        j["project"], j["run_id"], series, run, j.get("client_id", ""), int(j.get("sequence", "0")), attempt=j.get("attempt", 0)
    )


def test_vectors_are_present() -> None:
    if not TESTDATA.is_dir():
        pytest.skip("proto/testdata not found at %s (set STEPSTREAM_TESTDATA)" % TESTDATA)
    assert len(VECTORS) >= 4


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector_byte_for_byte(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    expected = path.with_suffix(".bin").read_bytes()
    got = request_from_json(doc["request"])
    assert got.hex() == expected.hex()


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector_decodes_and_reencodes(path: Path) -> None:
    raw = path.with_suffix(".bin").read_bytes()
    req = decode_request(raw)
    doc = json.loads(path.read_text(encoding="utf-8"))["request"]
    assert req.project == doc["project"] and req.run_id == doc["run_id"]
    assert req.sequence == int(doc.get("sequence", "0"))
    assert req.attempt == doc.get("attempt", 0)
    if "run" in doc:
        run = doc["run"]
        # resume_step is optional on the wire: present at 0 is not absent
        assert req.run is not None and req.run.resume_step == (int(run["resume_step"]) if "resume_step" in run else None)
        assert (req.run.fork_of, req.run.fork_step) == (run.get("fork_of", ""), int(run.get("fork_step", "0")))
    assert [s.rank for s in req.series] == [s.get("rank", 0) for s in doc.get("series", [])]
    assert req.encode() == raw


@pytest.mark.parametrize(
    "value,hexed",
    [
        (0, "00"),
        (1, "01"),
        (127, "7f"),
        (128, "8001"),
        (300, "ac02"),
        (16383, "ff7f"),
        (16384, "808001"),
        (2097151, "ffff7f"),
        (2097152, "80808001"),
        (268435455, "ffffff7f"),
        (268435456, "8080808001"),
        (2**35 - 1, "ffffffff7f"),
        (2**35, "808080808001"),
        (1767225600000, "80d0eab6b733"),
        (2**42 - 1, "ffffffffff7f"),
        (2**42, "80808080808001"),
        (2**53 - 1, "ffffffffffffff0f"),
        (2**64 - 1, "ffffffffffffffffff01"),
        (-1, "ffffffffffffffffff01"),
        (-2, "feffffffffffffffff01"),
    ],
)
def test_varint(value: int, hexed: str) -> None:
    assert _varint(value).hex() == hexed


def _reference_varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def test_varint_matches_reference_across_sizes() -> None:
    for bits in range(0, 64):
        for v in (1 << bits, (1 << bits) - 1, (1 << bits) + 1, 3 << bits >> 1):
            if v < 1 << 64:
                assert _varint(v) == _reference_varint(v), v


def test_defaults_are_omitted() -> None:
    assert encode_request("", "", []) == b""
    # rank 0 and empty columns are absent; a present run is written even if empty
    assert encode_request("p", "r", [Series("m", 0, [], [])], RunInfo()) == bytes.fromhex(
        "0a0170" "120172" "1a00" "2203" "0a016d"
    )


def test_negative_rank_is_ten_bytes() -> None:
    raw = encode_request("p", "r", [Series("m", -1, [1], [1.0])])
    assert bytes.fromhex("10ffffffffffffffffff01") in raw
    assert decode_request(raw).series[0].rank == -1


def test_nan_is_canonical_quiet_nan() -> None:
    neg_nan = struct.unpack("<d", bytes.fromhex("000000000000f8ff"))[0]
    payload_nan = struct.unpack("<d", bytes.fromhex("010000000000f87f"))[0]
    raw = encode_request("p", "r", [Series("m", 1, [0, 1, 2, 3], [neg_nan, payload_nan, math.inf, -math.inf])])
    assert raw.count(bytes.fromhex("000000000000f87f")) == 2
    assert bytes.fromhex("000000000000f0ff") in raw and bytes.fromhex("000000000000f07f") in raw
    assert bytes.fromhex("000000000000f8ff") not in raw


def test_plus_and_minus_inf_without_nan_are_kept() -> None:
    raw = encode_request("p", "r", [Series("m", 1, [0, 1], [math.inf, -math.inf])])
    s = decode_request(raw).series[0]
    assert s.values == [math.inf, -math.inf]


def test_values_accept_arrays_and_ints() -> None:
    a = encode_request("p", "r", [Series("m", 2, array("q", [1, 2]), array("d", [1.0, 2.0]), [5, 6])])
    b = encode_request("p", "r", [Series("m", 2, [1, 2], [1, 2], (5, 6))])
    assert a == b


def test_roundtrip_large_request() -> None:
    series = [
        Series("loss/%d" % i, i - 1, list(range(10**6, 10**6 + 500)), [x * 0.5 for x in range(500)], [1767225600000 + x for x in range(500)])
        for i in range(5)
    ]
    info = RunInfo("n", '{"a":1}', ["t1", ""], RunStatus.FAILED, 1, 2, {"b": "2", "a": ""})
    raw = encode_request("proj", "run", series, info, "cid", 2**63 + 5)
    back = decode_request(raw)
    assert back.series == series
    assert back.run == info
    assert back.sequence == 2**63 + 5
    assert back.points == 2500


def test_decode_rejects_garbage() -> None:
    with pytest.raises(ProtoDecodeError):
        decode_request(b"\x0a\x05ab")
    with pytest.raises(ProtoDecodeError):
        decode_request(b"\x0a\x02\xff\xfe")


def test_run_status_parse() -> None:
    assert RunStatus.parse("finished") == 2
    assert RunStatus.parse("CRASHED") == 4
    assert RunStatus.parse(3) == 3
    with pytest.raises(ValueError):
        RunStatus.parse("done")


def test_ingest_request_encode_method() -> None:
    req = IngestRequest("p", "r", None, [Series("m", 3, [1], [2.0])], "c", 9)
    assert decode_request(req.encode()).client_id == "c"


def test_lineage_fields_roundtrip_and_attempt_bounds() -> None:
    info = RunInfo("n", resume_step=0, fork_of="parent", fork_step=2**53 - 1)
    raw = encode_request("p", "r", [Series("m", 0, [5], [1.0])], info, "c", 1, attempt=2**32 - 1)
    back = decode_request(raw)
    assert (back.attempt, back.run) == (2**32 - 1, info)
    assert back.encode() == raw
    # resume_step 0 is written (field 8, value 0); None is not
    assert b"\x40\x00" in encode_request("p", "r", [], RunInfo(resume_step=0))
    assert encode_request("p", "r", [], RunInfo()) == encode_request("p", "r", [], RunInfo(resume_step=None))
    for bad in (-1, 2**32):
        with pytest.raises(ValueError, match="attempt must fit in uint32"):
            encode_request("p", "r", [], attempt=bad)


def test_a_split_keeps_the_attempt_in_both_halves_and_the_lineage_in_the_first() -> None:
    from stepstream._batch import split_body

    info = RunInfo("n", resume_step=7, fork_of="f", fork_step=3)
    raw = encode_request("p", "r", [Series("a", 0, [7, 8], [1.0, 2.0]), Series("b", 0, [7], [3.0])], info, "c", 4, attempt=5)
    halves = split_body(raw, False)
    assert halves is not None
    first, second = (decode_request(h) for h in halves)
    assert (first.attempt, second.attempt) == (5, 5)
    assert (first.run, second.run) == (info, None)
    assert (first.client_id, second.client_id, first.sequence) == ("c~0", "c~1", 4)
