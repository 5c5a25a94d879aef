"""CPU and memory of this process and of the host, from /proc and os
(stdlib), or from psutil when it is installed. The parsers take the text of
the /proc files, so they are tested on any machine."""

import os
from typing import Any, Dict, Optional, Tuple

try:  # optional: more portable (macOS, Windows) and a little cheaper
    import psutil as _psutil  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the environment
    _psutil = None

MB = 1 << 20


def parse_proc_stat_cpu(text: str) -> Optional[Tuple[int, int]]:
    """(busy, total) jiffies of all CPUs from /proc/stat's first ``cpu`` line;
    idle and iowait count as not busy. None if the line is missing."""
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "cpu":
            ticks = [int(x) for x in parts[1:] if x.isdigit()]
            if len(ticks) < 4:
                return None
            # NOTE: guest and guest_nice (fields 9, 10) are already counted in user and nice
            total = sum(ticks[:8])
            idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
            return total - idle, total
    return None


def parse_meminfo(text: str) -> Dict[str, int]:
    """/proc/meminfo as name -> bytes (its values are in kB)."""
    out: Dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            scale = 1024 if len(fields) > 1 and fields[1] == "kB" else 1
            out[name.strip()] = int(fields[0]) * scale
    return out


def parse_status_rss(text: str) -> Optional[int]:
    """The resident set size in bytes from /proc/<pid>/status (VmRSS)."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                return int(fields[1]) * 1024
    return None


def _read(path: str) -> Optional[str]:
    try:
        with open(path, "r") as f:
            return f.read()
    except OSError:
        return None


def _percent(now: Tuple[float, float], before: Optional[Tuple[float, float]]) -> Optional[float]:
    if before is None or now[1] <= before[1]:
        return None
    return 100.0 * (now[0] - before[0]) / (now[1] - before[1])


class HostSampler:
    """One sample per call of CPU and memory; CPU percentages are over the
    time since the previous call (the first call only sets the baseline)."""

    def __init__(self, clock: Any = None) -> None:
        import time

        self._clock = clock or time.monotonic
        self._host_cpu: Optional[Tuple[float, float]] = None
        self._proc_cpu: Optional[Tuple[float, float]] = None
        self._proc = _psutil.Process() if _psutil is not None else None
        self.sample()  # the baseline of the CPU deltas

    def sample(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        self._cpu(out)
        self._memory(out)
        try:
            out["system/load1"] = os.getloadavg()[0]
        except (AttributeError, OSError):  # pragma: no cover - Windows
            pass
        return out

    def _cpu(self, out: Dict[str, float]) -> None:
        t = os.times()
        proc = (t.user + t.system, self._clock())
        pct = _percent(proc, self._proc_cpu)
        self._proc_cpu = proc
        if pct is not None:
            out["system/proc/cpu_percent"] = pct  # of one core: 200 is two cores busy
        if _psutil is not None:
            host_pct = _psutil.cpu_percent(interval=None)
            if self._host_cpu is not None:
                out["system/cpu_percent"] = float(host_pct)
            self._host_cpu = (0.0, 0.0)
            return
        text = _read("/proc/stat")
        parsed = parse_proc_stat_cpu(text) if text else None
        if parsed is not None:
            host = (float(parsed[0]), float(parsed[1]))
            pct = _percent(host, self._host_cpu)
            self._host_cpu = host
            if pct is not None:
                out["system/cpu_percent"] = pct

    def _memory(self, out: Dict[str, float]) -> None:
        if _psutil is not None and self._proc is not None:
            vm = _psutil.virtual_memory()
            total, available = float(vm.total), float(vm.available)
            rss: Optional[float] = float(self._proc.memory_info().rss)
        else:
            info = parse_meminfo(_read("/proc/meminfo") or "")
            total = float(info.get("MemTotal", 0))
            available = float(info.get("MemAvailable", info.get("MemFree", 0)))
            status = _read("/proc/self/status")
            raw = parse_status_rss(status) if status else None
            rss = float(raw) if raw is not None else None
        if total > 0:
            out["system/memory_used_mb"] = (total - available) / MB
            out["system/memory_available_mb"] = available / MB
            out["system/memory_percent"] = 100.0 * (total - available) / total
        if rss is not None:
            out["system/proc/rss_mb"] = rss / MB
