"""What the server already holds of a run (``GET /v1/projects/:p/runs/:run``):
the import's digest and attempt from the run's meta, and its point counts,
which decide whether an import is new, a repeat, or a changed source."""

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Dict, Optional

from .._version import __version__

META_DIGEST = "import.digest"
META_ATTEMPT = "import.attempt"
META_SOURCE = "import.source"


class ServerError(Exception):
    """The server could not be asked (``fatal``: wrong URL or key)."""

    def __init__(self, message: str, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass
class StoredRun:
    digest: str
    attempt: int  # the attempt the last import of this run used
    attempts: int  # distinct attempts the server knows of the run
    counts: Dict[str, int] = field(default_factory=dict)  # metric -> points (effective history)


def read_run(url: str, api_key: Optional[str], project: str, run_id: str, timeout: float = 30.0) -> Optional[StoredRun]:
    """The run as stored, or None when the server has no such run."""
    path = "/v1/projects/%s/runs/%s" % (urllib.parse.quote(project, safe=""), urllib.parse.quote(run_id, safe=""))
    req = urllib.request.Request(url.rstrip("/") + path, headers={"Accept": "application/json", "User-Agent": "stepstream-python/%s" % __version__})
    if api_key:
        req.add_header("Authorization", "Bearer %s" % api_key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            doc = json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise ServerError("%s answered HTTP %d reading run %s" % (url, e.code, run_id), fatal=e.code in (401, 403)) from e
    except (OSError, ValueError) as e:
        raise ServerError("cannot read run %s from %s: %s" % (run_id, url, e), fatal=False) from e
    meta = doc.get("meta") or {}
    try:
        attempt = int(meta.get(META_ATTEMPT, 0))
    except (TypeError, ValueError):
        attempt = 0
    counts = {m["name"]: int(m["count"]) for m in doc.get("metrics") or [] if "name" in m}
    return StoredRun(str(meta.get(META_DIGEST, "")), attempt, int(doc.get("attempts") or 0), counts)
