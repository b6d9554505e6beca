"""The single-run report: map of harm by grid, timeline, need-stage breakdown, outcomes.

The township is rebuilt from the run's resolved parameters and seed (constructed, not run:
the network is drawn from its own seeded stream before anything happens), so the map shows
exactly the grids the run used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import i18n
from experiments.report import charts
from experiments.runs.output import UnreadableResult, read_json_file, read_parquet_file
from sim.registry import HAZARDS

STAGE_COLUMNS = (
    ("detection", "created_min", "detected_min"),
    ("reporting", "detected_min", "reported_min"),
    ("dispatch", "reported_min", "dispatched_min"),
    ("travel", "dispatched_min", "reached_min"),
    ("service", "reached_min", "resolved_min"),
)


def load_run(folder: Path) -> dict[str, Any]:
    """summary.json, the time series, the need log and (if stored) the events of a run."""
    summary = read_json_file(folder / "summary.json")
    if not isinstance(summary, dict) or not isinstance(summary.get("parameters"), dict):
        raise UnreadableResult(folder / "summary.json", "no parameters table")
    run = {
        "summary": summary,
        "timeseries": read_parquet_file(folder / "timeseries.parquet"),
        "needs": read_parquet_file(folder / "needs.parquet"),
        "events": read_parquet_file(folder / "events.parquet")
        if (folder / "events.parquet").exists()
        else None,
    }
    return run


def stage_minutes(needs: pd.DataFrame) -> pd.DataFrame:
    """Each need's minutes in each stage (nan where it never got there).

    Dispatch counts only needs dispatched after their report arrived, as the outcome
    ``mean_dispatch_delay_min`` does (a need met locally is dispatched before that).
    """
    out = pd.DataFrame(index=needs.index)
    for stage, start, end in STAGE_COLUMNS:
        minutes = needs[end].astype(float) - needs[start].astype(float)
        if stage == "dispatch":
            minutes = minutes.where(needs["dispatched_min"] >= needs["reported_min"])
        out[stage] = minutes
    return out


def stage_table(
    needs: pd.DataFrame, lang: str = i18n.DEFAULT
) -> tuple[list[str], np.ndarray, list[int]]:
    stages = stage_minutes(needs)
    labels, rows, counts = (
        [i18n.text("report.run.all_needs", lang)],
        [stages.mean().to_numpy()],
        [len(needs)],
    )
    if "type" in needs:
        for kind, idx in needs.groupby("type", observed=True).groups.items():
            key = f"need.{kind}"
            labels.append(i18n.text(key, lang) if i18n.has(key, lang) else str(kind))
            rows.append(stages.loc[idx].mean().to_numpy())
            counts.append(len(idx))
    return labels, np.vstack(rows) if rows else np.zeros((0, 5)), counts


def hazard_windows(params: dict[str, Any], war_hours: float) -> list[tuple[str, float, float]]:
    windows = []
    for hazard in HAZARDS:  # every registered hazard (sim/registry.py)
        p = params.get(hazard, {})
        if p.get("enabled"):
            start = float(p.get("onset_hour", 0.0))
            end = start + float(p.get("duration_hours", war_hours - start))
            windows.append((hazard, start, min(end, war_hours)))
    return windows


def build_run(folder: Path, out: Path, lang: str = i18n.DEFAULT) -> dict[str, Any]:
    """Charts and tables of one ``grassroots run`` folder."""
    from experiments.report import district_map
    from sim import Config
    from sim.township import build_township

    run = load_run(folder)
    summary = run["summary"]
    params = summary["parameters"]
    config = Config.from_dict(params, source=str(folder / "summary.json"))
    seed = int(summary["seed"])
    township = build_township(config, seed)  # the run's network, from its seed
    needs = run["needs"]
    harm = np.bincount(
        needs["grid"].to_numpy(int),
        weights=needs["harm"].to_numpy(float),
        minlength=township.n_grids,
    )[: township.n_grids]
    scenario = summary.get("scenario", config.name)
    map_chart = charts.run_map(
        out,
        township.graph,
        np.asarray(township.grid_pos, float),
        harm,
        np.asarray(township.lowlying),
        i18n.text(
            "report.run.map_title", lang, scenario=scenario, seed=seed, total=f"{harm.sum():,.0f}"
        ),
        config.space.edge_minutes,
        lang,
        district_map.outlines(township),
    )
    ts = run["timeseries"]
    war = ts[ts["time_min"] >= 0]
    events = (
        []
        if run["events"] is None
        else list(zip(run["events"]["minute"].astype(float), run["events"]["text"].astype(str)))
    )
    timeline = charts.run_timeline(
        out,
        war["time_min"].to_numpy(float) / 60.0,
        war,
        hazard_windows(params, config.time.war_hours),
        events,
        lang,
    )
    labels, means, counts = stage_table(needs, lang)
    stages = charts.stage_breakdown(out, labels, means, counts, lang)
    return {
        "summary": summary,
        "charts": [map_chart, timeline, stages],
        "stages": (labels, means, counts),
        "events": events,
    }
