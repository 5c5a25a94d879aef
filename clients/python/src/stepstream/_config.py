"""A run's config as the JSON the server takes: NaN and infinities written
as the strings the API answers for them ("NaN", "Infinity", "-Infinity"),
anything else JSON cannot hold as ``str()``, and the server's bounds checked
here, at ``init()`` and ``update_config()``, so an oversized config fails in
the training script instead of getting the run's first batch refused."""

import json
import math
from typing import Any, Mapping

# The server's limits (docs/guarantees.md, "Limits (ingest)").
MAX_CONFIG_BYTES = 256 * 1024
MAX_CONFIG_DEPTH = 32


def _plain(v: Any, depth: int) -> Any:
    if depth > MAX_CONFIG_DEPTH:
        raise ValueError(
            "stepstream: config is nested more than %d levels deep, the server's limit" % MAX_CONFIG_DEPTH
        )
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, Mapping):
        return {str(k): _plain(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x, depth + 1) for x in v]
    return v


def config_json(config: Mapping[str, Any]) -> str:
    """The config as JSON within the server's bounds; ValueError naming the bound otherwise."""
    if not config:
        return ""
    text = json.dumps(_plain(config, 1), default=str, allow_nan=False)
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise ValueError(
            "stepstream: config is %d bytes as JSON, over the server's limit of %d; "
            "log large values as artifacts instead" % (size, MAX_CONFIG_BYTES)
        )
    return text
