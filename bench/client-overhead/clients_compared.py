"""The clients bench.py compares, behind one interface: start() returns
the log function to call, finish() ends the run. No logging (the baseline),
stepstream offline or online, and wandb offline when it is installed."""

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

REPO = Path(__file__).resolve().parents[2]
try:
    import stepstream
except ImportError:
    sys.path.insert(0, str(REPO / "clients" / "python" / "src"))
    import stepstream


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
    def __init__(self, mode: str, url: Optional[str] = None, system_metrics: bool = True) -> None:
        self.mode = mode
        self.url = url
        self.system_metrics = system_metrics
        self.name = "stepstream %s" % mode + ("" if system_metrics else " -sys")
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
            system_metrics=self.system_metrics,
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
