"""The framing of W&B's ``.wandb`` run log (what the ``wandb`` package
writes for an offline run), read with the stdlib.

The file starts with a 7-byte header (``:W&B``, magic 0xBEE1 little-endian,
version 0). After it, LevelDB's log format in 32 KiB blocks (the header
counts in the first block): each chunk is ``crc32 (4, LE) | length (2, LE) |
type (1)`` then ``length`` bytes, the CRC being zlib's CRC-32 of the type
byte and the data. Type 1 is a whole record, 2/3/4 its first, middle and
last pieces; a block's last bytes too few for a chunk header are zero
padding. Each record is one protobuf ``wandb.internal.Record``."""

import struct
import zlib
from typing import BinaryIO, Iterator, List

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK = 32 * 1024
CHUNK_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


class LogError(ValueError):
    """Not a .wandb file, or damaged from here on."""


class LogTruncated(Exception):
    """The file ends inside a record (the run was killed, or is still being written)."""


def read_log(f: BinaryIO) -> Iterator[bytes]:
    data = f.read()
    if not data.startswith(HEADER[:4]):
        raise LogError("not a .wandb file (no :W&B header)")
    if data[:7] != HEADER:
        raise LogError("unknown .wandb header %r" % data[:7])
    pos, n = len(HEADER), len(data)
    pieces: List[bytes] = []
    while pos < n:
        left_in_block = BLOCK - pos % BLOCK
        if left_in_block < CHUNK_HEADER:
            pos += left_in_block  # padding
            continue
        if pos + CHUNK_HEADER > n:
            if data[pos:].strip(b"\0"):
                raise LogTruncated("a partial chunk header at byte %d" % pos)
            return
        crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if crc == 0 and length == 0 and kind == 0:  # zero fill at the end of a block
            pos += left_in_block
            continue
        start = pos + CHUNK_HEADER
        if start + length > n:
            raise LogTruncated("a record cut at byte %d" % pos)
        chunk = data[start : start + length]
        if zlib.crc32(bytes((kind,)) + chunk) != crc:
            raise LogError("bad checksum in the chunk at byte %d" % pos)
        pos = start + length
        if kind == FULL:
            yield chunk
        elif kind == FIRST:
            pieces = [chunk]
        elif kind == MIDDLE and pieces:
            pieces.append(chunk)
        elif kind == LAST and pieces:
            pieces.append(chunk)
            yield b"".join(pieces)
            pieces = []
        else:
            raise LogError("chunk type %d out of place at byte %d" % (kind, pos))
    if pieces:
        raise LogTruncated("the last record is incomplete")


def write_log(records: List[bytes]) -> bytes:
    """Records framed as above (for tests: files of known content)."""
    out = bytearray(HEADER)
    for rec in records:
        first = True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < CHUNK_HEADER:
                out += b"\0" * left
                continue
            room = left - CHUNK_HEADER
            piece, rec = rec[:room], rec[room:]
            kind = (FULL if not rec else FIRST) if first else (LAST if not rec else MIDDLE)
            out += struct.pack("<IHB", zlib.crc32(bytes((kind,)) + piece), len(piece), kind) + piece
            first = False
            if not rec:
                break
    return bytes(out)
