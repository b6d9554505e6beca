"""The limits box on page 1: what the numbers cover and what they do not, written from the
sweep's own configuration and the calibration targets rather than typed in.

- where: a synthetic township (its residents, grids and layout) unless the layout is an
  imported district;
- what happens: the hazards the scenario enables, in an emergency of so many hours;
- what was fitted: the targets of ``configs/targets/field.toml`` with ``use = "calibrate"``
  (the routine peacetime figures), when they were last fitted
  (``configs/targets/calibration.json``), and how many more are only compared;
- what an interval is: run-to-run variation over the sweep's emergencies (seeds, common random
  numbers), not the model's structure or its parameters;
- the target time behind every "within target" share (``time.target_response_min``);
- what the model leaves out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from experiments import i18n
from experiments import outcomes as oc

HAZARDS = ("flood", "fire", "epidemic")
SYNTHETIC_LAYOUTS = ("lattice", "random_geometric")


def place(setting: dict[str, Any], lang: str) -> str:
    residents = int(setting.get("population.n_residents", 0))
    per_grid = max(int(setting.get("population.residents_per_grid", 1000)), 1)
    layout = str(setting.get("space.layout", "lattice"))
    if layout in SYNTHETIC_LAYOUTS:
        return i18n.text(
            "report.limits.place",
            lang,
            residents=f"{residents:,}",
            grids=f"{max(residents // per_grid, 1):,}",
            layout=i18n.text(f"report.limits.layout.{layout}", lang),
        )
    if layout == "district":  # its own name (kotka), where its file can still be read
        from sim.district import load_district

        try:
            layout = load_district(str(setting.get("space.district_file", ""))).name
        except ValueError:
            pass
    return i18n.text(
        "report.limits.place_imported", lang, layout=layout, residents=f"{residents:,}"
    )


def hazards(setting: dict[str, Any], lang: str) -> str:
    on = [h for h in HAZARDS if setting.get(f"{h}.enabled")]
    names = i18n.text("report.sep", lang).join(i18n.text(f"hazard.{h}", lang) for h in on)
    hours = f"{float(setting.get('time.war_hours', 0)):g}"
    if len(on) == 1:
        return i18n.text("report.limits.one_hazard", lang, hazard=names, hours=hours)
    if not on:
        return i18n.text("report.limits.no_hazard", lang, hours=hours)
    return i18n.text("report.limits.hazards", lang, hazards=names, n=len(on), hours=hours)


def calibration(lang: str) -> str:
    """What the shipped scenarios were fitted to, read from the targets file and the record
    of the last calibration."""
    from experiments.calibration.targets import DEFAULT_TARGETS, load_targets

    try:
        target_set = load_targets(DEFAULT_TARGETS)
    except Exception:  # noqa: BLE001 - a targets file the model no longer accepts
        return i18n.text(
            "report.limits.calibration_unknown", lang, file="configs/targets/field.toml"
        )
    fitted = target_set.used_for("calibrate")
    compared = target_set.used_for("validate")
    names = []
    for t in fitted:
        outcome = t.outcome.text.strip()
        named = outcome if re.fullmatch(r"\w+", outcome) else ""
        if named and i18n.has(f"report.outcome.{named}", lang):
            names.append(oc.label(named, lang))
        elif t.label and t.label not in names:
            names.append(t.label)
    names = list(dict.fromkeys(names))
    refs = sorted({t.source.split(":", 1)[0].strip() for t in fitted}, key=_ref_order)
    record = DEFAULT_TARGETS.parent / "calibration.json"
    try:
        date = json.loads(record.read_text(encoding="utf-8")).get("date", "?")
    except (OSError, ValueError):
        date = "?"
    routine = all(t.phase == "peacetime" for t in fitted)
    key = "report.limits.calibration_routine" if routine else "report.limits.calibration"
    return i18n.text(
        key,
        lang,
        n=len(fitted),
        names=i18n.text("report.sep", lang).join(names),
        refs=", ".join(refs),
        date=date,
        k=len(compared),
        file="configs/targets/field.toml",
    )


def _ref_order(ref: str) -> tuple[int, str]:
    m = re.fullmatch(r"F(\d+)", ref)
    return (int(m.group(1)), ref) if m else (10**6, ref)


def intervals(n: int, lang: str, worlds: bool = False) -> str:
    """What the run-to-run intervals cover; ``worlds``: the report also ranks the options
    across hazards and plausible worlds (a sweep with [worlds])."""
    return i18n.text(
        "report.limits.intervals_worlds" if worlds else "report.limits.intervals", lang, n=n
    )


def target(setting: dict[str, Any], lang: str) -> str:
    return i18n.text(
        "report.limits.target",
        lang,
        minutes=f"{float(setting.get('time.target_response_min', 60)):g}",
    )


def limits(
    setting: dict[str, Any], n_emergencies: int, lang: str, worlds: bool = False
) -> list[str]:
    """The box's lines, in the report's language."""
    return [
        place(setting, lang),
        hazards(setting, lang)
        + (" " + i18n.text("report.limits.hazard_worlds", lang) if worlds else ""),
        calibration(lang),
        intervals(n_emergencies, lang, worlds),
        target(setting, lang),
        i18n.text("report.limits.left_out", lang),
    ]


__all__ = ["limits"]
