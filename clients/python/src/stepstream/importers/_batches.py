"""A source run as requests: its columns in step order, a digest of its
content, its RunInfo, and the requests cut from it, each with an identity
derived from the source (client id: source key and content digest;
sequence: the request's place in the run), so importing the same run again
makes byte-identical requests the server stores once."""

import hashlib
import json
from array import array
from typing import Dict, Iterator, List, Optional, Tuple

from .._config import config_json
from .._cut import MAX_POINTS_PER_REQUEST, MAX_SERIES_PER_REQUEST
from .._proto import RunInfo, Series, VarintCache, encode_request
from ._model import Column, SourceRun
from ._names import digest
from ._server import META_ATTEMPT, META_DIGEST, META_SOURCE

MAX_TAGS, MAX_TAG_BYTES = 256, 256  # the server's bounds on run.tags
MAX_META, MAX_META_KEY, MAX_META_VALUE = 256, 256, 16 * 1024  # and on run.meta


def in_step_order(col: Column) -> Column:
    """The column sorted by step; points at the same step keep their source order."""
    steps = col.steps
    if all(steps[i] <= steps[i + 1] for i in range(len(steps) - 1)):
        return col
    order = sorted(range(len(steps)), key=steps.__getitem__)
    out = Column()
    out.steps = array("q", (steps[i] for i in order))
    out.values = array("d", (col.values[i] for i in order))
    out.times = array("q", (col.times[i] for i in order))
    return out


Columns = Dict[Tuple[str, int], Column]  # (metric, rank) -> points


def sorted_series(run: SourceRun) -> Columns:
    return {k: in_step_order(run.series[k]) for k in sorted(run.series)}


def counts_by_metric(series: Columns) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for (metric, _), col in series.items():
        if len(col):
            out[metric] = out.get(metric, 0) + len(col)
    return out


def content_digest(run: SourceRun, series: Columns) -> str:
    """A digest of everything an import sends of the run: equal digests,
    equal requests."""
    h = hashlib.sha256()
    info = [run.name, run.config, run.tags, int(run.status), run.started_ms, run.finished_ms, sorted(run.meta.items())]
    h.update(json.dumps(info, sort_keys=True, default=str).encode("utf-8"))
    for (metric, rank), col in series.items():
        h.update(b"\0%s\0%d\0%d\0" % (metric.encode("utf-8"), rank, len(col)))
        h.update(col.steps.tobytes())
        h.update(col.values.tobytes())
        h.update(col.times.tobytes())
    return h.hexdigest()[:24]


def run_info(run: SourceRun, content: str, attempt: int) -> RunInfo:
    """The run's metadata within the server's bounds; what does not fit is
    tallied in ``run.skipped`` (a config over 256 KiB is left out whole)."""
    try:
        cfg = config_json(run.config)
    except ValueError as e:
        run.skipped.add("config", str(e).replace("stepstream: ", ""))
        cfg = ""
    tags = []
    for t in run.tags:
        if len(tags) >= MAX_TAGS or len(t.encode("utf-8")) > MAX_TAG_BYTES:
            run.skipped.add("tag over the server's bounds", t[:40])
        else:
            tags.append(t)
    meta = {META_DIGEST: content, META_ATTEMPT: str(attempt)}
    if run.source:
        meta[META_SOURCE] = run.source[:MAX_META_VALUE]
    for k, v in sorted(run.meta.items()):
        if len(meta) >= MAX_META or len(k.encode("utf-8")) > MAX_META_KEY or len(v.encode("utf-8")) > MAX_META_VALUE:
            run.skipped.add("meta over the server's bounds", k[:40])
        else:
            meta[k] = v
    return RunInfo(
        name=run.name,
        config_json=cfg,
        tags=tags,
        status=run.status,
        started_ms=max(0, run.started_ms),
        finished_ms=max(0, run.finished_ms),
        meta=meta,
        # NOTE: a changed source is sent as a new attempt owning every step from 0,
        # so the run's effective history is the new import, exactly.
        resume_step=0 if attempt else None,
    )


def client_id_for(run: SourceRun, content: str) -> str:
    return "import-%s-%s-%s" % (run.kind, digest(run.key, 16), content)


def requests(
    project: str,
    run: SourceRun,
    series: Columns,
    info: RunInfo,
    client_id: str,
    attempt: int,
    batch_points: int,
) -> Iterator[Tuple[bytes, int]]:
    """``(encoded request, points)`` in order; the run info rides on the first."""
    limit = max(1, min(batch_points, MAX_POINTS_PER_REQUEST))
    sequence = 0
    first: Optional[RunInfo] = info
    group: List[Series] = []
    size = 0

    def flush() -> Tuple[bytes, int]:
        nonlocal sequence, first, group, size
        sequence += 1
        body = encode_request(project, run.run_id, group, first, client_id, sequence, VarintCache(), attempt=attempt)
        out = (body, size)
        first, group, size = None, [], 0
        return out

    for (metric, rank), col in series.items():
        start, n = 0, len(col)
        while start < n:
            take = min(n - start, limit - size)
            end = start + take
            times = col.times[start:end].tolist()
            if not any(times):  # a source without wall times: the server's receipt time
                times = []
            group.append(Series(metric, rank, col.steps[start:end].tolist(), col.values[start:end].tolist(), times))
            size += take
            start = end
            if size >= limit or len(group) >= MAX_SERIES_PER_REQUEST:
                yield flush()
    if group or first is not None:
        yield flush()
