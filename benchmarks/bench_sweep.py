"""Throughput and driver memory of ``grassroots sweep``'s backends.

Prints its figures (it is not a test):

  (a) runs per minute on the default scenario (street flood) with 1 worker (serial),
      2 worker processes, and a 2-worker Dask LocalCluster on 127.0.0.1 (skipped if dask is
      not installed); backend start-up is included, as a user would see it;
  (b) the driver's peak resident memory (``ru_maxrss``) for sweeps of 100 and 1,000 runs on
      2 worker processes, each in a fresh child process, so the figures do not mix.

Targets: 2 workers >= 1.8x one; 1,000 default runs within 10 minutes (extrapolated from
(a)); driver memory flat as runs grow (1,000-run peak <= 1.25x the 100-run peak).

    .venv/bin/python benchmarks/bench_sweep.py            # default scenario throughout
    .venv/bin/python benchmarks/bench_sweep.py --quick    # fewer runs; memory on a tiny
                                                          # scenario (2,000 residents)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from experiments.sweeps.backends import make_backend  # noqa: E402
from experiments.sweeps.designs import Sweep, replication_seeds  # noqa: E402
from experiments.sweeps.runner import Plan, run_sweep  # noqa: E402
from sim.scenario import DEFAULT_SCENARIO  # noqa: E402

MECHANISMS = ["hierarchical", "direct", "joint_meeting", "grid_autonomy"]
TINY = {"population.n_residents": 2000, "time.peace_days": 2, "time.war_hours": 6}


def plan_of(n_runs: int, tiny: bool) -> Plan:
    """``n_runs`` runs: the four reporting mechanisms x n_runs / 4 replications."""
    reps = max(1, n_runs // len(MECHANISMS))
    sweep = Sweep(name="bench", base=DEFAULT_SCENARIO,
                  factors={"reporting.mechanism": MECHANISMS}, replications=reps,
                  master_seed=1, fixed=TINY if tiny else {})
    points = [{"reporting.mechanism": m} for m in MECHANISMS]
    return Plan(sweep, points, replication_seeds(1, reps))


def throughput(label: str, n_runs: int, **backend_args) -> float | None:
    try:
        backend = make_backend(**backend_args)
    except RuntimeError as e:
        print(f"  {label:<22} skipped: {e}")
        return None
    plan = plan_of(n_runs, tiny=False)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        table = run_sweep(plan, Path(tmp) / "out", backend, quiet=True)
        wall = time.perf_counter() - start
    rate = len(table) / wall * 60
    print(f"  {label:<22} {len(table):5d} runs in {wall:6.1f} s = {rate:6.1f} runs/min")
    return rate


def child_memory(n_runs: int, tiny: bool) -> None:
    """In a child process: run the sweep on 2 workers and print the driver's peak RSS."""
    plan = plan_of(n_runs, tiny)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_sweep(plan, Path(tmp) / "out", make_backend(workers=2), quiet=True)
        wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"runs": plan.n_runs, "peak_mib": peak_mib, "wall_s": wall}))


def memory(n_runs: int, tiny: bool) -> dict:
    cmd = [sys.executable, __file__, "--child-memory", str(n_runs)] + (["--tiny"] if tiny
                                                                        else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a minute or two)")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        child_memory(args.child_memory, args.tiny)
        return 0
    n = 12 if args.quick else 40
    print(f"(a) runs per minute, default scenario, {n} runs per backend (start-up included)")
    serial = throughput("1 worker (serial)", n, workers=1)
    pool = throughput("2 worker processes", n, workers=2)
    dask = throughput("Dask LocalCluster x2", n, local_cluster=2)
    tiny = args.quick
    print(f"(b) driver peak memory, 2 worker processes, "
          f"{'tiny scenario (2,000 residents)' if tiny else 'default scenario'}")
    mem = {}
    for runs in (100, 1000):
        mem[runs] = memory(runs, tiny)
        print(f"  {runs:5d} runs: peak {mem[runs]['peak_mib']:7.1f} MiB "
              f"(sweep {mem[runs]['wall_s']:.1f} s)")
    print("targets")
    # (a) includes each backend's start-up (spawning workers that import numpy, pandas, mesa:
    # ~1-2 s), which weighs on a short sweep; (b)'s 1,000-run sweep shows the steady rate.
    speedup = pool / serial if serial and pool else float("nan")
    print(f"  2 workers / 1 worker = {speedup:.2f}x (target >= 1.8x): "
          f"{'PASS' if speedup >= 1.8 else 'FAIL'}")
    if not tiny:  # measured: the 1,000-run sweep of (b) ran the default scenario
        minutes = mem[1000]["wall_s"] / 60
        print(f"  1,000 default runs on 2 workers: {minutes:.1f} min measured "
              f"({1000 / minutes:.0f} runs/min; target <= 10 min): "
              f"{'PASS' if minutes <= 10 else 'FAIL'}")
    elif pool:
        minutes = 1000 / pool
        print(f"  1,000 default runs on 2 workers ~ {minutes:.1f} min extrapolated from (a) "
              f"(target <= 10): {'PASS' if minutes <= 10 else 'FAIL'}")
    if dask:
        print(f"  Dask x2 / 1 worker = {dask / serial:.2f}x")
    growth = mem[1000]["peak_mib"] / mem[100]["peak_mib"]
    print(f"  driver memory 1,000 / 100 runs = {growth:.2f}x (target <= 1.25x): "
          f"{'PASS' if growth <= 1.25 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
