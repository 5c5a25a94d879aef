"""What log() accepts: metric names, steps and values, checked and coerced,
with messages that name the metric at fault."""

import numbers
import operator
import re
from typing import Any, Mapping

MAX_STEP = 1 << 53  # steps are in [0, 2^53): exact in a double, as the server requires
_METRIC_RE = re.compile(r"[A-Za-z0-9_./-]{1,200}")


def short_repr(v: Any) -> str:
    try:
        r = repr(v)
    except Exception:  # pragma: no cover
        r = "<unprintable>"
    return r if len(r) <= 60 else r[:57] + "..."


def _not_a_number(key: str, v: Any, why: str = "") -> TypeError:
    return TypeError(
        "stepstream: the value of %r must be a number (int, float, bool, or a numpy/torch scalar), "
        "got %s %s%s" % (key, type(v).__name__, short_repr(v), why)
    )


def coerce_value(key: str, v: Any) -> float:
    """A logged value as a float, or a TypeError/ValueError saying why not.

    bool is accepted as 0.0/1.0. numpy and torch scalars (and 1-element
    arrays/tensors) are read through their ``.item()`` without importing
    numpy or torch."""
    if isinstance(v, (str, bytes, bytearray)) or v is None:
        raise _not_a_number(key, v)
    if isinstance(v, (bool, int, float)):
        try:
            return float(v)
        except OverflowError:
            raise ValueError("stepstream: the value of %r is too large for a double: %s" % (key, short_repr(v))) from None
    item = getattr(v, "item", None)
    if callable(item) and not isinstance(v, Mapping):
        try:
            x = item()
        except Exception as e:
            shape = getattr(v, "shape", None)
            raise _not_a_number(
                key,
                v,
                " (shape %s is not a scalar: log a single number, e.g. x.mean().item())" % (tuple(shape),)
                if shape is not None
                else " (%s)" % e,
            ) from None
        if isinstance(x, (bool, int, float)) and not isinstance(x, complex):
            return float(x)
        raise _not_a_number(key, v, " (its .item() is %s)" % type(x).__name__)
    if isinstance(v, numbers.Real):
        return float(v)
    raise _not_a_number(key, v)


def check_metric(name: Any) -> str:
    """``name`` if it is a valid metric name, else a TypeError/ValueError."""
    if not isinstance(name, str):
        raise TypeError("stepstream: metric names must be strings, got %s %s" % (type(name).__name__, short_repr(name)))
    if not _METRIC_RE.fullmatch(name):
        raise ValueError(
            "stepstream: invalid metric name %s: use 1 to 200 of A-Z a-z 0-9 _ . / - "
            "(for example 'train/loss')" % short_repr(name)
        )
    return name


def check_step(step: Any) -> int:
    """``step`` as an int in [0, 2^53), else a TypeError/ValueError."""
    if isinstance(step, bool):
        raise TypeError("stepstream: step must be an integer, got bool")
    try:
        s = operator.index(step)
    except TypeError:
        if isinstance(step, float) and step.is_integer():
            s = int(step)
        else:
            raise TypeError(
                "stepstream: step must be an integer, got %s %s" % (type(step).__name__, short_repr(step))
            ) from None
    if not 0 <= s < MAX_STEP:
        raise ValueError("stepstream: step must be in [0, 2^53), got %d" % s)
    return s
