"""What a run is made with: its modes and the defaults of its settings."""

import enum

DEFAULT_URL = "http://127.0.0.1:4300"
DEFAULT_SPOOL_DIR = "stepstream-spool"


class Mode(str, enum.Enum):
    """Where a run's data goes. A str, so ``run.mode == "offline"`` works."""

    ONLINE = "online"  # to the server (and the spool while it is away)
    OFFLINE = "offline"  # to the spool only, for stepstream-sync
    DISABLED = "disabled"  # nowhere: log() does nothing

    def __str__(self) -> str:
        return self.value
