"""What the client does with each answer of the server, against a stub:
retries (Retry-After, backoff, a lost answer, no server yet), the split of
a batch too large (413), a batch rejected (400), a refused key (401)."""

import gzip
import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for
from pipeline_helpers import assert_exactly, log_steps
from stub_server import StubServer

from stepstream._answer import classify, parse_retry_after
from stepstream._batch import split_body
from stepstream._proto import Series, decode_request, encode_request
from stepstream._sync import sync
from stepstream._transport import Backoff


def test_retries_503_honouring_retry_after(stub: StubServer, make_run: Any) -> None:
    busy = (503, {"Retry-After": "1"}, {"statusCode": 503, "code": "SS_ERR_BUSY", "message": "queue full"})
    stub.script = [busy, (429, {"Retry-After": "0"}, {"statusCode": 429})]
    run = make_run(url=stub.url, run_id="busy")
    log_steps(run, 20)
    assert run.flush(timeout=10)
    t = [r["time"] for r in stub.requests]
    assert t[1] - t[0] >= 0.95, "Retry-After: 1 not honoured"
    # the retried batch is the same batch: same identity, same bytes
    assert stub.requests[0]["request"].sequence == stub.requests[1]["request"].sequence == stub.requests[2]["request"].sequence
    assert stub.requests[0]["bytes"] == stub.requests[2]["bytes"]
    run.finish()
    assert_exactly(stub, "busy", -1, 20)


def test_lost_answer_retried_batch_is_stored_once(stub: StubServer, make_run: Any) -> None:
    """The server stores the batch but the client sees a 503 (answer lost):
    the re-send carries the same (client_id, sequence) and is deduplicated."""
    calls = {"n": 0}

    def policy(req: Any, body: bytes) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            key = stub.identity(req)
            stub.stored[key] = req
            stub.answers[key] = req.points
            return 503, {"Retry-After": "0"}, {}
        return None

    stub.policy = policy
    run = make_run(url=stub.url, run_id="lost")
    log_steps(run, 30)
    run.finish()
    assert any(r.get("duplicate") for r in stub.requests)
    assert_exactly(stub, "lost", -1, 30)


def test_network_errors_are_retried_until_server_comes_up(tmp_path: Path, make_run: Any, caplog: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = make_run(url="http://127.0.0.1:%d" % port, run_id="late")
    with caplog.at_level(logging.WARNING, logger="stepstream"):
        log_steps(run, 50)
        wait_for(lambda: any("not taking data" in r.getMessage() for r in caplog.records), what="a refused connection")
    with StubServer(port) as stub:
        assert run.flush(timeout=15)
        run.finish()
        assert_exactly(stub, "late", -1, 50)


def test_413_splits_the_batch_in_halves(stub: StubServer, make_run: Any) -> None:
    stub.max_points = 40
    run = make_run(url=stub.url, run_id="big", flush_interval=3600, batch_points=10**6)
    log_steps(run, 100, metrics=3)  # one batch of 300 points, 3 series
    run.finish()
    assert_exactly(stub, "big", -1, 100)
    stored = list(stub.stored.values())
    assert all(r.points <= 40 for r in stored)
    ids = {r.client_id for r in stored}
    assert all(i.startswith(run.client_id + "~") for i in ids)
    assert len(stub.run_infos()) >= 1


def test_split_is_deterministic() -> None:
    raw = encode_request("p", "r", [Series("m", 1, list(range(9)), [1.0] * 9, [5] * 9)], None, "cid", 4)
    for gz in (False, True):
        body = gzip.compress(raw) if gz else raw
        a = split_body(body, gz)
        b = split_body(body, gz)
        assert a is not None and b is not None
        dec = [decode_request(gzip.decompress(h) if gz else h) for h in a]
        assert [d.client_id for d in dec] == ["cid~0", "cid~1"]
        assert [d.sequence for d in dec] == [4, 4]
        assert dec[0].series[0].steps + dec[1].series[0].steps == list(range(9))
        if not gz:
            assert a == b
    one = encode_request("p", "r", [Series("m", 1, [1], [1.0])], None, "c", 1)
    assert split_body(one, False) is None


def test_400_is_not_retried_and_is_kept(stub: StubServer, make_run: Any, caplog: Any) -> None:
    bad = (400, {}, {"statusCode": 400, "code": "SS_ERR_VALIDATION", "message": "steps and values differ", "details": {"series": 0}})
    stub.script = [bad]
    run = make_run(url=stub.url, run_id="rej")
    with caplog.at_level(logging.ERROR, logger="stepstream"):
        log_steps(run, 10)
        assert run.flush(timeout=10)
        log_steps(run, 10, start=10)
        assert run.finish() is False  # something was rejected
    assert any("rejected batch 1" in e and "SS_ERR_VALIDATION" in e for e in run.errors)
    assert any("rejected" in r.getMessage() for r in caplog.records)
    assert len([r for r in stub.requests if r["request"].sequence == 1]) == 1  # not retried
    assert_exactly(stub, "rej", -1, 10, start=10)  # later batches went through
    rejected = list((run.spool.path / "rejected").iterdir())
    assert {p.suffix for p in rejected} == {".pb", ".json"}


def test_bad_api_key_stops_sending_and_keeps_data(stub: StubServer, make_run: Any, tmp_path: Path) -> None:
    stub.policy = lambda req, body: (401, {}, {"statusCode": 401, "code": "SS_ERR_AUTH", "message": "bad key"})
    run = make_run(url=stub.url, run_id="auth", api_key="wrong")
    log_steps(run, 10)
    wait_for(lambda: run.errors, what="the key refused")
    assert run.finish(timeout=2) is False
    assert any("refused" in e for e in run.errors)
    assert stub.requests[0]["headers"]["authorization"] == "Bearer wrong"
    assert len(stub.requests) == 1
    stub.policy = None
    res = sync(tmp_path / "spool", url=stub.url)
    assert res.exit_code == 0
    assert_exactly(stub, "auth", -1, 10)



def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("99999") == 60.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    got = parse_retry_after(date)
    assert got is not None and 3 <= got <= 6


def test_backoff_grows_and_caps() -> None:
    b = Backoff(base=0.25, cap=10)
    delays = [b.next() for _ in range(12)]
    assert delays[0] <= 0.25 and max(delays) <= 10 and delays[-1] >= 5


@pytest.mark.parametrize("status,kind", [(202, "ok"), (413, "split"), (400, "reject"), (415, "reject"), (429, "retry"), (503, "retry"), (500, "retry"), (401, "fatal")])
def test_classify(status: int, kind: str) -> None:
    assert classify(status) == kind
