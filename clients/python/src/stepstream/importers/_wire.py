"""Just enough of the protobuf wire format to read messages without their
generated classes: the fields of one message, varints, packed columns.
Used by the TensorBoard reader (Event / Summary / TensorProto)."""

import struct
from typing import Iterator, List, Tuple, Union

Buffer = Union[bytes, memoryview]

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a protobuf message."""


def read_varint(buf: Buffer, pos: int) -> Tuple[int, int]:
    result = shift = 0
    n = len(buf)
    while True:
        if pos >= n:
            raise WireError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint too long")


def fields(data: Buffer) -> Iterator[Tuple[int, int, object]]:
    """``(field number, wire type, value)`` of each field: an int for varint
    and fixed fields (fixed ones as their raw unsigned bits), a memoryview
    for length-delimited ones."""
    buf = memoryview(data)
    pos, n = 0, len(buf)
    while pos < n:
        key, pos = read_varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == VARINT:
            v, pos = read_varint(buf, pos)
            yield num, wt, v
        elif wt == FIXED64:
            if pos + 8 > n:
                raise WireError("truncated fixed64")
            yield num, wt, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        elif wt == LENGTH:
            size, pos = read_varint(buf, pos)
            if pos + size > n:
                raise WireError("truncated field %d" % num)
            yield num, wt, buf[pos : pos + size]
            pos += size
        elif wt == FIXED32:
            if pos + 4 > n:
                raise WireError("truncated fixed32")
            yield num, wt, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        else:
            raise WireError("wire type %d of field %d is not supported" % (wt, num))


def as_double(bits: int) -> float:
    return struct.unpack("<d", bits.to_bytes(8, "little"))[0]


def as_float(bits: int) -> float:
    return struct.unpack("<f", bits.to_bytes(4, "little"))[0]


def as_int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def packed_varints(buf: Buffer) -> List[int]:
    out, pos = [], 0
    while pos < len(buf):
        v, pos = read_varint(buf, pos)
        out.append(v)
    return out


def text(buf: object) -> str:
    assert isinstance(buf, memoryview)
    return bytes(buf).decode("utf-8", "replace")
