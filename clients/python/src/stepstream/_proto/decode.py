"""The decoder of ``IngestRequest``. Used for splitting a batch the server
found too large (413) and by tests; never on a hot path."""

import sys
from array import array
from typing import Iterable, List, Optional, Tuple, Union

from .encode import encode_request
from .messages import RunInfo, Series

_BIG_ENDIAN = sys.byteorder == "big"


class ProtoDecodeError(ValueError):
    pass


class IngestRequest:
    """A decoded request (what :func:`decode_request` returns)."""

    __slots__ = ("project", "run_id", "run", "series", "client_id", "sequence", "attempt")

    def __init__(
        self,
        project: str = "",
        run_id: str = "",
        run: Optional[RunInfo] = None,
        series: Optional[List[Series]] = None,
        client_id: str = "",
        sequence: int = 0,
        attempt: int = 0,
    ) -> None:
        self.project = project
        self.run_id = run_id
        self.run = run
        self.series = series if series is not None else []
        self.client_id = client_id
        self.sequence = sequence
        self.attempt = attempt

    def encode(self) -> bytes:
        return encode_request(
            self.project, self.run_id, self.series, self.run, self.client_id, self.sequence, attempt=self.attempt
        )

    @property
    def points(self) -> int:
        return sum(len(s.steps) for s in self.series)

    def __repr__(self) -> str:
        return "IngestRequest(project=%r, run_id=%r, client_id=%r, sequence=%r, attempt=%r, series=%d, run=%r)" % (
            self.project,
            self.run_id,
            self.client_id,
            self.sequence,
            self.attempt,
            len(self.series),
            self.run,
        )


def read_varint(buf: memoryview, pos: int) -> Tuple[int, int]:
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


def fields(data: Union[bytes, memoryview]) -> Iterable[Tuple[int, int, object]]:
    buf = memoryview(data)
    pos = 0
    n = len(buf)
    while pos < n:
        key, pos = read_varint(buf, pos)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = read_varint(buf, pos)
            yield field, wt, v
        elif wt == 2:
            ln, pos = read_varint(buf, pos)
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
        v, pos = read_varint(buf, pos)
        out.append(_signed64(v))
    return out


def _decode_series(data: memoryview) -> Series:
    s = Series("", 0, [], [], [])
    steps: List[int] = []
    values = array("d")
    times: List[int] = []
    for field, wt, v in fields(data):
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
    for field, wt, v in fields(data):
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
            for f2, _, v2 in fields(v):  # type: ignore[arg-type]
                if f2 == 1:
                    key = bytes(v2).decode("utf-8")  # type: ignore[arg-type]
                elif f2 == 2:
                    value = bytes(v2).decode("utf-8")  # type: ignore[arg-type]
            r.meta.append((key, value))
        elif field == 8 and wt == 0:
            r.resume_step = _signed64(v)  # type: ignore[arg-type]
        elif field == 9 and wt == 2:
            r.fork_of = bytes(v).decode("utf-8")  # type: ignore[arg-type]
        elif field == 10 and wt == 0:
            r.fork_step = _signed64(v)  # type: ignore[arg-type]
    return r


def decode_request(data: bytes) -> IngestRequest:
    """Decode an ``IngestRequest`` (unknown fields are skipped)."""
    req = IngestRequest()
    try:
        for field, wt, v in fields(data):
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
            elif field == 7 and wt == 0:
                req.attempt = v & 0xFFFFFFFF  # type: ignore[operator]
    except UnicodeDecodeError as e:
        raise ProtoDecodeError("invalid UTF-8 in a string field") from e
    return req
