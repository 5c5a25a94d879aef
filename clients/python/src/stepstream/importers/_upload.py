"""One source run to the server: decide its attempt from what the server
already holds, send its requests (same bytes on every retry, halves on a
413), and say what happened."""

import threading
import time
from dataclasses import dataclass
from typing import Optional

from .._answer import FATAL, INTERRUPTED, OK, REJECT, SPLIT
from .._batch import gzip_body, split_body
from .._transport import Transport, deliver
from ._batches import client_id_for, content_digest, counts_by_metric, requests, run_info, sorted_series
from ._model import SourceRun
from ._progress import Progress
from ._server import ServerError, read_run


class ImportFatal(Exception):
    """The server refused the key or the URL is wrong: nothing more can be sent."""


class ImportIncomplete(Exception):
    """The server stayed unreachable (or busy) past the timeout, or Ctrl-C."""


@dataclass
class RunResult:
    run_id: str
    name: str
    points: int
    metrics: int
    attempt: int = 0
    outcome: str = "imported"  # imported | already imported | re-imported | dry run
    sent_batches: int = 0
    rejected: int = 0


class Uploader:
    def __init__(
        self,
        url: str,
        project: str,
        api_key: Optional[str] = None,
        timeout: float = 120.0,
        batch_points: int = 100_000,
        progress: Optional[Progress] = None,
        dry_run: bool = False,
    ) -> None:
        self.url = url
        self.project = project
        self.api_key = api_key
        self.timeout = timeout
        self.batch_points = batch_points
        self.progress = progress or Progress()
        self.dry_run = dry_run
        self.stop = threading.Event()
        self.transport = None if dry_run else Transport(url, api_key=api_key)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def upload(self, run: SourceRun) -> RunResult:
        series = sorted_series(run)
        content = content_digest(run, series)
        result = RunResult(run.run_id, run.name, sum(len(c) for c in series.values()), len({m for m, _ in series}))
        if self.dry_run:
            result.outcome = "dry run"
            run_info(run, content, 0)  # tallies what would not fit
            return result
        try:
            stored = read_run(self.url, self.api_key, self.project, run.run_id, timeout=min(30.0, self.timeout))
        except ServerError as e:
            if e.fatal:
                raise ImportFatal(str(e)) from e
            raise ImportIncomplete(str(e)) from e
        attempt = 0
        if stored is not None:
            if stored.digest == content:
                attempt = stored.attempt
                if stored.counts == counts_by_metric(series):
                    result.outcome, result.attempt = "already imported", attempt
                    return result
            else:
                # NOTE: the source changed since it was imported (or the run is not an
                # import): a new attempt from step 0 supersedes what is stored.
                attempt = max(stored.attempt + 1, stored.attempts)
                result.outcome = "re-imported"
        result.attempt = attempt
        info = run_info(run, content, attempt)
        client_id = client_id_for(run, content)
        sent_points = 0
        for body, points in requests(self.project, run, series, info, client_id, attempt, self.batch_points):
            self._send(body, result)
            sent_points += points
            self.progress.tick(lambda: "  %s: sent %d of %d points" % (run.run_id, sent_points, result.points))
        return result

    def _send(self, body: bytes, result: RunResult) -> None:
        assert self.transport is not None
        answer = deliver(self.transport, gzip_body(body), True, self.stop, deadline=time.monotonic() + self.timeout)
        if answer.kind == OK:
            result.sent_batches += 1
        elif answer.kind == SPLIT:
            halves = split_body(body, False)
            if halves is None:
                self._reject(answer.describe(), result)
            else:
                for half in halves:
                    self._send(half, result)
        elif answer.kind == REJECT:
            self._reject(answer.describe(), result)
        elif answer.kind == FATAL:
            raise ImportFatal("%s refused the import (%s); check --url and --api-key" % (self.url, answer.describe()))
        else:
            assert answer.kind == INTERRUPTED
            why = answer.describe() if answer.status or answer.error else "interrupted"
            raise ImportIncomplete("%s did not take the data (%s); run the same command again to resume" % (self.url, why))

    def _reject(self, why: str, result: RunResult) -> None:
        result.rejected += 1
        self.progress.say("  error: the server refused a batch of run %s: %s" % (result.run_id, why))
