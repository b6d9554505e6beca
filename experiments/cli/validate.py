"""``grassroots validate [SCENARIO] [--targets FILE] [--seeds N] [--out DIR] [--strict]``:
run each target's setting and print the validation table (:mod:`experiments.calibration`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from experiments.cli.args import (
    RunError,
    UsageError,
    parse_overrides,
    positive_int,
    refuse_bad_link,
    scenario_path,
    write_error,
)


def cmd_validate(args: argparse.Namespace) -> int:
    from experiments.calibration.targets import DEFAULT_TARGETS, load_targets

    if args.targets:
        refuse_bad_link(args.targets)
    target_set = load_targets(args.targets or DEFAULT_TARGETS)
    scenario = scenario_path(args.scenario)
    fixed = parse_overrides(args.set)
    for t in target_set.targets:  # a bad --set or scenario fails before anything runs
        from sim.scenario import load_scenario

        load_scenario(scenario or t.scenario, {**t.overrides, **fixed})
    if args.out:
        refuse_bad_link(args.out, "--out")
        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise UsageError(f"--out {args.out}: exists and is not a folder")

    from tqdm import tqdm

    from experiments.calibration.validate import (
        format_table,
        seeds_for,
        simulate_targets,
        summary_line,
        validation_table,
    )
    from experiments.provenance import provenance
    from experiments.runs.output import atomic_write_text, to_jsonable

    seeds = seeds_for(args.seeds)
    n_settings = len({t.setting(scenario) for t in target_set.targets})
    with tqdm(
        total=n_settings * len(seeds),
        unit="run",
        desc="validate",
        file=sys.stderr,
        disable=args.quiet,
        dynamic_ncols=True,
    ) as bar:
        values = simulate_targets(
            target_set.targets, seeds, fixed, scenario, progress=lambda: bar.update(1)
        )
    rows = validation_table(target_set.targets, values)
    stamp = datetime.now()
    out = (
        Path(args.out)
        if args.out
        else Path("results") / f"validate-{stamp.strftime('%Y%m%d-%H%M%S')}"
    )
    doc = {
        "targets_file": str(target_set.path),
        "scenario": str(scenario) if scenario else None,
        "set": fixed,
        "seeds": seeds,
        "rows": rows,
        **provenance(),
        "created": stamp.isoformat(timespec="seconds"),
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "validation.json", json.dumps(to_jsonable(doc), indent=2))
    except OSError as e:
        raise RunError(f"cannot write results: {write_error(e, out)}") from None
    print(format_table(rows))
    outside = [r["target"] for r in rows if not r["inside"]]
    print(
        f"\nInside their band ({len(seeds)} seeds): {summary_line(rows)}; table in "
        f"{out / 'validation.json'}"
    )
    return 1 if args.strict and outside else 0


def add_validate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="compare a scenario with the field targets")
    p.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="scenario file or shipped name in place of each target's own "
        "(its overrides still apply)",
    )
    p.add_argument(
        "--targets", metavar="FILE", help="targets file (default: configs/targets/field.toml)"
    )
    p.add_argument("--seeds", type=positive_int, default=5, help="seeds per setting (default 5)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a parameter in every setting (repeatable)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="folder for validation.json (default: results/validate-<time>)"
    )
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when any target is outside its band"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_validate)
