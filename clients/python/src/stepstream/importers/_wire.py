"""Just enough of the protobuf wire format to read messages without their
generated classes: the fields of one message, varints, packed columns.
Used by the TensorBoard reader (Event / Summary / TensorProto)."""

import struct
from typing import List, Union

from .._proto.decode import ProtoDecodeError, fields, read_varint

__all__ = ["FIXED32", "FIXED64", "LENGTH", "VARINT", "WireError", "as_double", "as_float", "as_int64", "fields", "packed_varints", "text"]

Buffer = Union[bytes, memoryview]

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


# The client's own protobuf reader: a field's value is an int for varints,
# its bytes for fixed and length-delimited ones.
WireError = ProtoDecodeError


def as_double(raw: bytes) -> float:
    return struct.unpack("<d", raw)[0]


def as_float(raw: bytes) -> float:
    return struct.unpack("<f", raw)[0]


def as_int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def packed_varints(buf: Buffer) -> List[int]:
    out, pos = [], 0
    while pos < len(buf):
        v, pos = read_varint(buf, pos)
        out.append(v)
    return out


def text(buf: object) -> str:
    assert isinstance(buf, (bytes, memoryview))
    return bytes(buf).decode("utf-8", "replace")
