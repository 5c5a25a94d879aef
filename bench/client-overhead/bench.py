#!/usr/bin/env python3
"""What logging costs a training loop: stepstream next to wandb (offline).

Two questions, each answered for every client in the same run:

1. Microseconds per ``log()`` call of 10 scalars (mean, p50, p99), the
   caller's view: what the training thread pays per call.
2. Slowdown of a training-like loop that logs 10 scalars every step, with
   the background work (encoding, compression, I/O) included, in two kinds
   of loop:
   - ``cpu``: each step is ~1 ms of pure-Python work holding the GIL, the
     worst case: every microsecond of background work competes with it;
   - ``gil-free``: each step is ~1 ms of work that releases the GIL (like a
     wait on the GPU), so background threads can run beside it.
   The per-step time covers the loop while it runs, the clients' background
   threads included; ``finish()`` after the loop is reported apart (a real
   run pays it once, not per step).

Clients: ``stepstream`` offline (spooling to a temp dir), ``stepstream``
online against a real server (started from services/cli/dist when built, or
``--url``), and ``wandb`` in offline mode when it is installed
(``pip install wandb``; it is not needed otherwise).

Prints a table and writes JSON to bench/results/client-overhead.json.

    python bench/client-overhead/bench.py [--steps 3000] [--calls 100000] [--quick]
"""

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
try:
    import stepstream
except ImportError:
    sys.path.insert(0, str(REPO / "clients" / "python" / "src"))
    import stepstream

METRICS = 10


def make_dicts(n: int) -> List[Dict[str, float]]:
    """Distinct dicts of 10 scalars, built before timing (what a training
    script has in hand when it calls log())."""
    names = ["train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s", "train/mfu",
             "gpu/mem_gb", "gpu/util", "eval/loss", "eval/acc", "time/step_ms"]
    return [{k: (i * 0.001 + j) for j, k in enumerate(names)} for i in range(n)]


# ------------------------------------------------------------------ clients


class Client:
    name = "?"
    version = ""

    def start(self) -> Callable[[Dict[str, float]], None]:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError


class NoLogging(Client):
    name = "no logging"

    def start(self) -> Callable[[Dict[str, float]], None]:
        return lambda d: None

    def finish(self) -> None:
        pass


class Stepstream(Client):
    def __init__(self, mode: str, url: Optional[str] = None) -> None:
        self.mode = mode
        self.url = url
        self.name = "stepstream %s" % mode
        self.version = stepstream.__version__
        self.run: Optional[stepstream.Run] = None
        self.tmp = ""

    def start(self) -> Callable[[Dict[str, float]], None]:
        self.tmp = tempfile.mkdtemp(prefix="ss-bench-")
        self.run = stepstream.init(
            project="bench",
            run_id="overhead-%d" % time.time_ns(),
            mode=self.mode,
            url=self.url,
            spool_dir=self.tmp,
        )
        return self.run.log

    def finish(self) -> None:
        assert self.run is not None
        self.run.finish(timeout=120)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Wandb(Client):
    name = "wandb offline"

    def __init__(self) -> None:
        import wandb  # noqa: F401

        self.version = wandb.__version__
        self.tmp = ""
        self.run: Any = None

    def start(self) -> Callable[[Dict[str, float]], None]:
        import wandb

        self.tmp = tempfile.mkdtemp(prefix="wb-bench-")
        self.run = wandb.init(project="bench", mode="offline", dir=self.tmp, settings=wandb.Settings(silent=True))
        return self.run.log

    def finish(self) -> None:
        self.run.finish()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ----------------------------------------------------------------- measures


def per_call(client: Client, dicts: List[Dict[str, float]], calls: int) -> Dict[str, float]:
    log = client.start()
    n = len(dicts)
    # warm-up (first calls create columns, wandb's first call sets up history)
    for d in dicts[:1000]:
        log(d)
    # throughput: total time / calls
    t0 = time.perf_counter()
    i = 0
    while i < calls:
        for d in dicts:
            log(d)
        i += n
    mean_us = (time.perf_counter() - t0) / i * 1e6
    # latency distribution: each call timed on its own (adds ~0.1 us)
    lat = []
    clock = time.perf_counter_ns
    for d in dicts[: min(n, 20000)]:
        a = clock()
        log(d)
        lat.append(clock() - a)
    lat.sort()
    t1 = time.perf_counter()
    client.finish()
    return {
        "calls": i,
        "us_mean": round(mean_us, 3),
        "us_p50": round(lat[len(lat) // 2] / 1000, 3),
        "us_p99": round(lat[int(len(lat) * 0.99)] / 1000, 3),
        "finish_s": round(time.perf_counter() - t1, 3),
    }


def calibrate(work: Callable[[int], None], target_s: float) -> int:
    k = 1
    while True:
        t0 = time.perf_counter()
        work(k)
        dt = time.perf_counter() - t0
        if dt > 0.05:
            return max(1, int(k * target_s / dt))
        k *= 2


def cpu_work(k: int) -> None:
    x = 0
    for i in range(k):
        x += i * i


_BLOB = os.urandom(1 << 16)


def gil_free_work(k: int) -> None:
    for _ in range(k):
        hashlib.sha256(_BLOB).digest()  # hashlib releases the GIL on large inputs


def loop(client: Client, dicts: List[Dict[str, float]], steps: int, work: Callable[[int], None], k: int) -> Tuple[float, float]:
    """Seconds per step of a loop that works then logs (the background work
    that ran meanwhile included), and the seconds finish() took after it."""
    log = client.start()
    n = len(dicts)
    t0 = time.perf_counter()
    for s in range(steps):
        work(k)
        log(dicts[s % n])
    t1 = time.perf_counter()
    client.finish()
    return (t1 - t0) / steps, time.perf_counter() - t1


# ------------------------------------------------------------------- server


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


# --------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=200_000, help="log() calls for the per-call figure")
    ap.add_argument("--steps", type=int, default=3000, help="steps of each training-like loop")
    ap.add_argument("--step-ms", type=float, default=1.0, help="work per step, ms")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each loop (median kept)")
    ap.add_argument("--url", help="stepstream server for the online client (default: start the built one)")
    ap.add_argument("--no-wandb", action="store_true")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "client-overhead.json"))
    args = ap.parse_args()
    if args.quick:
        args.calls, args.steps, args.reps = 20_000, 500, 1

    import logging

    logging.getLogger("stepstream").setLevel(logging.ERROR)  # no offline "saved in" lines
    dicts = make_dicts(10_000)

    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(local_server())
        clients: List[Client] = [NoLogging(), Stepstream("offline")]
        if url:
            clients.append(Stepstream("online", url))
        else:
            print("note: no server (build it with `npm run build`, or pass --url): stepstream online not measured")
        wandb_note = None
        if not args.no_wandb:
            try:
                clients.append(Wandb())
            except ImportError:
                wandb_note = "wandb is not installed (pip install wandb) - not measured"
                print("note: " + wandb_note)

        results: List[Dict[str, Any]] = []
        for c in clients:
            results.append({"client": c.name, "version": c.version})

        print("per-call cost of log() with %d scalars ..." % METRICS, flush=True)
        for c, r in zip(clients, results):
            if isinstance(c, NoLogging):
                continue
            r["per_call"] = per_call(c, dicts, args.calls if not isinstance(c, Wandb) else min(args.calls, 30_000))

        for kind, work in (("cpu", cpu_work), ("gil_free", gil_free_work)):
            k = calibrate(work, args.step_ms / 1000)
            print("training-like loop (%s, %.1f ms/step, %d steps x %d reps) ..." % (kind, args.step_ms, args.steps, args.reps), flush=True)
            times: Dict[str, List[float]] = {c.name: [] for c in clients}
            finishes: Dict[str, List[float]] = {c.name: [] for c in clients}
            for _ in range(args.reps):  # interleaved, so drift hits every client alike
                for c in clients:
                    per_step, fin = loop(c, dicts, args.steps, work, k)
                    times[c.name].append(per_step)
                    finishes[c.name].append(fin)
            base = statistics.median(times["no logging"])
            for c, r in zip(clients, results):
                t = statistics.median(times[c.name])
                r.setdefault("loop", {})[kind] = {
                    "s_per_step": round(t, 7),
                    "overhead_us_per_step": round((t - base) * 1e6, 2),
                    "slowdown_pct": round((t / base - 1) * 100, 2),
                    "finish_s": round(statistics.median(finishes[c.name]), 3),
                }

    # ----------------------------------------------------------------- report
    hdr = "%-18s %8s %9s %8s %8s %9s | %13s %8s | %13s %8s" % (
        "client", "version", "us/log", "p50", "p99", "finish s",
        "cpu +us/step", "slowdn", "gil-free +us", "slowdn")
    print()
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        pc = r.get("per_call", {})
        cpu = r["loop"]["cpu"]
        gf = r["loop"]["gil_free"]
        print("%-18s %8s %9s %8s %8s %9s | %13.1f %7.1f%% | %13.1f %7.1f%%" % (
            r["client"], r["version"] or "-",
            "%.2f" % pc["us_mean"] if pc else "-", "%.2f" % pc["us_p50"] if pc else "-",
            "%.2f" % pc["us_p99"] if pc else "-", "%.2f" % pc["finish_s"] if pc else "-",
            cpu["overhead_us_per_step"], cpu["slowdown_pct"], gf["overhead_us_per_step"], gf["slowdown_pct"]))
    by = {r["client"]: r for r in results}
    ratio = None
    if "wandb offline" in by and "stepstream offline" in by:
        ratio = round(by["wandb offline"]["per_call"]["us_mean"] / by["stepstream offline"]["per_call"]["us_mean"], 1)
        print("\nwandb.log / stepstream log(): %.1fx per call" % ratio)
    ss = by["stepstream offline"]["per_call"]["us_mean"]
    print("target: < 5 us per call -> %s (%.2f us)" % ("met" if ss < 5 else "NOT met", ss))

    doc = {
        "benchmark": "client-overhead",
        "question": "cost of log() with 10 scalars, and slowdown of a loop that logs every step",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "config": {"calls": args.calls, "steps": args.steps, "step_ms": args.step_ms, "reps": args.reps, "metrics_per_call": METRICS},
        "results": results,
        "wandb_over_stepstream_per_call": ratio,
        "notes": [n for n in [wandb_note] if n],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
