"""One encoded request on its way to the server: the Batch, its gzip, and
its split in halves when the server finds it too large (413)."""

import gzip
from pathlib import Path
from typing import Optional, Tuple

from ._proto import Series, decode_request, encode_request
from ._spool import batch_name


def gzip_body(body: bytes) -> bytes:
    # level 1: floats barely compress anyway; steps and times (repetitive
    # varints) shrink well already at the fastest level.
    return gzip.compress(body, compresslevel=1, mtime=0)


def gunzip_body(body: bytes) -> bytes:
    return gzip.decompress(body)


class Batch:
    """One encoded request, in memory and/or in the spool."""

    __slots__ = ("sequence", "split", "body", "gzipped", "points", "path")

    def __init__(
        self,
        sequence: int,
        split: str,
        body: Optional[bytes],
        gzipped: bool,
        points: int = -1,
        path: Optional[Path] = None,
    ) -> None:
        self.sequence = sequence
        self.split = split
        self.body = body
        self.gzipped = gzipped
        self.points = points  # -1: unknown (read back from the spool)
        self.path = path

    @property
    def key(self) -> Tuple[int, str]:
        return (self.sequence, self.split)

    @property
    def name(self) -> str:
        return batch_name(self.sequence, self.split, self.gzipped)

    def __lt__(self, other: "Batch") -> bool:
        return self.key < other.key

    def load(self) -> bytes:
        if self.body is None:
            assert self.path is not None
            with open(self.path, "rb") as f:
                return f.read()
        return self.body


def split_body(body: bytes, gzipped: bool) -> Optional[Tuple[bytes, bytes]]:
    """The two halves of a batch the server found too large, each with its own
    deterministic identity (``client_id~0`` / ``client_id~1``, same sequence),
    so splitting the same batch again after a crash yields the same requests.
    None if the batch cannot be split (a single point)."""
    req = decode_request(gunzip_body(body) if gzipped else body)
    series = [s for s in req.series if len(s.steps)]
    if len(series) >= 2:
        mid = len(series) // 2
        parts = (series[:mid], series[mid:])
    elif len(series) == 1 and len(series[0].steps) >= 2:
        s = series[0]
        mid = len(s.steps) // 2
        times = list(s.time_ms)

        def cut(a: int, b: int) -> Series:
            return Series(s.metric, s.rank, s.steps[a:b], s.values[a:b], times[a:b] if times else [])

        parts = ([cut(0, mid)], [cut(mid, len(s.steps))])
    else:
        return None
    halves = []
    for i, part in enumerate(parts):
        raw = encode_request(
            req.project,
            req.run_id,
            part,
            req.run if i == 0 else None,
            "%s~%d" % (req.client_id, i) if req.client_id else "",
            req.sequence,
            attempt=req.attempt,  # both halves are points of the same attempt
        )
        halves.append(gzip_body(raw) if gzipped else raw)
    return halves[0], halves[1]
