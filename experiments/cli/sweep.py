"""The ``grassroots sweep`` subcommand: options, and the call into the sweep runner.

    grassroots sweep SWEEP [--replications N] [--workers N | --local-cluster N |
                     --scheduler tcp://HOST:PORT [--connect-timeout S]] [--out DIR]
                     [--resume] [--run-timeout S] [--no-timeseries] [--check] [--quiet]

SWEEP is a sweep file or the name of a shipped one in ``configs/sweeps`` (``sensitivity``).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from experiments.cli.args import (
    RunError,
    UsageError,
    file_argument,
    positive_int,
    positive_seconds,
    refuse_bad_link,
    write_error,
)
from experiments.runs.output import UnreadableResult
from experiments.sweeps.backends import CONNECT_TIMEOUT_S, make_backend, scheduler_address
from experiments.sweeps.designs import load_sweep
from experiments.sweeps.runner import SweepError, check_out, make_plan, resume_command, run_sweep
from sim.scenario import CONFIG_DIR

SWEEP_DIR = CONFIG_DIR / "sweeps"
RUN_TIMEOUT_S = 600.0


def sweep_path(arg: str) -> Path:
    return file_argument(arg, SWEEP_DIR, "sweeps")


def scheduler_type(text: str) -> str:
    """An argparse type: a Dask scheduler address, checked before anything connects."""
    try:
        return scheduler_address(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_sweep(args: argparse.Namespace) -> int:
    sweep = load_sweep(sweep_path(args.sweep), replications=args.replications)
    plan = make_plan(sweep, args.max_memory)  # configuration errors before any worker starts
    if args.check:
        print(
            f"{sweep.source}: sweep '{sweep.name}' is valid: a {sweep.design} design of "
            f"{len(plan.points):,} points x {len(plan.seeds):,} replications = "
            f"{plan.n_runs:,} runs"
        )
        return 0
    if args.out:
        out = Path(args.out)
    else:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", sweep.name).strip("-.") or "sweep"
        out = Path("results") / f"sweep-{slug}-{datetime.now():%Y%m%d-%H%M%S}"
    refuse_bad_link(out, "--out")
    try:  # before a backend (a Dask cluster) starts
        check_out(plan, out, args.resume, args.force)
    except (SweepError, UnreadableResult) as e:
        raise UsageError(str(e)) from None
    if not args.quiet:
        print(
            f"Sweep '{sweep.name}': {len(plan.points)} design points x "
            f"{len(plan.seeds)} replications = {plan.n_runs} runs -> {out}",
            file=sys.stderr,
        )
    try:
        backend = make_backend(
            args.workers, args.local_cluster, args.scheduler, args.connect_timeout, args.run_timeout
        )
    except RuntimeError as e:
        raise UsageError(str(e)) from None
    try:
        table = run_sweep(
            plan,
            out,
            backend,
            resume=args.resume,
            timeseries=not args.no_timeseries,
            quiet=args.quiet,
            run_timeout=args.run_timeout,
            force=args.force,
        )
    except (SweepError, UnreadableResult) as e:
        close_quietly(backend)
        raise UsageError(str(e)) from None
    except OSError as e:  # read-only folder, full disk: the runs already stored stay
        close_quietly(backend)
        raise RunError(
            f"cannot write results: {write_error(e, out)}\n"
            f"The runs already stored are kept; when the problem is fixed, finish "
            f"the sweep with: {resume_command(args.sweep, out, args.replications)}"
        ) from None
    if args.quiet:
        print(out)
    return 1 if len(table) and (table["status"] != "ok").all() else 0


def close_quietly(backend) -> None:
    try:
        backend.close()
    except Exception:  # noqa: BLE001 - already failing; the first error is the one to show
        pass


def add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser("sweep", help="run a designed sweep with replications")
    sweep.add_argument(
        "sweep", metavar="SWEEP", help="sweep file or shipped sweep name (configs/sweeps)"
    )
    sweep.add_argument(
        "--replications",
        type=positive_int,
        metavar="N",
        help="replications per design point (overrides the file)",
    )
    where = sweep.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="local worker processes (default: all cores; 1 runs serially)",
    )
    where.add_argument(
        "--local-cluster",
        type=positive_int,
        metavar="N",
        help="start a Dask cluster of N workers on 127.0.0.1",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        type=scheduler_type,
        help="use a running Dask scheduler",
    )
    sweep.add_argument(
        "--connect-timeout",
        type=positive_seconds,
        default=CONNECT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"how long to try reaching --scheduler (default {CONNECT_TIMEOUT_S:g})",
    )
    sweep.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/sweep-<name>-<YYYYmmdd-HHMMSS>)",
    )
    again = sweep.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help="finish the sweep in DIR: run only the runs not yet stored",
    )
    again.add_argument(
        "--force",
        action="store_true",
        help="write into an --out folder that is not empty, replacing the "
        "sweep there (manifest.json, runs.parquet, parts/, timeseries/, needs/, "
        "analyses, report/); other files stay",
    )
    sweep.add_argument(
        "--max-memory",
        metavar="SIZE",
        help="refuse a sweep with a design "
        "point whose estimated peak memory per run is above SIZE (8G, 500M, "
        "none; default: half of physical memory)",
    )
    sweep.add_argument(
        "--run-timeout",
        type=positive_seconds,
        default=RUN_TIMEOUT_S,
        metavar="SECONDS",
        help="record a run that takes longer as failed and "
        f"go on (default {RUN_TIMEOUT_S:g}; not on Dask)",
    )
    sweep.add_argument(
        "--no-timeseries",
        action="store_true",
        help="store only one row per run, not its time series",
    )
    sweep.add_argument(
        "--check",
        action="store_true",
        help="check the sweep file and print the design's size; run nothing",
    )
    sweep.add_argument(
        "--quiet", action="store_true", help="no progress or summary; print only the results folder"
    )
    sweep.set_defaults(func=cmd_sweep)
