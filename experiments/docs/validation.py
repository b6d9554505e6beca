"""Generated part of ``docs/ODD.md``: calibration and validation against field data.

Between its markers: the command that calibrates the shipped scenarios, what it changed
(from ``configs/targets/calibration.json``, which that command writes), the validation table
of every target in ``configs/targets/field.toml`` (measured: each target's setting on N
seeds) and the parameters no target constrains.

    python -m experiments.docs.validation --write [--seeds 5]   # re-measure and rewrite
    python -m experiments.docs.validation                       # print the section
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from experiments.calibration.targets import DEFAULT_TARGETS, load_targets
from experiments.docs.odd import ODD_PATH, replace_between
from sim.params import describe

BEGIN = (
    "<!-- BEGIN GENERATED CALIBRATION AND VALIDATION: "
    "python -m experiments.docs.validation --write -->"
)
END = "<!-- END GENERATED CALIBRATION AND VALIDATION -->"
RECORD = DEFAULT_TARGETS.parent / "calibration.json"


def changes_table(record: dict[str, Any]) -> str:
    out = ["| parameter | plausible range | before | calibrated |", "|---|---|---|---|"]
    before = record.get("before") or {}
    for k in record["params"]:
        lo, hi = record["ranges"][k]
        was = f"{before[k]:.4g}" if k in before else "n/a"
        out.append(f"| `{k}` | {lo:g}–{hi:g} | {was} | {record['fitted'][k]:.4g} |")
    return "\n".join(out)


def unconstrained(fitted: list[str]) -> tuple[list[str], int]:
    """Parameters with a plausible range that no calibration fits, and how many have none."""
    rows = describe()
    free = [r["key"] for r in rows if r["plausible"] is not None and r["key"] not in fitted]
    none = sum(1 for r in rows if r["plausible"] is None)
    return free, none


def render(seeds: int) -> str:
    from experiments.calibration.validate import (
        markdown_table,
        seeds_for,
        simulate_targets,
        validation_table,
    )

    target_set = load_targets(DEFAULT_TARGETS)
    rows = validation_table(
        target_set.targets, simulate_targets(target_set.targets, seeds_for(seeds))
    )
    record = json.loads(RECORD.read_text()) if RECORD.is_file() else None
    command = record["command"] if record else "scripts/calibrate-shipped --budget 60"
    out = [
        "**Calibrating the shipped scenarios** (one command; rerun it after a change to "
        "the model's mechanics, with a fresh `--out`):",
        "",
        "```sh",
        command,
        "```",
        "",
    ]
    if record:
        out += [
            f"Last run {record['date']}: {record['trials']} trials of {record['seeds']} "
            f"seeds against {', '.join(f'`{t}`' for t in record['targets'])}, loss "
            f"{record['loss']:.3g} (band distance {record['band_loss']:.3g}), "
            f"{record['mean_trial_s']:.2f} s a trial, {record['elapsed_s']:.0f} s in all "
            f"on {record['workers']} worker(s). The fitted values are in every "
            "shipped scenario file, each with a comment naming the targets:",
            "",
            changes_table(record),
            "",
        ]
        fitted = record["params"]
    else:
        fitted = []
    fitted = fitted + [k for t in target_set.targets if t.use == "calibrate" for k in t.fits]
    out += [
        f"**Validation table** (`grassroots validate --seeds {seeds}`: each target's "
        "setting, its own scenario and overrides; 95% CI over seeds):",
        "",
        markdown_table(rows),
        "",
    ]
    free, none = unconstrained(fitted)
    out += [
        f"**Not constrained by any target** ({len(free)} parameters with a plausible "
        "range; they keep their assumed value and their plausible range, which "
        "robustness studies sample): " + ", ".join(f"`{k}`" for k in free) + ". "
        f"{none} more parameters have no plausible range yet (policies, switches, "
        "scenario settings, and assumptions still to be given one); the targets over "
        "them are validation only."
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m experiments.docs.validation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--write", action="store_true", help="rewrite the section in docs/ODD.md")
    ap.add_argument("--seeds", type=int, default=5, help="seeds per target setting")
    args = ap.parse_args(argv)
    body = render(args.seeds)
    if not args.write:
        print(body)
        return 0
    text = ODD_PATH.read_text(encoding="utf-8")
    ODD_PATH.write_text(replace_between(text, BEGIN, END, body), encoding="utf-8")
    print(f"wrote {ODD_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
