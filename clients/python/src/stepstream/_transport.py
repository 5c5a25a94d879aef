"""HTTP delivery of encoded batches: one keep-alive connection, and the
retry policy (capped backoff, or the server's Retry-After) that sends the
same bytes until the batch's fate is decided (see _answer.py)."""

import http.client
import random
import socket
import ssl
import threading
import time
from typing import Any, Optional
from urllib.parse import urlsplit

from ._answer import INTERRUPTED, RETRY, Answer, classify, parse_retry_after
from ._version import __version__ as _version


class Backoff:
    """Capped exponential backoff with jitter (0.25 s, 0.5 s, ... 10 s)."""

    def __init__(self, base: float = 0.25, cap: float = 10.0) -> None:
        self.base = base
        self.cap = cap
        self.attempt = 0

    def next(self) -> float:
        delay = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return delay * (0.5 + random.random() / 2)


class Transport:
    """``POST {url}/v1/ingest`` over one keep-alive connection.

    Not thread-safe: each sender thread (or sync command) owns one."""

    def __init__(self, url: str, api_key: Optional[str] = None, timeout: float = 30.0) -> None:
        parts = urlsplit(url if "://" in url else "http://" + url)
        if parts.scheme not in ("http", "https"):
            raise ValueError("stepstream: url must be http:// or https://, got %r" % (url,))
        if not parts.hostname:
            raise ValueError("stepstream: url has no host: %r" % (url,))
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = parts.path.rstrip("/") + "/v1/ingest"
        self.timeout = timeout
        self.headers = {
            "Content-Type": "application/x-protobuf",
            "Accept": "application/json",
            "User-Agent": "stepstream-python/%s" % _version,
        }
        if api_key:
            self.headers["Authorization"] = "Bearer %s" % api_key
        self._conn: Optional[http.client.HTTPConnection] = None
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def post(self, body: bytes, gzipped: bool) -> Answer:
        headers = dict(self.headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        with self._lock:
            # NOTE: a keep-alive connection the server closed while idle fails
            # on first use; one immediate reconnect tells that apart from a
            # server that is really gone.
            for attempt in (0, 1):
                conn = self._connect()
                try:
                    conn.request("POST", self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as e:
                    self._close_locked()
                    reused_conn_dropped = isinstance(
                        e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
                    )
                    if attempt == 0 and reused_conn_dropped:
                        continue
                    return Answer(RETRY, error=e)
                if resp.getheader("Connection", "").lower() == "close":
                    self._close_locked()
                kind = classify(resp.status)
                return Answer(
                    kind,
                    status=resp.status,
                    body=data,
                    retry_after=parse_retry_after(resp.getheader("Retry-After")),
                )
        return Answer(RETRY, error=socket.error("unreachable"))  # pragma: no cover

    def _close_locked(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # pragma: no cover - best effort
                pass
            self._conn = None

    def close(self) -> None:
        # May be called from another thread while a request is in flight:
        # closing the socket then just makes that request fail (and retry).
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                if conn.sock is not None:
                    conn.sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv
            except OSError:
                pass
            try:
                conn.close()
            except Exception:  # pragma: no cover
                pass


def deliver(
    transport: Transport,
    body: bytes,
    gzipped: bool,
    stop: threading.Event,
    deadline: Optional[float] = None,
    on_retry: Optional[Any] = None,
) -> Answer:
    """Send one batch until it is stored, or its fate is decided (split,
    reject, fatal), or ``stop`` is set / ``deadline`` passes (INTERRUPTED).

    The same bytes (same client_id and sequence) are sent on every attempt,
    so a retry after a lost answer is stored once by the server."""
    backoff = Backoff()
    while True:
        if stop.is_set():
            return Answer(INTERRUPTED)
        answer = transport.post(body, gzipped)
        if answer.kind != RETRY:
            return answer
        delay = answer.retry_after if answer.retry_after is not None else backoff.next()
        if on_retry is not None:
            on_retry(answer, delay)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return Answer(INTERRUPTED, error=answer.error, status=answer.status, body=answer.body)
            delay = min(delay, left)
        if stop.wait(delay):
            return Answer(INTERRUPTED, error=answer.error, status=answer.status, body=answer.body)

