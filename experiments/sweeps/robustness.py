"""What a robustness study says: how often a policy wins across plausible worlds, its regret,
and where (in which worlds) the ranking flips.

A robustness sweep runs every policy (a combination of the levers in ``[policies]``) in
every *world* (one Latin-hypercube draw of the uncertainties) with the same replication seeds
(common random numbers). For each outcome this module computes, from the runs table:

- for each pair of policies A and B: the share of worlds in which A is better than B, with a
  95% Wilson interval, and the median and 10th-90th percentile of the difference A - B
  (the replication mean in each world, paired by seed);
- the *regret* of each policy in each world (how far it falls short of the best policy in
  that world, in the outcome's unit): median and maximum over worlds, and the policy that
  minimizes the maximum regret (Savage's minimax regret criterion);
- *scenario discovery* for each pair whose ranking flips in more than 5% of worlds: PRIM
  boxes (Friedman & Fisher 1999, as in Bryant & Lempert 2010; EMA Workbench's implementation)
  that describe the worlds in which the less frequent winner is no worse, with coverage and
  density; and extra-trees feature scores (EMA Workbench) of which uncertainties drive the
  difference.

The summary is data (policy levers, outcome names, box limits with the uncertainties' units);
:func:`flip_sentence` says a box in words in any catalogue language (the report calls it in
the report's language; ``robustness.json`` keeps the English sentence for its readers).
Outcome, policy and uncertainty names come from :mod:`experiments.outcomes` and
:mod:`experiments.factors`, as in the report.

EMA Workbench is imported only where PRIM and feature scoring run (it is slow to import).
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from experiments import factors as fc
from experiments import i18n
from experiments import outcomes as oc

FLIP_SHARE = 0.05  # a pair "flips" when the less frequent winner wins in more than this share
Z95 = 1.959963984540054
MAX_BOX_DIMENSIONS = 3  # a box a reader can hold in mind
MAX_BOXES = 2
DENSITY_TARGET = 0.8  # a box worth reading: the statement holds in 4 of 5 of its worlds


def ranked_outcome(outcome: str) -> bool:
    """:func:`sim.outcomes.higher_is_better` for an outcome policies are ranked by (an error
    otherwise)."""
    from sim.outcomes import OUTCOMES, higher_is_better

    higher = higher_is_better(outcome)
    if higher is None:
        ranked = [k for k in OUTCOMES if higher_is_better(k) is not None]
        raise ValueError(
            f"{outcome}: no policy is better by it; outcomes that rank "
            f"policies: {', '.join(ranked)}"
        )
    return higher


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a share k / n (95% by default)."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def policy_table(runs: pd.DataFrame, policies: list[str]) -> pd.DataFrame:
    """The distinct policies in order of first appearance, one row each (index = policy id)."""
    if not policies:
        return pd.DataFrame(index=[0])
    return runs[policies].drop_duplicates().reset_index(drop=True)


def world_values(
    runs: pd.DataFrame,
    policies: list[str],
    uncertainties: list[str],
    outcome: str,
    table: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(worlds x policies) replication means of ``outcome``, and (worlds x uncertainties).

    A world is one combination of the uncertainties' values; a policy is one combination of
    the policies' levels, numbered as the rows of ``table`` (default :func:`policy_table`).
    Failed runs are left out.
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    table = policy_table(runs, policies) if table is None else table[policies]
    keys = [tuple(r) for r in table.itertuples(index=False)]
    pid = {k: i for i, k in enumerate(keys)}
    world = runs.groupby(uncertainties, sort=False).ngroup()
    frame = pd.DataFrame(
        {
            "world": world.loc[ok.index].to_numpy(),
            "policy": [pid.get(tuple(r), -1) for r in ok[policies].itertuples(index=False)]
            if policies
            else 0,
            "value": ok[outcome].to_numpy(float),
        }
    )
    values = frame.pivot_table(
        index="world", columns="policy", values="value", aggfunc="mean"
    ).reindex(columns=range(len(keys)))
    x = runs.loc[world.drop_duplicates().index, uncertainties]
    x.index = world.drop_duplicates().to_numpy()
    return values.sort_index(), x.sort_index()


def regret(values: pd.DataFrame, higher: bool) -> pd.DataFrame:
    """Each policy's regret in each world: the best policy's value minus its own (>= 0)."""
    v = values.dropna()
    oriented = v if higher else -v
    return oriented.max(axis=1).to_numpy()[:, None] - oriented


def pair_summary(values: pd.DataFrame, a: int, b: int, higher: bool) -> dict[str, Any]:
    """Share of worlds in which a beats b (Wilson CI) and the paired difference a - b."""
    pair = values[[a, b]].dropna()
    diff = (pair[a] - pair[b]).to_numpy()
    better = diff * (1 if higher else -1)
    scale = np.maximum(np.abs(pair[a].to_numpy()), np.abs(pair[b].to_numpy())) + 1.0
    tie = np.abs(better) <= 1e-12 * scale
    n, a_wins, b_wins = (
        len(diff),
        int(np.sum((better > 0) & ~tie)),
        int(np.sum((better < 0) & ~tie)),
    )
    low, high = wilson(a_wins, n)
    q = np.quantile(diff, [0.1, 0.5, 0.9]) if n else [math.nan] * 3
    return {
        "n_worlds": n,
        "a_wins": a_wins,
        "b_wins": b_wins,
        "ties": n - a_wins - b_wins,
        "share_a_wins": a_wins / n if n else math.nan,
        "share_a_wins_ci": [low, high],
        "diff_median": float(q[1]),
        "diff_p10": float(q[0]),
        "diff_p90": float(q[2]),
        "flips": n > 0 and min(a_wins, b_wins) / n > FLIP_SHARE,
    }


def _quiet_ema():
    """Import EMA Workbench's analysis without its optional-backend warning and logging."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim, feature_scoring, RuleInductionType


def _f_score(coverage: float, density: float) -> float:
    return 0.0 if coverage + density == 0 else 2 * coverage * density / (coverage + density)


def prim_boxes(x: pd.DataFrame, y: np.ndarray, max_boxes: int = MAX_BOXES) -> list[dict[str, Any]]:
    """PRIM boxes of the worlds where ``y`` holds: for each box the limits of its restricted
    uncertainties, coverage (share of the y-worlds inside it), density (share of the worlds
    inside it where y holds) and mass (share of all worlds inside it).

    On each peeling trajectory the box kept is the one with the best harmonic mean of
    coverage and density among those that restrict at most three uncertainties and have a
    density of at least 80%; without one, no box is reported.
    """
    y = np.asarray(y, dtype=bool)
    if y.sum() == 0 or y.all() or x.empty:
        return []
    prim, _, _ = _quiet_ema()
    x = x.reset_index(drop=True).copy()
    for col in x:
        x[col] = x[col].astype(float if x[col].dtype.kind == "f" else np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside EMA Workbench
        finder = prim.Prim(x, y, mass_min=0.05, peel_alpha=0.05, paste_alpha=0.05)
    boxes = []
    base_rate = y.mean()
    for _ in range(max_boxes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = finder.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory
        ok = traj[traj["res_dim"] <= MAX_BOX_DIMENSIONS]
        if ok.empty:
            break
        ok = ok[ok["density"] >= DENSITY_TARGET]
        if ok.empty:  # no box of a few uncertainties in which the statement mostly holds
            break
        scores = [_f_score(c, d) for c, d in zip(ok["coverage"], ok["density"])]
        i = int(ok.index[int(np.argmax(scores))])
        box.select(i)
        lims = box.box_lims[i]
        restricted = [
            c
            for c in x.columns
            if not np.allclose(lims[c].to_numpy(float), finder.box_init[c].to_numpy(float))
        ]
        if not restricted or box.density <= base_rate:
            break
        boxes.append(
            {
                "limits": {c: [float(lims[c].iloc[0]), float(lims[c].iloc[1])] for c in restricted},
                "full_range": {
                    c: [float(finder.box_init[c].iloc[0]), float(finder.box_init[c].iloc[1])]
                    for c in restricted
                },
                "coverage": float(box.coverage),
                "density": float(box.density),
                "mass": float(box.mass),
                "n_worlds": int(round(box.mass * len(y))),
            }
        )
    return boxes


def feature_scores(x: pd.DataFrame, diff: np.ndarray, seed: int) -> dict[str, float]:
    """Extra-trees feature scores (EMA Workbench) of the uncertainties for the paired
    difference: the share of the trees' variance reduction each uncertainty accounts for."""
    if len(x) < 4 or x.shape[1] == 0:
        return {}
    _, fs, rule = _quiet_ema()
    scores, _ = fs.get_ex_feature_scores(
        x.reset_index(drop=True).astype(float),
        np.asarray(diff, float),
        mode=rule.REGRESSION,
        max_features=max(1, round(x.shape[1] / 3)),
        random_state=seed % 2**32,
    )
    return {str(k): float(v) for k, v in scores.iloc[:, 0].items()}


def box_words(box: dict[str, Any], units: dict[str, str], lang: str = i18n.DEFAULT) -> str:
    """A PRIM box in words: "township office delay per report is above 6.5 min and ..." (each
    restricted uncertainty, by the side of its full range the box keeps)."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    parts = []
    for key, (lo, hi) in box["limits"].items():
        full_lo, full_hi = box["full_range"][key]
        name, unit = fc.name_in_sentence(key, lang), units.get(key, "")
        if lo > full_lo and hi < full_hi:
            parts.append(
                t(
                    "report.robust.box_between",
                    name=name,
                    low=fc.quantity(lo, unit, lang),
                    high=fc.quantity(hi, unit, lang),
                )
            )
        elif lo > full_lo:
            parts.append(t("report.robust.box_above", name=name, value=fc.quantity(lo, unit, lang)))
        else:
            parts.append(t("report.robust.box_below", name=name, value=fc.quantity(hi, unit, lang)))
    return t("report.robust.and").join(parts)


def flip_sentence(
    winner: dict[str, Any],
    loser: dict[str, Any],
    outcome: str,
    box: dict[str, Any],
    units: dict[str, str],
    lang: str = i18n.DEFAULT,
) -> str:
    """Where the less frequent winner of a pair is no worse, in words: "With direct reporting
    instead of hierarchical reporting (siloed structure), total harm is no worse when ...
    (coverage 80%: ...; density 90%: ...)." ``winner`` and ``loser``: the two policies'
    levers; ``units``: the uncertainties' units."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    differ = [k for k in winner if str(winner[k]) != str(loser[k])]
    same = [k for k in winner if k not in differ]
    change = t("report.sep").join(
        t(
            "report.robust.instead",
            new=fc.value_text(k, winner[k], lang),
            old=fc.value_text(k, loser[k], lang),
        )
        for k in differ
    )
    context = (
        t("report.robust.context", levels=fc.policy_text({k: winner[k] for k in same}, lang))
        if same
        else ""
    )
    return t(
        "report.robust.flip",
        change=change,
        context=context,
        outcome=oc.words(outcome, lang),
        where=box_words(box, units, lang),
        coverage=f"{box['coverage']:.0%}",
        density=f"{box['density']:.0%}",
    )


def analyze(
    runs: pd.DataFrame,
    policies: list[str],
    uncertainties: list[str],
    outcomes: list[str],
    seed: int = 0,
    units: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The robustness summary (what ``robustness.json`` holds) of a runs table: names for
    readers (policy and outcome labels, the flip sentences) in English."""
    units = {k: (units or {}).get(k, "") for k in uncertainties}
    pol = policy_table(runs, policies)
    levers = pol.to_dict("records")
    result: dict[str, Any] = {
        "policies": [
            {"id": i, "label": fc.policy_text(r), "levers": r} for i, r in enumerate(levers)
        ],
        "uncertainties": uncertainties,
        "units": units,
        "flip_share": FLIP_SHARE,
        "outcomes": [],
        "pairs": [],
        "regret": [],
        "minimax_regret": {},
    }
    for outcome in outcomes:
        higher = ranked_outcome(outcome)
        values, x = world_values(runs, policies, uncertainties, outcome)
        result["outcomes"].append(
            {
                "name": outcome,
                "label": oc.label(outcome),
                "higher_is_better": higher,
                "n_worlds": int(values.dropna().shape[0]),
            }
        )
        reg = regret(values, higher)
        best = (reg == 0).mean(axis=0) if len(reg) else reg.sum(axis=0)
        for p in pol.index:
            r = reg[p].to_numpy() if len(reg) else np.array([])
            result["regret"].append(
                {
                    "outcome": outcome,
                    "policy": int(p),
                    "median": float(np.median(r)) if len(r) else math.nan,
                    "max": float(r.max()) if len(r) else math.nan,
                    "share_best": float(best[p]) if len(r) else math.nan,
                }
            )
        if len(reg):
            result["minimax_regret"][outcome] = int(reg.max(axis=0).idxmin())
        for a, b in itertools.combinations(pol.index, 2):
            entry = {
                "outcome": outcome,
                "a": int(a),
                "b": int(b),
                **pair_summary(values, a, b, higher),
            }
            if entry["flips"]:
                pair = values[[a, b]].dropna()
                better = (pair[a] - pair[b]).to_numpy() * (1 if higher else -1)
                minority = a if entry["a_wins"] < entry["b_wins"] else b
                other = b if minority == a else a
                no_worse = better >= 0 if minority == a else better <= 0
                boxes = prim_boxes(x.loc[pair.index], no_worse)
                for box in boxes:
                    box["text"] = flip_sentence(
                        levers[minority], levers[other], outcome, box, units
                    )
                entry["scenario_discovery"] = {
                    "no_worse": int(minority),
                    "than": int(other),
                    "boxes": boxes,
                    "feature_scores": feature_scores(x.loc[pair.index], pair[a] - pair[b], seed),
                }
            result["pairs"].append(entry)
    return result
