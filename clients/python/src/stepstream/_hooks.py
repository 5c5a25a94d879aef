"""Process hooks: runs not finished by hand are finished at interpreter exit,
as ``failed`` after an uncaught exception."""

import atexit
import logging
import sys
import weakref
from typing import Any, List

_logger = logging.getLogger("stepstream")

live_runs: "weakref.WeakSet[Any]" = weakref.WeakSet()
_installed = False
_uncaught: List[bool] = []
_prev_excepthook = sys.excepthook


def _excepthook(exc_type: Any, exc: Any, tb: Any) -> None:
    if not issubclass(exc_type, SystemExit):
        _uncaught.append(True)
    _prev_excepthook(exc_type, exc, tb)


def _at_exit() -> None:
    status = "failed" if _uncaught else "finished"
    for run in list(live_runs):
        try:
            run.finish(status)
        except Exception as e:  # pragma: no cover - never fail the interpreter's exit
            _logger.error("stepstream: could not finish run %r at exit: %s", run.id, e)


def install() -> None:
    """Hook sys.excepthook and atexit (once per process)."""
    global _installed, _prev_excepthook
    if _installed:
        return
    _installed = True
    _prev_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_at_exit)
