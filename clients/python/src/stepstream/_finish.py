"""The end of a run: the last cut, the wait for the server, and what the
user is told about what is left and how to upload it."""

import logging
from typing import Protocol

from ._pipeline import Pipeline
from ._spool import Spool

_logger = logging.getLogger("stepstream")


class Finishing(Protocol):
    """What the end of a run reads of it (a Run; named here so this module needs no import of _run)."""

    id: str
    url: str
    mode: str
    owns_run_info: bool
    spool: Spool


def close_and_report(run: Finishing, pipeline: Pipeline, timeout: float) -> bool:
    """Close ``pipeline`` within ``timeout`` seconds and say what became of
    the data. True when nothing is lost: online, everything reached the
    server (and none of it was rejected); offline, everything is in the spool."""

    def slow(pending: int) -> None:
        _logger.warning(
            "stepstream: sending the last %d batch(es) of run %r to %s (waiting up to %.0f s)...",
            pending,
            run.id,
            run.url,
            timeout,
        )

    summary = pipeline.close(timeout, on_slow=slow)
    if run.mode == "offline":
        run.spool.unlock()
        if summary.unwritten_batches:
            _logger.error(
                "stepstream: offline run %r: %d batch(es) could not be written to %s and are lost",
                run.id,
                summary.unwritten_batches,
                summary.spool,
            )
        if run.owns_run_info:
            root = run.spool.path.parent
            _logger.warning(
                "stepstream: offline run %r saved in %s; upload it with: stepstream-sync %s --url URL",
                run.id,
                root,
                root,
            )
        return summary.unwritten_batches == 0
    if summary.all_sent:
        run.spool.cleanup_if_done()
        return summary.rejected == 0
    run.spool.unlock()
    why = "the server refused the data: %s" % summary.fatal if summary.fatal else (
        "%s did not take all data within %.0f s" % (run.url, timeout)
    )
    _logger.warning(
        "stepstream: %s; %d batch(es) of run %r are kept in %s. Nothing is lost: upload them "
        "when the server is back with: python -m stepstream sync %s",
        why,
        summary.left_batches,
        run.id,
        summary.spool,
        summary.spool,
    )
    return False
