"""TFRecord framing, as TensorBoard event files use it::

    uint64 length (little-endian) | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)

Pure Python, with the CRC checked on both the length and the data (the
``crc32c`` package is used for the data when installed: much faster).
A file still being written may end in a partial record: reading stops
there, and the reader is told how many bytes were left."""

import struct
from typing import BinaryIO, Callable, Iterator, List

_MASK_DELTA = 0xA282EAD8
_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected


def _table() -> List[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _table()


def crc32c_py(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _fast_crc() -> Callable[[bytes], int]:
    try:
        import crc32c  # type: ignore[import-not-found]

        return crc32c.crc32c  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return crc32c_py


crc32c = _fast_crc()


def masked_crc(data: bytes, crc: Callable[[bytes], int] = crc32c) -> int:
    c = crc(data)
    return (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One record, framed (for writing test files)."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


class RecordError(ValueError):
    """A record whose CRC does not match: the file is damaged from here on."""


class Truncated(Exception):
    def __init__(self, offset: int, left: int) -> None:
        super().__init__("partial record at byte %d (%d bytes left)" % (offset, left))
        self.offset = offset
        self.left = left


def read_records(f: BinaryIO, check_data: bool = True) -> Iterator[bytes]:
    """The records of a file; raises Truncated at a partial last record and
    RecordError at a damaged one (after yielding every good record before it)."""
    offset = 0
    while True:
        head = f.read(12)
        if not head:
            return
        if len(head) < 12:
            raise Truncated(offset, len(head))
        (length,) = struct.unpack_from("<Q", head)
        (length_crc,) = struct.unpack_from("<I", head, 8)
        if masked_crc(head[:8], crc32c_py) != length_crc:
            raise RecordError("bad length checksum at byte %d" % offset)
        body = f.read(length + 4)
        if len(body) < length + 4:
            raise Truncated(offset, 12 + len(body))
        data = body[:length]
        if check_data and masked_crc(data) != struct.unpack_from("<I", body, length)[0]:
            raise RecordError("bad data checksum in the record at byte %d" % offset)
        yield data
        offset += 12 + length + 4
