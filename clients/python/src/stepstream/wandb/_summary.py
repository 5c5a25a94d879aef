"""``wandb.summary``: the last value logged of each metric, unless set by
hand. Values set by hand are sent as the run's metadata entry ``summary``
(a JSON object; rank 0 sends it); the last values are not sent, since the
server computes each metric's last, min and max from its points."""

import json
import logging
from collections.abc import MutableMapping
from typing import Any, Callable, Dict, Iterator, Optional

from ..integrations._common import jsonable

_logger = logging.getLogger("stepstream")
MAX_JSON = 16 << 10  # the server's bound on one metadata value


class Summary(MutableMapping):  # type: ignore[type-arg]
    def __init__(self, on_change: Optional[Callable[[str], None]] = None) -> None:
        object.__setattr__(self, "_set", {})
        object.__setattr__(self, "_last", {})
        object.__setattr__(self, "_on_change", on_change)

    def observe(self, row: Dict[str, float]) -> None:
        """The values of a committed row become the last values."""
        self._last.update(row)

    def to_json(self) -> Optional[str]:
        """The values set by hand as JSON, or None if too large for the server."""
        text = json.dumps(self._set, allow_nan=True, default=str)
        if len(text.encode()) > MAX_JSON:
            _logger.warning("stepstream.wandb: summary is over %d bytes as JSON, not sent", MAX_JSON)
            return None
        return text

    def update(self, values: Any = None, **kw: Any) -> None:  # type: ignore[override]
        self._set.update({str(k): jsonable(v) for k, v in {**dict(values or {}), **kw}.items()})
        if self._on_change is not None:
            self._on_change("summary")

    def __getitem__(self, key: str) -> Any:
        return self._set[key] if key in self._set else self._last[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        self._set.pop(key, None)
        self._last.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter({**self._last, **self._set})

    def __len__(self) -> int:
        return len({**self._last, **self._set})

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __repr__(self) -> str:
        return repr({**self._last, **self._set})
