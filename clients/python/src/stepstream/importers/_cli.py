"""``stepstream-py import SOURCE ...`` / ``python -m stepstream import SOURCE ...``."""

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Dict, Iterator, NoReturn, Optional, Sequence, Union

from .._options import DEFAULT_URL
from ._model import MissingPackage, ReadFailure, SourceRun
from ._progress import Progress
from ._report import EXIT_INCOMPLETE, EXIT_UNAVAILABLE, EXIT_USAGE, Report
from ._upload import ImportFatal, ImportIncomplete, Uploader

Reader = Callable[[argparse.Namespace, Progress], Iterator[Union[SourceRun, ReadFailure]]]


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> "NoReturn":
        # NOTE: argparse would exit 2, which means "the server refused the key" here.
        self.print_usage(sys.stderr)
        print("%s: error: %s" % (self.prog, message), file=sys.stderr)
        raise UsageError(message)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", required=True, help="the Stepstream project the runs go to")
    p.add_argument("--url", default=os.environ.get("STEPSTREAM_URL") or DEFAULT_URL, help="server URL (default: $STEPSTREAM_URL, else %s)" % DEFAULT_URL)
    p.add_argument("--api-key", default=os.environ.get("STEPSTREAM_API_KEY"), help="default: $STEPSTREAM_API_KEY")
    p.add_argument("--dry-run", action="store_true", help="read the source and say what would be imported; send nothing")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to keep retrying an unreachable or busy server (default 120)")
    p.add_argument("--batch-points", type=int, default=100_000, help="points per request (default 100000)")
    p.add_argument("--progress-every", type=float, default=2.0, metavar="SECONDS", help="a progress line on stderr this often (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Import runs of other trackers into Stepstream. Each source run becomes one run whose id derives "
        "from the source: importing the same source again stores nothing twice, and a source that changed since "
        "is stored again as a new attempt of the same run.",
    )
    sub = parser.add_subparsers(dest="source", metavar="SOURCE", parser_class=_Parser)
    sub.required = True
    tb = sub.add_parser("tensorboard", help="every scalar of every run directory (tfevents files) under LOGDIR")
    tb.add_argument("logdir", metavar="LOGDIR", type=Path)
    ml = sub.add_parser("mlflow", help="the runs of MLflow experiments: params, tags, status, every metric step")
    ml.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI"), help="default: $MLFLOW_TRACKING_URI")
    ml.add_argument("--experiment", action="append", required=True, metavar="NAME_OR_ID", help="repeat for several")
    wb = sub.add_parser("wandb", help="offline W&B run directories (wandb/offline-run-*): config, summary, history")
    wb.add_argument("dirs", nargs="+", metavar="DIR", type=Path, help="a run directory, or a directory above run directories")
    pq = sub.add_parser("parquet", help="Neptune exporter parquet files, or Stepstream's own export")
    pq.add_argument("files", nargs="+", metavar="FILE", type=Path, help="parquet files, or directories holding them")
    pq.add_argument("--run-id", help="our own export: the run's id (default: the file name without .parquet)")
    pq.add_argument("--name", help="our own export: the run's name (default: its id)")
    for p in (tb, ml, wb, pq):
        _common(p)
    return parser


def _reader(source: str) -> Reader:
    # NOTE: imported on use: mlflow, wandb and pyarrow are optional and slow to import.
    if source == "tensorboard":
        from . import tensorboard

        return lambda a, pr: tensorboard.read_logdir(a.logdir, pr)
    if source == "mlflow":
        from . import mlflow

        return lambda a, pr: mlflow.read_experiments(a.tracking_uri, a.experiment, pr)
    if source == "wandb":
        from . import wandb

        return lambda a, pr: wandb.read_dirs(a.dirs, pr)
    from . import parquet

    return lambda a, pr: parquet.read_files(a.files, a.run_id, a.name, pr)


def _check_paths(args: argparse.Namespace) -> Optional[str]:
    paths = [args.logdir] if args.source == "tensorboard" else getattr(args, "dirs", None) or getattr(args, "files", None) or []
    for p in paths:
        if not p.exists():
            return "%s does not exist" % p
    if args.source == "mlflow" and not args.tracking_uri:
        return "--tracking-uri is required (or set MLFLOW_TRACKING_URI)"
    if args.batch_points < 1:
        return "--batch-points must be at least 1"
    return None


def import_cli(argv: Sequence[str], prog: str = "stepstream-py import") -> int:
    try:
        args = build_parser(prog).parse_args(list(argv))
    except UsageError:
        return EXIT_USAGE
    bad = _check_paths(args)
    if bad:
        print("error: %s" % bad, file=sys.stderr)
        return EXIT_USAGE
    progress = Progress(sys.stderr, args.progress_every, args.quiet)
    report = Report()
    uploader = Uploader(args.url, args.project, args.api_key, args.timeout, args.batch_points, progress, args.dry_run)
    try:
        for item in _reader(args.source)(args, progress):
            if isinstance(item, ReadFailure):
                report.failed.append(str(item))
                print("failed: %s" % item, file=sys.stderr)
                continue
            report.add(item, uploader.upload(item), sys.stdout)
    except MissingPackage as e:
        print("error: %s" % e, file=sys.stderr)
        return EXIT_UNAVAILABLE
    except ImportFatal as e:
        report.fatal = str(e)
    except ImportIncomplete as e:
        report.incomplete = str(e)
    except KeyboardInterrupt:
        uploader.stop.set()
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INCOMPLETE
    finally:
        uploader.close()
    report.summary(sys.stdout)
    return report.exit_code


SOURCES: Dict[str, str] = {
    "tensorboard": "import tensorboard LOGDIR --project P",
    "mlflow": "import mlflow --tracking-uri URI --experiment E --project P",
    "wandb": "import wandb DIR --project P",
    "parquet": "import parquet FILES --project P",
}
