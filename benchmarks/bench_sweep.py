"""Throughput and driver memory of ``grassroots sweep``'s backends.

Prints its figures (it is not a test):

  (a) runs per minute on the default scenario (street flood) with 1 worker (serial),
      2 worker processes, and a 2-worker Dask LocalCluster on 127.0.0.1 (skipped if dask is
      not installed); backend start-up is included, as a user would see it;
  (b) the driver's peak resident memory (``ru_maxrss``) for sweeps of 100 and 1,000 runs on
      2 worker processes, each in a fresh child process, so the figures do not mix;
  (c) the efficiency of a 2-worker process-pool sweep (issue 19): its wall time over
      runs x one run's time / workers, where one run's time is the median wall time of a
      few of the same plan's runs done serially in this process (warm, ``run_task``, as a
      worker does them). With backend start-up (forking the workers from this process, or
      spawning them: their imports and loading the compiled engine) and without it: the
      pool is started and each worker warmed before the sweep's clock starts again. Two
      sweeps of 1,000 runs (200 with ``--quick``): outcomes only (as the robustness
      study), and with time series and need logs (as ``grassroots sweep`` by default),
      which the driver writes. CPU times alongside: serial CPU per run, the workers' CPU
      per run in the sweep (their start-up taken out), the ratio by CPU time and the
      driver's CPU per run.

Targets: 2 workers >= 1.8x one; 1,000 default runs within 10 minutes (extrapolated from
(a)); driver memory flat as runs grow (1,000-run peak <= 1.25x the 100-run peak); sweep
efficiency, start-up included, < 1.3 (each of the two sweeps of (c)).

    .venv/bin/python benchmarks/bench_sweep.py            # default scenario throughout
    .venv/bin/python benchmarks/bench_sweep.py --quick    # fewer runs; memory on a tiny
                                                          # scenario (2,000 residents)
    .venv/bin/python benchmarks/bench_sweep.py --efficiency-runs 400   # (c) alone
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from experiments.sweeps.backends import make_backend  # noqa: E402
from experiments.sweeps.designs import Sweep, replication_seeds  # noqa: E402
from experiments.sweeps.runner import Plan, run_sweep, run_task  # noqa: E402
from sim.scenario import DEFAULT_SCENARIO  # noqa: E402

MECHANISMS = ["hierarchical", "direct", "joint_meeting", "grid_autonomy"]
TINY = {"population.n_residents": 2000, "time.peace_days": 2, "time.war_hours": 6}
EFFICIENCY_TARGET = 1.3
EFFICIENCY_WORKERS = 2
EFFICIENCY_RUNS, EFFICIENCY_RUNS_QUICK = 1000, 200


def plan_of(n_runs: int, tiny: bool) -> Plan:
    """``n_runs`` runs: the four reporting mechanisms x n_runs / 4 replications."""
    reps = max(1, n_runs // len(MECHANISMS))
    sweep = Sweep(
        name="bench",
        base=DEFAULT_SCENARIO,
        factors={"reporting.mechanism": MECHANISMS},
        replications=reps,
        master_seed=1,
        fixed=TINY if tiny else {},
    )
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
    cmd = [sys.executable, __file__, "--child-memory", str(n_runs)] + (["--tiny"] if tiny else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _warm_worker(_: int) -> tuple[int, float]:
    """In a pool worker: load the compiled engine (a tiny run of every hazard, as
    ``run_sweep`` does in the driver); returns the worker's pid and CPU time so far."""
    from sim.run import warm_engine

    warm_engine()
    return os.getpid(), time.process_time()


def start_pool(backend, rounds: int = 10) -> dict[int, float]:
    """Start a process backend's pool and warm every worker: each warmed worker's pid and
    its CPU seconds at the end of its warm-up (a worker that finishes first may take a
    second warm task, hence rounds)."""
    pool = backend._new_pool()
    seen: dict[int, float] = {}
    for _ in range(rounds):
        futures = [pool.submit(_warm_worker, i) for i in range(backend.workers)]
        for f in futures:
            pid, cpu = f.result()
            seen[pid] = max(cpu, seen.get(pid, 0.0))
        if len(seen) >= backend.workers:
            break
    return seen


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def efficiency(
    n_runs: int, samples: int, timeseries: bool, workers: int = EFFICIENCY_WORKERS
) -> dict:
    """(c): a process-pool sweep's wall time over runs x one run's time / workers."""
    plan = plan_of(n_runs, tiny=False)
    tasks = list(plan.tasks(timeseries=timeseries))
    # one run's time: a few of the plan's runs (spread over its points) serially, warm
    picks = tasks[:: max(1, len(tasks) // samples)][:samples]
    run_task(picks[0])  # warm: the compiled engine and the base scenario loaded
    walls, cpus = [], []
    for task in picks:
        t, c = time.perf_counter(), time.process_time()
        result = run_task(task)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        assert result["row"]["status"] == "ok", result["row"]["error"]
    one, one_cpu = statistics.median(walls), statistics.median(cpus)
    ideal = plan.n_runs * one / workers
    cpu0, driver0 = _children_cpu(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        backend = make_backend(workers=workers)
        warmed = start_pool(backend)
        t1 = time.perf_counter()
        method = backend.pool._mp_context.get_start_method()
        driver1 = time.process_time()
        table = run_sweep(plan, Path(tmp) / "out", backend, timeseries=timeseries, quiet=True)
        t2, driver2 = time.perf_counter(), time.process_time()
    workers_cpu = _children_cpu() - cpu0  # the pool's processes, joined by run_sweep
    driver_cpu = time.process_time() - driver0
    # the workers' CPU in the sweep proper: their total less what their start-up took
    # (exact when every worker was warmed, as ``warmed_workers`` says)
    sweep_cpu = workers_cpu - sum(warmed.values())
    n_ok = int((table["status"] == "ok").sum())
    return {
        "runs": len(table),
        "ok": n_ok,
        "workers": workers,
        "timeseries": timeseries,
        "warmed_workers": len(warmed),
        "start_method": method,
        "serial_walls_s": walls,
        "one_run_s": one,
        "serial_cpus_s": cpus,
        "one_run_cpu_s": one_cpu,
        "ideal_s": ideal,
        "startup_s": t1 - t0,
        "sweep_s": t2 - t0,
        "sweep_after_startup_s": t2 - t1,
        "ratio": (t2 - t0) / ideal,
        "ratio_after_startup": (t2 - t1) / ideal,
        "workers_cpu_s": workers_cpu,
        "workers_cpu_per_run_s": workers_cpu / len(table),
        "workers_startup_cpu_s": sum(warmed.values()),
        "workers_sweep_cpu_per_run_s": sweep_cpu / len(table),
        # on idle cores a worker's run would take its CPU time: the ratio by CPU time
        "ratio_by_cpu": sweep_cpu / (plan.n_runs * one_cpu),
        "driver_cpu_s": driver_cpu,
        "driver_sweep_cpu_s": driver2 - driver1,
        "driver_cpu_per_run_s": (driver2 - driver1) / len(table),
        "median_worker_run_s": float(table["duration_s"].median()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a minute or two)")
    parser.add_argument(
        "--efficiency-runs",
        type=int,
        help="run only (c), with this many runs per sweep (default: "
        f"{EFFICIENCY_RUNS}, or {EFFICIENCY_RUNS_QUICK} with --quick, "
        "after (a) and (b))",
    )
    parser.add_argument(
        "--efficiency-samples",
        type=int,
        default=5,
        help="serial runs whose median is one run's time in (c) (default 5)",
    )
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        child_memory(args.child_memory, args.tiny)
        return 0
    if args.efficiency_runs:
        report_efficiency(args.efficiency_runs, args.efficiency_samples, False)
        return 0
    n = 12 if args.quick else 40
    print(f"(a) runs per minute, default scenario, {n} runs per backend (start-up included)")
    serial = throughput("1 worker (serial)", n, workers=1)
    pool = throughput("2 worker processes", n, workers=2)
    dask = throughput("Dask LocalCluster x2", n, local_cluster=2)
    tiny = args.quick
    print(
        f"(b) driver peak memory, 2 worker processes, "
        f"{'tiny scenario (2,000 residents)' if tiny else 'default scenario'}"
    )
    mem = {}
    for runs in (100, 1000):
        mem[runs] = memory(runs, tiny)
        print(
            f"  {runs:5d} runs: peak {mem[runs]['peak_mib']:7.1f} MiB "
            f"(sweep {mem[runs]['wall_s']:.1f} s)"
        )
    eff = report_efficiency(
        EFFICIENCY_RUNS_QUICK if args.quick else EFFICIENCY_RUNS,
        args.efficiency_samples,
        args.quick,
        targets=False,
    )
    print("targets")
    # (a) includes each backend's start-up (forked workers: ~0.1 s; spawned ones import
    # numpy, pandas, mesa: ~3 s), which weighs on a short sweep; (b)'s 1,000-run sweep
    # shows the steady rate.
    speedup = pool / serial if serial and pool else float("nan")
    print(
        f"  2 workers / 1 worker = {speedup:.2f}x (target >= 1.8x): "
        f"{'PASS' if speedup >= 1.8 else 'FAIL'}"
    )
    if not tiny:  # measured: the 1,000-run sweep of (b) ran the default scenario
        minutes = mem[1000]["wall_s"] / 60
        print(
            f"  1,000 default runs on 2 workers: {minutes:.1f} min measured "
            f"({1000 / minutes:.0f} runs/min; target <= 10 min): "
            f"{'PASS' if minutes <= 10 else 'FAIL'}"
        )
    elif pool:
        minutes = 1000 / pool
        print(
            f"  1,000 default runs on 2 workers ~ {minutes:.1f} min extrapolated from (a) "
            f"(target <= 10): {'PASS' if minutes <= 10 else 'FAIL'}"
        )
    if dask:
        print(f"  Dask x2 / 1 worker = {dask / serial:.2f}x")
    growth = mem[1000]["peak_mib"] / mem[100]["peak_mib"]
    print(
        f"  driver memory 1,000 / 100 runs = {growth:.2f}x (target <= 1.25x): "
        f"{'PASS' if growth <= 1.25 else 'FAIL'}"
    )
    print_efficiency_targets(eff)
    return 0


VARIANTS = (
    (False, "outcomes only (as the robustness study)"),
    (True, "with time series and need logs (grassroots sweep's default)"),
)


def report_efficiency(n_runs: int, samples: int, quick: bool, targets: bool = True) -> list[dict]:
    """(c) for both kinds of sweep: outcomes only, then with time series."""
    print(
        f"(c) sweep efficiency: {n_runs} default runs on {EFFICIENCY_WORKERS} worker "
        f"processes; ratio = sweep wall / (runs x one run's wall / {EFFICIENCY_WORKERS})",
        flush=True,
    )
    if quick:
        print(
            f"  --quick: a short sweep, in which the workers' start-up weighs more "
            f"than in the full {EFFICIENCY_RUNS}"
        )
    out = []
    for timeseries, label in VARIANTS:
        load = os.getloadavg()[0]
        eff = efficiency(n_runs, samples, timeseries)
        eff["label"] = label
        print(f"  {label}:")
        print(
            f"    one run: {eff['one_run_s']:.3f} s wall, {eff['one_run_cpu_s']:.3f} s CPU "
            f"(median of {len(eff['serial_walls_s'])} serial runs, warm: "
            f"{', '.join(f'{w:.3f}' for w in eff['serial_walls_s'])} s)"
        )
        print(
            f"    sweep: {eff['sweep_s']:.1f} s with start-up ({eff['startup_s']:.1f} s to "
            f"{eff['start_method']} and warm {eff['warmed_workers']} workers), "
            f"{eff['sweep_after_startup_s']:.1f} s without; ideal {eff['runs']} x "
            f"{eff['one_run_s']:.3f} / {eff['workers']} = {eff['ideal_s']:.1f} s; "
            f"{eff['ok']}/{eff['runs']} ok"
        )
        print(
            f"    ratio {eff['ratio']:.2f} with start-up, {eff['ratio_after_startup']:.2f} "
            f"without; by CPU time {eff['ratio_by_cpu']:.2f} (the workers' CPU per run in "
            f"the sweep {eff['workers_sweep_cpu_per_run_s']:.3f} s vs "
            f"{eff['one_run_cpu_s']:.3f} s serial)"
        )
        print(
            f"    driver CPU {eff['driver_cpu_per_run_s'] * 1000:.1f} ms per run (on "
            f"{os.cpu_count()} CPUs it competes with the workers); workers' start-up CPU "
            f"{eff['workers_startup_cpu_s']:.1f} s; median run in a worker "
            f"{eff['median_worker_run_s']:.3f} s wall; load average {load:.1f} -> "
            f"{os.getloadavg()[0]:.1f}",
            flush=True,
        )
        out.append(eff)
    if targets:
        print("targets")
        print_efficiency_targets(out)
    return out


def print_efficiency_targets(effs: list[dict]) -> None:
    for eff in effs:
        ok = eff["ratio"] < EFFICIENCY_TARGET
        print(
            f"  sweep efficiency, {eff['label']}: wall / (runs x one run / workers) = "
            f"{eff['ratio']:.2f} with start-up ({eff['ratio_after_startup']:.2f} without, "
            f"{eff['ratio_by_cpu']:.2f} by CPU time; target < {EFFICIENCY_TARGET}): "
            f"{'PASS' if ok else 'FAIL'}"
        )


if __name__ == "__main__":
    sys.exit(main())
