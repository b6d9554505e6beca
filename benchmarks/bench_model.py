"""Speed and memory benchmark of the grassroots model, against Mesa's own BoltzmannWealth.

Prints its figures (it is not a test). What it measures, in one invocation:

  (a) Mesa's BoltzmannWealth example at 10,000 agents on a 100 x 100 grid: agent-steps per
      second (median of a few repeats of 20 steps; model construction not timed).
  (b) The default scenario (``sim.load_scenario()``, ``sim.simulate(cfg, seed=s)``): wall
      time per run (median over several seeds, after one untimed warm-up run) and
      resident-steps per second = n_residents * n_steps / wall.
  (c) The ratio (b) / (a): how many more residents the model steps per second than Mesa
      steps agents one Python object at a time. Target: >= 2,000x. The machine's speed
      drifts while (a) and (b) run one after the other (a shared machine: 25% between
      minutes here), so the ratio is also measured in paired rounds (``--pairs``, default
      7): each round times one BoltzmannWealth repeat and three default runs back to back,
      and the target takes the median of the rounds' ratios.
  (d) Scaling with residents (30k, 100k, 300k, 1M; ``--quick`` skips 1M): each size runs in
      a fresh child process that reports its own wall times and peak resident memory
      (VmHWM from /proc/self/status; see ``_peak_rss_bytes`` for why not ``ru_maxrss``), so
      one size's memory does not hide another's.
  (e) Memory growth over many runs in one process (a sweep worker's life): in a fresh child
      process, a tiny configuration (2,000 residents, 2 peace days, 6 war hours) runs 200
      times as warm-up, then its resident memory (VmRSS, after ``gc.collect()``) is read,
      it runs ``--leak-runs`` more times (default 10,000; seeds varying) and VmRSS is read
      again. Target: growth under 10 MB over 10,000 runs. The child also counts numba's
      NRT allocations and frees over the measured runs (the engine should make none).
  (f) Optional (``--ten-million``, a few minutes): one default-scenario run of 10,000,000
      residents in a fresh child process: wall and CPU time, and peak resident memory
      (VmHWM) against the memory estimate ``sim.footprint.estimate(cfg).total``. Target:
      the peak within the estimate.

Then a "targets" section: PASS/FAIL/SKIP for the ratio >= 2,000x, peak memory of the 1M
run <= 2 GiB, cost per resident-step at 1M <= 1.25x that at 30k, memory growth < 10 MB
per 10,000 runs, and the 10M run's peak within its estimate.

    .venv/bin/python benchmarks/bench_model.py                # full run (a few minutes)
    .venv/bin/python benchmarks/bench_model.py --quick        # without 1M; 2,000 leak runs
    .venv/bin/python benchmarks/bench_model.py --ten-million  # also the 10M run
    .venv/bin/python benchmarks/bench_model.py --json results/bench.json
    .venv/bin/python benchmarks/bench_model.py --check        # exit 1 if a target fails
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RATIO_TARGET = 2000.0
MEMORY_TARGET_BYTES = 2 * 1024**3
SCALING_TARGET = 1.25
SIZES = (30_000, 100_000, 300_000, 1_000_000)
BOLTZMANN_N = 10_000
# (e) memory growth over many runs: a tiny run, many times in one process
LEAK_CONFIG = {"population.n_residents": 2000, "time.peace_days": 2, "time.war_hours": 6}
LEAK_WARMUP = 200
LEAK_RUNS = 10_000
LEAK_RUNS_QUICK = 2_000
LEAK_TARGET_MB = 10.0  # per LEAK_RUNS runs
MB = 1e6
# (f) the ten-million run
TEN_MILLION = 10_000_000


# --- measurements ---------------------------------------------------------------------------


def boltzmann_repeat(n: int, steps: int, seed: int) -> tuple[float, float]:
    """Wall and CPU seconds of `steps` steps of a new BoltzmannWealth of `n` agents."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental DataRecorder / Scenario warnings
        model = BoltzmannWealth(scenario=BoltzmannScenario(n=n, width=100, height=100, rng=seed))
        t, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            model.step()
        return time.perf_counter() - t, time.process_time() - c


def bench_boltzmann(n: int, steps: int, repeats: int) -> dict[str, Any]:
    """Mesa's BoltzmannWealth example: agent-steps per second (fresh model each repeat)."""
    import mesa

    walls, cpus = [], []
    for k in range(repeats):
        wall, cpu = boltzmann_repeat(n, steps, 1 + k)
        walls.append(wall)
        cpus.append(cpu)
    wall = statistics.median(walls)
    return {
        "mesa_version": mesa.__version__,
        "n_agents": n,
        "steps": steps,
        "repeats": repeats,
        "walls_s": walls,
        "wall_median_s": wall,
        "agent_steps_per_s": n * steps / wall,
        "cpus_s": cpus,
        "agent_steps_per_cpu_s": n * steps / statistics.median(cpus),
    }


def paired_ratios(rounds: int, steps: int, per_round: int = 3) -> list[float]:
    """Ratios (c) from rounds of one BoltzmannWealth repeat and `per_round` default runs
    back to back (so that both see the machine at about the same speed)."""
    import sim

    cfg = sim.load_scenario()
    n_steps = sim.simulate(cfg, seed=0).n_steps
    ratios = []
    for k in range(rounds):
        mesa_rate = BOLTZMANN_N * steps / boltzmann_repeat(BOLTZMANN_N, steps, 1 + k)[0]
        walls = []
        for j in range(per_round):
            t = time.perf_counter()
            sim.simulate(cfg, seed=1 + k * per_round + j)
            walls.append(time.perf_counter() - t)
        rate = cfg.population.n_residents * n_steps / statistics.median(walls)
        ratios.append(rate / mesa_rate)
    return ratios


def run_scenario(n_residents: int | None, seeds: list[int], warmup: bool = True) -> dict[str, Any]:
    """Default scenario (optionally with another population size), one run per seed."""
    import sim

    overrides = {"population.n_residents": n_residents} if n_residents else None
    cfg = sim.load_scenario(overrides=overrides)
    if warmup:  # first-call costs (lazy imports, caches) are not the model's per-run cost
        sim.simulate(
            sim.load_scenario(
                overrides={
                    "population.n_residents": 2000,
                    "time.peace_days": 2,
                    "time.war_hours": 2.0,
                }
            ),
            seed=0,
        )
    walls, cpus, n_steps, n_needs = [], [], 0, []
    for s in seeds:
        t, c = time.perf_counter(), time.process_time()
        result = sim.simulate(cfg, seed=s)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        n_steps = result.n_steps
        n_needs.append(len(result.needs))
        del result
    n = cfg.population.n_residents
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {
        "scenario": cfg.name,
        "n_residents": n,
        "n_steps": n_steps,
        "seeds": seeds,
        "walls_s": walls,
        "wall_median_s": wall,
        "n_needs": n_needs,
        "resident_steps_per_s": n * n_steps / wall,
        "ns_per_resident_step": wall / (n * n_steps) * 1e9,
        "cpus_s": cpus,
        "cpu_median_s": cpu,
        "resident_steps_per_cpu_s": n * n_steps / cpu,
        "cpu_ns_per_resident_step": cpu / (n * n_steps) * 1e9,
    }


def _peak_rss_bytes() -> tuple[int, str]:
    """This process's peak resident memory, and how it was measured.

    On Linux, VmHWM (the high-water mark of this process's own address space) is used:
    ``ru_maxrss`` of RUSAGE_SELF is not, because the kernel carries the parent's high-water
    mark over fork + exec, so a child started by a 250 MiB parent reports at least 250 MiB.
    Elsewhere ``ru_maxrss`` is the fallback (KiB on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (rss if sys.platform == "darwin" else rss * 1024), "ru_maxrss"


def _proc_status_bytes(key: str) -> int | None:
    """A field of /proc/self/status in bytes (``VmRSS``, ``VmHWM``), None without /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _rss_bytes() -> int:
    """This process's resident memory now (VmRSS), after a full garbage collection."""
    gc.collect()
    rss = _proc_status_bytes("VmRSS")
    if rss is None:
        raise SystemExit("bench_model: memory growth needs /proc/self/status (Linux)")
    return rss


def _nrt_stats() -> dict[str, int] | None:
    """numba's NRT allocation counters (the parent sets NUMBA_NRT_STATS=1 for the child), or
    None when they are off. The engine runs without the NRT and should allocate nothing
    through it; tracemalloc does not see these allocations."""
    try:
        from numba.core.runtime import rtsys

        return dict(rtsys.get_allocation_stats()._asdict())
    except Exception:  # noqa: BLE001 - stats disabled, or another numba's API
        return None


def _child_leak(runs: int, warmup: int) -> None:
    """Entry point of the memory-growth child: ``warmup`` tiny runs, VmRSS, ``runs`` more
    (seeds varying), VmRSS again; reports as JSON. VmRSS is also read (without a
    collection) at tenths of the way, to tell a one-off step from steady growth."""
    import sim

    cfg = sim.load_scenario(overrides=LEAK_CONFIG)
    t = time.perf_counter()
    for k in range(warmup):
        sim.simulate(cfg, seed=1 + k)
    warmup_s = time.perf_counter() - t
    nrt0 = _nrt_stats()
    rss0 = _rss_bytes()
    every = max(1, runs // 10)
    checkpoints = []
    t, c = time.perf_counter(), time.process_time()
    for k in range(runs):
        sim.simulate(cfg, seed=1 + warmup + k)
        if (k + 1) % every == 0 and k + 1 < runs:
            checkpoints.append([k + 1, (_proc_status_bytes("VmRSS") or 0) - rss0])
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    rss_uncollected = _proc_status_bytes("VmRSS") or 0
    garbage = gc.collect()  # objects that only the cyclic collector frees, still pending
    rss1 = _rss_bytes()
    checkpoints.append([runs, rss1 - rss0])
    nrt1 = _nrt_stats()
    rss_trimmed = None
    try:  # glibc: give free heap memory back to the system; what remains is live data
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
        rss_trimmed = _proc_status_bytes("VmRSS")
    except (OSError, AttributeError):
        pass
    nrt = {k: nrt1[k] - nrt0[k] for k in nrt1} if nrt0 and nrt1 else None
    growth = rss1 - rss0
    first = checkpoints[0] if len(checkpoints) > 1 else [0, 0]
    print(
        "BENCH-CHILD "
        + json.dumps(
            {
                "config": LEAK_CONFIG,
                "warmup_runs": warmup,
                "warmup_s": warmup_s,
                "runs": runs,
                "rss_after_warmup_bytes": rss0,
                "rss_after_runs_bytes": rss1,
                "rss_before_final_collect_bytes": rss_uncollected,
                "garbage_at_end": garbage,
                "rss_after_malloc_trim_bytes": rss_trimmed,
                "growth_bytes": growth,
                "growth_mb": growth / MB,
                "growth_mb_per_1000_runs": growth / MB / runs * 1000,
                "growth_mb_per_10000_runs": growth / MB / runs * LEAK_RUNS,
                # after the first tenth of the runs: a one-off step (caches filling) is left out
                "steady_growth_mb_per_1000_runs": (growth - first[1])
                / MB
                / max(runs - first[0], 1)
                * 1000,
                "rss_checkpoints": checkpoints,
                "wall_s": wall,
                "cpu_s": cpu,
                "runs_per_s": runs / wall,
                "runs_per_cpu_s": runs / cpu,
                "nrt_allocations": nrt,
                "peak_rss_bytes": _proc_status_bytes("VmHWM"),
            }
        )
    )


def _child_ten_million(n_residents: int) -> None:
    """Entry point of the ten-million child: one default-scenario run of ``n_residents``
    residents (build and run, ``sim.simulate``); reports wall and CPU time and peak memory
    (VmHWM) against ``sim.footprint.estimate``."""
    import numpy  # noqa: F401  - count library imports in the baseline, not the run
    import pandas  # noqa: F401

    import sim
    from sim.footprint import estimate
    from sim.run import warm_engine

    warm_engine()  # the compiled code loaded (or compiled) before the timed run
    baseline = _rss_bytes()
    hwm_before = _proc_status_bytes("VmHWM")
    cfg = sim.load_scenario(overrides={"population.n_residents": n_residents})
    footprint = estimate(cfg)
    t, c = time.perf_counter(), time.process_time()
    result = sim.simulate(cfg, seed=1)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    peak, source = _peak_rss_bytes()
    n = cfg.population.n_residents
    print(
        "BENCH-CHILD "
        + json.dumps(
            {
                "scenario": cfg.name,
                "n_residents": n,
                "n_steps": result.n_steps,
                "seed": 1,
                "wall_s": wall,
                "cpu_s": cpu,
                "ns_per_resident_step": wall / (n * result.n_steps) * 1e9,
                "baseline_rss_bytes": baseline,
                "peak_rss_before_run_bytes": hwm_before,
                "peak_rss_bytes": peak,
                "peak_rss_source": source,
                "peak_above_baseline_bytes": peak - baseline,
                "estimate_bytes": footprint.total,
                "estimate": footprint.describe(),
                "peak_over_estimate": peak / footprint.total,
            }
        )
    )


def _child(n_residents: int, seeds: list[int]) -> None:
    """Entry point of a scaling child: run, then report own figures and peak RSS as JSON."""
    import numpy  # noqa: F401  - count library imports in the baseline, not the run
    import pandas  # noqa: F401

    import sim  # noqa: F401

    baseline, _ = _peak_rss_bytes()
    out = run_scenario(n_residents, seeds)
    out["baseline_rss_bytes"] = baseline
    out["peak_rss_bytes"], out["peak_rss_source"] = _peak_rss_bytes()
    out["ru_maxrss_raw"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("BENCH-CHILD " + json.dumps(out))


def _child_scale_pairs(rounds: int) -> None:
    """Entry point of the paired scaling child: in one process, rounds of three 30,000-
    resident runs and one 1,000,000-resident run back to back; each round's ratio of their
    costs per resident-step."""
    import sim

    small, big = (
        sim.load_scenario(overrides={"population.n_residents": n}) for n in (30_000, 1_000_000)
    )
    sim.simulate(small, seed=0)  # warm-up
    ratios = []
    for k in range(rounds):
        walls = []
        for j in range(3):
            t = time.perf_counter()
            sim.simulate(small, seed=1 + 3 * k + j)
            walls.append(time.perf_counter() - t)
        t = time.perf_counter()
        sim.simulate(big, seed=1 + k)
        wall_big = time.perf_counter() - t
        ratios.append((wall_big / 1_000_000) / (statistics.median(walls) / 30_000))
    print("BENCH-CHILD " + json.dumps({"ratios": ratios}))


def runs_for(n: int, max_runs: int) -> int:
    """Runs per size: up to max_runs, about a million resident-runs per size in all."""
    return max(1, min(max_runs, round(1_000_000 / n)))


def run_child(
    flags: list[str], timeout: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run this script with hidden ``flags`` in a fresh process; its ``BENCH-CHILD`` JSON
    line, or ``{"error": ...}`` (printed as " failed", with the child's stderr)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *flags]
    t = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        print(f" timed out after {timeout:g} s")
        return {"error": f"timed out after {timeout:g} s (--timeout)"}
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-CHILD ")), None)
    if proc.returncode != 0 or line is None:
        print(" failed")
        sys.stderr.write(proc.stderr[-4000:])
        return {"error": (proc.stderr or "no output")[-2000:]}
    print(f" {time.perf_counter() - t:.1f} s")
    return json.loads(line[len("BENCH-CHILD ") :])


def bench_scaling(sizes: list[int], max_runs: int, timeout: float) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        k = runs_for(n, max_runs)
        seeds = list(range(1, k + 1))
        print(f"  {n:>9,} residents: {k} run(s) in a fresh process ...", end="", flush=True)
        row = run_child(["--child", str(n), "--seeds", ",".join(map(str, seeds))], timeout)
        rows.append({"n_residents": n, **row})
    return rows


def bench_leak(runs: int, timeout: float) -> dict[str, Any]:
    """(e): memory growth over ``runs`` tiny runs in one fresh process (NRT stats on)."""
    print(
        f"    {LEAK_WARMUP} warm-up runs, then {runs:,} measured, in a fresh process ...",
        end="",
        flush=True,
    )
    return run_child(["--child-leak", str(runs)], timeout, env={"NUMBA_NRT_STATS": "1"})


def bench_ten_million(timeout: float) -> dict[str, Any]:
    """(f): one default-scenario run of ten million residents in a fresh process."""
    print(f"    one run of {TEN_MILLION:,} residents in a fresh process ...", end="", flush=True)
    return run_child(["--child-ten-million", str(TEN_MILLION)], timeout)


# --- report ----------------------------------------------------------------------------------


def _mib(b: float) -> float:
    return b / 1024**2


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "sim"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=10,
        ).stdout.strip()
        return rev + ("-dirty(sim)" if dirty else "") if rev else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def targets(
    ratio: float,
    ratio_cpu: float,
    rows: list[dict[str, Any]],
    leak: dict[str, Any] | None = None,
    ten: dict[str, Any] | None = None,
    scale_pairs: list[float] | None = None,
) -> list[dict[str, Any]]:
    """PASS / FAIL / SKIP (size not in the scaling table, section not run) for each
    target."""
    ran = {r["n_residents"] for r in rows}
    ok_rows = {r["n_residents"]: r for r in rows if "error" not in r}
    out = [
        {
            "name": f"default scenario resident-steps/s >= {RATIO_TARGET:.0f}x Mesa "
            f"BoltzmannWealth agent-steps/s",
            "value": f"{ratio:.1f}x (by CPU time {ratio_cpu:.1f}x)",
            "status": "PASS" if ratio >= RATIO_TARGET else "FAIL",
        }
    ]
    big, small = ok_rows.get(1_000_000), ok_rows.get(30_000)
    if 1_000_000 not in ran:
        mem = {"value": "1M not run (--quick or --sizes)", "status": "SKIP"}
    elif big is None:
        mem = {"value": "1M run failed", "status": "FAIL"}
    else:
        peak = big["peak_rss_bytes"]
        mem = {
            "value": f"{peak / 1024**3:.2f} GiB",
            "status": "PASS" if peak <= MEMORY_TARGET_BYTES else "FAIL",
        }
    out.append({"name": "1M residents: peak memory <= 2 GiB", **mem})
    if not {1_000_000, 30_000} <= ran:
        sc = {"value": "30k or 1M not run (--quick or --sizes)", "status": "SKIP"}
    elif big is None or small is None:
        sc = {"value": "a run failed", "status": "FAIL"}
    else:
        rel = big["ns_per_resident_step"] / small["ns_per_resident_step"]
        rel_cpu = big["cpu_ns_per_resident_step"] / small["cpu_ns_per_resident_step"]
        value = (
            f"{rel:.2f}x ({big['ns_per_resident_step']:.1f} vs "
            f"{small['ns_per_resident_step']:.1f} ns; by CPU time {rel_cpu:.2f}x)"
        )
        if scale_pairs:  # the paired rounds decide (see --scale-pairs)
            rel = statistics.median(scale_pairs)
            value = f"{rel:.2f}x in {len(scale_pairs)} paired rounds; one run each: {value}"
        sc = {"value": value, "status": "PASS" if rel <= SCALING_TARGET else "FAIL"}
    out.append({"name": f"cost per resident-step at 1M <= {SCALING_TARGET}x that at 30k", **sc})
    if leak is None:
        lk = {"value": "not run (--leak-runs 0)", "status": "SKIP"}
    elif "error" in leak:
        lk = {"value": "the run failed", "status": "FAIL"}
    else:
        per = leak["growth_mb_per_10000_runs"]
        how = (
            "measured"
            if leak["runs"] == LEAK_RUNS
            else f"scaled linearly from {leak['runs']:,} runs ({leak['growth_mb']:.2f} MB)"
        )
        lk = {
            "value": f"{per:.2f} MB per {LEAK_RUNS:,} runs ({how})",
            "status": "PASS" if per < LEAK_TARGET_MB else "FAIL",
        }
    out.append(
        {
            "name": f"RSS growth in one process < {LEAK_TARGET_MB:g} MB over "
            f"{LEAK_RUNS:,} tiny runs",
            **lk,
        }
    )
    if ten is None:
        tm = {"value": "not run (--ten-million)", "status": "SKIP"}
    elif "error" in ten:
        tm = {"value": "the run failed", "status": "FAIL"}
    else:
        tm = {
            "value": f"peak {ten['peak_rss_bytes'] / 1024**3:.2f} GiB vs estimate "
            f"{ten['estimate_bytes'] / 1024**3:.2f} GiB "
            f"({ten['peak_over_estimate']:.2f}x; run {ten['wall_s']:.0f} s)",
            "status": "PASS" if ten["peak_rss_bytes"] <= ten["estimate_bytes"] else "FAIL",
        }
    out.append({"name": "10M residents: peak memory within sim.footprint.estimate", **tm})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help="skip the 1,000,000-resident size; 2,000 runs in (e)"
    )
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    ap.add_argument(
        "--runs",
        type=int,
        default=5,
        help="default-scenario runs (seeds 1..N), median taken (default 5)",
    )
    ap.add_argument(
        "--boltzmann-steps",
        type=int,
        default=20,
        help="steps per BoltzmannWealth repeat (default 20)",
    )
    ap.add_argument(
        "--boltzmann-repeats",
        type=int,
        default=3,
        help="BoltzmannWealth repeats, median taken (default 3)",
    )
    ap.add_argument(
        "--pairs",
        type=int,
        default=7,
        help="paired rounds for the ratio (c), median taken (default 7; 0: the ratio of "
        "(b) to (a) only)",
    )
    ap.add_argument(
        "--scale-pairs",
        type=int,
        default=5,
        help="paired rounds for the 1M scaling target, median taken (default 5; 0: the "
        "table's one run per size only)",
    )
    ap.add_argument(
        "--scale-runs",
        type=int,
        default=5,
        help="most runs per size in the scaling table (default 5; sizes get "
        "min(N, 1e6 / residents) runs: 5, 5, 3, 1)",
    )
    ap.add_argument(
        "--sizes",
        help="comma-separated resident counts for the scaling table "
        "(default 30000,100000,300000,1000000)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds allowed per child process (default 1800)",
    )
    ap.add_argument(
        "--leak-runs",
        type=int,
        help=f"measured runs of the memory-growth section (e) (default "
        f"{LEAK_RUNS:,}; {LEAK_RUNS_QUICK:,} with --quick; 0 skips it)",
    )
    ap.add_argument(
        "--ten-million",
        action="store_true",
        help="also run section (f): one run of 10,000,000 residents (a few minutes, about 7 GiB)",
    )
    ap.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--seeds", help=argparse.SUPPRESS)
    ap.add_argument("--child-leak", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-scale-pairs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-ten-million", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child is not None:
        _child(args.child, [int(s) for s in (args.seeds or "1").split(",")])
        return 0
    if args.child_scale_pairs is not None:
        _child_scale_pairs(args.child_scale_pairs)
        return 0
    if args.child_leak is not None:
        _child_leak(args.child_leak, LEAK_WARMUP)
        return 0
    if args.child_ten_million is not None:
        _child_ten_million(args.child_ten_million)
        return 0
    leak_runs = (
        args.leak_runs
        if args.leak_runs is not None
        else (LEAK_RUNS_QUICK if args.quick else LEAK_RUNS)
    )

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
    if args.quick:
        sizes = [n for n in sizes if n < 1_000_000]

    import mesa
    import numpy as np

    print("grassroots-sim benchmark")
    print(
        f"  python {platform.python_version()}, mesa {mesa.__version__}, numpy "
        f"{np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"git {_git_revision()}"
    )
    load0 = _load()
    print(f"  load average {load0:.2f} on {os.cpu_count()} CPUs at start")
    if load0 > 0.5 * (os.cpu_count() or 1):
        print(
            "  note: other processes are using the CPUs; wall times will be noisy and "
            "slow. Rerun on a quiet machine for figures to compare."
        )

    print(
        f"\n(a) Mesa BoltzmannWealth, {BOLTZMANN_N:,} agents, 100x100 grid, "
        f"{args.boltzmann_steps} steps x {args.boltzmann_repeats} repeats ...",
        flush=True,
    )
    boltz = bench_boltzmann(BOLTZMANN_N, args.boltzmann_steps, args.boltzmann_repeats)
    print(
        f"    wall per {args.boltzmann_steps} steps: "
        + ", ".join(f"{w:.3f}" for w in boltz["walls_s"])
        + f" s (median {boltz['wall_median_s']:.3f} s)"
    )
    print(
        f"    {boltz['agent_steps_per_s']:,.0f} agent-steps/s "
        f"(per CPU-second: {boltz['agent_steps_per_cpu_s']:,.0f})"
    )

    seeds = list(range(1, args.runs + 1))
    print(
        f"\n(b) default scenario, {len(seeds)} runs (seeds {seeds[0]}..{seeds[-1]}), "
        "after one untimed warm-up run ...",
        flush=True,
    )
    default = run_scenario(None, seeds)
    print(
        f"    scenario {default['scenario']}: {default['n_residents']:,} residents x "
        f"{default['n_steps']} steps"
    )
    print(
        "    wall per run: "
        + ", ".join(f"{w:.3f}" for w in default["walls_s"])
        + f" s (median {default['wall_median_s']:.3f} s)"
    )
    print(
        f"    {default['resident_steps_per_s']:,.0f} resident-steps/s "
        f"({default['ns_per_resident_step']:.1f} ns per resident-step; per CPU-second: "
        f"{default['resident_steps_per_cpu_s']:,.0f})"
    )

    ratio = default["resident_steps_per_s"] / boltz["agent_steps_per_s"]
    ratio_cpu = default["resident_steps_per_cpu_s"] / boltz["agent_steps_per_cpu_s"]
    print(f"\n(c) ratio (b)/(a): {ratio:.1f}x; by CPU time: {ratio_cpu:.1f}x")
    pairs: list[float] = []
    if args.pairs > 0:
        pairs = paired_ratios(args.pairs, args.boltzmann_steps)
        ratio = statistics.median(pairs)
        print(
            f"    in {len(pairs)} paired rounds (one BoltzmannWealth repeat, three runs): "
            + ", ".join(f"{r:.0f}" for r in pairs)
            + f"; median {ratio:.1f}x"
        )
    print(
        f"    target >= {RATIO_TARGET:.0f}x: {'met' if ratio >= RATIO_TARGET else 'NOT met'}"
        f" ({'paired median' if pairs else 'ratio (b)/(a)'})"
    )

    print(
        f"\n(d) scaling with residents ({default['scenario']}, population.n_residents "
        "overridden), one fresh process per size:",
        flush=True,
    )
    rows = bench_scaling(sizes, args.scale_runs, args.timeout)
    ok = [r for r in rows if "error" not in r]
    base = ok[0]["ns_per_resident_step"] if ok else float("nan")
    base_cpu = ok[0]["cpu_ns_per_resident_step"] if ok else float("nan")
    print()
    head = (
        f"  {'residents':>10} {'steps':>5} {'runs':>4} {'wall/run s':>10} {'min s':>7} "
        f"{'ns/res-step':>11} {'vs smallest':>11} {'CPU ns':>7} {'vs':>6} {'needs':>7} "
        f"{'peak RSS MiB':>12} "
        f"{'baseline MiB':>12}"
    )
    print(head)
    print("  " + "-" * (len(head) - 2))
    for r in rows:
        if "error" in r:
            print(f"  {r['n_residents']:>10,} failed: see stderr")
            continue
        print(
            f"  {r['n_residents']:>10,} {r['n_steps']:>5} {len(r['walls_s']):>4} "
            f"{r['wall_median_s']:>10.2f} {min(r['walls_s']):>7.2f} "
            f"{r['ns_per_resident_step']:>11.1f} "
            f"{r['ns_per_resident_step'] / base:>10.2f}x "
            f"{r['cpu_ns_per_resident_step']:>7.1f} "
            f"{r['cpu_ns_per_resident_step'] / base_cpu:>5.2f}x "
            f"{int(statistics.median(r['n_needs'])):>7,} "
            f"{_mib(r['peak_rss_bytes']):>12.0f} {_mib(r['baseline_rss_bytes']):>12.0f}"
        )
    if len(ok) >= 2:
        print(
            f"\n  cost per resident-step, {ok[-1]['n_residents']:,} vs "
            f"{ok[0]['n_residents']:,} residents: "
            f"{ok[-1]['ns_per_resident_step'] / ok[0]['ns_per_resident_step']:.2f}x by wall "
            f"time, {ok[-1]['cpu_ns_per_resident_step'] / ok[0]['cpu_ns_per_resident_step']:.2f}x"
            " by CPU time (1.00x = linear growth of the run's cost)"
        )
    src = ok[0].get("peak_rss_source", "?") if ok else "?"
    print(
        f"  (peak RSS: the child's whole process ({src}), including the warm-up run; "
        "baseline: after importing sim, numpy, pandas)"
    )
    scale_pairs: list[float] = []
    if args.scale_pairs > 0 and {30_000, 1_000_000} <= set(sizes):
        print(
            f"\n  paired: {args.scale_pairs} rounds of three 30,000- and one 1,000,000-resident "
            "runs back to back, in one fresh process ...",
            end="",
            flush=True,
        )
        paired = run_child(["--child-scale-pairs", str(args.scale_pairs)], args.timeout)
        scale_pairs = paired.get("ratios", [])
        if scale_pairs:
            print(
                "\n  cost per resident-step, 1M vs 30k, by round: "
                + ", ".join(f"{r:.2f}" for r in scale_pairs)
                + f"; median {statistics.median(scale_pairs):.2f}x"
            )

    leak = None
    if leak_runs > 0:
        tiny = ", ".join(f"{k.split('.')[1]}={v:,}" for k, v in LEAK_CONFIG.items())
        print(
            f"\n(e) memory growth over many runs in one process ({tiny}; seeds varying):",
            flush=True,
        )
        if leak_runs != LEAK_RUNS:
            print(
                f"    note: {leak_runs:,} measured runs instead of {LEAK_RUNS:,}"
                f"{' (--quick)' if args.quick and args.leak_runs is None else ''}; the "
                f"target is judged on the growth scaled linearly to {LEAK_RUNS:,} runs"
            )
        leak = bench_leak(leak_runs, args.timeout)
        if "error" not in leak:
            print(
                f"    VmRSS after {leak['warmup_runs']} warm-up runs "
                f"{_mib(leak['rss_after_warmup_bytes']):.1f} MiB, after {leak['runs']:,} "
                f"more {_mib(leak['rss_after_runs_bytes']):.1f} MiB (gc.collect() first)"
            )
            print(
                f"    growth {leak['growth_mb']:.2f} MB over {leak['runs']:,} runs = "
                f"{leak['growth_mb_per_1000_runs']:.3f} MB per 1,000 runs "
                f"({leak['growth_mb_per_10000_runs']:.2f} MB per {LEAK_RUNS:,}); after the "
                f"first tenth: {leak['steady_growth_mb_per_1000_runs']:.3f} MB per 1,000"
            )
            print(
                "    growth at tenths: "
                + ", ".join(f"{r:,}: {b / MB:.2f}" for r, b in leak["rss_checkpoints"])
                + " MB"
            )
            print(
                f"    {leak['runs_per_s']:.1f} runs/s by wall time "
                f"({leak['wall_s']:.1f} s), {leak['runs_per_cpu_s']:.1f} per CPU-second"
            )
            print(
                f"    the final gc.collect() found {leak['garbage_at_end']:,} unreachable "
                f"objects (VmRSS before it "
                f"{_mib(leak['rss_before_final_collect_bytes']):.1f} MiB)"
            )
            trimmed = leak.get("rss_after_malloc_trim_bytes")
            if trimmed is not None:
                print(
                    f"    after malloc_trim(0): VmRSS "
                    f"{(trimmed - leak['rss_after_warmup_bytes']) / MB:+.2f} MB from after "
                    "warm-up (what it returns is free heap memory that glibc kept, not live "
                    "data)"
                )
            nrt = leak.get("nrt_allocations")
            if nrt is not None:
                print(
                    f"    numba NRT during the measured runs: {nrt['alloc']} allocations, "
                    f"{nrt['free']} frees"
                )

    ten = None
    if args.ten_million:
        print(f"\n(f) {TEN_MILLION:,} residents, default scenario, one run (seed 1):", flush=True)
        ten = bench_ten_million(args.timeout)
        if "error" not in ten:
            print(
                f"    {ten['n_residents']:,} residents x {ten['n_steps']} steps: "
                f"{ten['wall_s']:.1f} s wall (build and run), {ten['cpu_s']:.1f} s CPU; "
                f"{ten['ns_per_resident_step']:.1f} ns per resident-step"
            )
            print(
                f"    peak RSS {ten['peak_rss_bytes'] / 1024**3:.2f} GiB "
                f"({ten['peak_rss_source']}; {_mib(ten['peak_above_baseline_bytes']):,.0f} "
                f"MiB above the {_mib(ten['baseline_rss_bytes']):.0f} MiB baseline) vs "
                f"estimate {ten['estimate_bytes'] / 1024**3:.2f} GiB "
                f"({ten['peak_over_estimate']:.2f}x): {ten['estimate']}"
            )

    load1 = _load()
    print(f"\n  load average {load1:.2f} at the end")
    tg = targets(ratio, ratio_cpu, rows, leak, ten, scale_pairs)
    print("\ntargets")
    for t in tg:
        print(f"  [{t['status']}] {t['name']}: {t['value']}")

    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "git_revision": _git_revision(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpu_count": os.cpu_count(),
                    "load_average": {"start": load0, "end": load1},
                    "boltzmann": boltz,
                    "default_scenario": default,
                    "ratio": ratio,
                    "paired_ratios": pairs,
                    "ratio_cpu": ratio_cpu,
                    "scaling": rows,
                    "scaling_paired_ratios": scale_pairs,
                    "leak": leak,
                    "ten_million": ten,
                    "targets": tg,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"\nfigures written to {path}")
    failed = any(t["status"] == "FAIL" for t in tg)
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
