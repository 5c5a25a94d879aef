"""stepstream.Api against the real server without pandas and pyarrow: plain
columns, the CSV export. Every point read back with scan() equals what was
logged (the effective history of a restarted run: NaN and ±inf included,
doubles exact); history() is the dashboard's buckets; errors carry the
server's code."""

import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import stepstream
from api_data import CONFIG, PROJECT, RESUME, Point, logged_server, same, sorted_points
from real_server import skip_reason

pytestmark = [pytest.mark.integration, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: Any) -> Iterator[Any]:
    yield from logged_server(tmp_path_factory.mktemp("api"))


@pytest.fixture(autouse=True)
def without_frameworks(monkeypatch: Any) -> None:
    """pandas and pyarrow cannot be imported, even where the machine has them."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)


def points_of(cols: Dict[str, List[Any]]) -> List[Point]:
    return list(zip(cols["metric"], cols["rank"], cols["step"], cols["value"]))


def assert_points(got: List[Point], want: List[Point]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, sorted_points(want)):
        assert g[:3] == w[:3] and same(g[3], w[3]), (g, w)


def test_scan_is_every_effective_point_exactly_as_plain_columns(logged: Any) -> None:
    srv, want = logged
    run = stepstream.Api(url=srv.url).run(PROJECT, "job")
    cols = run.scan()
    assert isinstance(cols, dict) and list(cols) == ["metric", "rank", "step", "value", "time_ms"]
    assert_points(points_of(cols), want["job"])
    assert all(isinstance(t, int) and t > 1_600_000_000_000 for t in cols["time_ms"])
    assert any(math.isnan(v) for v in cols["value"]) and math.inf in cols["value"] and -math.inf in cols["value"]


def test_scan_filters_and_one_attempt(logged: Any) -> None:
    srv, want = logged
    run = stepstream.Api(url=srv.url).run(PROJECT, "job")
    assert_points(points_of(run.scan(metrics=["lr"])), [p for p in want["job"] if p[0] == "lr"])
    assert_points(points_of(run.scan(ranks=[1])), [p for p in want["job"] if p[1] == 1])
    window = run.scan(metrics=["loss"], ranks=[0], step_from=RESUME - 10, step_to=RESUME + 10)
    assert window["step"] == list(range(RESUME - 10, RESUME + 10))
    # attempt 0's own points, the superseded ones included
    assert sorted(set(run.scan(attempt=0, ranks=[0], metrics=["loss"])["step"])) == list(range(0, 1000))


def test_run_config_summary_metrics_and_runs(logged: Any) -> None:
    srv, want = logged
    api = stepstream.Api(url=srv.url)
    plain = api.run(PROJECT, "plain")
    assert plain.config == CONFIG and plain.tags == ["baseline"]
    assert {m["name"]: m["count"] for m in plain.metrics} == {"loss": 50, "lr": 13}
    last_loss = [p for p in want["plain"] if p[0] == "loss"][-1][3]
    assert same(plain.summary["loss"], last_loss)
    runs = api.runs(PROJECT)
    assert sorted(r.id for r in runs) == ["job", "plain"]
    job = [r for r in runs if r.id == "job"][0]
    assert {m["name"]: m["count"] for m in job.metrics} == {"loss": 2 * 1300, "lr": 325}


def test_history_is_the_dashboards_buckets(logged: Any) -> None:
    srv, want = logged
    run = stepstream.Api(url=srv.url).run(PROJECT, "job")
    h = run.history(points=50)
    assert set(zip(h["metric"], h["rank"])) == {("loss", 0), ("loss", 1), ("lr", 0)}
    for metric, rank in [("loss", 0), ("loss", 1), ("lr", 0)]:
        mine = [i for i in range(len(h["step"])) if h["metric"][i] == metric and h["rank"][i] == rank]
        assert 0 < len(mine) <= 51
        assert sum(h["count"][i] for i in mine) == len([p for p in want["job"] if p[0] == metric and p[1] == rank])
    # one series, every bucket one step: min = max = first = last = the point
    one = run.history(metrics=["loss"], ranks=[1], points=100_000)
    pts = sorted_points([p for p in want["job"] if p[0] == "loss" and p[1] == 1])
    assert one["step"] == [p[2] for p in pts]
    assert all(same(f, p[3]) for f, p in zip(one["first"], pts))
    timed = run.history(metrics=["lr"], points=10, x="time")
    assert all(isinstance(t, int) for t in timed["time_first"] + timed["time_last"])


def test_errors_carry_the_servers_code(logged: Any, tmp_path: Path) -> None:
    srv, _ = logged
    api = stepstream.Api(url=srv.url)
    with pytest.raises(stepstream.ApiError) as e:
        api.run(PROJECT, "nope")
    assert (e.value.status, e.value.code) == (404, "SS_ERR_RUN_NOT_FOUND") and "nope" in str(e.value)
    with pytest.raises(stepstream.ApiError) as e:
        api.run(PROJECT, "job").scan(metrics=["nope"])
    assert e.value.code == "SS_ERR_METRIC_NOT_FOUND" and e.value.details["metric"] == "nope"
    with pytest.raises(stepstream.ApiError) as e:
        api.run(PROJECT, "job").history(metrics=["nope"])
    assert e.value.code == "SS_ERR_METRIC_NOT_FOUND"
    with pytest.raises(stepstream.ApiError) as e:
        api.run(PROJECT, "job").scan(attempt=9)
    assert e.value.code == "SS_ERR_ATTEMPT_NOT_FOUND"
    with pytest.raises(stepstream.ApiError) as e:
        stepstream.Api(url="http://127.0.0.1:9").runs(PROJECT)
    assert e.value.code is None and e.value.status is None


def test_query_parameters_as_the_run_list_takes_them() -> None:
    from stepstream.api._http import query_string

    q = query_string([("config.lr", 0.001), ("tag", ["a", "b c"]), ("done", True), ("cursor", None), ("limit", 2)])
    assert q == "config.lr=0.001&tag=a&tag=b+c&done=true&limit=2"


def test_a_value_the_server_writes_without_an_exponent_is_its_double() -> None:
    from stepstream.api import _value

    # JavaScript writes -1.3197637062070377e+20 as -131976370620703770000, which json reads as an
    # int whose exact value is not the double's (CI once caught a summary off this way).
    got = _value(json.loads("-131976370620703770000"))
    assert isinstance(got, float) and got == -1.3197637062070377e20
    assert _value(None) is None and math.isnan(_value("NaN")) and _value("-Infinity") == -math.inf  # type: ignore[arg-type]
