"""What an answer from ``POST /v1/ingest`` means for a batch: its kind
(stored, retry, split, reject, fatal), the ``Retry-After`` to honour, and
the error the server described."""

import email.utils
import json
import time
from typing import Any, Dict, Optional


# What to do with a batch after an answer.
OK = "ok"  # stored (or already stored: a retried batch gets the same 202)
RETRY = "retry"  # transient: 429/503/5xx/408/network; send the same bytes again
SPLIT = "split"  # 413: send the halves instead
REJECT = "reject"  # 400/415/...: the batch itself is bad; retrying cannot help
FATAL = "fatal"  # 401/403/404: wrong URL or key; stop sending, keep the data
INTERRUPTED = "interrupted"  # we were told to stop while retrying

RETRY_AFTER_CAP = 60.0


def classify(status: int) -> str:
    if 200 <= status < 300:
        return OK
    if status == 413:
        return SPLIT
    if status in (401, 403, 404, 405):
        return FATAL
    if status in (408, 425, 429) or status >= 500:
        return RETRY
    return REJECT


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an
    HTTP date), capped; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        secs = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        secs = when.timestamp() - (time.time() if now is None else now)
    if secs != secs:
        return None
    return max(0.0, min(RETRY_AFTER_CAP, secs))


class Answer:
    """One answer from the server (or a network failure)."""

    __slots__ = ("kind", "status", "body", "retry_after", "error")

    def __init__(
        self,
        kind: str,
        status: int = 0,
        body: bytes = b"",
        retry_after: Optional[float] = None,
        error: Optional[BaseException] = None,
    ) -> None:
        self.kind = kind
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.error = error

    def json(self) -> Dict[str, Any]:
        try:
            doc = json.loads(self.body.decode("utf-8"))
            return doc if isinstance(doc, dict) else {}
        except (ValueError, UnicodeDecodeError):
            return {}

    @property
    def accepted_points(self) -> int:
        n = self.json().get("accepted_points")
        return n if isinstance(n, int) else 0

    def describe(self) -> str:
        if self.error is not None:
            return "%s: %s" % (type(self.error).__name__, self.error)
        doc = self.json()
        parts = ["HTTP %d" % self.status]
        if doc.get("code"):
            parts.append(str(doc["code"]))
        if doc.get("message"):
            parts.append(str(doc["message"]))
        elif not doc and self.body:
            parts.append(self.body[:200].decode("utf-8", "replace"))
        if doc.get("details") not in (None, {}, []):
            parts.append("details=%s" % json.dumps(doc["details"], sort_keys=True)[:500])
        return " ".join(parts)
