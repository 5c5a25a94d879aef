"""What bench.py prints and writes: the table of results, the comparison
with wandb and the target, and the JSON document of the run."""

import os
import platform
import time
from typing import Any, Dict, List, Optional


def print_table(results: List[Dict[str, Any]], step_ms: float) -> None:
    hdr = "%-24s %7s | %7s %6s %6s %7s %7s | %8s %6s %7s | %8s %6s %7s" % (
        "client", "version", "us/log", "p50", "p99", "cpu us", "finish",
        "cpu-loop", "slowdn", "+cpu us", "gil-free", "slowdn", "+cpu us")
    print()
    print("per call: us/log = wall time per call in a tight loop (best of reps); p50/p99 = one call timed alone;")
    print("          cpu us = CPU per call of all the client's threads and child processes, finish() included")
    print("loops:    extra wall us per ~%.1f ms step and slowdown (least disturbed of reps: noisy on a shared box);" % step_ms)
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
        print("%-24s %7s | %s | %+8.1f %5.1f%% %7.1f | %+8.1f %5.1f%% %7.1f" % (
            r["client"], r["version"] or "-", cols,
            cpu["overhead_us_per_step"], cpu["slowdown_pct"], cpu["cpu_overhead_us_per_step"],
            gf["overhead_us_per_step"], gf["slowdown_pct"], gf["cpu_overhead_us_per_step"]))


def print_verdict(results: List[Dict[str, Any]]) -> Optional[float]:
    """Prints wandb's cost over stepstream's and whether the target is met;
    returns that ratio (None without wandb)."""
    by = {r["client"]: r for r in results}
    ratio = None
    if "wandb offline" in by and "stepstream offline" in by:
        ratio = round(by["wandb offline"]["per_call"]["us_mean"] / by["stepstream offline"]["per_call"]["us_mean"], 1)
        print("\nwandb.log / stepstream log(): %.1fx per call" % ratio)
    ss = by["stepstream offline"]["per_call"]["us_mean"]
    print("target: < 5 us per call -> %s (%.2f us)" % ("met" if ss < 5 else "NOT met", ss))
    return ratio


def result_doc(config: Dict[str, Any], results: List[Dict[str, Any]], ratio: Optional[float], notes: List[str]) -> Dict[str, Any]:
    return {
        "benchmark": "client-overhead",
        "question": "cost of log() with 10 scalars, and slowdown of a loop that logs every step",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "config": config,
        "results": results,
        "wandb_over_stepstream_per_call": ratio,
        "notes": notes,
    }
