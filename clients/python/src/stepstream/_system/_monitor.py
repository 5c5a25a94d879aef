"""The thread that samples system metrics every ``interval`` seconds (15 by
default, as wandb) and records them at the run's current step, on the
process's rank. It never touches ``log()``'s path: a sample is appended
under the buffers' lock like a ``log()`` call, once per interval."""

import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Union

from .._errors import StepstreamError
from ._gpu import samplers as gpu_samplers
from ._host import HostSampler

_logger = logging.getLogger("stepstream")

DEFAULT_INTERVAL = 15.0
ENV = "STEPSTREAM_SYSTEM_METRICS"
_OFF = ("0", "false", "off", "no")
_ON = ("1", "true", "on", "yes")


def monitor_interval(arg: Union[bool, float, None], env: Optional[str] = None) -> Optional[float]:
    """Seconds between samples, or None for no system metrics: ``arg`` (True,
    False or seconds) if given, else the STEPSTREAM_SYSTEM_METRICS variable
    (on/off/1/0/true/false, or seconds), else 15 s."""
    if arg is None:
        raw = (os.environ.get(ENV, "") if env is None else env).strip().lower()
        if raw == "" or raw in _ON:
            return DEFAULT_INTERVAL
        if raw in _OFF:
            return None
        try:
            arg = float(raw)
        except ValueError:
            raise StepstreamError(
                "stepstream: %s must be on, off or a number of seconds, got %r" % (ENV, raw)
            ) from None
    if arg is True:
        return DEFAULT_INTERVAL
    if arg is False:
        return None
    seconds = float(arg)
    if seconds != seconds or seconds < 0:
        raise ValueError("stepstream: system_metrics must be True, False or a number of seconds >= 0, got %r" % (arg,))
    return seconds or None


class SystemMonitor:
    """Samples host, process and GPU metrics and hands them to ``record``
    (which raises StepstreamError once the run is finished: the thread ends)."""

    def __init__(self, record: Callable[[Dict[str, float]], None], interval: float, label: str = "") -> None:
        self.interval = interval
        self._record = record
        self._stop = threading.Event()
        self._host = HostSampler()
        self._samplers: List[Callable[[], Dict[str, float]]] = [self._host.sample] + gpu_samplers()
        self._failed: Dict[int, bool] = {}
        self._thread = threading.Thread(target=self._loop, name="stepstream-system" + label, daemon=True)
        self.samples = 0

    def start(self) -> "SystemMonitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ends the thread at its next wake-up; safe to call twice. No join:
        a sample in flight (an nvidia-smi call) must not hold up finish()."""
        self._stop.set()

    def sample(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for i, s in enumerate(self._samplers):
            try:
                out.update(s())
            except Exception as e:  # a sampler that fails is reported once and skipped
                if i not in self._failed:
                    self._failed[i] = True
                    _logger.warning("stepstream: a system metrics sampler failed, skipping it: %s", e)
        return out

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            t0 = time.monotonic()
            data = self.sample()
            if not data:
                continue
            try:
                self._record(data)
            except StepstreamError:  # the run is finished
                return
            self.samples += 1
            _logger.debug("stepstream: %d system metrics sampled in %.1f ms", len(data), 1000 * (time.monotonic() - t0))


def start_monitor(run: Any, arg: Union[bool, float, None]) -> Optional[SystemMonitor]:
    """The monitor of ``run`` when system metrics are on and the run logs somewhere."""
    interval = monitor_interval(arg)
    if interval is None or str(run.mode) == "disabled":
        return None
    label = "-r%d" % run.rank if run.rank is not None else ""
    return SystemMonitor(run._record_at_current_step, interval, label).start()
