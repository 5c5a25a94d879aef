"""``wandb.config``: a dict with attribute access whose changes are sent as
the run's config (rank 0 sends it)."""

from collections.abc import MutableMapping
from typing import Any, Callable, Dict, Iterator, Optional

from ..integrations._common import jsonable


def _as_dict(values: Any) -> Dict[str, Any]:
    if values is None:
        return {}
    if isinstance(values, MutableMapping) or hasattr(values, "items"):
        return {str(k): v for k, v in values.items()}
    try:
        return {str(k): v for k, v in vars(values).items() if not str(k).startswith("_")}  # argparse, absl flags
    except TypeError:
        raise TypeError("stepstream.wandb: config must be a dict or an argparse.Namespace, got %s" % type(values).__name__) from None


class Config(MutableMapping):  # type: ignore[type-arg]
    """Item and attribute access, ``update``, ``setdefaults``, ``as_dict``."""

    def __init__(self, values: Any = None, on_change: Optional[Callable[[Dict[str, Any]], None]] = None) -> None:
        object.__setattr__(self, "_items", {k: jsonable(v) for k, v in _as_dict(values).items()})
        object.__setattr__(self, "_on_change", on_change)

    def _changed(self, changes: Dict[str, Any]) -> None:
        if self._on_change is not None and changes:
            self._on_change(changes)

    def update(self, values: Any = None, allow_val_change: Optional[bool] = None, **kw: Any) -> None:  # type: ignore[override]
        changes = {k: jsonable(v) for k, v in {**_as_dict(values), **kw}.items()}
        self._items.update(changes)
        self._changed(changes)

    def setdefaults(self, values: Any) -> None:
        self.update({k: v for k, v in _as_dict(values).items() if k not in self._items})

    def as_dict(self) -> Dict[str, Any]:
        return dict(self._items)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError("stepstream.wandb: config has no key %r" % key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __repr__(self) -> str:
        return repr(self._items)
