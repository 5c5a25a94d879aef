"""A training script as a user writes it, started by test_restart_recipes.py
the way torchrun or SLURM would start it: it resumes from its checkpoint
when there is one, and says nothing about attempts (they come from the
launcher's environment). CKPT names the checkpoint file (one per rank);
CRASH_AT makes the "node" die at that step, after its points reached the
server. STEPSTREAM_URL and STEPSTREAM_SPOOL_DIR come from the environment."""

import os
import sys


def main() -> int:
    import stepstream

    ckpt = "%s.%s" % (os.environ["CKPT"], os.environ.get("RANK", ""))
    first = int(open(ckpt).read()) if os.path.exists(ckpt) else 0
    crash_at = int(os.environ.get("CRASH_AT", "-1"))
    run = stepstream.init(project="p", flush_interval=0.05)
    for step in range(first, 100):
        run.log({"loss": 1.0 / (step + 1)}, step=step)
        if step > 0 and step % 25 == 0:
            with open(ckpt, "w") as f:
                f.write(str(step))
        if step == crash_at:
            run.flush(timeout=30)
            os._exit(1)  # a node dies: no atexit, no finish
    return 0 if run.finish(timeout=30) else 1


if __name__ == "__main__":
    sys.exit(main())
