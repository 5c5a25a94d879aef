"""``python -m stepstream COMMAND ...``: sync, import (see _commands.py)."""

import sys

from ._commands import main

if __name__ == "__main__":
    sys.exit(main())
