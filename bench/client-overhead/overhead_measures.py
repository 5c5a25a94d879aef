"""The measures of bench.py: the caller's cost of log() in a tight loop,
and a training-like loop (pure-Python or GIL-free work per step) that logs
every step; CPU counted for the process and its child processes."""

import hashlib
import os
import statistics
import time
from typing import Callable, Dict, List, Set, Tuple

from clients_compared import Client

METRICS = 10


def make_dicts(n: int) -> List[Dict[str, float]]:
    """Distinct dicts of 10 scalars, built before timing (what a training
    script has in hand when it calls log())."""
    names = ["train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s", "train/mfu",
             "gpu/mem_gb", "gpu/util", "eval/loss", "eval/acc", "time/step_ms"]
    return [{k: (i * 0.001 + j) for j, k in enumerate(names)} for i in range(n)]


_EXCLUDED_PIDS: Set[int] = set()  # the local server: its CPU is not the client's


def exclude_from_cpu(pid: int) -> None:
    """Leave the child process ``pid`` (and its children) out of descendants_cpu()."""
    _EXCLUDED_PIDS.add(pid)


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
