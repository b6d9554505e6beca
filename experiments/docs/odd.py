"""Generated parts of ``docs/ODD.md``: the parameter table and the direction-of-effect table.

The parameter table is rendered from :func:`sim.params.describe` (the one source of truth) and
written into ``docs/ODD.md`` between markers; ``tests/test_odd.py`` fails when the document and
the code differ. The effect table is measured: for each mechanism or toggle, a paired
comparison over common seeds (same hazards, same township) of a baseline scenario and the
scenario with one parameter changed.

    python -m experiments.docs.odd --write            # refresh the parameter table
    python -m experiments.docs.odd --write --effects  # also re-measure the effect table (slow)
    python -m experiments.docs.odd --check            # exit 1 if docs/ODD.md is out of date
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path
from typing import Any

from experiments.docs.configdoc import allowed, toml_value
from sim.params import describe

ODD_PATH = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
PARAM_BEGIN = "<!-- BEGIN GENERATED PARAMETER TABLE: python -m experiments.docs.odd --write -->"
PARAM_END = "<!-- END GENERATED PARAMETER TABLE -->"
EFFECT_BEGIN = "<!-- BEGIN GENERATED EFFECT TABLE: python -m experiments.docs.odd --write --effects -->"
EFFECT_END = "<!-- END GENERATED EFFECT TABLE -->"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_parameter_table(rows: list[dict[str, Any]] | None = None) -> str:
    """Markdown table: parameter, unit, default, allowed range, meaning, source."""
    rows = describe() if rows is None else rows
    out = []
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            if out:
                out.append("")
            out += [f"**[{section}]**", "",
                    "| parameter | unit | default | range | meaning | source |",
                    "|---|---|---|---|---|---|"]
        source = r["source"]
        out.append("| " + " | ".join(_cell(x) for x in (
            f"`{r['key']}`", r["unit"], f"`{toml_value(r['default'])}`", allowed(r), r["doc"],
            source)) + " |")
    return "\n".join(out)


def replace_between(text: str, begin: str, end: str, body: str) -> str:
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"markers not found: {begin!r} ... {end!r}")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)


def extract_between(text: str, begin: str, end: str) -> str:
    i = text.index(begin) + len(begin)
    j = text.index(end, i)
    return text[i:j].strip("\n")


# --- direction of effects -------------------------------------------------------------------

# (mechanism or toggle, baseline overrides, changed overrides, outcome, expected direction:
#  -1 the outcome falls, +1 it rises). Baseline: the street_flood scenario, shortened.
EFFECTS: list[tuple[str, dict, dict, str, int]] = [
    ("integrated (vs siloed) structure", {"organization.structure": "siloed"},
     {"organization.structure": "integrated"}, "mean_response_min", -1),
    ("grid party organizations (integrated_party vs integrated)",
     {"organization.structure": "integrated"}, {"organization.structure": "integrated_party"},
     "mean_response_min", -1),
    ("direct reporting (vs hierarchical)", {"reporting.mechanism": "hierarchical"},
     {"reporting.mechanism": "direct"}, "mean_reporting_delay_min", -1),
    ("joint meetings: no duplicated dispatch (vs direct)", {"reporting.mechanism": "direct"},
     {"reporting.mechanism": "joint_meeting"}, "duplicate_dispatches", -1),
    ("grid autonomy (vs hierarchical)", {"reporting.mechanism": "hierarchical"},
     {"reporting.mechanism": "grid_autonomy"}, "mean_reporting_delay_min", -1),
    ("front-line command off", {}, {"organization.front_line_command": False},
     "mean_response_min", +1),
    ("temporary party organizations off", {}, {"organization.temporary_party_orgs": False},
     "temporary_party_orgs", -1),
    ("dynamic redeployment off (fixed assignment)", {},
     {"organization.dynamic_redeployment": False}, "community_workload_gini", +1),
    ("organ-cadre registration 0.6 -> 1.0", {}, {"organization.organ_registration_ratio": 1.0},
     "mean_response_min", -1),
    ("first-secretary service visits 2 -> 7 /week", {},
     {"organization.service_visits_per_week": 7.0}, "mean_detection_delay_min", -1),
    ("training coverage 0.5 -> 1.0", {}, {"organization.training_coverage": 1.0},
     "person_hours", -1),
    ("fault tolerance 0.5 -> 1.0", {}, {"organization.fault_tolerance": 1.0},
     "initiative_actions", +1),
    ("open affairs platform off", {}, {"organization.open_affairs_platform": False},
     "trust_before", -1),
    ("mutual-aid organizations off", {}, {"organization.mutual_aid": False},
     "mean_detection_delay_min", +1),
    ("publicity 2 -> 8 events/month", {}, {"organization.publicity_per_month": 8.0},
     "preparedness_before", +1),
    ("co-located units not integrated", {}, {"organization.colocated_units_integrated": False},
     "mean_response_min", +1),
    ("volunteer team 10 -> 30 per 1,000", {}, {"volunteers.team_size_per_1000": 30.0},
     "mean_response_min", -1),
    ("self-directed (vs coordinated) volunteers", {}, {"volunteers.coordinated": False},
     "duplicate_dispatches", +1),
    ("routine cases in peacetime off (1.5 -> 0 per 1,000 a day)", {},
     {"routine.cases_per_1000_per_day": 0.0}, "trust_before", -1),
    ("routine cases in peacetime off (1.5 -> 0 per 1,000 a day)", {},
     {"routine.cases_per_1000_per_day": 0.0}, "mean_response_min", +1),
    ("integrated (vs siloed) structure: routine cases", {"organization.structure": "siloed"},
     {"organization.structure": "integrated"}, "routine_mean_handling_h", -1),
]
EFFECT_BASE = {"time.war_hours": 48.0}
EFFECT_SEEDS = (1, 2, 3, 4, 5)


def measure_effects(seeds: tuple[int, ...] = EFFECT_SEEDS) -> list[dict[str, Any]]:
    """Paired-seed comparisons of EFFECTS on the (shortened) street_flood scenario."""
    from sim import load_scenario, simulate

    rows = []
    for label, base, changed, outcome, sign in EFFECTS:
        diffs, before, after = [], [], []
        for seed in seeds:
            a = simulate(load_scenario(None, {**EFFECT_BASE, **base}), seed).summary()[outcome]
            b = simulate(load_scenario(None, {**EFFECT_BASE, **base, **changed}),
                         seed).summary()[outcome]
            before.append(a)
            after.append(b)
            diffs.append(b - a)
        n = len(diffs)
        mean = sum(diffs) / n
        sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
        rows.append({"label": label, "outcome": outcome, "expected": sign,
                     "before": sum(before) / n, "after": sum(after) / n, "diff": mean,
                     "se": sd / math.sqrt(n),
                     "agree": sum(1 for d in diffs if d * sign > 0), "n": n})
    return rows


def render_effect_table(rows: list[dict[str, Any]]) -> str:
    out = ["| mechanism / toggle | outcome | expected | baseline | changed | paired difference "
           "(± s.e.) | seeds in the expected direction |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['label']} | `{r['outcome']}` | {'falls' if r['expected'] < 0 else 'rises'}"
                   f" | {r['before']:.4g} | {r['after']:.4g} | {r['diff']:+.4g} ± {r['se']:.2g}"
                   f" | {r['agree']}/{r['n']} |")
    seeds = ", ".join(map(str, EFFECT_SEEDS))
    out += ["", f"Measured on `configs/scenarios/street_flood.toml` with war_hours = 48, seeds "
            f"{seeds}, each pair on the same seed (same township and emergency)."]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.docs.odd", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="rewrite the generated tables")
    ap.add_argument("--effects", action="store_true", help="re-measure the effect table")
    ap.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    args = ap.parse_args(argv)
    text = ODD_PATH.read_text(encoding="utf-8")
    table = render_parameter_table()
    if args.check:
        ok = extract_between(text, PARAM_BEGIN, PARAM_END) == table
        print("docs/ODD.md parameter table is " + ("up to date" if ok else "OUT OF DATE"))
        return 0 if ok else 1
    if not args.write:
        print(table)
        return 0
    new = replace_between(text, PARAM_BEGIN, PARAM_END, table)
    if args.effects:
        new = replace_between(new, EFFECT_BEGIN, EFFECT_END,
                              render_effect_table(measure_effects()))
    ODD_PATH.write_text(new, encoding="utf-8")
    print(f"wrote {ODD_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
