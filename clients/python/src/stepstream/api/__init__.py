"""Stepstream's read API from Python, stdlib only:

    api = stepstream.Api(url="http://127.0.0.1:4300", api_key=None)
    for r in api.runs("llm", status="finished"):
        print(r.id, r.summary)
    run = api.run("llm", "run-42")
    run.config, run.summary, run.metrics
    run.history(metrics=["train/loss"])   # the dashboard's buckets
    run.scan()                             # every point, from the export

``history`` and ``scan`` answer a pandas DataFrame when pandas is installed,
else plain columns (a dict of lists). ``scan`` reads the Arrow export with
pyarrow when it is installed, else the CSV export. Errors are ApiError, with
the server's code and message.
"""

import os
from typing import Any, Dict, Iterator, List, Optional, Sequence

from .._options import DEFAULT_URL
from ._history import history as read_history, ranks_of
from ._http import ApiError, Http, path, query_string
from ._scan import scan as read_scan

__all__ = ["Api", "ApiError", "ApiRun"]


class ApiRun:
    """One run as the API answers it. Built from a run list entry, it reads
    its detail (metrics) the first time one of them is asked for."""

    def __init__(self, api: "Api", project: str, doc: Dict[str, Any], detailed: bool) -> None:
        self._api = api
        self.project = project
        self._doc = doc
        self._detailed = detailed

    def __repr__(self) -> str:
        return "ApiRun(project=%r, id=%r, name=%r, status=%r)" % (self.project, self.id, self.name, self.status)

    def _detail(self) -> Dict[str, Any]:
        if not self._detailed:
            self._doc = self._api._http.json(path("v1", "projects", self.project, "runs", self.id))
            self._detailed = True
        return self._doc

    @property
    def id(self) -> str:
        return str(self._doc["id"])

    @property
    def name(self) -> Optional[str]:
        return self._doc.get("name")

    @property
    def status(self) -> Optional[str]:
        return self._doc.get("status")

    @property
    def tags(self) -> List[str]:
        return list(self._doc.get("tags") or [])

    @property
    def config(self) -> Dict[str, Any]:
        return dict(self._doc.get("config") or {})

    @property
    def raw(self) -> Dict[str, Any]:
        """The run's JSON as answered (the run detail once it was read)."""
        return self._doc

    @property
    def metrics(self) -> List[Dict[str, Any]]:
        """Each metric's summary over the effective history: name, ranks (a count), first_step, last_step, count, nonfinite, last, min, max (values as floats)."""
        return [{**m, **{k: _value(m.get(k)) for k in ("last", "min", "max")}} for m in self._detail().get("metrics") or []]

    @property
    def summary(self) -> Dict[str, Any]:
        """Each metric's last value (at its highest effective step), by name, from the run detail."""
        return {m["name"]: _value(m.get("last")) for m in self.metrics}

    def history(self, metrics: Optional[Sequence[str]] = None, ranks: Optional[Sequence[int]] = None,
                points: Optional[int] = None, x: str = "step") -> Any:
        """The dashboard's buckets of each (metric, rank) series: at most
        ``points`` + 1 per series over its range (the server's default budget
        when None), by step, or with each bucket's first and last point's
        time_ms too (``x="time"``). One row per bucket: metric, rank, step
        (the bucket's first step), [time_first, time_last], min, max, mean,
        first, last, count, nonfinite."""
        known = {m["name"]: int(m.get("ranks") or 0) for m in self.metrics}
        wanted = list(metrics) if metrics is not None else sorted(known)
        for m in wanted:
            if m not in known:
                raise ApiError(404, "SS_ERR_METRIC_NOT_FOUND", "no metric %r in run %r" % (m, self.id), {"run": self.id, "metric": m})
        if ranks is not None:
            series = [(m, int(r)) for m in wanted for r in ranks]
        else:
            series = [(m, r) for m in wanted for r in ranks_of(self._api._http, self.project, self.id, m, known[m])]
        return read_history(self._api._http, self.project, self.id, series, points, x, missing_ok=ranks is not None)

    def scan(self, metrics: Optional[Sequence[str]] = None, ranks: Optional[Sequence[int]] = None, *,
             attempt: Optional[int] = None, step_from: Optional[int] = None, step_to: Optional[int] = None) -> Any:
        """Every raw point of the run's effective history (or of one
        ``attempt``), from the export: columns metric, rank, step, value,
        time_ms, ordered by metric, rank and step; values exact (NaN and
        ±inf included). ``step_from``/``step_to``: the window [from, to)."""
        return read_scan(self._api._http, self.project, self.id, metrics, ranks, attempt, step_from, step_to, self._api._pyarrow)


def _value(v: Any) -> Optional[float]:
    """A stored value from a JSON answer, as the double it is. NOTE: the
    server writes a double below 1e21 without an exponent (JavaScript's
    shortest form), which json reads as an int whose exact value is not the
    double's; float() rounds it back to the double. NaN and the infinities
    travel as strings."""
    return None if v is None else float(v)


class Api:
    """The read API of a Stepstream server. ``url`` defaults to
    STEPSTREAM_URL, else http://127.0.0.1:4300; ``api_key`` to
    STEPSTREAM_API_KEY (a read or write key of the projects read)."""

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, timeout: float = 60.0, *, use_pyarrow: Optional[bool] = None) -> None:
        self._http = Http(url or os.environ.get("STEPSTREAM_URL") or DEFAULT_URL, api_key or os.environ.get("STEPSTREAM_API_KEY"), timeout)
        #: None: pyarrow for scan() when it is importable; False: always the CSV export.
        self._pyarrow = use_pyarrow

    def runs(self, project: str, **filters: Any) -> List[ApiRun]:
        """The project's runs (GET /v1/projects/:project/runs), each filter a
        query parameter as given (``status="finished"``, ``sort="-last_step"``,
        ``tag=["a", "b"]`` repeated, ``**{"config.lr": 0.001}``: what the
        server's run list takes), every page followed (``next_cursor``)."""
        return list(self.iter_runs(project, **filters))

    def iter_runs(self, project: str, **filters: Any) -> Iterator[ApiRun]:
        """As runs(), a page at a time."""
        params = dict(filters)
        while True:
            q = query_string(sorted(params.items()))
            doc = self._http.json(path("v1", "projects", project, "runs") + ("?" + q if q else ""))
            for r in doc.get("runs") or []:
                yield ApiRun(self, project, r, detailed=False)
            cursor = doc.get("next_cursor")
            if not cursor:
                return
            params["cursor"] = cursor

    def run(self, project: str, run_id: str) -> ApiRun:
        """One run's detail (GET /v1/projects/:project/runs/:run)."""
        return ApiRun(self, project, self._http.json(path("v1", "projects", project, "runs", run_id)), detailed=True)
