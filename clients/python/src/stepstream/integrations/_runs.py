"""How an integration makes its run: the run id every rank of a job
shares, and the rank of this process, read from the framework or the
environment."""

import os
import time
import uuid
from typing import Optional

_exported: Optional[str] = None  # the run id this process put in STEPSTREAM_RUN_ID


def shared_run_id(run_id: Optional[str]) -> str:
    """``run_id``, else STEPSTREAM_RUN_ID, else torchrun's TORCHELASTIC_RUN_ID,
    else a new id, which is exported as STEPSTREAM_RUN_ID so that the worker
    processes a framework launches from here (Lightning's DDP re-runs the
    script per rank) join this run rather than each making its own."""
    global _exported
    if run_id:
        return run_id
    env = os.environ.get("STEPSTREAM_RUN_ID", "").strip()
    # NOTE: an id this very process exported belongs to its previous run: a
    # second trainer in the same script gets a run of its own.
    if env and env != _exported:
        return env
    elastic = os.environ.get("TORCHELASTIC_RUN_ID", "").strip()
    if elastic and elastic != "none":
        return elastic
    new = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
    os.environ["STEPSTREAM_RUN_ID"] = _exported = new
    return new


def torch_rank() -> Optional[int]:
    """This process's rank in an initialised torch.distributed group of more
    than one process, else RANK from the environment, else None."""
    try:
        import torch.distributed as dist  # only if the framework already uses torch

        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            return int(dist.get_rank())
    except Exception:
        pass
    raw = os.environ.get("RANK", "").strip()
    return int(raw) if raw.isdigit() else None
