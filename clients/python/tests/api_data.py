"""A project logged through the SDK into the real server for the read API's
tests, and what the API must answer for it: a run restarted from a
checkpoint (two ranks and the run as a whole), and a plain run with a
config. Values include NaN, +inf, -inf and doubles with 17 digits."""

import math
import random
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import stepstream
from real_server import Server, metric_counts, running_server
from conftest import wait_for

PROJECT = "api"
#: attempt 1 resumes the restarted run at this step: attempt 0's points from it on are superseded
RESUME = 600
CONFIG = {"lr": 0.001, "layers": 12, "optimizer": {"name": "adamw", "betas": [0.9, 0.95]}}

Point = Tuple[str, int, int, float]  # metric, rank, step, value


def value(attempt: int, metric: str, rank: int, step: int) -> float:
    if step % 97 == 5:
        return [math.nan, math.inf, -math.inf][(step // 97) % 3]
    # NOTE: seeded by a string, not hash(): a str's hash differs per process.
    rnd = random.Random("%d/%s/%d/%d" % (attempt, metric, rank, step))
    return rnd.uniform(-1, 1) * 10 ** rnd.randint(-30, 30)


def log_attempt(srv: Server, spool: Path, run_id: str, attempt: int, steps: range, ranks: List[int], **kw: Any) -> List[Tuple[int, Point]]:
    sent: List[Tuple[int, Point]] = []
    for rank in ranks:
        run = stepstream.Run(PROJECT, run_id=run_id, rank=rank, url=srv.url, spool_dir=spool / ("%s-%d-%d" % (run_id, attempt, rank)),
                             flush_interval=0.05, register_atexit=False, attempt=attempt, **(kw if rank == 0 else {}))
        for s in steps:
            point = {"loss": value(attempt, "loss", rank, s)}
            if rank == 0 and s % 4 == 0:
                point["lr"] = value(attempt, "lr", rank, s)
            run.log(point, step=s)
            sent.extend((attempt, (m, rank, s, v)) for m, v in point.items())
        assert run.finish(timeout=60)
    return sent


def log_project(srv: Server, spool: Path) -> Dict[str, List[Point]]:
    """Logs both runs; returns each run's effective points (metric, rank, step, value), waiting until the server counts them all."""
    old = log_attempt(srv, spool, "job", 0, range(0, 1000), [0, 1])
    new = log_attempt(srv, spool, "job", 1, range(RESUME, 1300), [0, 1], resume_step=RESUME)
    job = [p for a, p in old if p[2] < RESUME] + [p for a, p in new]
    plain = [p for _, p in log_attempt(srv, spool, "plain", 0, range(0, 50), [0], config=CONFIG, tags=["baseline"])]
    want = {"job": job, "plain": plain}
    for run, points in want.items():
        counts: Dict[str, int] = {}
        for m, _, _, _ in points:
            counts[m] = counts.get(m, 0) + 1
        wait_for(lambda: metric_counts(srv, PROJECT, run) == counts, 60, "%s stored" % run, poll=0.2)
    return want


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def sorted_points(points: List[Point]) -> List[Point]:
    return sorted(points, key=lambda p: (p[0], p[1], p[2]))


def logged_server(tmp: Path) -> Iterator[Tuple[Server, Dict[str, List[Point]]]]:
    """A module fixture's body: a real server under ``tmp`` with the project
    logged into it, and the points sent per run; stopped afterwards."""
    for srv in running_server(tmp):
        yield srv, log_project(srv, tmp / "spool")
