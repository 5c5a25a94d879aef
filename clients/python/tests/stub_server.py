"""A tiny in-process stand-in for ``POST /v1/ingest``, for tests of the
client's own logic (batching, retries, splitting, spooling). It decodes each
request with the package's decoder, deduplicates on (project, run_id,
attempt, client_id, sequence) like the real server, and can be told to
answer with errors. Tests against the real server live in test_integration.py."""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

from stepstream._proto import IngestRequest, decode_request

Reply = Tuple[int, Dict[str, str], Dict[str, Any]]
Identity = Tuple[str, str, int, str, int]


class StubServer:
    def __init__(self, port: int = 0) -> None:
        self.lock = threading.Lock()
        self.requests: List[Dict[str, Any]] = []  # every request, as received
        self.stored: Dict[Identity, IngestRequest] = {}
        self.answers: Dict[Identity, int] = {}
        self.script: List[Reply] = []  # replies to give before normal handling
        self.policy: Optional[Callable[[IngestRequest, bytes], Optional[Reply]]] = None
        self.max_points: Optional[int] = None  # 413 above this many points
        self.delay = 0.0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                status, headers, body = stub.handle(self.path, dict(self.headers), raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "StubServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------ handling

    def handle(self, path: str, headers: Dict[str, str], raw: bytes) -> Reply:
        if self.delay:
            time.sleep(self.delay)
        hdrs = {k.lower(): v for k, v in headers.items()}
        entry: Dict[str, Any] = {"path": path, "headers": hdrs, "bytes": len(raw), "time": time.monotonic()}
        with self.lock:
            self.requests.append(entry)
            if path != "/v1/ingest":
                return 404, {}, {"statusCode": 404, "code": "NOT_FOUND", "message": "no route"}
            if hdrs.get("content-type") != "application/x-protobuf":
                return 415, {}, {"statusCode": 415, "code": "SS_ERR_CONTENT_TYPE", "message": "bad content type"}
            body = gzip.decompress(raw) if hdrs.get("content-encoding") == "gzip" else raw
            req = decode_request(body)
            entry["request"] = req
            if self.script:
                reply = self.script.pop(0)
                entry["reply"] = reply[0]
                return reply
            if self.policy is not None:
                reply2 = self.policy(req, body)
                if reply2 is not None:
                    entry["reply"] = reply2[0]
                    return reply2
            if self.max_points is not None and req.points > self.max_points:
                entry["reply"] = 413
                return 413, {}, {"statusCode": 413, "code": "SS_ERR_TOO_LARGE", "message": "too large"}
            key = self.identity(req)
            if req.client_id and key in self.stored:
                entry["reply"] = 202
                entry["duplicate"] = True
                return 202, {}, {"accepted_points": self.answers[key]}
            self.stored[key if req.client_id else (req.project, req.run_id, req.attempt, "", len(self.requests))] = req
            self.answers[key] = req.points
            entry["reply"] = 202
            return 202, {}, {"accepted_points": req.points}

    @staticmethod
    def identity(req: IngestRequest) -> Identity:
        """What names a batch: a retry is (project, run, attempt, client_id, sequence)."""
        return (req.project, req.run_id, req.attempt, req.client_id, req.sequence)

    # ------------------------------------------------------------- queries

    def points(self, run_id: Optional[str] = None) -> Dict[Tuple[str, int], List[Tuple[int, float]]]:
        """(metric, rank) -> stored (step, value) points, in arrival order."""
        out: Dict[Tuple[str, int], List[Tuple[int, float]]] = {}
        with self.lock:
            for req in self.stored.values():
                if run_id is not None and req.run_id != run_id:
                    continue
                for s in req.series:
                    out.setdefault((s.metric, s.rank), []).extend(zip(s.steps, s.values))
        return out

    def run_infos(self) -> List[Tuple[int, Any]]:
        with self.lock:
            return sorted(
                ((r.sequence, r.run) for r in self.stored.values() if r.run is not None), key=lambda x: x[0]
            )

    def total_points(self) -> int:
        with self.lock:
            return sum(r.points for r in self.stored.values())
