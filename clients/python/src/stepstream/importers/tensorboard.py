"""``import tensorboard LOGDIR``: every directory under LOGDIR holding event
files (``*tfevents*``) is a run; every scalar of it becomes a point with
its step and wall time. Read with this package's own TFRecord and protobuf
reader: TensorFlow and TensorBoard are not needed.

The run's name is its path under LOGDIR (LOGDIR's own name for files
directly in it); its id derives from that path and its first event file's
name (which holds the time, host and pid it was created with), so the same
LOGDIR imported again gives the same ids."""

import os
import re
from pathlib import Path
from typing import Iterator

from .._proto import RunStatus
from ._model import SourceRun
from ._names import derived_run_id
from ._progress import Progress
from ._tfevent import decode_event
from ._tfrecord import RecordError, Truncated, read_records
from ._wire import WireError

_EVENTS = re.compile(r"tfevents")
_STAMP = re.compile(r"tfevents\.(\d+)")


def _event_file_order(name: str) -> tuple:
    m = _STAMP.search(name)
    return (int(m.group(1)) if m else 0, name)


def run_dirs(logdir: Path) -> Iterator[tuple]:
    """``(run name, directory, event files in the order they were written)``."""
    for here, dirs, files in os.walk(logdir):
        dirs.sort()
        events = sorted((f for f in files if _EVENTS.search(f)), key=_event_file_order)
        if events:
            rel = os.path.relpath(here, logdir)
            name = logdir.resolve().name if rel == "." else rel.replace(os.sep, "/")
            yield name, Path(here), events


def read_logdir(logdir: Path, progress: Progress) -> Iterator[SourceRun]:
    for name, directory, files in run_dirs(logdir):
        key = "tensorboard\n%s\n%s" % (name, files[0])
        run = SourceRun(
            kind="tensorboard",
            key=key,
            name=name,
            run_id=derived_run_id("tb", key, name),
            status=RunStatus.FINISHED,
            source=str(directory),
        )
        for f in files:
            _read_file(run, directory / f, progress)
        yield run


def _read_file(run: SourceRun, path: Path, progress: Progress) -> None:
    plugins: dict = {}
    events = 0
    with open(path, "rb") as f:
        try:
            for data in read_records(f):
                events += 1
                try:
                    ev = decode_event(data, plugins)
                except WireError as e:
                    run.skipped.add("undecodable event", "%s: %s" % (path.name, e))
                    continue
                time_ms = int(round(ev.wall_time * 1000))
                if ev.other:
                    run.skipped.add(ev.other, path.name)
                for tag, value, kind in ev.values:
                    if value is None:
                        run.skipped.add(kind, tag)
                    else:
                        run.add(tag, ev.step, value, time_ms)
                        run.note_times(time_ms)
                if events % 4096 == 0:
                    progress.tick(lambda: "  reading %s: %d events, %d points so far" % (path, events, run.points))
        except Truncated as e:
            run.skipped.add("partial last record (file still being written?)", "%s: %s" % (path.name, e))
        except RecordError as e:
            run.skipped.add("damaged event file, read up to the damage", "%s: %s" % (path.name, e))

