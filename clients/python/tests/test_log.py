"""log(): what it accepts, what it rejects, and that it stays cheap."""

import fractions
import math
import sys
import time
from typing import Any, Dict, List, Tuple

import pytest

import stepstream
from stepstream._values import coerce_value


def recorded(run: stepstream.Run) -> Dict[str, List[Tuple[int, float]]]:
    cols, times, _ = run._buffers.take()
    for steps, _values in cols.values():
        assert all(s in times for s in steps)
    return {m: list(zip(st, va)) for m, (st, va) in cols.items()}


@pytest.fixture
def run(make_run: Any) -> stepstream.Run:
    # no background cut during the test: huge interval and batch size, and a
    # rank > 0 (rank 0 wakes the batcher at once to announce the run)
    return make_run(mode="offline", flush_interval=3600, batch_points=10**9, rank=1)


class FakeScalar:
    """Like numpy.float32(1.5) or a 0-d torch tensor: a scalar with .item()."""

    def __init__(self, v: Any) -> None:
        self.v = v

    def item(self) -> Any:
        return self.v


class FakeTensor:
    def __init__(self, *values: float) -> None:
        self.values = values
        self.shape = (len(values),)

    def item(self) -> float:
        if len(self.values) != 1:
            raise RuntimeError("a Tensor with %d elements cannot be converted to Scalar" % len(self.values))
        return self.values[0]


def test_steps_auto_increment_and_explicit(run: stepstream.Run) -> None:
    run.log({"a": 1.0})
    run.log({"a": 2.0, "b": 3})
    run.log({"a": 4.0}, step=10)
    run.log({"a": 5.0})
    assert run.step == 12
    got = recorded(run)
    assert got["a"] == [(0, 1.0), (1, 2.0), (10, 4.0), (11, 5.0)]
    assert got["b"] == [(1, 3.0)]
    assert all(type(v) is float for _, v in got["b"])


def test_accepts_bool_int_float_and_duck_scalars(run: stepstream.Run) -> None:
    run.log(
        {
            "f": 0.5,
            "i": 7,
            "big": 2**60,
            "t": True,
            "no": False,
            "np": FakeScalar(1.25),
            "np_int": FakeScalar(3),
            "np_bool": FakeScalar(True),
            "tensor1": FakeTensor(9.5),
            "frac": fractions.Fraction(1, 4),
            "nan": math.nan,
            "inf": -math.inf,
        },
        step=3,
    )
    got = recorded(run)
    flat = {k: v[0][1] for k, v in got.items()}
    assert flat["f"] == 0.5 and flat["i"] == 7.0 and flat["big"] == float(2**60)
    assert flat["t"] == 1.0 and flat["no"] == 0.0
    assert flat["np"] == 1.25 and flat["np_int"] == 3.0 and flat["np_bool"] == 1.0
    assert flat["tensor1"] == 9.5 and flat["frac"] == 0.25
    assert math.isnan(flat["nan"]) and flat["inf"] == -math.inf


@pytest.mark.parametrize(
    "bad,match",
    [
        ("1.5", "got str"),
        (None, "got NoneType"),
        (b"x", "got bytes"),
        (1 + 2j, "got complex"),
        ([1.0], "got list"),
        (FakeTensor(1.0, 2.0), r"shape \(2,\) is not a scalar"),
        (FakeScalar("text"), r"\.item\(\) is str"),
        (object(), "got object"),
    ],
)
def test_rejects_non_numeric_with_clear_error(run: stepstream.Run, bad: Any, match: str) -> None:
    run.log({"ok": 1.0}, step=0)
    with pytest.raises(TypeError, match=match) as err:
        run.log({"a": 1.0, "b": 2.0, "bad_one": bad, "c": 3.0}, step=1)
    assert "'bad_one'" in str(err.value)
    # the whole call was rejected: nothing of step 1 was recorded
    got = recorded(run)
    assert got == {"ok": [(0, 1.0)]}
    # and the step counter did not move
    assert run.step == 1


def test_too_large_int_is_rejected(run: stepstream.Run) -> None:
    with pytest.raises((ValueError, OverflowError)):
        run.log({"a": 1.0, "huge": 10**400})
    assert recorded(run) == {}


@pytest.mark.parametrize("name", ["", "has space", "ünï", "x" * 201, "a:b"])
def test_rejects_bad_metric_names(run: stepstream.Run, name: str) -> None:
    with pytest.raises(ValueError, match="invalid metric name"):
        run.log({"good": 1.0, name: 2.0})
    assert recorded(run) == {}


def test_rejects_non_string_names_and_non_dicts(run: stepstream.Run) -> None:
    with pytest.raises(TypeError, match="metric names must be strings"):
        run.log({1: 2.0})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="takes a dict"):
        run.log([("a", 1.0)])  # type: ignore[arg-type]


def test_name_charset_and_length_limit(run: stepstream.Run) -> None:
    run.log({"A-z_0.9/x": 1.0, "y" * 200: 2.0})
    assert set(recorded(run)) == {"A-z_0.9/x", "y" * 200}


@pytest.mark.parametrize("step", [-1, 2**53, 1.5, "3", True])
def test_rejects_bad_steps(run: stepstream.Run, step: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        run.log({"a": 1.0}, step=step)


def test_accepts_integral_steps_of_other_types(run: stepstream.Run) -> None:
    run.log({"a": 1.0}, step=FakeIndex(5))  # type: ignore[arg-type]
    run.log({"a": 1.0}, step=6.0)  # type: ignore[arg-type]
    run.log({"a": 1.0}, step=2**53 - 1)
    assert [s for s, _ in recorded(run)["a"]] == [5, 6, 2**53 - 1]


class FakeIndex:
    """Like numpy.int64: has __index__."""

    def __init__(self, v: int) -> None:
        self.v = v

    def __index__(self) -> int:
        return self.v


def test_nested_dicts_are_flattened(run: stepstream.Run) -> None:
    run.log({"train": {"loss": 1.0, "acc": {"top1": 0.5}}, "lr": 0.1})
    got = recorded(run)
    assert got == {"train/loss": [(0, 1.0)], "train/acc/top1": [(0, 0.5)], "lr": [(0, 0.1)]}


def test_nested_failure_rolls_back_everything(run: stepstream.Run) -> None:
    with pytest.raises(TypeError):
        run.log({"a": 1.0, "train": {"loss": 1.0, "bad": "x"}, "z": 2.0})
    with pytest.raises(TypeError):
        run.log({"a": 1.0, "train": {"loss": 1.0}, "bad": "x"})
    assert recorded(run) == {}


def test_coerce_value_messages() -> None:
    assert coerce_value("k", True) == 1.0
    with pytest.raises(TypeError, match=r"the value of 'k' must be a number"):
        coerce_value("k", {"a": 1})


def test_concurrent_threads_lose_nothing(run: stepstream.Run) -> None:
    import threading

    def worker(i: int) -> None:
        for s in range(2000):
            run.log({"t%d" % i: float(s)}, step=s)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = recorded(run)
    assert {k: len(v) for k, v in got.items()} == {"t%d" % i: 2000 for i in range(4)}


@pytest.mark.skipif(sys.gettrace() is not None, reason="timing under a tracer/coverage is meaningless")
def test_log_is_cheap(make_run: Any) -> None:
    """A loose guard (the benchmark in bench/client-overhead measures it
    properly): 10 scalars per call well under 50 us even on a busy CI box."""
    r = make_run(mode="offline", flush_interval=3600, batch_points=10**9)
    data = {"m%d" % i: 0.1 * i for i in range(10)}
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(2000):
            r.log(data)
        best = min(best, (time.perf_counter() - t0) / 2000)
    assert best < 50e-6, "log() took %.1f us" % (best * 1e6)


def test_real_numpy_scalars_if_available(run: stepstream.Run) -> None:
    np = pytest.importorskip("numpy")
    run.log({"f32": np.float32(1.5), "i64": np.int64(3), "b": np.bool_(True), "zero_d": np.array(2.5)}, step=np.int64(4))
    got = recorded(run)
    assert {k: v[0] for k, v in got.items()} == {"f32": (4, 1.5), "i64": (4, 3.0), "b": (4, 1.0), "zero_d": (4, 2.5)}
    with pytest.raises(TypeError, match="not a scalar"):
        run.log({"vec": np.array([1.0, 2.0])})
