"""What a run says about the process that made it: host, pid, Python,
command line, client version and git commit (sent by rank 0 as run meta)."""

import os
import socket
import subprocess
import sys
from typing import Dict, Mapping, Optional

from ._version import __version__


def git_commit() -> str:
    """HEAD of the git checkout the process runs in, or "" if none."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=2,
            check=False,
        )
        return out.stdout.decode().strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def process_meta(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The default run meta, with ``extra`` on top."""
    meta = {
        "host": socket.gethostname(),
        "pid": str(os.getpid()),
        "python": sys.version.split()[0],
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv)[:4000],
        "sdk": "stepstream-python/%s" % __version__,
    }
    commit = git_commit()
    if commit:
        meta["git_commit"] = commit
    if extra:
        meta.update({str(k): str(v) for k, v in extra.items()})
    return meta
