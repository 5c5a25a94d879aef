"""Names a source run gets here: its run id (readable, derived from the
source, the same on every import) and metric names within the server's
rules (``[A-Za-z0-9_./-]{1,200}``)."""

import hashlib
import re
from typing import Dict

_NOT_METRIC = re.compile(r"[^A-Za-z0-9_./-]+")
_NOT_ID = re.compile(r"[^A-Za-z0-9._-]+")
MAX_METRIC = 200


def digest(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def slug(text: str, limit: int = 48) -> str:
    s = _NOT_ID.sub("-", text).strip("-.")
    return s[:limit].rstrip("-.")


def derived_run_id(prefix: str, key: str, readable: str = "") -> str:
    """``<prefix>-<readable slug>-<hash of key>``: stable for the same
    source run, distinct for different ones, and legible in run lists."""
    s = slug(readable)
    return "%s-%s-%s" % (prefix, s, digest(key, 10)) if s else "%s-%s" % (prefix, digest(key, 10))


def metric_name(source: str, taken: Dict[str, str]) -> str:
    """A valid metric name for ``source``: characters the server does not take
    become ``_``, past 200 characters it is cut and a hash keeps it distinct.
    ``taken`` maps names already given to their source names: a second source
    name that would land on the same name gets a hash suffix instead."""
    name = _NOT_METRIC.sub("_", source) or "_"
    if len(name) > MAX_METRIC:
        name = name[: MAX_METRIC - 11] + "-" + digest(source, 10)
    owner = taken.get(name)
    if owner is not None and owner != source:
        name = name[: MAX_METRIC - 11] + "-" + digest(source, 10)
    taken[name] = source
    return name
