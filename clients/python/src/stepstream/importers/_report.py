"""The end of an import: one line per run, what was left out, and the
totals; and the exit status they make."""

from dataclasses import dataclass, field
from typing import List, Optional, TextIO

from ._model import Skipped, SourceRun
from ._upload import RunResult

EXIT_OK = 0  # every run imported (or already there)
EXIT_PARTIAL = 1  # some runs could not be read, or some batches were refused
EXIT_FATAL = 2  # the server refused the key, or the URL is wrong
EXIT_INCOMPLETE = 3  # the server stayed unreachable, or Ctrl-C: run again to resume
EXIT_USAGE = 64  # bad arguments, a path that does not exist
EXIT_UNAVAILABLE = 69  # a package this source needs is not installed


@dataclass
class Report:
    runs: List[RunResult] = field(default_factory=list)
    failed: List[str] = field(default_factory=list)  # runs that could not be read: why
    skipped: Skipped = field(default_factory=Skipped)
    fatal: Optional[str] = None
    incomplete: Optional[str] = None

    def add(self, run: SourceRun, result: RunResult, out: TextIO) -> None:
        self.runs.append(result)
        self.skipped.merge(run.skipped)
        attempt = " (attempt %d)" % result.attempt if result.attempt else ""
        print(
            "%s %r as %s%s: %d points in %d metrics%s"
            % (result.outcome, result.name, result.run_id, attempt, result.points, result.metrics,
               ", %d batch(es) refused" % result.rejected if result.rejected else ""),
            file=out,
            flush=True,
        )
        for line in run.skipped.lines():
            print("  left out: %s" % line, file=out)

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return EXIT_FATAL
        if self.incomplete:
            return EXIT_INCOMPLETE
        if self.failed or any(r.rejected for r in self.runs):
            return EXIT_PARTIAL
        return EXIT_OK

    def summary(self, out: TextIO) -> None:
        points = sum(r.points for r in self.runs)
        print("done: %d run(s), %d point(s)%s" % (len(self.runs), points, ", %d run(s) failed" % len(self.failed) if self.failed else ""), file=out)
        if self.skipped:
            print("left out in all (not scalars, or beyond the server's rules):", file=out)
            for line in self.skipped.lines():
                print("  %s" % line, file=out)
        for why in self.failed:
            print("failed: %s" % why, file=out)
        if self.fatal:
            print("error: %s" % self.fatal, file=out)
        if self.incomplete:
            print("error: %s" % self.incomplete, file=out)
