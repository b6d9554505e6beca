"""``grassroots calibrate TARGETS --params KEY... --budget N --out DIR [--workers N]
[--seeds K]``: fit parameters inside their plausible ranges to the field targets
(:mod:`experiments.calibration.calibrate`). The same command again resumes the study."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from experiments.cli.args import (
    RunError,
    UsageError,
    file_argument,
    parse_overrides,
    positive_int,
    refuse_bad_link,
    write_error,
)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from experiments.calibration.calibrate import CalibrationError, make_plan, run_calibration
    from experiments.calibration.targets import DEFAULT_TARGETS, TARGET_DIR

    targets = (
        file_argument(args.targets, TARGET_DIR, "targets") if args.targets else DEFAULT_TARGETS
    )
    refuse_bad_link(args.out, "--out")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a folder")
    try:
        plan = make_plan(
            targets, args.params, args.seeds, parse_overrides(args.set), phase=args.phase
        )
        start = time.perf_counter()
        summary = run_calibration(
            plan, args.budget, args.out, workers=args.workers, quiet=args.quiet
        )
    except CalibrationError as e:
        raise UsageError(str(e)) from None
    except OSError as e:  # a folder it cannot write in: the trials already stored stay
        raise RunError(f"cannot write results: {write_error(e, args.out)}") from None
    elapsed = time.perf_counter() - start
    print(
        f"Best trial {summary['best_trial']} of {summary['trials']}: loss "
        f"{summary['loss']:.4g} (band distance {summary['band_loss']:.4g})"
    )
    before = summary["before"] or {}
    for k, v in summary["fitted"].items():
        was = f"{before[k]:.4g} -> " if k in before else ""
        print(f"  {k}: {was}{v:.4g}")
    for name, v in summary["means"].items():
        print(f"  {name}: {v:.4g}")
    print(
        f"{elapsed:.1f} s this time, {summary['mean_trial_s']:.2f} s a trial; "
        f"{args.out}/calibrated.toml, trials.parquet, report/index.html",
        file=sys.stderr,
    )
    return 0


def add_calibrate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit parameters to the field targets (Optuna)")
    p.add_argument(
        "targets",
        nargs="?",
        metavar="TARGETS",
        help="targets file or shipped name (default: configs/targets/field.toml)",
    )
    p.add_argument(
        "--params",
        nargs="+",
        required=True,
        metavar="KEY",
        help="parameters to fit (section.key), each with a plausible range",
    )
    p.add_argument(
        "--budget",
        type=positive_int,
        required=True,
        help="evaluations (trials) in all, counting those of a resumed study",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder: study.db (resumable), calibrated.toml, trials.parquet, report/",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="trials evaluated in parallel processes (default 1)",
    )
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=3,
        help="seeds per evaluation, the same for every trial (default 3)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a parameter in every setting (repeatable), e.g. a small "
        "population for a quick check",
    )
    p.add_argument(
        "--phase",
        choices=["peacetime", "wartime"],
        help="fit only the calibrate targets of this phase (default: all of them)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_calibrate)
