"""What a run is made with: its modes, the defaults of its settings, and
the checks of what names it (project, run id, rank)."""

import enum
import operator
from typing import Any, Optional, Tuple, Union

DEFAULT_URL = "http://127.0.0.1:4300"
DEFAULT_SPOOL_DIR = "stepstream-spool"


class Mode(str, enum.Enum):
    """Where a run's data goes. A str, so ``run.mode == "offline"`` works."""

    ONLINE = "online"  # to the server (and the spool while it is away)
    OFFLINE = "offline"  # to the spool only, for stepstream-sync
    DISABLED = "disabled"  # nowhere: log() does nothing

    def __str__(self) -> str:
        return self.value


def check_settings(project: Any, run_id: Any, mode: Union[Mode, str], rank: Any) -> Tuple[Mode, Optional[int]]:
    """The run's mode and rank (None: a single-process run) as given, checked;
    a ValueError naming the argument otherwise."""
    if not isinstance(project, str) or not project:
        raise ValueError("stepstream: project must be a non-empty string")
    if not isinstance(run_id, str) or not run_id:
        raise ValueError("stepstream: run_id must be a non-empty string")
    try:
        checked = Mode(mode)
    except ValueError:
        raise ValueError("stepstream: mode must be 'online', 'offline' or 'disabled', got %r" % (mode,)) from None
    if rank is not None:
        rank = operator.index(rank)
        if not -1 <= rank < (1 << 31):
            raise ValueError("stepstream: rank must be -1 or a non-negative int32, got %d" % rank)
    return checked, rank
