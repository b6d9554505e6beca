"""Calibrate the shipped scenarios in one command (``scripts/calibrate-shipped``).

Runs ``grassroots calibrate`` on ``configs/targets/field.toml`` with the parameters below,
writes each fitted value into every shipped scenario file with its provenance in a comment,
records what changed in ``configs/targets/calibration.json``, and regenerates the
"Calibration and validation" section of ``docs/ODD.md``::

    python -m experiments.calibration.shipped [--budget 60] [--seeds 3] [--workers 2]
                                              [--out results/calibrate-shipped]

Run it again after a change to the model's mechanics (the lead's step after a merge): the
study in ``--out`` resumes if the targets, parameters and seeds are unchanged, so use a fresh
``--out`` after a model change.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from experiments.calibration.calibrate import make_plan, run_calibration
from experiments.calibration.targets import DEFAULT_TARGETS, load_targets
from experiments.provenance import provenance
from experiments.runs.output import atomic_write_text
from sim.scenario import SCENARIO_DIR

# What the shipped calibration fits: the routine parameters that the calibrate targets (F1-F4)
# constrain. Each has a plausible range in sim/params.py.
CALIBRATED_PARAMS = (
    "routine.cases_per_1000_per_day",
    "routine.effort_min",
    "routine.duty_hours",
    "routine.beyond_grid_share",
    "routine.referral_delay_h",
    "routine.patrol_find_per_hour",
    "routine.resident_report_factor",
)
RECORD = DEFAULT_TARGETS.parent / "calibration.json"
MARK = "calibrated"


def format_value(value: float, kind: str) -> str:
    if kind == "int":
        return str(int(value))
    text = f"{value:.4g}"
    return text if any(c in text for c in ".e") else text + ".0"


def set_in_scenario(text: str, key: str, value: str, comment: str) -> str:
    """The scenario file's text with ``key = value  # comment`` in its ``[section]`` table
    (replacing the key's line if there is one, adding the table if there is none)."""
    section, name = key.split(".", 1)
    line = f"{name} = {value}  # {comment}"
    lines = text.rstrip("\n").split("\n")
    start = next((i for i, s in enumerate(lines) if s.strip() == f"[{section}]"), None)
    if start is None:
        return "\n".join(lines + ["", f"[{section}]", line]) + "\n"
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines)
    )
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
    for i in range(start + 1, end):
        if pattern.match(lines[i]):
            lines[i] = line
            return "\n".join(lines) + "\n"
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    lines.insert(end, line)
    return "\n".join(lines) + "\n"


def apply_to_scenarios(
    fitted: dict[str, float],
    kinds: dict[str, str],
    ranges: dict[str, tuple[float, float]],
    against: str,
    folder: Path = SCENARIO_DIR,
) -> list[Path]:
    """Write the fitted values into every shipped scenario file."""
    written = []
    for path in sorted(folder.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        for key, value in fitted.items():
            lo, hi = ranges[key]
            comment = f"{MARK} against {against}; plausible {lo:g}-{hi:g}"
            text = set_in_scenario(text, key, format_value(value, kinds[key]), comment)
        atomic_write_text(path, text)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m experiments.calibration.shipped",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default="results/calibrate-shipped")
    ap.add_argument(
        "--validation-seeds",
        type=int,
        default=5,
        help="seeds of the validation table in docs/ODD.md",
    )
    args = ap.parse_args(argv)
    from experiments.docs import validation as odd_validation

    # the routine parameters against the routine figures: the peacetime calibrate targets
    targets = [
        t for t in load_targets(DEFAULT_TARGETS).used_for("calibrate") if t.phase == "peacetime"
    ]
    against = (
        ", ".join(dict.fromkeys(t.source.split(":", 1)[0] for t in targets))
        + " (configs/targets/field.toml, scripts/calibrate-shipped)"
    )
    plan = make_plan(DEFAULT_TARGETS, list(CALIBRATED_PARAMS), args.seeds, phase="peacetime")
    start = time.perf_counter()
    summary = run_calibration(plan, args.budget, args.out, workers=args.workers)
    elapsed = time.perf_counter() - start
    apply_to_scenarios(summary["fitted"], plan.kinds, plan.ranges, against)
    record: dict[str, Any] = {
        "command": " ".join(
            ["scripts/calibrate-shipped", *(sys.argv[1:] if argv is None else argv)]
        ),
        "targets": [t.name for t in targets],
        "params": list(CALIBRATED_PARAMS),
        "ranges": {k: list(v) for k, v in plan.ranges.items()},
        "before": summary["before"],
        "fitted": summary["fitted"],
        "loss": summary["loss"],
        "band_loss": summary["band_loss"],
        "trials": summary["trials"],
        "seeds": args.seeds,
        "workers": args.workers,
        "mean_trial_s": round(summary["mean_trial_s"], 3),
        "elapsed_s": round(summary["wall_s"], 1),
        **provenance(),
        "date": datetime.now().date().isoformat(),
    }
    atomic_write_text(RECORD, json.dumps(record, indent=2) + "\n")
    odd_validation.main(["--write", "--seeds", str(args.validation_seeds)])
    print(
        f"fitted {summary['fitted']} (loss {summary['loss']:.4g}) in {elapsed:.0f} s; "
        f"scenarios, {RECORD.name} and docs/ODD.md updated"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
