"""What the facade does not cover: each feature warns once per process and
then does nothing, so a training script using it keeps training."""

import logging
import warnings
from typing import Any, Iterator, Set

_logger = logging.getLogger("stepstream")
_warned: Set[str] = set()


def warn_once(feature: str, what: str = "is not covered by stepstream.wandb and does nothing") -> None:
    if feature in _warned:
        return
    _warned.add(feature)
    warnings.warn("stepstream.wandb: %s %s" % (feature, what), stacklevel=3)


class Noop:
    """Stands for any object of a feature not covered: every attribute and
    call gives another Noop, it is falsy, empty and iterable."""

    def __init__(self, feature: str = "") -> None:
        self._feature = feature

    def __call__(self, *args: Any, **kwargs: Any) -> "Noop":
        return self

    def __getattr__(self, name: str) -> "Noop":
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __enter__(self) -> "Noop":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __repr__(self) -> str:
        return "<stepstream.wandb: %s (not covered)>" % self._feature


class Unsupported(Noop):
    """The base of the media and artifact classes (Image, Table, Artifact...):
    making one warns once; logging one skips it."""

    feature = "?"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(self.feature)
        if self.feature in MEDIA:
            warn_once("wandb.%s" % self.feature, "is not stored by Stepstream (numbers only): skipped when logged")
        else:
            warn_once("wandb.%s" % self.feature)


def unsupported_class(name: str) -> type:
    return type(name, (Unsupported,), {"feature": name})


def unsupported_function(name: str) -> Any:
    def f(*args: Any, **kwargs: Any) -> Noop:
        warn_once("wandb.%s()" % name)
        return Noop(name)

    f.__name__ = name
    return f


MEDIA = ("Table", "Image", "Histogram", "Audio", "Video", "Html", "Object3D", "Molecule", "Plotly", "Graph")
OTHER_CLASSES = ("Artifact", "Api")
FUNCTIONS = ("watch", "unwatch", "save", "restore", "alert", "log_artifact", "use_artifact", "log_model",
             "use_model", "link_model", "mark_preempting", "sweep", "agent", "controller", "log_code")
