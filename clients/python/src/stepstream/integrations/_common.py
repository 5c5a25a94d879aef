"""What the integrations and the wandb facade share: configs made JSON-able,
metric names made valid, and the numbers of a framework's logs picked out.
None of it raises: what cannot be kept is left out or turned into text."""

import argparse
import enum
import logging
import math
import re
from typing import Any, Dict, Mapping, Optional, Set, Tuple

from .._values import coerce_value

_logger = logging.getLogger("stepstream")
_INVALID = re.compile(r"[^A-Za-z0-9_./-]")
_VALID = re.compile(r"[A-Za-z0-9_./-]{1,200}")
_MAX_DEPTH = 24  # under the server's 32 levels of config


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data: mappings, lists and scalars kept (NaN and ±inf
    are the client's business), argparse Namespaces and objects with
    ``to_dict()`` opened up, anything else as its ``str()``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value, depth)
    if depth >= _MAX_DEPTH:
        return str(value)
    if isinstance(value, argparse.Namespace):
        value = vars(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, depth + 1) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        try:
            return jsonable(to_dict(), depth + 1)
        except Exception:
            pass
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item) and getattr(value, "ndim", 0) == 0:
        try:
            return jsonable(item(), depth + 1)
        except Exception:
            pass
    return str(value)


def clean_name(name: str) -> str:
    """A valid metric name for ``name``: characters outside A-Z a-z 0-9 _ . / -
    become ``_``, and it is cut at 200 characters."""
    if _VALID.fullmatch(name):
        return name
    return (_INVALID.sub("_", name) or "_")[:200]


def as_number(value: Any) -> Optional[float]:
    """``value`` as a float if it is a number (bool, int, float, a numpy or
    torch scalar or 1-element array), else None."""
    t = type(value)
    if t is float:
        return value  # type: ignore[no-any-return]
    if t is int or t is bool:
        return float(value)
    if value is None or isinstance(value, (str, bytes, Mapping, list, tuple)):
        return None
    try:
        return coerce_value("value", value)
    except (TypeError, ValueError):
        return None


def numbers_of(logs: Mapping[str, Any], skipped: Set[str], prefix: str = "") -> Dict[str, float]:
    """The numeric entries of ``logs`` (nested mappings flattened with "/"),
    names made valid. The names of entries left out are added to ``skipped``
    and logged once at info level."""
    out: Dict[str, float] = {}
    for k, v in logs.items():
        key = prefix + str(k)
        if isinstance(v, Mapping):
            out.update(numbers_of(v, skipped, key + "/"))
            continue
        x = as_number(v)
        if x is None:
            if key not in skipped:
                skipped.add(key)
                _logger.info("stepstream: %r is not a number (%s), not logged", key, type(v).__name__)
            continue
        out[clean_name(key)] = x
    return out



def status_of(outcome: Any, ok: Tuple[str, ...] = ("success", "finished", "ok")) -> str:
    """A run status from a framework's word for how training ended."""
    word = str(outcome or "success").lower()
    if word in ok:
        return "finished"
    if word in ("failed", "failure", "error"):
        return "failed"
    if word in ("interrupted", "killed", "crashed", "aborted"):
        return "crashed"
    return "failed"
