"""Progress of a long import on stderr: a line every few seconds while a run
is read or sent, and one line per run when it is done."""

import sys
import time
from typing import Callable, Optional, TextIO


class Progress:
    def __init__(self, out: Optional[TextIO] = None, every: float = 2.0, quiet: bool = False) -> None:
        self.out = out if out is not None else sys.stderr
        self.every = every
        self.quiet = quiet
        self._last = time.monotonic()

    def tick(self, line: Callable[[], str]) -> None:
        """Print ``line()`` if ``every`` seconds passed since the last line
        (``line`` is only called then, so a tick costs a clock read)."""
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.say(line())

    def say(self, line: str) -> None:
        if not self.quiet:
            print(line, file=self.out, flush=True)
            self._last = time.monotonic()
