"""One simulated trainer rank, run as its own process by the integration
tests the way torchrun would: RANK, STEPSTREAM_RUN_ID and STEPSTREAM_URL
come from the environment.

    python rank_worker.py STEPS METRICS [PACE_EVERY PACE_SECONDS]

Value of metric j at step s on rank r: expected_value(r, s, j)."""

import sys
import time


def expected_value(rank: int, step: int, metric: int) -> float:
    return rank * 1_000_000 + step + metric / 8


def main() -> int:
    import stepstream

    steps, metrics = int(sys.argv[1]), int(sys.argv[2])
    pace_every = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    pace_s = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    run = stepstream.init(project="itest", config={"steps": steps}, flush_interval=0.2)
    rank = run.rank if run.rank is not None else -1
    names = ["m%d" % j for j in range(metrics)]
    for s in range(steps):
        run.log({names[j]: expected_value(rank, s, j) for j in range(metrics)})
        if pace_every and s % pace_every == pace_every - 1:
            time.sleep(pace_s)
    ok = run.finish(timeout=90)
    print("rank %d done ok=%s stats=%s" % (rank, ok, run.stats), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
