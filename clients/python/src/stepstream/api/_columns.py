"""Answers as a pandas DataFrame when pandas is installed, else as plain
columns (a dict of lists, one per column, all of one length)."""

from typing import Any, Dict, List

Columns = Dict[str, List[Any]]


def have_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def frame(columns: Columns) -> Any:
    """A DataFrame of the columns (in their order) when pandas is importable, else the columns."""
    try:
        import pandas
    except ImportError:
        return columns
    return pandas.DataFrame(columns)


def number(v: Any) -> float:
    """A JSON answer's number: NaN and the infinities travel as the strings "NaN", "Infinity", "-Infinity"; null as NaN."""
    if v is None:
        return float("nan")
    return float(v)
