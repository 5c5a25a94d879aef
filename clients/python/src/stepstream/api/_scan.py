"""Every point of a run, from GET /runs/:run/export: the Arrow stream read
with pyarrow when it is importable, else the CSV export read with the csv
module, row by row as it arrives (never the whole answer as bytes)."""

import csv
import io
from typing import Any, Dict, List, Optional, Sequence

from ._columns import Columns, frame
from ._http import Http, path, query_string

COLUMNS = ("metric", "rank", "step", "value", "time_ms")


def have_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.ipc  # noqa: F401
    except ImportError:
        return False
    return True


def export_path(project: str, run: str, fmt: str, metrics: Optional[Sequence[str]], ranks: Optional[Sequence[int]],
                attempt: Optional[int], step_from: Optional[int], step_to: Optional[int]) -> str:
    q = query_string([
        ("format", fmt),
        ("metrics", ",".join(metrics) if metrics is not None else None),
        ("ranks", ",".join(str(int(r)) for r in ranks) if ranks is not None else None),
        ("from", step_from), ("to", step_to), ("attempt", attempt),
    ])
    return path("v1", "projects", project, "runs", run, "export") + "?" + q


def scan(http: Http, project: str, run: str, metrics: Optional[Sequence[str]] = None, ranks: Optional[Sequence[int]] = None,
         attempt: Optional[int] = None, step_from: Optional[int] = None, step_to: Optional[int] = None,
         use_pyarrow: Optional[bool] = None) -> Any:
    if use_pyarrow is None:
        use_pyarrow = have_pyarrow()
    fmt = "arrow" if use_pyarrow else "csv"
    with http.open(export_path(project, run, fmt, metrics, ranks, attempt, step_from, step_to), accept="*/*") as r:
        return read_arrow(r) if use_pyarrow else frame(read_csv(r))


def read_arrow(stream: Any) -> Any:
    import pyarrow.ipc

    table = pyarrow.ipc.open_stream(stream).read_all()
    try:
        import pandas  # noqa: F401
    except ImportError:
        return {name: table.column(name).to_pylist() for name in table.column_names}
    return table.to_pandas()


def read_csv(stream: Any) -> Columns:
    """CSVWithNames as the engine writes it. NOTE: float() reads the engine's
    nan, inf and -inf, and its shortest round-trip decimals, exactly."""
    rows = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
    header = next(rows, None)
    if header is None:
        header = list(COLUMNS)
    if list(header) != list(COLUMNS):
        raise ValueError("the export's columns are %s, not %s" % (header, list(COLUMNS)))
    out: Dict[str, List[Any]] = {c: [] for c in COLUMNS}
    metric, rank, step, value, time_ms = (out[c] for c in COLUMNS)
    for m, rk, s, v, t in rows:
        metric.append(m)
        rank.append(int(rk))
        step.append(int(s))
        value.append(float(v))
        time_ms.append(int(t))
    return out
