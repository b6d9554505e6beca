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

from experiments.calibration.targets import Target

MASTER_SEED = 20261130


def seeds_for(n: int, master_seed: int = MASTER_SEED) -> list[int]:
    """The n run seeds: the same for every candidate (common random numbers)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(master_seed).spawn(n)]


def simulate_targets(targets: list[Target], seeds: list[int],
                     params: dict[str, Any] | None = None, scenario: Path | None = None,
                     progress: Callable[[], None] | None = None) -> dict[str, list[float]]:
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


def validation_table(targets: list[Target], values: dict[str, list[float]],
                     ) -> list[dict[str, Any]]:
    """One row per target: source, band, simulated mean, 95% CI, inside the band or not."""
    rows = []
    for t in targets:
        mean, low, high = mean_ci(values[t.name])
        rows.append({"target": t.name, "label": t.label, "outcome": t.outcome.text,
                     "use": t.use, "source": t.source, "value": t.value,
                     "band": list(t.band), "mean": mean, "ci_low": low, "ci_high": high,
                     "inside": t.inside(mean), "loss": t.loss(mean),
                     "values": values[t.name]})
    return rows


def short_source(source: str) -> str:
    """The F-number of a target's source (``F1``), or its first words."""
    head = source.split(":", 1)[0]
    return head if len(head) <= 8 else head[:8]


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`validation_table` rows."""
    head = ("target", "source", "use", "band", "simulated", "95% CI", "inside")
    body = [(r["target"], short_source(r["source"]), r["use"],
             f"{_g(r['band'][0])}-{_g(r['band'][1])}", _g(r["mean"]),
             f"{_g(r['ci_low'])}-{_g(r['ci_high'])}" if math.isfinite(r["ci_low"]) else "n/a",
             "yes" if r["inside"] else "NO") for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip() for b in body]
    return "\n".join(lines)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The same table in Markdown (docs/ODD.md)."""
    out = ["| target | source | use | band | simulated mean | 95% CI | inside |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        ci = (f"{_g(r['ci_low'])}–{_g(r['ci_high'])}" if math.isfinite(r["ci_low"])
              else "n/a")
        out.append(f"| {r['label'] or r['target']} (`{r['target']}`) | "
                   f"{short_source(r['source'])} | {r['use']} | "
                   f"{_g(r['band'][0])}–{_g(r['band'][1])} | {_g(r['mean'])} | {ci} | "
                   f"{'yes' if r['inside'] else '**no**'} |")
    return "\n".join(out)


def _g(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.3g}"
