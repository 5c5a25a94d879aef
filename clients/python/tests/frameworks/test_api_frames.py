"""stepstream.Api with pandas and pyarrow (requirements-frameworks.txt)
against the real server: scan() reads the Arrow export with pyarrow, into a
DataFrame with pandas or plain columns without it; with pandas but not
pyarrow, the CSV export into a DataFrame; history() as a DataFrame. Every
point equals what was logged."""

import math
import sys
from typing import Any, Iterator, List

import pandas
import pyarrow  # noqa: F401
import pytest

import stepstream
from api_data import PROJECT, Point, logged_server, same, sorted_points
from real_server import skip_reason

pytestmark = [pytest.mark.integration, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: Any) -> Iterator[Any]:
    yield from logged_server(tmp_path_factory.mktemp("api-frames"))


def assert_points(got: List[Point], want: List[Point]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, sorted_points(want)):
        assert (g[0], int(g[1]), int(g[2])) == w[:3] and same(float(g[3]), w[3]), (g, w)


def frame_points(df: Any) -> List[Point]:
    return list(zip(df["metric"], df["rank"], df["step"], df["value"]))


@pytest.mark.parametrize("use_pyarrow", [None, False])
def test_scan_is_a_dataframe_of_every_effective_point(logged: Any, use_pyarrow: Any) -> None:
    srv, want = logged
    df = stepstream.Api(url=srv.url, use_pyarrow=use_pyarrow).run(PROJECT, "job").scan()
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == ["metric", "rank", "step", "value", "time_ms"]
    assert str(df["value"].dtype) == "float64" and str(df["step"].dtype) == "int64" and str(df["time_ms"].dtype) == "int64"
    assert_points(frame_points(df), want["job"])
    assert df["value"].isna().any() and (df["value"] == math.inf).any() and (df["value"] == -math.inf).any()


def test_pyarrow_without_pandas_answers_plain_columns(logged: Any, monkeypatch: Any) -> None:
    srv, want = logged
    monkeypatch.setitem(sys.modules, "pandas", None)
    cols = stepstream.Api(url=srv.url).run(PROJECT, "job").scan(metrics=["lr"])
    assert isinstance(cols, dict) and list(cols) == ["metric", "rank", "step", "value", "time_ms"]
    assert_points(list(zip(cols["metric"], cols["rank"], cols["step"], cols["value"])), [p for p in want["job"] if p[0] == "lr"])


def test_history_is_a_dataframe(logged: Any) -> None:
    srv, want = logged
    h = stepstream.Api(url=srv.url).run(PROJECT, "job").history(points=20)
    assert isinstance(h, pandas.DataFrame)
    assert set(h.groupby(["metric", "rank"]).size().index) == {("loss", 0), ("loss", 1), ("lr", 0)}
    assert int(h["count"].sum()) == len(want["job"])
