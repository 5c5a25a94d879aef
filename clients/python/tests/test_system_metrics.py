"""System metrics: the parsers of /proc and nvidia-smi output, the on/off
switches, and the monitor thread recording at the run's current step
without moving the step counter."""

from pathlib import Path

import pytest

import stepstream
from conftest import wait_for
from stepstream._system._gpu import parse_nvidia_smi
from stepstream._system._host import HostSampler, parse_meminfo, parse_proc_stat_cpu, parse_status_rss
from stepstream._system._monitor import SystemMonitor, monitor_interval

PROC_STAT = """cpu  4705 150 1120 16250 520 0 30 0 0 0
cpu0 2355 75 560 8125 260 0 15 0 0 0
intr 114930548 113199788 3 0 5 263 0 4 [... lots more numbers ...]
"""
MEMINFO = """MemTotal:       16303428 kB
MemFree:         1183288 kB
MemAvailable:    8023220 kB
HugePages_Total:       0
"""
STATUS = """Name:\tpython3
VmPeak:\t  300000 kB
VmRSS:\t   51234 kB
Threads:\t4
"""
# nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw
#            --format=csv,noheader,nounits, on a 2-GPU host whose second GPU reports no power draw
SMI = """0, 87, 30512, 81920, 64, 312.45
1, 3, 1024, 81920, 41, [N/A]
"""


def test_proc_stat_busy_and_total_leave_out_idle_and_iowait() -> None:
    busy, total = parse_proc_stat_cpu(PROC_STAT)  # type: ignore[misc]
    assert total == 4705 + 150 + 1120 + 16250 + 520 + 0 + 30 + 0
    assert busy == total - 16250 - 520
    assert parse_proc_stat_cpu("intr 1 2 3\n") is None


def test_meminfo_and_rss_in_bytes() -> None:
    info = parse_meminfo(MEMINFO)
    assert info["MemTotal"] == 16303428 * 1024 and info["MemAvailable"] == 8023220 * 1024
    assert info["HugePages_Total"] == 0
    assert parse_status_rss(STATUS) == 51234 * 1024
    assert parse_status_rss("Name:\tx\n") is None


def test_nvidia_smi_output_per_gpu_skipping_what_is_not_reported() -> None:
    m = parse_nvidia_smi(SMI)
    assert m["system/gpu/0/utilization_percent"] == 87
    assert m["system/gpu/0/memory_used_mb"] == 30512
    assert m["system/gpu/0/memory_percent"] == pytest.approx(100 * 30512 / 81920)
    assert m["system/gpu/0/temperature_c"] == 64 and m["system/gpu/0/power_w"] == 312.45
    assert m["system/gpu/1/utilization_percent"] == 3
    assert "system/gpu/1/power_w" not in m
    assert parse_nvidia_smi("No devices were found\n") == {}


def test_host_sample_on_this_machine() -> None:
    s = HostSampler()
    burn = sum(i * i for i in range(200_000))
    assert burn > 0
    m = s.sample()
    assert 0 <= m["system/cpu_percent"] <= 100
    assert m["system/proc/cpu_percent"] >= 0
    assert 0 < m["system/memory_percent"] < 100 and m["system/proc/rss_mb"] > 1


def test_switches() -> None:
    assert monitor_interval(None, env="") == 15.0
    assert monitor_interval(None, env="off") is None and monitor_interval(None, env="0") is None
    assert monitor_interval(None, env="2.5") == 2.5 and monitor_interval(None, env="on") == 15.0
    assert monitor_interval(False, env="on") is None and monitor_interval(3, env="off") == 3.0
    with pytest.raises(stepstream.StepstreamError, match="STEPSTREAM_SYSTEM_METRICS"):
        monitor_interval(None, env="sometimes")
    with pytest.raises(ValueError):
        monitor_interval(-1)


def test_init_starts_the_monitor_unless_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kw = dict(project="p", mode="offline", spool_dir=tmp_path, register_atexit=False)
    on = stepstream.init(**kw)  # type: ignore[arg-type]
    assert on.system_monitor is not None and on.system_monitor.interval == 15.0
    on.finish()
    assert stepstream.init(system_metrics=False, **kw).system_monitor is None  # type: ignore[arg-type]
    monkeypatch.setenv("STEPSTREAM_SYSTEM_METRICS", "off")
    assert stepstream.init(**kw).system_monitor is None  # type: ignore[arg-type]
    assert stepstream.init(project="p", mode="disabled").system_monitor is None
    stepstream.finish()


def test_monitor_records_at_the_current_step_and_leaves_the_counter(stub, make_run) -> None:  # type: ignore[no-untyped-def]
    run = make_run(url=stub.url, rank=3)
    run.log({"loss": 1.0}, step=41)
    mon = SystemMonitor(run._record_at_current_step, 0.02).start()
    wait_for(lambda: mon.samples >= 2, 10, "two samples")
    assert run.step == 42
    run.log({"loss": 0.5})
    mon.stop()
    assert run.finish(timeout=10)
    pts = stub.points(run.id)
    assert pts[("loss", 3)] == [(41, 1.0), (42, 0.5)]
    assert {s for s, _ in pts[("system/memory_percent", 3)]} <= {41, 42}
    assert len(pts[("system/memory_percent", 3)]) >= 2
