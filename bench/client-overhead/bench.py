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
import json
import logging
import statistics
import sys
from pathlib import Path
from typing import Any, Dict, List

from clients_compared import REPO, Client, NoLogging, Stepstream, Wandb
from local_server import local_server
from overhead_measures import METRICS, calibrate, cpu_work, gil_free_work, loop, make_dicts, per_call
from overhead_report import print_table, print_verdict, result_doc


def measure_loops(
    clients: List[Client], results: List[Dict[str, Any]], dicts: List[Dict[str, float]], args: argparse.Namespace
) -> None:
    """Adds each client's "loop" figures (cpu and gil_free work) to its result."""
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

    logging.getLogger("stepstream").setLevel(logging.ERROR)  # no offline "saved in" lines
    dicts = make_dicts(10_000)

    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(local_server())
        # System metrics are on by default in init(): the same client without them beside it says what they cost log().
        clients: List[Client] = [NoLogging(), Stepstream("offline"), Stepstream("offline", system_metrics=False)]
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

        measure_loops(clients, results, dicts, args)

    print_table(results, args.step_ms)
    ratio = print_verdict(results)
    config = {"calls": args.calls, "steps": args.steps, "step_ms": args.step_ms, "reps": args.reps, "metrics_per_call": METRICS}
    doc = result_doc(config, results, ratio, [n for n in [wandb_note] if n])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
