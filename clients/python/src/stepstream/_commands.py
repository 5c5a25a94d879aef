"""The package's commands: ``stepstream-py COMMAND ...`` and
``python -m stepstream COMMAND ...`` (``stepstream-sync`` is ``sync``'s own
script). Named ``stepstream-py`` so as not to shadow the server's
``stepstream`` program on the same PATH."""

import sys
from typing import List, Optional, Sequence

from ._version import __version__

EXIT_USAGE = 64

USAGE = """usage: stepstream-py COMMAND ...   (or: python -m stepstream COMMAND ...)

commands:
  sync DIR [--url URL] [--api-key KEY]     upload spooled batches (offline runs, or what a run could not send)
  import tensorboard LOGDIR --project P    every scalar of every TensorBoard run under LOGDIR
  import mlflow --tracking-uri URI --experiment E --project P
                                           MLflow runs: params, tags, status, every metric step
  import wandb DIR --project P             offline W&B runs (wandb/offline-run-*)
  import parquet FILES --project P         Neptune exporter parquet, or Stepstream's own export

  COMMAND --help says more. --version prints the version.
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    args: List[str] = list(sys.argv[1:] if argv is None else argv)
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command == "sync":
        from ._sync import sync_cli

        return sync_cli(rest)
    if command == "import":
        from .importers._cli import import_cli

        return import_cli(rest)
    if command in ("--version", "-V"):
        print("stepstream %s" % __version__)
        return 0
    if command in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    if command:
        print("error: unknown command %r" % command, file=sys.stderr)
    print(USAGE, end="", file=sys.stderr)
    return EXIT_USAGE


def console_main() -> None:
    """Entry point of the ``stepstream-py`` script."""
    sys.exit(main())
