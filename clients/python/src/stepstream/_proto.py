"""Hand-written encoder and decoder for ``stepstream.v1.IngestRequest``.

The wire contract is ``proto/stepstream/v1/ingest.proto``; the canonical
encoding rules (field order, proto3 defaults omitted, packed columns, quiet
NaN) are in ``proto/testdata/README.md``, and the test suite checks this
module against the shared vectors byte for byte.

Pure Python with no dependency: the hot spots are the packed columns, which
go through C-speed paths (``struct.pack`` for doubles, ``bytes.join`` over a
varint cache for steps and times, which repeat across the series of a batch).
"""

import enum
import struct
import sys
from array import array
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "RunStatus",
    "Series",
    "RunInfo",
    "IngestRequest",
    "encode_request",
    "decode_request",
    "ProtoDecodeError",
]

_U64 = (1 << 64) - 1
_BIG_ENDIAN = sys.byteorder == "big"
_QUIET_NAN = struct.unpack("<d", b"\x00\x00\x00\x00\x00\x00\xf8\x7f")[0]


class RunStatus(enum.IntEnum):
    """The ``RunStatus`` enum of the protocol."""

    UNSPECIFIED = 0
    RUNNING = 1
    FINISHED = 2
    FAILED = 3
    CRASHED = 4

    @classmethod
    def parse(cls, status: Union[int, str]) -> "RunStatus":
        """A status from its number or its name (any case, with or without
        the ``RUN_STATUS_`` prefix)."""
        if isinstance(status, int) and not isinstance(status, bool):
            if 0 <= status <= 4:
                return cls(status)
        elif isinstance(status, str):
            key = status.upper()
            key = key[len("RUN_STATUS_"):] if key.startswith("RUN_STATUS_") else key
            if key in cls.__members__:
                return cls[key]
        raise ValueError(
            "run status must be one of running, finished, failed, crashed; got %r" % (status,)
        )


class Series:
    """Points of one metric on one rank (columnar)."""

    __slots__ = ("metric", "rank", "steps", "values", "time_ms")

    def __init__(
        self,
        metric: str,
        rank: int = -1,
        steps: Sequence[int] = (),
        values: Sequence[float] = (),
        time_ms: Sequence[int] = (),
    ) -> None:
        self.metric = metric
        self.rank = rank
        self.steps = steps
        self.values = values
        self.time_ms = time_ms

    def __repr__(self) -> str:
        return "Series(metric=%r, rank=%r, points=%d)" % (self.metric, self.rank, len(self.steps))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Series):
            return NotImplemented
        return (
            self.metric == other.metric
            and self.rank == other.rank
            and list(self.steps) == list(other.steps)
            and _same_floats(self.values, other.values)
            and list(self.time_ms) == list(other.time_ms)
        )


class RunInfo:
    """Run metadata upsert (sent by rank 0)."""

    __slots__ = ("name", "config_json", "tags", "status", "started_ms", "finished_ms", "meta")

    def __init__(
        self,
        name: str = "",
        config_json: str = "",
        tags: Sequence[str] = (),
        status: int = RunStatus.UNSPECIFIED,
        started_ms: int = 0,
        finished_ms: int = 0,
        meta: Union[Mapping[str, str], Sequence[Tuple[str, str]], None] = None,
    ) -> None:
        self.name = name
        self.config_json = config_json
        self.tags = list(tags)
        self.status = status
        self.started_ms = started_ms
        self.finished_ms = finished_ms
        if meta is None:
            self.meta: List[Tuple[str, str]] = []
        elif isinstance(meta, Mapping):
            self.meta = list(meta.items())
        else:
            self.meta = list(meta)

    def __repr__(self) -> str:
        return "RunInfo(name=%r, status=%r)" % (self.name, self.status)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunInfo):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)


class IngestRequest:
    """A decoded request (what :func:`decode_request` returns)."""

    __slots__ = ("project", "run_id", "run", "series", "client_id", "sequence")

    def __init__(
        self,
        project: str = "",
        run_id: str = "",
        run: Optional[RunInfo] = None,
        series: Optional[List[Series]] = None,
        client_id: str = "",
        sequence: int = 0,
    ) -> None:
        self.project = project
        self.run_id = run_id
        self.run = run
        self.series = series if series is not None else []
        self.client_id = client_id
        self.sequence = sequence

    def encode(self) -> bytes:
        return encode_request(
            self.project, self.run_id, self.series, self.run, self.client_id, self.sequence
        )

    @property
    def points(self) -> int:
        return sum(len(s.steps) for s in self.series)

    def __repr__(self) -> str:
        return "IngestRequest(project=%r, run_id=%r, client_id=%r, sequence=%r, series=%d, run=%r)" % (
            self.project,
            self.run_id,
            self.client_id,
            self.sequence,
            len(self.series),
            self.run,
        )


def _same_floats(a: Iterable[float], b: Iterable[float]) -> bool:
    a, b = list(a), list(b)
    if len(a) != len(b):
        return False
    return all(x == y or (x != x and y != y) for x, y in zip(a, b))


# ---------------------------------------------------------------- encoding


def _varint(v: int) -> bytes:
    """Varint of an int64/uint64 (negative numbers sign-extended to 64 bits)."""
    # NOTE: unrolled for the sizes steps (1-4 bytes) and millisecond times
    # (6 bytes) take; this runs once per distinct value in a batch.
    if v < 0:
        v &= _U64
    if v < 0x80:
        return _SMALL[v]
    if v < 0x4000:
        return bytes(((v & 0x7F) | 0x80, v >> 7))
    if v < 0x200000:
        return bytes(((v & 0x7F) | 0x80, ((v >> 7) & 0x7F) | 0x80, v >> 14))
    if v < 0x10000000:
        return bytes(((v & 0x7F) | 0x80, ((v >> 7) & 0x7F) | 0x80, ((v >> 14) & 0x7F) | 0x80, v >> 21))
    if 0x800000000 <= v < 0x40000000000:
        return bytes(
            (
                (v & 0x7F) | 0x80,
                ((v >> 7) & 0x7F) | 0x80,
                ((v >> 14) & 0x7F) | 0x80,
                ((v >> 21) & 0x7F) | 0x80,
                ((v >> 28) & 0x7F) | 0x80,
                v >> 35,
            )
        )
    out = bytearray()
    while v > 0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


_SMALL = [bytes((i,)) for i in range(0x80)]


class _VarintCache(dict):
    """``cache[v]`` is the varint of ``v``; steps and times repeat across the
    series of one batch, so most look-ups are hits served at C speed."""

    def __missing__(self, v: int) -> bytes:
        b = self[v] = _varint(v)
        return b


def _packed_varints(values: Sequence[int], cache: _VarintCache) -> bytes:
    return b"".join(map(cache.__getitem__, values))


def _packed_doubles(values: Sequence[float]) -> bytes:
    vals = values if isinstance(values, (list, tuple)) else list(values)
    # NOTE: NaNs arrive with whatever payload and sign the producer gave them
    # (numpy's 0*inf is 0xFFF8...); the canonical encoding is the quiet NaN
    # 0x7FF8000000000000. A sum is NaN iff some value is NaN (or +inf and
    # -inf are both there), so one C-speed sum rules NaN out in the common case.
    total = sum(vals)
    if total != total:
        vals = [_QUIET_NAN if v != v else v for v in vals]
    return struct.pack("<%dd" % len(vals), *vals)


def _field_bytes(out: List[bytes], tag: int, payload: bytes) -> None:
    out.append(bytes((tag,)))
    out.append(_varint(len(payload)))
    out.append(payload)


def _field_str(out: List[bytes], tag: int, s: str) -> None:
    if s:
        _field_bytes(out, tag, s.encode("utf-8"))


def _field_varint(out: List[bytes], tag: int, v: int) -> None:
    if v:
        out.append(bytes((tag,)))
        out.append(_varint(v))


def encode_series(s: Series, cache: Optional[_VarintCache] = None) -> bytes:
    if cache is None:
        cache = _VarintCache()
    out: List[bytes] = []
    _field_str(out, 0x0A, s.metric)
    _field_varint(out, 0x10, s.rank)
    if len(s.steps):
        _field_bytes(out, 0x1A, _packed_varints(s.steps, cache))
    if len(s.values):
        _field_bytes(out, 0x22, _packed_doubles(s.values))
    if len(s.time_ms):
        _field_bytes(out, 0x2A, _packed_varints(s.time_ms, cache))
    return b"".join(out)


def encode_run_info(r: RunInfo) -> bytes:
    out: List[bytes] = []
    _field_str(out, 0x0A, r.name)
    _field_str(out, 0x12, r.config_json)
    for t in r.tags:
        # repeated strings are written even when empty (they are list items)
        _field_bytes(out, 0x1A, t.encode("utf-8"))
    _field_varint(out, 0x20, r.status)
    _field_varint(out, 0x28, r.started_ms)
    _field_varint(out, 0x30, r.finished_ms)
    for k, v in r.meta:
        entry: List[bytes] = []
        _field_bytes(entry, 0x0A, k.encode("utf-8"))
        _field_bytes(entry, 0x12, v.encode("utf-8"))
        _field_bytes(out, 0x3A, b"".join(entry))
    return b"".join(out)


def encode_request(
    project: str,
    run_id: str,
    series: Iterable[Series] = (),
    run: Optional[RunInfo] = None,
    client_id: str = "",
    sequence: int = 0,
    varint_cache: Optional[_VarintCache] = None,
) -> bytes:
    """Encode one ``IngestRequest`` canonically (see proto/testdata/README.md).

    ``varint_cache`` may be shared by the requests cut from one buffer
    (their steps and times repeat); by default each request has its own."""
    out: List[bytes] = []
    _field_str(out, 0x0A, project)
    _field_str(out, 0x12, run_id)
    if run is not None:
        _field_bytes(out, 0x1A, encode_run_info(run))
    cache = _VarintCache() if varint_cache is None else varint_cache
    for s in series:
        _field_bytes(out, 0x22, encode_series(s, cache))
    _field_str(out, 0x2A, client_id)
    if sequence:
        if sequence < 0 or sequence > _U64:
            raise ValueError("sequence must fit in uint64")
        out.append(b"\x30")
        out.append(_varint(sequence))
    return b"".join(out)


# ---------------------------------------------------------------- decoding
# Used for splitting a batch the server found too large (413) and by tests;
# never on a hot path.


class ProtoDecodeError(ValueError):
    pass


def _read_varint(buf: memoryview, pos: int) -> Tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ProtoDecodeError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtoDecodeError("varint too long")


def _fields(data: Union[bytes, memoryview]) -> Iterable[Tuple[int, int, object]]:
    buf = memoryview(data)
    pos = 0
    n = len(buf)
    while pos < n:
        key, pos = _read_varint(buf, pos)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = _read_varint(buf, pos)
            yield field, wt, v
        elif wt == 2:
            ln, pos = _read_varint(buf, pos)
            if pos + ln > n:
                raise ProtoDecodeError("truncated field %d" % field)
            yield field, wt, buf[pos : pos + ln]
            pos += ln
        elif wt == 1:
            if pos + 8 > n:
                raise ProtoDecodeError("truncated fixed64")
            yield field, wt, bytes(buf[pos : pos + 8])
            pos += 8
        elif wt == 5:
            if pos + 4 > n:
                raise ProtoDecodeError("truncated fixed32")
            yield field, wt, bytes(buf[pos : pos + 4])
            pos += 4
        else:
            raise ProtoDecodeError("unsupported wire type %d" % wt)


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= (1 << 63) else v


def _unpack_varints(mv: object) -> List[int]:
    buf = memoryview(mv)  # type: ignore[arg-type]
    out = []
    pos = 0
    while pos < len(buf):
        v, pos = _read_varint(buf, pos)
        out.append(_signed64(v))
    return out


def _decode_series(data: memoryview) -> Series:
    s = Series("", 0, [], [], [])
    steps: List[int] = []
    values = array("d")
    times: List[int] = []
    for field, wt, v in _fields(data):
        if field == 1 and wt == 2:
            s.metric = bytes(v).decode("utf-8")  # type: ignore[arg-type]
        elif field == 2 and wt == 0:
            # int32: sign-extended on the wire, truncated to 32 bits on read
            s.rank = ((v + (1 << 31)) % (1 << 32)) - (1 << 31)  # type: ignore[operator]
        elif field == 3:
            steps.extend(_unpack_varints(v) if wt == 2 else [_signed64(v)])  # type: ignore[arg-type,list-item]
        elif field == 4:
            if wt == 2:
                chunk = array("d")
                chunk.frombytes(bytes(v))  # type: ignore[arg-type]
            else:
                chunk = array("d")
                chunk.frombytes(v)  # type: ignore[arg-type]
            if _BIG_ENDIAN:
                chunk.byteswap()
            values.extend(chunk)
        elif field == 5:
            times.extend(_unpack_varints(v) if wt == 2 else [_signed64(v)])  # type: ignore[arg-type,list-item]
    s.steps, s.values, s.time_ms = steps, list(values), times
    return s


def _decode_run_info(data: memoryview) -> RunInfo:
    r = RunInfo()
    for field, wt, v in _fields(data):
        if field == 1 and wt == 2:
            r.name = bytes(v).decode("utf-8")  # type: ignore[arg-type]
        elif field == 2 and wt == 2:
            r.config_json = bytes(v).decode("utf-8")  # type: ignore[arg-type]
        elif field == 3 and wt == 2:
            r.tags.append(bytes(v).decode("utf-8"))  # type: ignore[arg-type]
        elif field == 4 and wt == 0:
            r.status = v  # type: ignore[assignment]
        elif field == 5 and wt == 0:
            r.started_ms = _signed64(v)  # type: ignore[arg-type]
        elif field == 6 and wt == 0:
            r.finished_ms = _signed64(v)  # type: ignore[arg-type]
        elif field == 7 and wt == 2:
            key = value = ""
            for f2, _, v2 in _fields(v):  # type: ignore[arg-type]
                if f2 == 1:
                    key = bytes(v2).decode("utf-8")  # type: ignore[arg-type]
                elif f2 == 2:
                    value = bytes(v2).decode("utf-8")  # type: ignore[arg-type]
            r.meta.append((key, value))
    return r


def decode_request(data: bytes) -> IngestRequest:
    """Decode an ``IngestRequest`` (unknown fields are skipped)."""
    req = IngestRequest()
    try:
        for field, wt, v in _fields(data):
            if field == 1 and wt == 2:
                req.project = bytes(v).decode("utf-8")  # type: ignore[arg-type]
            elif field == 2 and wt == 2:
                req.run_id = bytes(v).decode("utf-8")  # type: ignore[arg-type]
            elif field == 3 and wt == 2:
                req.run = _decode_run_info(v)  # type: ignore[arg-type]
            elif field == 4 and wt == 2:
                req.series.append(_decode_series(v))  # type: ignore[arg-type]
            elif field == 5 and wt == 2:
                req.client_id = bytes(v).decode("utf-8")  # type: ignore[arg-type]
            elif field == 6 and wt == 0:
                req.sequence = v  # type: ignore[assignment]
    except UnicodeDecodeError as e:
        raise ProtoDecodeError("invalid UTF-8 in a string field") from e
    return req


def meta_dict(r: RunInfo) -> Dict[str, str]:
    return dict(r.meta)
