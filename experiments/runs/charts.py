"""Charts of one run: backlog, cumulative harm, responders busy and response times.

Uses ``matplotlib.figure.Figure`` directly (no pyplot), so it needs no display and keeps no
global figure state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def wartime(result: Any) -> tuple[pd.DataFrame, pd.Series, str]:
    """The wartime rows of the time series and their time in hours since wartime began.

    Falls back to the whole series (hours since the start) if it has no ``phase`` column or
    no wartime rows.
    """
    ts = result.timeseries
    if "phase" in ts and "time_min" in ts:
        war = ts["phase"].astype(str).str.lower().str.startswith("war")
        if war.any():
            ts = ts[war]
            peace_min = result.config.time.peace_days * 1440.0
            start = peace_min if ts["time_min"].iloc[0] >= peace_min else 0.0
            return ts, (ts["time_min"] - start) / 60.0, "hours since the emergency began"
    t = ts["time_min"] if "time_min" in ts else pd.Series(np.arange(len(ts)), index=ts.index)
    return ts, t / 60.0, "hours since the start"


def _missing(ax: Axes, what: str) -> None:
    ax.text(
        0.5,
        0.5,
        f"{what} not recorded",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="grey",
    )


def line_panel(
    ax: Axes, x: pd.Series, ts: pd.DataFrame, column: str, title: str, unit: str, xlabel: str
) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(unit)
    if column not in ts:
        _missing(ax, column)
        return
    ax.plot(x, ts[column], drawstyle="steps-post", lw=1.5)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)


def response_panel(ax: Axes, needs: pd.DataFrame, target_min: float) -> None:
    """Histogram of response times (need appears -> first responder arrives), target marked."""
    ax.set_title("Response time (need appears to first responder)")
    ax.set_xlabel("minutes")
    ax.set_ylabel("needs")
    if not {"created_min", "reached_min"} <= set(needs.columns):
        _missing(ax, "reached_min")
        return
    response = (needs["reached_min"] - needs["created_min"]).to_numpy(dtype=float)
    reached = response[np.isfinite(response)]
    if len(reached):
        ax.hist(reached, bins=40, color="tab:blue", alpha=0.8)
        within = float(np.sum(reached <= target_min)) / len(response)
        note = f"{within:.0%} of {len(response)} needs reached within target"
    else:
        note = "no need was reached"
    unreached = len(response) - len(reached)
    if unreached:
        note += f"; {unreached} not reached"
    ax.axvline(target_min, color="tab:red", ls="--", label=f"target {target_min:g} min")
    ax.legend(loc="upper right")
    ax.text(0.98, 0.80, note, ha="right", va="top", transform=ax.transAxes, fontsize=9)
    ax.grid(alpha=0.3)


def plot_run(result: Any, path: str | Path) -> Path:
    """Draw the four panels of one run and save them as a PNG at ``path``."""
    fig = Figure(figsize=(12, 8), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)
    ts, x, xlabel = wartime(result)
    units = getattr(result, "outcome_units", {}) or {}
    line_panel(a, x, ts, "backlog", "Backlog (open needs)", "needs", xlabel)
    line_panel(b, x, ts, "cum_harm", "Cumulative harm", units.get("total_harm", "harm"), xlabel)
    line_panel(c, x, ts, "responders_busy", "Responders busy", "responders", xlabel)
    response_panel(d, result.needs, result.config.time.target_response_min)
    residents = getattr(result, "n_residents", None)
    who = f", {residents:,} residents" if residents else ""
    fig.suptitle(f"{result.config.name}: seed {result.seed}{who}")
    fig.savefig(path, format="png", dpi=110)
    return Path(path)
