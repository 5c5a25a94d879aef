"""HTTP for the read API: one GET or POST at a time over urllib, the
server's error bodies raised as ApiError."""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from .._errors import StepstreamError


class ApiError(StepstreamError):
    """An answer other than 2xx, with the server's error code and message
    (``code`` is None when the server could not be reached or did not
    answer with its JSON error body)."""

    def __init__(self, status: Optional[int], code: Optional[str], message: str, details: Optional[Dict[str, Any]] = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        where = "HTTP %s" % status if status is not None else "no answer"
        super().__init__("%s%s: %s" % (where, " %s" % code if code else "", message))


def query_string(params: Iterable[Tuple[str, Any]]) -> str:
    """Parameters as a query string: booleans as true/false, None left out,
    a list or tuple as the parameter repeated (``tag=["a", "b"]``: tag=a&tag=b)."""
    pairs = []
    for k, v in params:
        for item in v if isinstance(v, (list, tuple)) else [v]:
            if item is None:
                continue
            pairs.append((k, "true" if item is True else "false" if item is False else str(item)))
    return urllib.parse.urlencode(pairs)


class Http:
    def __init__(self, url: str, api_key: Optional[str], timeout: float) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def open(self, path: str, body: Optional[Mapping[str, Any]] = None, accept: str = "application/json") -> Any:
        """The response, open for reading (the caller closes it)."""
        headers = {"accept": accept}
        data = None
        if self.api_key:
            headers["authorization"] = "Bearer %s" % self.api_key
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["content-type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST" if body is not None else "GET")
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            raise error_of(e.code, e.read()) from None
        except (urllib.error.URLError, OSError) as e:
            raise ApiError(None, None, "could not reach %s: %s" % (self.url, getattr(e, "reason", e))) from e

    def json(self, path: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        with self.open(path, body) as r:
            return json.loads(r.read().decode("utf-8"))


def error_of(status: int, raw: bytes) -> ApiError:
    try:
        doc = json.loads(raw.decode("utf-8"))
        return ApiError(status, doc.get("code"), str(doc.get("message", "")), doc.get("details"))
    except (ValueError, AttributeError):
        return ApiError(status, None, raw[:300].decode("utf-8", "replace"))


def path(*parts: str) -> str:
    return "/" + "/".join(urllib.parse.quote(p, safe="") for p in parts)
