"""The planner's options across worlds: how often each is the best, and its regret.

A sweep that declares ``[worlds]`` (:mod:`experiments.sweeps.worlds`) runs every option in
every world (hazard scenarios as given, and plausible worlds drawn from the uncertainties'
ranges) with the same replication seeds. Here, for each world, each option's value is its
mean over the world's replications; the options are ranked in each world by

- **net benefit a year** (yuan; :func:`experiments.report.money.net_benefit`: harm avoided
  against the baseline option, valued at the report's yuan per person-hour, minus the extra
  cost a year, each world priced with its own residents and emergency length) when the
  report answers in money with the net-benefit rule;
- otherwise by the first main outcome (harm, in person-hours).

For each option: the share of worlds in which it is the best (ties count for each tied
option), with a 95% Wilson interval over worlds, and its *regret* in each world (the best
option's value there minus its own, in the ranking's unit), its mean and maximum over
worlds. The share and regret reuse :mod:`experiments.sweeps.robustness` (``regret``,
``wilson``, ``world_values``).

The run-to-run intervals elsewhere in the report come from the base world only (world 0,
the sweep's base scenario as given): :func:`base_world`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from experiments import factors as fc
from experiments import i18n
from experiments import outcomes as oc
from experiments.report import answer as an
from experiments.report import decision as dc
from experiments.report import money as mn
from experiments.report.sweep import SweepResults, same
from experiments.sweeps.robustness import regret, wilson, world_values

WORLD = "world"
MAX_SHOWN = 6  # options on page 1


@dataclass
class Standing:
    """One option across worlds."""

    option: int
    wins: int  # worlds in which it is the best (or tied for best)
    n: int  # worlds
    low: float  # 95% Wilson interval of wins / n
    high: float
    regret_mean: float  # in the ranking's unit
    regret_max: float

    @property
    def share(self) -> float:
        return self.wins / self.n if self.n else float("nan")


def declared(manifest: dict[str, Any]) -> bool:
    return bool(manifest.get("worlds"))


def base_world(results: SweepResults) -> SweepResults:
    """The runs of world 0 (the base scenario as given): what run-to-run intervals use."""
    if not declared(results.manifest) or WORLD not in results.runs:
        return results
    runs = results.runs[results.runs[WORLD] == 0].reset_index(drop=True)
    return replace(results, runs=runs)


def standing(values: pd.DataFrame, higher: bool) -> list[Standing]:
    """Each option's wins and regret from a (worlds x options) table of values (worlds with
    a missing value left out)."""
    reg = regret(values, higher)
    n = len(reg)
    out = []
    for option in values.columns:
        r = reg[option].to_numpy(float)
        wins = int(np.sum(r == 0))
        low, high = wilson(wins, n)
        out.append(
            Standing(
                int(option),
                wins,
                n,
                low,
                high,
                float(r.mean()) if n else float("nan"),
                float(r.max()) if n else float("nan"),
            )
        )
    return out


def option_table(results: SweepResults, factors: list[str]) -> pd.DataFrame:
    """The options (the decision factors' level combinations) in the sweep file's order."""
    levels = [results.manifest["factors"][f] for f in factors]
    return pd.DataFrame(list(itertools.product(*levels)), columns=factors)


def by_world(
    results: SweepResults, factors: list[str], outcome: str, table: pd.DataFrame
) -> pd.DataFrame:
    """(worlds x options) replication means of ``outcome``, indexed by world number."""
    values, x = world_values(results.runs, factors, [WORLD], outcome, table)
    values.index = x.loc[values.index, WORLD].to_numpy(int)
    return values.sort_index()


def net_benefits(
    results: SweepResults,
    factors: list[str],
    table: pd.DataFrame,
    money: mn.Money,
    baseline: dict[str, Any],
) -> pd.DataFrame:
    """(worlds x options) net benefit a year in yuan, each world priced with its own
    setting (residents, emergency length), harm valued at the report's threshold."""
    harm = by_world(results, factors, mn.HARM, table)
    effort = (
        by_world(results, factors, mn.EFFORT, table).reindex_like(harm)
        if mn.EFFORT in results.runs
        else harm * 0.0
    )
    settings = {int(w["world"]): w.get("setting") or {} for w in results.manifest["worlds"]}
    options = [tuple(r) for r in table.itertuples(index=False)]
    base_option = tuple(baseline[f] for f in factors)
    base = next(i for i, o in enumerate(options) if all(same(a, b) for a, b in zip(o, base_option)))
    rows = {}
    for world, h in harm.iterrows():
        e = np.nan_to_num(effort.loc[world].to_numpy(float))[:, None]
        cost = mn.option_costs(
            results, factors, options, e, settings.get(world, {}), money.costs, baseline
        )[:, 0]
        rows[world] = mn.net_benefit(h.to_numpy(float), cost, base, money.costs, money.threshold)
    return pd.DataFrame.from_dict(rows, orient="index", columns=harm.columns)


@dataclass
class Across:
    """Page 1's block: the worlds, each shown option's standing, what the intervals cover."""

    title: str
    lines: list[str]  # the worlds, each shown option, what each interval covers
    table: pd.DataFrame  # every option's standing (tables/worlds.csv)
    assumptions: str = ""  # what the plausible worlds vary (the HTML names them)


def shown_options(
    table: pd.DataFrame, chosen: int | None, stand: list[Standing]
) -> dict[int, list[str]]:
    """The options page 1 shows, with their tags: the recommended option, every structure at
    its team size, the option best in most worlds and the one with the least maximum regret,
    in that order."""
    most = max(stand, key=lambda s: (s.wins, -s.regret_max)).option
    least = min(stand, key=lambda s: (s.regret_max, -s.wins)).option
    order: list[int] = []
    if chosen is not None:
        order.append(chosen)
        if mn.STRUCTURE in table and mn.VOLUNTEERS in table:
            level = table.iloc[chosen][mn.VOLUNTEERS]
            order += [i for i in range(len(table)) if same(table.iloc[i][mn.VOLUNTEERS], level)]
    order += [most, least]
    shown: dict[int, list[str]] = {}
    for i in order:
        if i not in shown and len(shown) < MAX_SHOWN:
            shown[i] = [
                tag
                for tag, j in (
                    ("recommended", chosen),
                    ("most_wins", most),
                    ("least_regret", least),
                )
                if i == j
            ]
    return shown


def across(
    results: SweepResults,
    factors: list[str],
    baseline: dict[str, Any],
    money: mn.Money | None,
    main: str,
    lang: str,
) -> Across | None:
    """Page 1's block across worlds (None when the sweep declares no worlds)."""
    manifest = results.manifest
    if not declared(manifest) or WORLD not in results.runs or not factors:
        return None
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    table = option_table(results, factors)
    priced = money is not None and money.costs.rule == "net_benefit"
    if priced:
        values, higher = net_benefits(results, factors, table, money, baseline), True
        unit = t("report.worlds.yuan_a_year")
        criterion = t("report.worlds.by_net_benefit")

        def amount(x: float) -> str:
            return t("report.worlds.a_year", x=an.yuan(x, lang))
    else:
        values, higher = by_world(results, factors, main, table), bool(oc.higher_is_better(main))
        unit = dc.unit_suffix(main, lang, diff=True).strip()
        criterion = t("report.worlds.by_outcome", outcome=oc.words(main, lang))

        def amount(x: float) -> str:
            return dc.num(dc.shown(main, x)) + dc.unit_suffix(main, lang, diff=True)

    stand = standing(values, higher)
    labels = [
        t("report.sep").join(fc.short_text(f, v, lang) for f, v in zip(factors, row))
        for row in table.itertuples(index=False)
    ]
    chosen = None
    if money is not None:
        pick = money.options[money.chosen]
        chosen = next(
            i
            for i, row in enumerate(table.itertuples(index=False))
            if all(same(a, b) for a, b in zip(row, pick))
        )
    worlds = manifest["worlds"]
    given = [w for w in worlds if not w.get("sampled")]
    sampled = [w for w in worlds if w.get("sampled")]
    names = listed([scenario_name(w["scenario"], lang) for w in given], lang)
    keys = t("report.sep").join(
        fc.name_in_sentence(k, lang) for k in manifest.get("uncertainties") or {}
    )
    n = stand[0].n if stand else 0
    lines = [
        t(
            "report.worlds.intro",
            n=n,
            given=len(given),
            scenarios=names,
            sampled=len(sampled),
            k=len(manifest.get("uncertainties") or {}),
            reps=manifest.get("replications", "?"),
            criterion=criterion,
            unit=unit,
        )
    ]
    for i, tags in shown_options(table, chosen, stand).items():
        s = stand[i]
        tagged = (
            t(
                "report.worlds.tags",
                tags=t("report.sep").join(t(f"report.worlds.tag.{tag}") for tag in tags),
            )
            if tags
            else ""
        )
        lines.append(
            t(
                "report.worlds.option",
                option=labels[i],
                tags=tagged,
                wins=s.wins,
                n=s.n,
                share=f"{s.share:.0%}",
                low=f"{s.low:.0%}",
                high=f"{s.high:.0%}",
                mean=amount(s.regret_mean),
                max=amount(s.regret_max),
            )
        )
    lines.append(
        t(
            "report.worlds.intervals",
            n=n,
            scenario=scenario_name(given[0]["scenario"], lang) if given else "-",
            reps=manifest.get("replications", "?"),
        )
    )
    frame = pd.DataFrame(
        {
            t("report.worlds.col.option"): labels,
            t("report.worlds.col.wins"): [s.wins for s in stand],
            t("report.worlds.col.n"): [s.n for s in stand],
            t("report.worlds.col.share"): [round(100 * s.share, 1) for s in stand],
            t("report.worlds.col.low"): [round(100 * s.low, 1) for s in stand],
            t("report.worlds.col.high"): [round(100 * s.high, 1) for s in stand],
            t("report.worlds.col.regret_mean", unit=unit): [
                dc.round_sig(s.regret_mean, 4) for s in stand
            ],
            t("report.worlds.col.regret_max", unit=unit): [
                dc.round_sig(s.regret_max, 4) for s in stand
            ],
        }
    )
    assumptions = t("report.worlds.assumptions", keys=keys or "-")
    return Across(t("report.worlds.title"), lines, frame, assumptions)


def listed(names: list[str], lang: str) -> str:
    """ "a", "a and b", "a, b and c" (in the report's language)."""
    if len(names) < 2:
        return "".join(names)
    return (
        i18n.text("report.sep", lang).join(names[:-1])
        + i18n.text("report.worlds.and", lang)
        + names[-1]
    )


def scenario_name(stem: str, lang: str) -> str:
    key = f"report.worlds.scenario.{stem}"
    return i18n.text(key, lang) if i18n.has(key, lang) else stem.replace("_", " ")
