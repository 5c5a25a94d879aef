"""A run's downsampled history: the dashboard's buckets (POST
/v1/projects/:p/series), every (metric, rank) series of the run or those
asked for, one row per bucket."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._columns import Columns, frame, number
from ._http import ApiError, Http, path, query_string

#: Series one POST .../series reads at most, and buckets (series × points) one answers: the server's limits.
MAX_BATCH_QUERIES = 200
MAX_BATCH_BUCKETS = 1_000_000
#: The server's default point budget (--query-points), assumed when ``points`` is not given.
DEFAULT_POINTS = 1000

BUCKET_COLUMNS = ("min", "max", "mean", "first", "last", "count", "nonfinite")


def batches(queries: List[Dict[str, Any]], points: Optional[int]) -> List[List[Dict[str, Any]]]:
    """The queries in requests within the server's limits."""
    per = max(1, min(MAX_BATCH_QUERIES, MAX_BATCH_BUCKETS // (points or DEFAULT_POINTS)))
    return [queries[i:i + per] for i in range(0, len(queries), per)]


def history(http: Http, project: str, run: str, series: Sequence[Tuple[str, int]], points: Optional[int], x: str,
            missing_ok: bool) -> Any:
    """``series``: the (metric, rank) pairs to read; ``missing_ok``: a pair the
    run does not have is left out (else its 404 is raised)."""
    if x not in ("step", "time"):
        raise ValueError('x must be "step" or "time", got %r' % (x,))
    times = x == "time"
    names = ["metric", "rank", "step"] + (["time_first", "time_last"] if times else []) + list(BUCKET_COLUMNS)
    out: Columns = {n: [] for n in names}
    queries = [{"run": run, "metric": m, "rank": r} for m, r in series]
    for chunk in batches(queries, points):
        body: Dict[str, Any] = {"queries": chunk, "x": x}
        if points is not None:
            body["points"] = int(points)
        answer = http.json(path("v1", "projects", project, "series"), body)
        for q, s in zip(chunk, answer["series"]):
            if "code" in s:
                if missing_ok and s.get("code") == "SS_ERR_METRIC_NOT_FOUND":
                    continue
                raise ApiError(s.get("statusCode"), s.get("code"), str(s.get("message", "")), s.get("details"))
            add_series(out, q["metric"], q["rank"], s, times)
    return frame(out)


def add_series(out: Columns, metric: str, rank: int, s: Dict[str, Any], times: bool) -> None:
    n = len(s["x"])
    out["metric"].extend([metric] * n)
    out["rank"].extend([rank] * n)
    out["step"].extend(int(v) for v in s["x"])
    if times:
        out["time_first"].extend(s["time_first"])
        out["time_last"].extend(s["time_last"])
    for c in ("min", "max", "mean", "first", "last"):
        out[c].extend(number(v) for v in s[c])
    out["count"].extend(int(v) for v in s["count"])
    out["nonfinite"].extend(int(v) for v in s["nonfinite"])


def ranks_of(http: Http, project: str, run: str, metric: str, rank_count: int) -> List[int]:
    """The ranks a metric has: those >= 0 from /ranks, and -1 (the run as a whole) when the run detail counts one more."""
    try:
        doc = http.json(path("v1", "projects", project, "runs", run, "ranks") + "?" + query_string([("metric", metric)]))
        ranked = sorted(int(r["rank"]) for r in doc["ranks"])
    except ApiError as e:
        if e.code != "SS_ERR_METRIC_NOT_FOUND":
            raise
        ranked = []
    return ([-1] if rank_count > len(ranked) else []) + ranked
