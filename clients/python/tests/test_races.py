"""Races between log(), finish() and other threads, reproduced
deterministically: one thread is stopped just before it takes the run's lock
(the switch point a preempting scheduler could pick), another thread does its
whole call meanwhile, then the first goes on. Whatever a thread read before
taking the lock is stale at that point, so these tests fail when log() or
finish() decide anything outside the lock."""

import threading
from typing import Any, Callable, List

import pytest

import stepstream


class PausingLock:
    """A lock that stops the first thread named ``victim`` on its way in,
    until ``go`` is set; every other acquisition goes straight through."""

    def __init__(self, inner: Any, victim: str) -> None:
        self._inner = inner
        self._victim = victim
        self.at_lock = threading.Event()
        self.go = threading.Event()

    def __enter__(self) -> bool:
        if threading.current_thread().name == self._victim and not self.at_lock.is_set():
            self.at_lock.set()
            assert self.go.wait(10), "the test never let the paused thread go on"
        return self._inner.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)


def buffers(run: stepstream.Run) -> Any:
    """The object holding the run's column buffers and their lock."""
    return run._buffers


def pause_at_lock(run: stepstream.Run, victim: Callable[[], None], meanwhile: Callable[[], None]) -> List[BaseException]:
    """Runs ``victim`` in a thread stopped just before it takes the run's
    lock, runs ``meanwhile`` to the end, then lets the thread go on. Returns
    what the thread raised."""
    owner = buffers(run)
    lock = PausingLock(owner._lock, "victim")
    owner._lock = lock
    raised: List[BaseException] = []

    def body() -> None:
        try:
            victim()
        except BaseException as e:  # noqa: B902 - handed back to the test
            raised.append(e)

    t = threading.Thread(target=body, name="victim")
    t.start()
    try:
        assert lock.at_lock.wait(10), "the thread never reached the lock"
        meanwhile()
    finally:
        lock.go.set()
        t.join(10)
    assert not t.is_alive()
    return raised


@pytest.fixture
def quiet_run(make_run: Any) -> stepstream.Run:
    # no background cut during the test (see test_log.py)
    return make_run(mode="offline", flush_interval=3600, batch_points=10**9, rank=1)


def test_two_threads_logging_without_step_get_distinct_steps(quiet_run: stepstream.Run) -> None:
    run = quiet_run
    raised = pause_at_lock(run, lambda: run.log({"a": 1.0}), lambda: run.log({"a": 2.0}))
    assert raised == []
    cols, _times, _info = run._buffers.take()
    steps, values = cols["a"]
    assert sorted(zip(steps, values)) == [(0, 2.0), (1, 1.0)]
    assert run.step == 2


def test_log_racing_finish_is_sent_or_raises(make_run: Any) -> None:
    run = make_run(mode="offline", flush_interval=3600, batch_points=10**9, rank=1)
    run.log({"a": 0.0})
    raised = pause_at_lock(run, lambda: run.log({"a": 1.0}), lambda: run.finish(timeout=5))
    # Either the late log() made it into the final cut, or it was told that
    # the run is over; never accepted and then silently dropped.
    if raised:
        assert isinstance(raised[0], stepstream.StepstreamError) and "after finish()" in str(raised[0])
        assert run.stats["encoded_points"] == 1
    else:
        assert run.stats["encoded_points"] == 2
    assert run._buffers.take()[0] == {}, "points left in the buffers after the final cut are never sent"


def test_finish_twice_at_once_closes_once(make_run: Any) -> None:
    run = make_run(mode="offline", flush_interval=3600, batch_points=10**9, rank=1)
    run.log({"a": 0.0})
    closes: List[int] = []
    pipeline = run._pipeline
    real_close = pipeline.close

    def counting_close(*a: Any, **kw: Any) -> Any:
        closes.append(1)
        return real_close(*a, **kw)

    pipeline.close = counting_close  # type: ignore[method-assign]
    raised = pause_at_lock(run, lambda: run.finish(timeout=5), lambda: run.finish(timeout=5))
    assert raised == []
    assert closes == [1]
