"""``grassroots report DIR [--baseline KEY=VALUE ...] [--outcomes A,B] [--costs FILE] ...``: the
HTML report of a sweep's or a run's results folder (:mod:`experiments.report.page`)."""

from __future__ import annotations

import argparse
import math

from experiments.cli.args import (
    RunError,
    UsageError,
    parse_sets,
    positive_int,
    refuse_bad_link,
    seed_type,
    write_error,
)
from experiments.i18n import DEFAULT, LANGUAGES
from experiments.report.decision import MARGIN
from experiments.report.page import build_report
from experiments.report.stats import N_RESAMPLES, SEED
from experiments.report.sweep import KEY_OUTCOMES, ReportError
from experiments.runs.output import UnreadableResult


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def cmd_report(args: argparse.Namespace) -> int:
    refuse_bad_link(args.dir)
    baseline = parse_sets(args.baseline, "--baseline") if args.baseline else None
    outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()] if args.outcomes else None
    try:
        report = build_report(
            args.dir,
            baseline,
            outcomes,
            args.gain_threshold,
            args.resamples,
            args.seed,
            args.lang,
            args.margin / 100.0,
            args.costs,
        )
    except (ReportError, UnreadableResult) as e:
        raise UsageError(str(e)) from None
    except OSError as e:  # read-only folder, full disk: what was written stays
        raise RunError(f"cannot write the report: {write_error(e, f'{args.dir}/report')}") from None
    if not args.quiet:
        for line in report.key_findings:
            print(f"- {line}")
        n = sum(len(s.charts) for s in report.sections) + (
            len(report.decision.charts) if report.decision else 0
        )
        print(f"Report with {n} charts: {report.path}")
        for path in report.files:
            print(f"  {path}")
    else:
        print(report.path)
    return 0


def add_report_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write an HTML report of a sweep's or a run's results")
    p.add_argument(
        "dir", metavar="DIR", help="a results folder from 'grassroots sweep' or 'grassroots run'"
    )
    p.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="the baseline policy (repeatable), e.g. "
        "--baseline reporting.mechanism=hierarchical (default: the sweep file's "
        "baseline, else the first level of its first factor)",
    )
    p.add_argument(
        "--outcomes",
        metavar="A,B",
        help="outcomes to compare (default: the sweep "
        f"file's, else {','.join(KEY_OUTCOMES[:4])},...)",
    )
    p.add_argument(
        "--gain-threshold",
        type=finite_float,
        metavar="X",
        help="dose-response: mark where one more step (5 volunteers per 1,000) gains "
        "less than X in the first outcome's units (default: 2%% of its value at the "
        "lowest level)",
    )
    p.add_argument(
        "--resamples",
        type=positive_int,
        default=N_RESAMPLES,
        metavar="N",
        help=f"bootstrap resamples (default {N_RESAMPLES})",
    )
    p.add_argument(
        "--seed", type=seed_type, default=SEED, help=f"bootstrap seed, 0 or more (default {SEED})"
    )
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT,
        help="the report's language: en (default) or zh (Simplified Chinese)",
    )
    p.add_argument(
        "--margin",
        type=non_negative_float,
        default=100 * MARGIN,
        metavar="PCT",
        help="decision summary: an option within PCT%% of the best (with 95%% "
        f"confidence) counts as sufficient (default {100 * MARGIN:g})",
    )
    p.add_argument(
        "--costs",
        metavar="FILE",
        help="the prices of the options, a TOML file "
        "of overrides of experiments/costs.py (default: configs/costs.toml)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the report's path")
    p.set_defaults(func=cmd_report)
