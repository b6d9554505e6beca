"""Speed and memory benchmark of the grassroots model, against Mesa's own BoltzmannWealth.

Prints its figures (it is not a test). What it measures, in one invocation:

  (a) Mesa's BoltzmannWealth example at 10,000 agents on a 100 x 100 grid: agent-steps per
      second (median of a few repeats of 20 steps; model construction not timed).
  (b) The default scenario (``sim.load_scenario()``, ``sim.simulate(cfg, seed=s)``): wall
      time per run (median over several seeds, after one untimed warm-up run) and
      resident-steps per second = n_residents * n_steps / wall.
  (c) The ratio (b) / (a): how many more residents the model steps per second than Mesa
      steps agents one Python object at a time. Target: >= 100x.
  (e) The same runs on the Python reference engine (``engine="python"``), in the same
      process: how much faster the compiled engine (the default) is, by wall and CPU time.
  (d) Scaling with residents (30k, 100k, 300k, 1M; ``--quick`` skips 1M): each size runs in
      a fresh child process that reports its own wall times and peak resident memory
      (VmHWM from /proc/self/status; see ``_peak_rss_bytes`` for why not ``ru_maxrss``), so
      one size's memory does not hide another's.

Then a "targets" section: PASS/FAIL for the ratio >= 100x, peak memory of the 1M run
<= 2 GiB, and cost per resident-step at 1M <= 1.2x that at 30k.

    .venv/bin/python benchmarks/bench_model.py                # full run (1-2 minutes)
    .venv/bin/python benchmarks/bench_model.py --quick        # without the 1M size
    .venv/bin/python benchmarks/bench_model.py --json results/bench.json
    .venv/bin/python benchmarks/bench_model.py --check        # exit 1 if a target fails
"""

from __future__ import annotations

import argparse
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

RATIO_TARGET = 100.0
MEMORY_TARGET_BYTES = 2 * 1024**3
SCALING_TARGET = 1.2
SIZES = (30_000, 100_000, 300_000, 1_000_000)
BOLTZMANN_N = 10_000


# --- measurements ---------------------------------------------------------------------------

def bench_boltzmann(n: int, steps: int, repeats: int) -> dict[str, Any]:
    """Mesa's BoltzmannWealth example: agent-steps per second (fresh model each repeat)."""
    import mesa
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth
    walls, cpus = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental DataRecorder / Scenario warnings
        for k in range(repeats):
            model = BoltzmannWealth(scenario=BoltzmannScenario(n=n, width=100, height=100,
                                                               rng=1 + k))
            t, c = time.perf_counter(), time.process_time()
            for _ in range(steps):
                model.step()
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
            del model
    wall = statistics.median(walls)
    return {"mesa_version": mesa.__version__, "n_agents": n, "steps": steps,
            "repeats": repeats, "walls_s": walls, "wall_median_s": wall,
            "agent_steps_per_s": n * steps / wall, "cpus_s": cpus,
            "agent_steps_per_cpu_s": n * steps / statistics.median(cpus)}


def run_scenario(n_residents: int | None, seeds: list[int], warmup: bool = True,
                 engine: str = "compiled") -> dict[str, Any]:
    """Default scenario (optionally with another population size), one run per seed, on one
    engine (sim/engine.py)."""
    import sim
    overrides = {"population.n_residents": n_residents} if n_residents else None
    cfg = sim.load_scenario(overrides=overrides)
    if warmup:  # first-call costs (lazy imports, caches) are not the model's per-run cost
        sim.simulate(sim.load_scenario(overrides={"population.n_residents": 2000,
                                                  "time.peace_days": 2,
                                                  "time.war_hours": 2.0}), seed=0,
                     engine=engine)
    walls, cpus, n_steps, n_needs = [], [], 0, []
    for s in seeds:
        t, c = time.perf_counter(), time.process_time()
        result = sim.simulate(cfg, seed=s, engine=engine)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        n_steps = result.n_steps
        n_needs.append(len(result.needs))
        del result
    n = cfg.population.n_residents
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {"scenario": cfg.name, "n_residents": n, "n_steps": n_steps, "seeds": seeds,
            "walls_s": walls, "wall_median_s": wall, "n_needs": n_needs,
            "resident_steps_per_s": n * n_steps / wall,
            "ns_per_resident_step": wall / (n * n_steps) * 1e9,
            "cpus_s": cpus, "cpu_median_s": cpu,
            "resident_steps_per_cpu_s": n * n_steps / cpu,
            "cpu_ns_per_resident_step": cpu / (n * n_steps) * 1e9}


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


def runs_for(n: int, max_runs: int) -> int:
    """Runs per size: up to max_runs, about a million resident-runs per size in all."""
    return max(1, min(max_runs, round(1_000_000 / n)))


def bench_scaling(sizes: list[int], max_runs: int, timeout: float) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        k = runs_for(n, max_runs)
        seeds = list(range(1, k + 1))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n),
               "--seeds", ",".join(map(str, seeds))]
        print(f"  {n:>9,} residents: {k} run(s) in a fresh process ...", end="", flush=True)
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-CHILD ")),
                    None)
        if proc.returncode != 0 or line is None:
            print(" failed")
            sys.stderr.write(proc.stderr[-4000:])
            rows.append({"n_residents": n, "error": (proc.stderr or "no output")[-2000:]})
            continue
        row = json.loads(line[len("BENCH-CHILD "):])
        print(f" {time.perf_counter() - t:.1f} s")
        rows.append(row)
    return rows


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
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=ROOT, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "sim"], capture_output=True,
                               text=True, cwd=ROOT, timeout=10).stdout.strip()
        return rev + ("-dirty(sim)" if dirty else "") if rev else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def targets(ratio: float, ratio_cpu: float, rows: list[dict[str, Any]]
            ) -> list[dict[str, Any]]:
    """PASS / FAIL / SKIP (size not in the scaling table) for each target."""
    ran = {r["n_residents"] for r in rows}
    ok_rows = {r["n_residents"]: r for r in rows if "error" not in r}
    out = [{"name": f"default scenario resident-steps/s >= {RATIO_TARGET:.0f}x Mesa "
                    f"BoltzmannWealth agent-steps/s",
            "value": f"{ratio:.1f}x (by CPU time {ratio_cpu:.1f}x)",
            "status": "PASS" if ratio >= RATIO_TARGET else "FAIL"}]
    big, small = ok_rows.get(1_000_000), ok_rows.get(30_000)
    if 1_000_000 not in ran:
        mem = {"value": "1M not run (--quick or --sizes)", "status": "SKIP"}
    elif big is None:
        mem = {"value": "1M run failed", "status": "FAIL"}
    else:
        peak = big["peak_rss_bytes"]
        mem = {"value": f"{peak / 1024**3:.2f} GiB",
               "status": "PASS" if peak <= MEMORY_TARGET_BYTES else "FAIL"}
    out.append({"name": "1M residents: peak memory <= 2 GiB", **mem})
    if not {1_000_000, 30_000} <= ran:
        sc = {"value": "30k or 1M not run (--quick or --sizes)", "status": "SKIP"}
    elif big is None or small is None:
        sc = {"value": "a run failed", "status": "FAIL"}
    else:
        rel = big["ns_per_resident_step"] / small["ns_per_resident_step"]
        rel_cpu = big["cpu_ns_per_resident_step"] / small["cpu_ns_per_resident_step"]
        sc = {"value": f"{rel:.2f}x ({big['ns_per_resident_step']:.1f} vs "
                       f"{small['ns_per_resident_step']:.1f} ns; by CPU time {rel_cpu:.2f}x)",
              "status": "PASS" if rel <= SCALING_TARGET else "FAIL"}
    out.append({"name": f"cost per resident-step at 1M <= {SCALING_TARGET}x that at 30k", **sc})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-resident size")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    ap.add_argument("--runs", type=int, default=5,
                    help="default-scenario runs (seeds 1..N), median taken (default 5)")
    ap.add_argument("--boltzmann-steps", type=int, default=20,
                    help="steps per BoltzmannWealth repeat (default 20)")
    ap.add_argument("--boltzmann-repeats", type=int, default=3,
                    help="BoltzmannWealth repeats, median taken (default 3)")
    ap.add_argument("--scale-runs", type=int, default=5,
                    help="most runs per size in the scaling table (default 5; sizes get "
                         "min(N, 1e6 / residents) runs: 5, 5, 3, 1)")
    ap.add_argument("--sizes", help="comma-separated resident counts for the scaling table "
                                    "(default 30000,100000,300000,1000000)")
    ap.add_argument("--timeout", type=float, default=1800.0,
                    help="seconds allowed per scaling child (default 1800)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--seeds", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child is not None:
        _child(args.child, [int(s) for s in (args.seeds or "1").split(",")])
        return 0

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
    if args.quick:
        sizes = [n for n in sizes if n < 1_000_000]

    import mesa
    import numpy as np
    print("grassroots-sim benchmark")
    print(f"  python {platform.python_version()}, mesa {mesa.__version__}, numpy "
          f"{np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"git {_git_revision()}")
    load0 = _load()
    print(f"  load average {load0:.2f} on {os.cpu_count()} CPUs at start")
    if load0 > 0.5 * (os.cpu_count() or 1):
        print("  note: other processes are using the CPUs; wall times will be noisy and "
              "slow. Rerun on a quiet machine for figures to compare.")

    print(f"\n(a) Mesa BoltzmannWealth, {BOLTZMANN_N:,} agents, 100x100 grid, "
          f"{args.boltzmann_steps} steps x {args.boltzmann_repeats} repeats ...", flush=True)
    boltz = bench_boltzmann(BOLTZMANN_N, args.boltzmann_steps, args.boltzmann_repeats)
    print(f"    wall per {args.boltzmann_steps} steps: "
          + ", ".join(f"{w:.3f}" for w in boltz["walls_s"])
          + f" s (median {boltz['wall_median_s']:.3f} s)")
    print(f"    {boltz['agent_steps_per_s']:,.0f} agent-steps/s "
          f"(per CPU-second: {boltz['agent_steps_per_cpu_s']:,.0f})")

    seeds = list(range(1, args.runs + 1))
    print(f"\n(b) default scenario, {len(seeds)} runs (seeds {seeds[0]}..{seeds[-1]}), "
          "after one untimed warm-up run ...", flush=True)
    default = run_scenario(None, seeds)
    print(f"    scenario {default['scenario']}: {default['n_residents']:,} residents x "
          f"{default['n_steps']} steps")
    print("    wall per run: " + ", ".join(f"{w:.3f}" for w in default["walls_s"])
          + f" s (median {default['wall_median_s']:.3f} s)")
    print(f"    {default['resident_steps_per_s']:,.0f} resident-steps/s "
          f"({default['ns_per_resident_step']:.1f} ns per resident-step; per CPU-second: "
          f"{default['resident_steps_per_cpu_s']:,.0f})")

    ratio = default["resident_steps_per_s"] / boltz["agent_steps_per_s"]
    ratio_cpu = default["resident_steps_per_cpu_s"] / boltz["agent_steps_per_cpu_s"]
    print(f"\n(c) ratio (b)/(a): {ratio:.1f}x (target >= {RATIO_TARGET:.0f}x: "
          f"{'met' if ratio >= RATIO_TARGET else 'NOT met'}); by CPU time: {ratio_cpu:.1f}x")

    print(f"\n(e) engines: the same {len(seeds)} runs on the Python reference engine "
          "(bit-identical results; compiled is the default) ...", flush=True)
    reference = run_scenario(None, seeds, engine="python")
    speedup = reference["wall_median_s"] / default["wall_median_s"]
    speedup_cpu = reference["cpu_median_s"] / default["cpu_median_s"]
    print("    wall per run (python): " + ", ".join(f"{w:.3f}" for w in reference["walls_s"])
          + f" s (median {reference['wall_median_s']:.3f} s)")
    print(f"    compiled engine {speedup:.2f}x faster by wall time, {speedup_cpu:.2f}x by CPU "
          "time")

    print(f"\n(d) scaling with residents ({default['scenario']}, population.n_residents "
          "overridden), one fresh process per size:", flush=True)
    rows = bench_scaling(sizes, args.scale_runs, args.timeout)
    ok = [r for r in rows if "error" not in r]
    base = ok[0]["ns_per_resident_step"] if ok else float("nan")
    base_cpu = ok[0]["cpu_ns_per_resident_step"] if ok else float("nan")
    print()
    head = (f"  {'residents':>10} {'steps':>5} {'runs':>4} {'wall/run s':>10} {'min s':>7} "
            f"{'ns/res-step':>11} {'vs smallest':>11} {'CPU ns':>7} {'vs':>6} {'needs':>7} "
            f"{'peak RSS MiB':>12} "
            f"{'baseline MiB':>12}")
    print(head)
    print("  " + "-" * (len(head) - 2))
    for r in rows:
        if "error" in r:
            print(f"  {r['n_residents']:>10,} failed: see stderr")
            continue
        print(f"  {r['n_residents']:>10,} {r['n_steps']:>5} {len(r['walls_s']):>4} "
              f"{r['wall_median_s']:>10.2f} {min(r['walls_s']):>7.2f} "
              f"{r['ns_per_resident_step']:>11.1f} "
              f"{r['ns_per_resident_step'] / base:>10.2f}x "
              f"{r['cpu_ns_per_resident_step']:>7.1f} "
              f"{r['cpu_ns_per_resident_step'] / base_cpu:>5.2f}x "
              f"{int(statistics.median(r['n_needs'])):>7,} "
              f"{_mib(r['peak_rss_bytes']):>12.0f} {_mib(r['baseline_rss_bytes']):>12.0f}")
    if len(ok) >= 2:
        print(f"\n  cost per resident-step, {ok[-1]['n_residents']:,} vs "
              f"{ok[0]['n_residents']:,} residents: "
              f"{ok[-1]['ns_per_resident_step'] / ok[0]['ns_per_resident_step']:.2f}x by wall "
              f"time, {ok[-1]['cpu_ns_per_resident_step'] / ok[0]['cpu_ns_per_resident_step']:.2f}x"
              " by CPU time (1.00x = linear growth of the run's cost)")
    src = ok[0].get("peak_rss_source", "?") if ok else "?"
    print(f"  (peak RSS: the child's whole process ({src}), including the warm-up run; "
          "baseline: after importing sim, numpy, pandas)")

    load1 = _load()
    print(f"\n  load average {load1:.2f} at the end")
    tg = targets(ratio, ratio_cpu, rows)
    print("\ntargets")
    for t in tg:
        print(f"  [{t['status']}] {t['name']}: {t['value']}")

    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git_revision": _git_revision(),
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "load_average": {"start": load0, "end": load1},
            "boltzmann": boltz, "default_scenario": default, "ratio": ratio,
            "ratio_cpu": ratio_cpu, "python_engine": reference,
            "engine_speedup": speedup, "engine_speedup_cpu": speedup_cpu,
            "scaling": rows, "targets": tg}, indent=2) + "\n")
        print(f"\nfigures written to {path}")
    failed = any(t["status"] == "FAIL" for t in tg)
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
