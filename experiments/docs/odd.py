"""Generated parts of ``docs/ODD.md``: the parameter table and the direction-of-effect table.

The parameter table is rendered from :func:`sim.params.describe` (the one source of truth) and
written into ``docs/ODD.md`` between markers; ``tests/experiments/test_odd.py`` fails when the
document and the code differ. The effect table is measured: for each mechanism or toggle, a
paired comparison over common seeds (same hazards, same township) of a baseline scenario and the
scenario with one parameter changed.

    python -m experiments.docs.odd --write            # refresh the parameter table
    python -m experiments.docs.odd --write --effects  # also re-measure the effect table (slow)
    python -m experiments.docs.odd --check            # exit 1 if docs/ODD.md is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from experiments.docs.configdoc import allowed, toml_value
from sim.params import describe

ODD_PATH = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
PARAM_BEGIN = "<!-- BEGIN GENERATED PARAMETER TABLE: python -m experiments.docs.odd --write -->"
PARAM_END = "<!-- END GENERATED PARAMETER TABLE -->"
EFFECT_BEGIN = (
    "<!-- BEGIN GENERATED EFFECT TABLE: python -m experiments.docs.odd --write --effects -->"
)
EFFECT_END = "<!-- END GENERATED EFFECT TABLE -->"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_parameter_table(rows: list[dict[str, Any]] | None = None) -> str:
    """Markdown table: parameter, unit, default, allowed range, meaning, source."""
    rows = describe(shipped_only=True) if rows is None else rows
    out = []
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            if out:
                out.append("")
            out += [
                f"**[{section}]**",
                "",
                "| parameter | unit | default | range | meaning | source |",
                "|---|---|---|---|---|---|",
            ]
        source = r["source"]
        out.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    f"`{r['key']}`",
                    r["unit"],
                    f"`{toml_value(r['default'])}`",
                    allowed(r),
                    r["doc"],
                    source,
                )
            )
            + " |"
        )
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


def measure_effects() -> list[dict[str, Any]]:
    """Each expected effect of ``configs/effects.toml``, measured on its paired seeds."""
    from experiments.effects import load_effects, measure, summary_runner

    run = summary_runner()
    return [measure(e, run) for e in load_effects()]


def render_effect_table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| mechanism / toggle | setting | outcome | expected | control | treatment | paired "
        "difference (± s.e.) | seeds in the expected direction |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        shown = "" if r["asserted"] else " (shown, not asserted)"
        out.append(
            f"| {r['label']}{shown} | {r['setting']} | `{r['outcome']}` | "
            f"{'falls' if r['expected'] < 0 else 'rises'} | {r['before']:.4g} | "
            f"{r['after']:.4g} | {r['diff']:+.4g} ± {r['se']:.2g} | "
            f"{r['agree']}/{r['n']} |"
        )
    out += [
        "",
        "Settings (`configs/effects.toml`): flood48 = the default street flood "
        "shortened to 48 hours; mid = 10,000 residents, a week of peacetime, 36 hours of "
        "flood; loaded = mid with a heavier flood and no standing volunteer team; "
        "hierarchy = mid reporting through community, township and district (which "
        "decides); "
        "epidemic = a week-long outbreak in 4,000 residents; lockdown = the shipped "
        "street_epidemic scenario (30,000 residents, four weeks of an epidemic with a "
        "lockdown); lockdown_loaded = lockdown without a standing volunteer team; "
        "loaded_sent_down = loaded with sent-down cadres arriving after 6 hours; "
        "routine_prereform = the default street's four weeks of routine work in the "
        "pre-reform street (the emergency cut to an hour). Seeds 1..n, "
        "each pair on the same seed (same township and emergency).",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m experiments.docs.odd",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
        new = replace_between(new, EFFECT_BEGIN, EFFECT_END, render_effect_table(measure_effects()))
    ODD_PATH.write_text(new, encoding="utf-8")
    print(f"wrote {ODD_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
