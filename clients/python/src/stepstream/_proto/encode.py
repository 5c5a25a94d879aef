"""The canonical encoder of ``IngestRequest`` (see proto/testdata/README.md).

The hot spots are the packed columns, which go through C-speed paths
(``struct.pack`` for doubles, ``bytes.join`` over a varint cache for steps
and times, which repeat across the series of a batch).
"""

import struct
from typing import Iterable, List, Optional, Sequence

from .messages import RunInfo, Series

_U64 = (1 << 64) - 1
_U32 = (1 << 32) - 1
_QUIET_NAN = struct.unpack("<d", b"\x00\x00\x00\x00\x00\x00\xf8\x7f")[0]


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


class VarintCache(dict):
    """``cache[v]`` is the varint of ``v``; steps and times repeat across the
    series of one batch, so most look-ups are hits served at C speed."""

    def __missing__(self, v: int) -> bytes:
        b = self[v] = _varint(v)
        return b


def _packed_varints(values: Sequence[int], cache: VarintCache) -> bytes:
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


def encode_series(s: Series, cache: Optional[VarintCache] = None) -> bytes:
    if cache is None:
        cache = VarintCache()
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
    if r.resume_step is not None:  # optional in the proto: 0 is written, None is not
        out.append(b"\x40")
        out.append(_varint(r.resume_step))
    _field_str(out, 0x4A, r.fork_of)
    _field_varint(out, 0x50, r.fork_step)
    return b"".join(out)


def encode_request(
    project: str,
    run_id: str,
    series: Iterable[Series] = (),
    run: Optional[RunInfo] = None,
    client_id: str = "",
    sequence: int = 0,
    varint_cache: Optional[VarintCache] = None,
    attempt: int = 0,
) -> bytes:
    """Encode one ``IngestRequest`` canonically (see proto/testdata/README.md).
    ``attempt`` is the attempt of the run the points belong to (a uint32).

    ``varint_cache`` may be shared by the requests cut from one buffer
    (their steps and times repeat); by default each request has its own."""
    out: List[bytes] = []
    _field_str(out, 0x0A, project)
    _field_str(out, 0x12, run_id)
    if run is not None:
        _field_bytes(out, 0x1A, encode_run_info(run))
    cache = VarintCache() if varint_cache is None else varint_cache
    for s in series:
        _field_bytes(out, 0x22, encode_series(s, cache))
    _field_str(out, 0x2A, client_id)
    if sequence:
        if sequence < 0 or sequence > _U64:
            raise ValueError("sequence must fit in uint64")
        out.append(b"\x30")
        out.append(_varint(sequence))
    if attempt:
        if attempt < 0 or attempt > _U32:
            raise ValueError("attempt must fit in uint32")
        out.append(b"\x38")
        out.append(_varint(attempt))
    return b"".join(out)
