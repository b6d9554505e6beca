"""The ``grassroots sweep`` subcommand: options, and the call into the sweep runner.

    grassroots sweep SWEEP [--replications N] [--workers N | --local-cluster N |
                     --scheduler tcp://HOST:PORT] [--out DIR] [--resume] [--no-timeseries]
                     [--quiet]

SWEEP is a sweep file or the name of a shipped one in ``configs/sweeps`` (``sensitivity``).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from experiments.cli.args import UsageError, positive_int
from experiments.sweeps.backends import make_backend
from experiments.sweeps.designs import load_sweep
from experiments.sweeps.runner import SweepError, make_plan, run_sweep
from sim.scenario import CONFIG_DIR, shipped_or_path

SWEEP_DIR = CONFIG_DIR / "sweeps"


def sweep_path(arg: str) -> Path:
    return shipped_or_path(arg, SWEEP_DIR, "sweeps")


def cmd_sweep(args: argparse.Namespace) -> int:
    sweep = load_sweep(sweep_path(args.sweep), replications=args.replications)
    plan = make_plan(sweep)  # configuration errors before any worker starts
    if args.out:
        out = Path(args.out)
    else:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", sweep.name).strip("-.") or "sweep"
        out = Path("results") / f"sweep-{slug}-{datetime.now():%Y%m%d-%H%M%S}"
    if not args.quiet:
        print(f"Sweep '{sweep.name}': {len(plan.points)} design points x "
              f"{len(plan.seeds)} replications = {plan.n_runs} runs -> {out}", file=sys.stderr)
    try:
        backend = make_backend(args.workers, args.local_cluster, args.scheduler)
    except RuntimeError as e:
        raise UsageError(str(e)) from None
    try:
        table = run_sweep(plan, out, backend, resume=args.resume,
                          timeseries=not args.no_timeseries, quiet=args.quiet)
    except SweepError as e:
        backend.close()
        raise UsageError(str(e)) from None
    if args.quiet:
        print(out)
    return 1 if len(table) and (table["status"] != "ok").all() else 0


def add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser("sweep", help="run a designed sweep with replications")
    sweep.add_argument("sweep", metavar="SWEEP",
                       help="sweep file or shipped sweep name (configs/sweeps)")
    sweep.add_argument("--replications", type=positive_int, metavar="N",
                       help="replications per design point (overrides the file)")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="local worker processes (default: all cores; 1 runs serially)")
    where.add_argument("--local-cluster", type=positive_int, metavar="N",
                       help="start a Dask cluster of N workers on 127.0.0.1")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="use a running Dask scheduler")
    sweep.add_argument("--out", metavar="DIR", help="results folder (default: "
                       "results/sweep-<name>-<YYYYmmdd-HHMMSS>)")
    sweep.add_argument("--resume", action="store_true",
                       help="finish a sweep in DIR: run only the runs not yet stored")
    sweep.add_argument("--no-timeseries", action="store_true",
                       help="store only one row per run, not its time series")
    sweep.add_argument("--quiet", action="store_true",
                       help="no progress or summary; print only the results folder")
    sweep.set_defaults(func=cmd_sweep)
