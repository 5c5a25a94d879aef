"""The spool: encoded batches kept on disk until the server has them.

One directory per client (process and rank)::

    <root>/<project>/<run_id>/<client_id>/
        spool.json                      what the batches belong to (no secrets)
        .lock                           held (flock) by the process writing here, its pid inside
        00000000000000000042.pb         one IngestRequest, exactly the bytes to POST
        00000000000000000043~0.pb       first half of batch 43 after a 413
        00000000000000000044.pb.gz      the same, gzipped (read, not written, by this client)
        rejected/                       batches the server refused (400), with why

A batch file holds the encoded request, so its identity (``attempt``,
``client_id``, ``sequence``) travels with it: sending it again (after a
crash, from ``stepstream sync``) is stored once, in its attempt. Files are written to a temporary name and
renamed, so a reader never sees half a batch; a file is removed only after
the server accepted it.
"""

import json
import os
import re
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

try:  # POSIX advisory locks; on other systems the lock is a no-op
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

META_FILE = "spool.json"
LOCK_FILE = ".lock"
REJECTED_DIR = "rejected"
FORMAT = 1

_BATCH_RE = re.compile(r"^(\d{20})((?:~[01])*)\.pb(\.gz)?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_component(name: str) -> str:
    """A path component for a project or run id (kept readable)."""
    s = _UNSAFE.sub("_", name)[:120]
    if s in ("", ".", ".."):
        s = "_" + s
    return s


def batch_name(sequence: int, split: str = "", gzipped: bool = False) -> str:
    return "%020d%s.pb%s" % (sequence, split, ".gz" if gzipped else "")


def parse_batch_name(name: str) -> Optional[Tuple[int, str, bool]]:
    m = _BATCH_RE.match(name)
    if not m:
        return None
    return int(m.group(1)), m.group(2), bool(m.group(3))


def _write_atomic(path: Path, data: bytes, fsync: bool = False) -> None:
    # NOTE: no fsync by default: the spool guards against the server being
    # away and the process exiting, which the page cache survives; a machine
    # crash loses the process's in-memory buffers anyway.
    tmp = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    with open(tmp, "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


class SpoolLocked(Exception):
    pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # alive, someone else's
    except OSError:
        return False
    return True


class Spool:
    """A client's spool directory, created on first use."""

    def __init__(self, path: Path, meta: Optional[Dict[str, Any]] = None) -> None:
        self.path = Path(path)
        self.meta = meta
        self._lock_fd: Optional[int] = None

    # ----------------------------------------------------------- lifecycle

    def ensure(self) -> None:
        """Create the directory and its spool.json, and take the lock."""
        if self._lock_fd is not None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self.lock()
        meta_path = self.path / META_FILE
        if self.meta is not None and not meta_path.exists():
            _write_atomic(meta_path, (json.dumps(self.meta, indent=2, sort_keys=True) + "\n").encode())

    def lock(self) -> None:
        """Take the directory's lock (non-blocking); raise SpoolLocked if a
        live process holds it."""
        if self._lock_fd is not None:
            return
        fd = os.open(str(self.path / LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        holder = ""
        try:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
        except OSError:  # pragma: no cover
            pass
        busy = False
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                busy = True
        # NOTE: the TypeScript client cannot flock: its lock is a live pid in
        # this file (ours let go empty it, in unlock). A pid that is ours is
        # an earlier life of this pid, stale like a dead one.
        if not busy and holder.isdigit() and int(holder) != os.getpid():
            busy = _pid_alive(int(holder))
        if busy:
            os.close(fd)
            raise SpoolLocked(
                "%s is in use by a running process%s"
                % (self.path, " (pid %s)" % holder if holder else "")
            )
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:  # pragma: no cover
            pass
        self._lock_fd = fd

    def unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            try:
                os.ftruncate(fd, 0)  # an empty file is free (for the TypeScript client, which reads the pid)
                os.close(fd)  # closing the descriptor releases the flock
            except OSError:  # pragma: no cover
                pass

    @property
    def exists(self) -> bool:
        return self.path.is_dir()

    def read_meta(self) -> Dict[str, Any]:
        try:
            with open(self.path / META_FILE, "rb") as f:
                doc = json.loads(f.read().decode("utf-8"))
                return doc if isinstance(doc, dict) else {}
        except (OSError, ValueError):
            return {}

    # ------------------------------------------------------------- batches

    def write(self, sequence: int, split: str, body: bytes, gzipped: bool) -> Path:
        self.ensure()
        path = self.path / batch_name(sequence, split, gzipped)
        _write_atomic(path, body)
        return path

    def pending(self) -> List[Path]:
        """Batch files waiting to be sent, in sequence order."""
        if not self.path.is_dir():
            return []
        names = [n for n in os.listdir(self.path) if _BATCH_RE.match(n)]
        names.sort()
        return [self.path / n for n in names]

    def remove(self, path: Path) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def reject(self, path: Optional[Path], body: bytes, name: str, why: Dict[str, Any]) -> Path:
        """Keep a batch the server refused under rejected/, with the reason."""
        self.ensure()
        rej = self.path / REJECTED_DIR
        rej.mkdir(exist_ok=True)
        target = rej / name
        if path is not None and path.exists():
            os.replace(path, target)
        else:
            _write_atomic(target, body)
        why = dict(why)
        why.setdefault("time_ms", int(time.time() * 1000))
        _write_atomic(rej / (name + ".error.json"), (json.dumps(why, indent=2) + "\n").encode())
        return target

    def cleanup_if_done(self) -> bool:
        """Remove the directory (and empty parents up to the root's level)
        when nothing is left to send or to look at. True if removed."""
        if not self.path.is_dir():
            self.unlock()
            return True
        if self.pending() or (self.path / REJECTED_DIR).exists():
            return False
        for n in (META_FILE, LOCK_FILE):
            try:
                os.unlink(self.path / n)
            except FileNotFoundError:
                pass
        self.unlock()
        try:
            self.path.rmdir()
        except OSError:
            return False
        # the run and project directories, if now empty
        parent = self.path.parent
        for _ in range(2):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        return True


def find_spools(root: Path) -> Iterator[Path]:
    """Every spool directory (one holding spool.json) under root, sorted."""
    root = Path(root)
    if (root / META_FILE).is_file():
        yield root
        return
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        if META_FILE in filenames:
            found.append(Path(dirpath))
            dirnames[:] = []  # spools do not nest
        else:
            dirnames[:] = [d for d in dirnames if d != REJECTED_DIR]
    yield from sorted(found)
