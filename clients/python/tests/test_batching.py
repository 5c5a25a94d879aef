"""Batching against a stub server: what reaches it, in how many requests,
and the bound on what log() buffers."""

from typing import Any

from pipeline_helpers import assert_exactly, batch_files, log_steps
from stub_server import StubServer

from stepstream._proto import RunStatus


def test_online_run_sends_everything_once(stub: StubServer, make_run: Any) -> None:
    run = make_run(url=stub.url, run_id="r1", config={"lr": 0.1}, tags=["a"], name="nice")
    log_steps(run, 1000)
    assert run.finish() is True
    assert_exactly(stub, "r1", -1, 1000)
    assert all(r["headers"].get("content-encoding") == "gzip" for r in stub.requests)
    assert all(r["headers"]["content-type"] == "application/x-protobuf" for r in stub.requests)
    seqs = [r["request"].sequence for r in stub.requests]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] == 1
    assert len({r["request"].client_id for r in stub.requests}) == 1
    infos = stub.run_infos()
    assert infos[-1][1].status == RunStatus.FINISHED
    last = infos[-1][1]
    assert last.name == "nice" and last.config_json == '{"lr": 0.1}' and last.tags == ["a"]
    assert last.finished_ms >= last.started_ms > 0
    meta = dict(last.meta)
    assert meta["host"] and meta["pid"] and meta["sdk"].startswith("stepstream-python/")
    # every point has a time
    for req in stub.stored.values():
        for s in req.series:
            assert len(s.time_ms) == len(s.steps) and all(t > 1.7e12 for t in s.time_ms)
    # nothing left behind on disk
    assert batch_files(run.spool.path.parents[2]) == []
    assert not run.spool.path.exists()


def test_only_rank_zero_sends_run_info(stub: StubServer, make_run: Any) -> None:
    r0 = make_run(url=stub.url, run_id="shared", rank=0, config={"x": 1})
    r1 = make_run(url=stub.url, run_id="shared", rank=1, config={"x": 1})
    log_steps(r0, 10)
    log_steps(r1, 10)
    r0.finish()
    r1.finish("failed")  # a non-zero rank's status is not the run's
    by_client = {}
    for req in stub.stored.values():
        by_client.setdefault(req.client_id, []).append(req)
    assert r0.client_id != r1.client_id and r1.client_id.endswith("-r1")
    assert any(req.run is not None for req in by_client[r0.client_id])
    assert all(req.run is None for req in by_client[r1.client_id])
    assert [i.status for _, i in stub.run_infos()][-1] == RunStatus.FINISHED
    assert_exactly(stub, "shared", 0, 10)
    assert_exactly(stub, "shared", 1, 10)


def test_uncompressed_mode(stub: StubServer, make_run: Any) -> None:
    run = make_run(url=stub.url, gzip=False)
    log_steps(run, 5)
    run.finish()
    assert all("content-encoding" not in r["headers"] for r in stub.requests)
    assert stub.total_points() == 15


def test_batches_are_capped_by_batch_points(stub: StubServer, make_run: Any) -> None:
    run = make_run(url=stub.url, run_id="cap", batch_points=100, flush_interval=3600)
    log_steps(run, 1000, metrics=3)  # 3000 points
    run.finish()
    sizes = [r["request"].points for r in stub.requests]
    assert max(sizes) <= 100 and sum(sizes) == 3000
    assert_exactly(stub, "cap", -1, 1000)


def test_batches_are_cut_below_the_server_series_limit(stub: StubServer, make_run: Any, monkeypatch: Any) -> None:
    from stepstream import _cut

    monkeypatch.setattr(_cut, "MAX_SERIES_PER_REQUEST", 5)
    run = make_run(url=stub.url, run_id="wide", flush_interval=3600)
    log_steps(run, 2, metrics=12)
    run.finish()
    assert max(len(r["request"].series) for r in stub.requests) <= 5
    assert_exactly(stub, "wide", -1, 2, metrics=12)


def test_buffers_are_bounded_when_log_outpaces_the_batcher(stub: StubServer, make_run: Any) -> None:
    """With the batcher asleep and never woken, log() itself cuts once
    4 x batch_points are buffered."""
    run = make_run(url=stub.url, run_id="bound", batch_points=100, flush_interval=3600, rank=1)
    real = run._pipeline.wake
    run._pipeline.wake = _DeafEvent(real)  # log()'s wake-ups go nowhere
    peak = 0
    for s in range(1000):
        run.log({"a": 1.0, "b": 2.0}, step=s)
        peak = max(peak, run._buffers.n)
    assert peak <= 4 * 100
    assert run._pipeline.encoded_points >= 2000 - 4 * 100
    run._pipeline.wake = real
    run.finish()
    assert_exactly_points = stub.points("bound")
    assert sorted(assert_exactly_points[("a", 1)]) == [(s, 1.0) for s in range(1000)]
    assert stub.total_points() == 2000


class _DeafEvent:
    def __init__(self, real: Any) -> None:
        self.real = real

    def set(self) -> None:
        pass

    def wait(self, timeout: Any = None) -> bool:
        return bool(self.real.wait(timeout))

    def clear(self) -> None:
        self.real.clear()

    def is_set(self) -> bool:
        return bool(self.real.is_set())
