"""What one cut of the column buffers becomes: series grouped into requests
of at most batch_points points, below the server's bounds on one request."""

from typing import Dict, Iterator, List, Optional, Tuple

from ._proto import RunInfo, Series

# The server's bounds on one request (proto/src/limits.ts): batches are cut
# below them, whatever batch_points says.
MAX_SERIES_PER_REQUEST = 10_000
MAX_POINTS_PER_REQUEST = 1_000_000

# (metric -> (steps, values)), (step -> time_ms), run info to upsert or None
Snapshot = Tuple[Dict[str, Tuple[List[int], List[float]]], Dict[int, int], Optional[RunInfo]]


def group_series(
    cols: Dict[str, Tuple[List[int], List[float]]],
    times: Dict[int, int],
    run_info: Optional[RunInfo],
    rank: int,
    batch_points: int,
) -> Iterator[Tuple[List[Series], bool]]:
    """Series grouped into requests of at most batch_points points (and
    the server's bounds on points and series), each with whether the run
    info rides on it: on the first request (or alone if there are no points)."""
    tget = times.__getitem__
    limit = max(1, min(batch_points, MAX_POINTS_PER_REQUEST))
    group: List[Series] = []
    size = 0
    first = True
    for metric, (steps, values) in cols.items():
        n = len(steps)
        start = 0
        while start < n:
            take = min(n - start, limit - size)
            st = steps[start : start + take] if (start or take < n) else steps
            va = values[start : start + take] if (start or take < n) else values
            group.append(Series(metric, rank, st, va, list(map(tget, st))))
            size += take
            start += take
            if size >= limit or len(group) >= MAX_SERIES_PER_REQUEST:
                yield group, first and run_info is not None
                first = False
                group, size = [], 0
    if group or first and run_info is not None:
        yield group, first and run_info is not None
