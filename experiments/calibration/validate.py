"""Run the targets' settings and compare the simulated values with the field figures.

:func:`simulate_targets` is what both ``grassroots validate`` and each evaluation of
``grassroots calibrate`` run: every setting (scenario + overrides) once per seed, all the
targets of a setting read from the same runs. :func:`validation_table` adds the mean, its 95%
confidence interval over seeds and whether it lies inside the band.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from experiments.calibration.targets import PHASES, USES, Target

MASTER_SEED = 20261130


def seeds_for(n: int, master_seed: int = MASTER_SEED) -> list[int]:
    """The n run seeds: the same for every candidate (common random numbers)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(master_seed).spawn(n)]


def simulate_targets(
    targets: list[Target],
    seeds: list[int],
    params: dict[str, Any] | None = None,
    scenario: Path | None = None,
    progress: Callable[[], None] | None = None,
) -> dict[str, list[float]]:
    """Each target's simulated value per seed, with `params` applied over each setting and
    `scenario` (if given) in place of each target's own. A target over parameters alone needs
    no run."""
    from sim import load_scenario, simulate

    params = params or {}
    groups: dict[tuple, list[Target]] = {}
    for t in targets:
        groups.setdefault(t.setting(scenario), []).append(t)
    values: dict[str, list[float]] = {t.name: [] for t in targets}
    for group in groups.values():
        first = group[0]
        config = load_scenario(scenario or first.scenario, {**first.overrides, **params})
        flat = config.flat()
        needs_run = any(t.outcome.outcomes for t in group)
        for seed in seeds:
            outcomes = simulate(config, seed).summary() if needs_run else {}
            for t in group:
                values[t.name].append(t.outcome.evaluate(outcomes, flat))
            if progress is not None:
                progress()
    return values


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval over seeds (NaN bounds with one seed)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def validation_table(
    targets: list[Target],
    values: dict[str, list[float]],
) -> list[dict[str, Any]]:
    """One row per target: source, band, simulated mean, 95% CI, inside the band or not."""
    rows = []
    for t in targets:
        mean, low, high = mean_ci(values[t.name])
        rows.append(
            {
                "target": t.name,
                "label": t.label,
                "outcome": t.outcome.text,
                "use": t.use,
                "phase": t.phase,
                "source": t.source,
                "value": t.value,
                "band": list(t.band),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "inside": t.inside(mean),
                "loss": t.loss(mean),
                "values": values[t.name],
            }
        )
    return rows


def short_source(source: str) -> str:
    """The F-number of a target's source (``F1``), or its first words."""
    head = source.split(":", 1)[0]
    return head if len(head) <= 8 else head[:8]


def grouped(rows: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """The rows by phase (peacetime, wartime) and use (calibrate, validate, input), with a
    title for each non-empty group."""
    out = []
    for phase in PHASES:
        for use in USES:
            part = [r for r in rows if r.get("phase", "peacetime") == phase and r["use"] == use]
            if part:
                out.append((phase, use, part))
    return out


TITLES = {
    "calibrate": "calibrated (fitted to these)",
    "validate": "validation (held out, not fitted)",
    "input": "inputs (a parameter was set from the figure: equal by construction, not validation)",
}


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`validation_table` rows, by phase and use."""
    head = ("target", "source", "band", "simulated", "95% CI", "inside")
    body = [
        (
            r["target"],
            short_source(r["source"]),
            f"{_g(r['band'][0])}-{_g(r['band'][1])}",
            _g(r["mean"]),
            f"{_g(r['ci_low'])}-{_g(r['ci_high'])}" if math.isfinite(r["ci_low"]) else "n/a",
            "yes" if r["inside"] else "NO",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    line = lambda cells: "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    index = {id(r): b for r, b in zip(rows, body)}
    lines: list[str] = []
    for phase, use, part in grouped(rows):
        inside = sum(r["inside"] for r in part)
        lines += [
            "" if lines else None,
            f"{phase}, {TITLES[use]}: {inside} of {len(part)} inside their band",
            line(head),
        ]
        lines += [line(index[id(r)]) for r in part]
    return "\n".join(x for x in lines if x is not None)


def summary_line(rows: list[dict[str, Any]]) -> str:
    """How many validation and calibration targets are inside their bands, by phase."""
    parts = []
    for phase, use, part in grouped(rows):
        if use != "input":
            parts.append(f"{phase} {use}: {sum(r['inside'] for r in part)} of {len(part)}")
    return "; ".join(parts)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The same table in Markdown (docs/ODD.md), by phase and use."""
    out: list[str] = []
    for phase, use, part in grouped(rows):
        inside = sum(r["inside"] for r in part)
        out += [
            "" if out else None,
            f"**{phase.capitalize()}, {TITLES[use]}**: {inside} of {len(part)} inside their band",
            "",
            "| target | source | band | simulated mean | 95% CI | inside |",
            "|---|---|---|---|---|---|",
        ]
        for r in part:
            ci = f"{_g(r['ci_low'])}–{_g(r['ci_high'])}" if math.isfinite(r["ci_low"]) else "n/a"
            out.append(
                f"| {r['label'] or r['target']} (`{r['target']}`) | "
                f"{short_source(r['source'])} | {_g(r['band'][0])}–{_g(r['band'][1])} "
                f"| {_g(r['mean'])} | {ci} | {'yes' if r['inside'] else '**no**'} |"
            )
    return "\n".join(x for x in out if x is not None)


def _g(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.3g}"
