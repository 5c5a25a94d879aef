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


_EXCLUDED_PIDS: set = set()  # the local server: its CPU is not the client's


def descendants_cpu() -> float:
    """CPU seconds used so far by this process's child processes (wandb does
    its work in a wandb-core child), Linux only; 0 elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    todo = [os.getpid()]
    seen = set()
    while todo:
        pid = todo.pop()
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    kids = [int(x) for x in f.read().split()]
            except OSError:
                continue
            for kid in kids:
                if kid in seen or kid in _EXCLUDED_PIDS:
                    continue
                seen.add(kid)
                todo.append(kid)
                try:
                    with open("/proc/%d/stat" % kid) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / tick
                except (OSError, IndexError, ValueError):
                    pass
    return total


def per_call(client: Client, dicts: List[Dict[str, float]], calls: int, reps: int) -> Dict[str, float]:
    """The caller's cost of log() in a tight loop (best of reps), per-call
    latency percentiles, and the CPU spent per call by every thread and
    child process of the client, finish() included."""
    n = len(dicts)
    best = float("inf")
    cpu_per_call = []
    finish_s = []
    lat: List[int] = []
    clock = time.perf_counter_ns
    for rep in range(reps):
        log = client.start()
        for d in dicts[:1000]:  # warm-up: first calls create columns / history
            log(d)
        c0 = time.process_time() + descendants_cpu()
        t0 = time.perf_counter()
        i = 0
        while i < calls:
            for d in dicts:
                log(d)
            i += n
        best = min(best, (time.perf_counter() - t0) / i * 1e6)
        if rep == 0:  # latency distribution, each call timed on its own (adds ~0.1 us)
            for d in dicts[: min(n, 20000)]:
                a = clock()
                log(d)
                lat.append(clock() - a)
            i += min(n, 20000)
        t1 = time.perf_counter()
        client.finish()
        finish_s.append(time.perf_counter() - t1)
        cpu_per_call.append((time.process_time() + descendants_cpu() - c0) / i * 1e6)
    lat.sort()
    return {
        "calls": calls,
        "us_mean": round(best, 3),
        "us_p50": round(lat[len(lat) // 2] / 1000, 3),
        "us_p99": round(lat[int(len(lat) * 0.99)] / 1000, 3),
        "cpu_us_per_call": round(min(cpu_per_call), 3),
        "finish_s": round(statistics.median(finish_s), 3),
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


def loop(client: Client, dicts: List[Dict[str, float]], steps: int, work: Callable[[int], None], k: int) -> Tuple[float, float, float]:
    """A loop that works then logs, every step. Returns wall seconds per step
    (the background threads' effect included), CPU seconds per step of the
    process and its children with finish() included (so all the work the
    logging caused is counted), and the seconds finish() took."""
    log = client.start()
    n = len(dicts)
    c0 = time.process_time() + descendants_cpu()
    t0 = time.perf_counter()
    for s in range(steps):
        work(k)
        log(dicts[s % n])
    t1 = time.perf_counter()
    client.finish()
    t2 = time.perf_counter()
    cpu = time.process_time() + descendants_cpu() - c0
    return (t1 - t0) / steps, cpu / steps, t2 - t1


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
    _EXCLUDED_PIDS.add(proc.pid)
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
    ap.add_argument("--steps", type=int, default=2000, help="steps of each training-like loop")
    ap.add_argument("--step-ms", type=float, default=1.0, help="work per step, ms")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each measure (least disturbed kept)")
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
            calls = args.calls if not isinstance(c, Wandb) else min(args.calls, 30_000)
            r["per_call"] = per_call(c, dicts, calls, args.reps)

        for kind, work in (("cpu", cpu_work), ("gil_free", gil_free_work)):
            k = calibrate(work, args.step_ms / 1000)
            print("training-like loop (%s, %.1f ms/step, %d steps x %d reps) ..." % (kind, args.step_ms, args.steps, args.reps), flush=True)
            times: Dict[str, List[float]] = {c.name: [] for c in clients}
            cpus: Dict[str, List[float]] = {c.name: [] for c in clients}
            finishes: Dict[str, List[float]] = {c.name: [] for c in clients}
            for _ in range(args.reps):  # interleaved, so drift hits every client alike
                for c in clients:
                    per_step, cpu_step, fin = loop(c, dicts, args.steps, work, k)
                    times[c.name].append(per_step)
                    cpus[c.name].append(cpu_step)
                    finishes[c.name].append(fin)
            # NOTE: the least disturbed repetition of each (min), as this
            # machine is shared; the no-logging baseline is measured the same way.
            base = min(times["no logging"])
            base_cpu = min(cpus["no logging"])
            for c, r in zip(clients, results):
                t = min(times[c.name])
                r.setdefault("loop", {})[kind] = {
                    "s_per_step": round(t, 7),
                    "overhead_us_per_step": round((t - base) * 1e6, 2),
                    "slowdown_pct": round((t / base - 1) * 100, 2),
                    "cpu_overhead_us_per_step": round((min(cpus[c.name]) - base_cpu) * 1e6, 2),
                    "finish_s": round(statistics.median(finishes[c.name]), 3),
                }

    # ----------------------------------------------------------------- report
    hdr = "%-18s %7s | %7s %6s %6s %7s %7s | %8s %6s %7s | %8s %6s %7s" % (
        "client", "version", "us/log", "p50", "p99", "cpu us", "finish",
        "cpu-loop", "slowdn", "+cpu us", "gil-free", "slowdn", "+cpu us")
    print()
    print("per call: us/log = wall time per call in a tight loop (best of reps); p50/p99 = one call timed alone;")
    print("          cpu us = CPU per call of all the client's threads and child processes, finish() included")
    print("loops:    extra wall us per ~%.1f ms step and slowdown (least disturbed of reps: noisy on a shared box);" % args.step_ms)
    print("          +cpu us = extra CPU per step of the process and its children, finish() included")
    print()
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        pc = r.get("per_call")
        cpu = r["loop"]["cpu"]
        gf = r["loop"]["gil_free"]
        cols = ("%7.2f %6.2f %6.2f %7.2f %6.2fs" % (pc["us_mean"], pc["us_p50"], pc["us_p99"], pc["cpu_us_per_call"], pc["finish_s"])
                if pc else "%7s %6s %6s %7s %7s" % ("-", "-", "-", "-", "-"))
        print("%-18s %7s | %s | %+8.1f %5.1f%% %7.1f | %+8.1f %5.1f%% %7.1f" % (
            r["client"], r["version"] or "-", cols,
            cpu["overhead_us_per_step"], cpu["slowdown_pct"], cpu["cpu_overhead_us_per_step"],
            gf["overhead_us_per_step"], gf["slowdown_pct"], gf["cpu_overhead_us_per_step"]))
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
