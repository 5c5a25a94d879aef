"""System metrics: CPU and memory of the process and its host, and the GPUs
NVML can see, sampled by a background thread and logged as ``system/...``
metrics at the run's current step (_monitor.py)."""

from ._monitor import SystemMonitor, monitor_interval

__all__ = ["SystemMonitor", "monitor_interval"]
