"""The Stepstream server the online client sends to during the bench:
started from services/cli/dist when it is built, on a free port with a
temporary data directory, and stopped afterwards."""

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

from overhead_measures import exclude_from_cpu

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def local_server() -> Iterator[Optional[str]]:
    entry = REPO / "services" / "cli" / "dist" / "index.js"
    node = shutil.which("node")
    if node is None or not entry.is_file():
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tempfile.mkdtemp(prefix="ss-bench-data-")
    proc = subprocess.Popen([node, str(entry), "--port", str(port), "--data", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(REPO))
    exclude_from_cpu(proc.pid)
    url = "http://127.0.0.1:%d" % port
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
