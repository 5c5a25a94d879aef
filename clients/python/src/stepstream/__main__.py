"""``python -m stepstream sync DIR``: upload spooled batches."""

import sys

from ._sync import main

if __name__ == "__main__":
    sys.exit(main())
