"""Each GPU's utilisation, memory, temperature and power, through NVML
(``pynvml``, from the nvidia-ml-py package) when it is importable, else by
asking ``nvidia-smi`` when it is on PATH; nothing when neither is there."""

import shutil
import subprocess
from typing import Any, Callable, Dict, List, Optional

MB = 1 << 20
SMI_FIELDS = "index,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw"
SMI_ARGS = ["--query-gpu=" + SMI_FIELDS, "--format=csv,noheader,nounits"]


def _number(text: str) -> Optional[float]:
    try:
        return float(text)
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None


def gpu_metrics(index: int, util: Optional[float], mem_used_mb: Optional[float], mem_total_mb: Optional[float],
                temp_c: Optional[float], power_w: Optional[float]) -> Dict[str, float]:
    """The ``system/gpu/<index>/...`` metrics of one GPU, leaving out what it does not report."""
    p = "system/gpu/%d/" % index
    out: Dict[str, float] = {}
    for name, v in (("utilization_percent", util), ("memory_used_mb", mem_used_mb),
                    ("temperature_c", temp_c), ("power_w", power_w)):
        if v is not None:
            out[p + name] = v
    if mem_used_mb is not None and mem_total_mb:
        out[p + "memory_percent"] = 100.0 * mem_used_mb / mem_total_mb
    return out


def parse_nvidia_smi(text: str) -> Dict[str, float]:
    """The metrics of every GPU from ``nvidia-smi --query-gpu=<SMI_FIELDS>
    --format=csv,noheader,nounits`` output (MiB, °C, W)."""
    out: Dict[str, float] = {}
    for line in text.splitlines():
        cols = [c.strip() for c in line.split(",")]
        if len(cols) != 6 or not cols[0].isdigit():
            continue
        util, used, total, temp, power = (_number(c) for c in cols[1:])
        out.update(gpu_metrics(int(cols[0]), util, used, total, temp, power))
    return out


def _nvml_sampler() -> Optional[Callable[[], Dict[str, float]]]:
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception:
        return None
    if not handles:
        return None

    def read(f: Callable[[], Any]) -> Any:
        try:
            return f()
        except Exception:  # a field this GPU does not support
            return None

    def sample() -> Dict[str, float]:
        out: Dict[str, float] = {}
        for i, h in enumerate(handles):
            util = read(lambda: float(pynvml.nvmlDeviceGetUtilizationRates(h).gpu))
            mem = read(lambda: pynvml.nvmlDeviceGetMemoryInfo(h))
            temp = read(lambda: float(pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU)))
            power = read(lambda: pynvml.nvmlDeviceGetPowerUsage(h) / 1000.0)  # mW
            out.update(gpu_metrics(i, util, mem.used / MB if mem else None, mem.total / MB if mem else None, temp, power))
        return out

    return sample


def _smi_sampler(smi: str) -> Callable[[], Dict[str, float]]:
    def sample() -> Dict[str, float]:
        done = subprocess.run([smi] + SMI_ARGS, capture_output=True, text=True, timeout=10)
        return parse_nvidia_smi(done.stdout) if done.returncode == 0 else {}

    return sample


def gpu_sampler() -> Optional[Callable[[], Dict[str, float]]]:
    """A function returning every GPU's metrics, or None when there is no NVML."""
    nvml = _nvml_sampler()
    if nvml is not None:
        return nvml
    smi = shutil.which("nvidia-smi")
    return _smi_sampler(smi) if smi else None


def samplers() -> List[Callable[[], Dict[str, float]]]:
    s = gpu_sampler()
    return [s] if s is not None else []
