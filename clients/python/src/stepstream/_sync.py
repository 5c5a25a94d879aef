"""``stepstream-sync DIR`` / ``python -m stepstream sync DIR``.

Uploads the batches of every spool under DIR (an offline run, or what an
online run could not send before exiting), oldest first. A batch file is
removed only after the server accepted it; each file carries its own
``attempt``, ``client_id`` and ``sequence``, so a batch sent twice (the command was
interrupted between the server's answer and the removal) is stored once.
Running the command again resumes with what is left.
"""

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, NoReturn, Optional, Sequence, TextIO

from ._answer import FATAL, INTERRUPTED, OK, REJECT, SPLIT, Answer
from ._batch import gzip_body, split_body
from ._spool import Spool, SpoolLocked, find_spools, parse_batch_name
from ._transport import Transport, deliver

# Exit statuses, the same for the Node client's stepstream-sync-js.
EXIT_OK = 0  # every batch was sent
EXIT_REJECTED = 1  # some batches were refused by the server as invalid (kept under rejected/)
EXIT_FATAL = 2  # the server refused the key, or the url is wrong
EXIT_INCOMPLETE = 3  # the server stayed unreachable (or Ctrl-C); run again to resume
EXIT_USAGE = 64  # bad arguments, or DIR is not a directory


@dataclass
class SyncResult:
    spools: int = 0
    sent_batches: int = 0
    sent_points: int = 0
    rejected: int = 0
    left: int = 0
    skipped: List[str] = field(default_factory=list)
    fatal: Optional[str] = None

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return EXIT_FATAL
        if self.left:
            return EXIT_INCOMPLETE
        if self.rejected:
            return EXIT_REJECTED
        return EXIT_OK


def sync(
    root: Path,
    url: Optional[str] = None,
    api_key: Optional[str] = None,
    timeout: float = 120.0,
    out: Optional[TextIO] = None,
    stop: Optional[threading.Event] = None,
    compress: bool = True,
) -> SyncResult:
    """Upload every spool under ``root``. ``timeout``: how long to keep
    retrying an unreachable or overloaded server for one batch."""
    out = out or sys.stdout
    stop = stop or threading.Event()
    result = SyncResult()
    transports: Dict[str, Transport] = {}
    try:
        for path in find_spools(root):
            spool = Spool(path)
            try:
                spool.lock()
            except SpoolLocked as e:
                result.skipped.append(str(path))
                print("skipped %s" % e, file=out)
                continue
            try:
                meta = spool.read_meta()
                target = url or os.environ.get("STEPSTREAM_URL") or meta.get("url") or "http://127.0.0.1:4300"
                if target not in transports:
                    transports[target] = Transport(target, api_key=api_key)
                done = _sync_one(spool, transports[target], timeout, out, stop, result, compress)
            finally:
                spool.unlock()
            result.spools += 1
            if done:
                spool.cleanup_if_done()
            if result.fatal or (not done and result.left):
                break
    finally:
        for t in transports.values():
            t.close()
    return result


def _sync_one(
    spool: Spool,
    transport: Transport,
    timeout: float,
    out: TextIO,
    stop: threading.Event,
    result: SyncResult,
    compress: bool = True,
) -> bool:
    queue = spool.pending()
    sent = points = 0
    told_retry = [False]

    def on_retry(answer: Answer, delay: float) -> None:
        if not told_retry[0]:
            told_retry[0] = True
            print(
                "  %s not taking data (%s); retrying for up to %g s" % (transport.url, answer.describe(), timeout),
                file=out,
            )

    while queue:
        path = queue.pop(0)
        parsed = parse_batch_name(path.name)
        if parsed is None:  # pragma: no cover - pending() only lists batch files
            continue
        sequence, split, gzipped = parsed
        try:
            with open(path, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            continue
        if gzipped:
            wire, wire_gz = body, True
        elif compress:
            wire, wire_gz = gzip_body(body), True
        else:
            wire, wire_gz = body, False
        answer = deliver(transport, wire, wire_gz, stop, deadline=time.monotonic() + timeout, on_retry=on_retry)
        if answer.kind == OK:
            spool.remove(path)
            sent += 1
            points += answer.accepted_points
        elif answer.kind == SPLIT:
            halves = split_body(body, gzipped)
            if halves is None:
                _reject(spool, path, body, answer, out, result)
                continue
            # NOTE: halves on disk before the whole goes; a crash in between
            # leaves both, and re-splitting gives byte-identical halves.
            new = [spool.write(sequence, split + "~%d" % i, h, gzipped) for i, h in enumerate(halves)]
            spool.remove(path)
            queue[0:0] = new
        elif answer.kind == REJECT:
            _reject(spool, path, body, answer, out, result)
        elif answer.kind == FATAL:
            result.fatal = answer.describe()
            print("error: %s refused the upload (%s); check --url and --api-key" % (transport.url, result.fatal), file=out)
            result.left += len(queue) + 1
            break
        else:
            assert answer.kind == INTERRUPTED
            result.left += len(queue) + 1
            print(
                "  gave up for now: %s (%s); %d batch(es) left, run the same command again to resume"
                % (transport.url, answer.describe() if answer.status or answer.error else "interrupted", len(queue) + 1),
                file=out,
            )
            break
    result.sent_batches += sent
    result.sent_points += points
    print("%s: sent %d batch(es), %d point(s)" % (spool.path, sent, points), file=out)
    return not queue and not result.fatal and result.left == 0


def _reject(spool: Spool, path: Path, body: bytes, answer: Answer, out: TextIO, result: SyncResult) -> None:
    result.rejected += 1
    kept = spool.reject(path, body, path.name, {"status": answer.status, "answer": answer.json() or answer.body.decode("utf-8", "replace")})
    print("  rejected %s: %s (kept as %s)" % (path.name, answer.describe(), kept), file=out)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> "NoReturn":
        # NOTE: argparse exits 2 on bad arguments, which is EXIT_FATAL here.
        self.print_usage(sys.stderr)
        print("%s: error: %s" % (self.prog, message), file=sys.stderr)
        raise _UsageError(message)


def sync_cli(args_in: Sequence[str]) -> int:
    parser = _Parser(
        prog="stepstream-sync",
        description="Upload spooled Stepstream batches (offline runs, or what an online run could not send). "
        "Each batch is sent once; run again to resume.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="a spool directory, or any directory above spools")
    parser.add_argument("--url", help="server URL (default: $STEPSTREAM_URL, else the URL the run used)")
    parser.add_argument("--api-key", default=os.environ.get("STEPSTREAM_API_KEY"), help="default: $STEPSTREAM_API_KEY")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds to keep retrying an unreachable or busy server before giving up (default 120)",
    )
    parser.add_argument("--no-gzip", action="store_true", help="send batches uncompressed")
    try:
        args = parser.parse_args(list(args_in))
    except _UsageError:
        return EXIT_USAGE
    stop = threading.Event()
    total = SyncResult()
    try:
        for d in args.dirs:
            if not Path(d).is_dir():
                print("error: %s is not a directory" % d, file=sys.stderr)
                return EXIT_USAGE
            r = sync(Path(d), url=args.url, api_key=args.api_key, timeout=args.timeout, stop=stop, compress=not args.no_gzip)
            for k in ("spools", "sent_batches", "sent_points", "rejected", "left"):
                setattr(total, k, getattr(total, k) + getattr(r, k))
            total.skipped += r.skipped
            total.fatal = total.fatal or r.fatal
            if r.fatal:
                break
    except KeyboardInterrupt:
        stop.set()
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INCOMPLETE
    print(
        "done: %d spool(s), %d batch(es) and %d point(s) sent, %d rejected, %d left, %d skipped"
        % (total.spools, total.sent_batches, total.sent_points, total.rejected, total.left, len(total.skipped))
    )
    return total.exit_code


def sync_main() -> None:
    """Entry point of the ``stepstream-sync`` script."""
    sys.exit(sync_cli(sys.argv[1:]))
