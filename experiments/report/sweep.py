"""What a sweep's results say: policies, their baselines, paired comparisons and findings.

A *policy* is one combination of the sweep's list factors (``reporting.mechanism`` x
``organization.structure``, say). Range factors (sampled uncertainties) and the
replication form the *pair key*: two policies' runs with the same key met the same
emergency (common random numbers), so their difference is taken run by run.

The baseline is one policy, a level of every list factor: the levels the sweep file's
``baseline`` table and ``--baseline`` state, and for any factor neither names its first level
(:func:`resolve_baseline`). Every policy is compared with that one policy, so two policies'
changes are changes from the same street: ``integrated_party`` with 10 volunteers per 1,000
and ``siloed`` with 10 are both compared with ``siloed`` with none.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import i18n
from experiments import outcomes as oc
from experiments.factors import value_text
from experiments.report.stats import (
    N_RESAMPLES,
    SEED,
    Estimate,
    PairedDifference,
    bootstrap_mean,
    paired_difference,
)
from experiments.sweeps.runner import resume_command
from experiments.sweeps.store import SweepStore

MIN_REPLICATIONS = 10  # fewer pairs than this: intervals are rough
KEY_OUTCOMES = (
    "mean_response_min",
    "total_harm",
    "share_met_within_target",
    "casualty_proxy",
    "p90_response_min",
    "peak_backlog",
)


class ReportError(Exception):
    """A folder or option the report cannot use."""


def same(a: Any, b: Any) -> bool:
    """Factor values equal as numbers (20 == 20.0) or as text."""
    if (
        isinstance(a, (int, float, np.number))
        and isinstance(b, (int, float, np.number))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return float(a) == float(b)
    return str(a) == str(b)


@dataclass
class SweepResults:
    """A sweep's successful runs and how they were designed."""

    folder: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    n_failed: int
    policy_factors: list[str]
    range_factors: list[str]
    partial: bool = False
    lang: str = i18n.DEFAULT  # the language of labels

    @property
    def pair_key(self) -> list[str]:
        return ["replication", *self.range_factors]

    def policies(self) -> list[tuple]:
        """Each policy (tuple of policy-factor values), in design order."""
        if not self.policy_factors:
            return [()]
        first = self.runs.sort_values("point").drop_duplicates(self.policy_factors)
        return [tuple(r) for r in first[self.policy_factors].itertuples(index=False)]

    def runs_of(self, policy: tuple) -> pd.DataFrame:
        mask = np.ones(len(self.runs), dtype=bool)
        for key, value in zip(self.policy_factors, policy):
            mask &= np.array([same(v, value) for v in self.runs[key]])
        return self.runs[mask]

    def label(self, policy: tuple, keys: list[str] | None = None) -> str:
        keys = self.policy_factors if keys is None else keys
        parts = [
            value_text(k, v, self.lang) for k, v in zip(self.policy_factors, policy) if k in keys
        ]
        return i18n.text("report.sep", self.lang).join(parts) or i18n.text(
            "report.all_runs", self.lang
        )

    def holding(self, levels: dict[str, Any]) -> SweepResults:
        """The same results restricted to the runs with these factor levels (a stated
        baseline level of a factor the planner does not choose: the street as it is)."""
        if not levels:
            return self
        mask = np.ones(len(self.runs), dtype=bool)
        for key, value in levels.items():
            mask &= np.array([same(v, value) for v in self.runs[key]])
        return replace(self, runs=self.runs[mask].reset_index(drop=True))

    def n_replications(self) -> int:
        """The fewest successful replications of any design point."""
        counts = self.runs.groupby("point").size()
        return int(counts.min()) if len(counts) else 0

    def n_per_policy(self) -> int:
        """The fewest successful runs of any policy (replications x sampled points)."""
        return min(len(self.runs_of(p)) for p in self.policies())


def load_results(folder: Path) -> SweepResults:
    """Read ``runs.parquet`` (or, for a sweep still running, ``parts/``) and the manifest."""
    folder = Path(folder)
    store = SweepStore(folder)
    manifest = store.read_manifest() or {}
    runs = store.read_runs()
    if runs is None and manifest:
        command = resume_command(
            manifest.get("sweep_file") or "SWEEP_FILE", folder, manifest.get("replications")
        )
        raise ReportError(
            f"{folder}: an unfinished sweep: no run has finished yet. Finish it with: {command}"
        )
    if runs is None:
        raise ReportError(
            f"{folder}: no runs.parquet, parts/ or summary.json: not a sweep or run results folder"
        )
    partial = not store.finished()
    status = runs["status"] if "status" in runs else pd.Series("ok", index=runs.index)
    ok = runs[status == "ok"].reset_index(drop=True)
    factors = manifest.get("factors") or {}
    policy = [k for k, v in factors.items() if isinstance(v, list) and k in runs]
    ranges = [k for k, v in factors.items() if isinstance(v, dict) and k in runs]
    return SweepResults(folder, manifest, ok, int((status != "ok").sum()), policy, ranges, partial)


def sweep_setting(manifest: dict[str, Any]) -> dict[str, Any]:
    """The sweep's base configuration, flat (``{"time.target_response_min": 60.0, ...}``):
    the resolved copy the manifest stores (base scenario and fixed values), else the base
    scenario reloaded with the fixed values, else the model's defaults."""
    from sim import Config
    from sim.scenario import load_scenario

    resolved = manifest.get("resolved_base")
    if isinstance(resolved, dict) and resolved:
        return {**Config().flat(), **resolved}
    try:
        base = manifest.get("base")
        return load_scenario(
            base if base and Path(base).is_file() else None, overrides=manifest.get("fixed") or {}
        ).flat()
    except Exception:  # noqa: BLE001 - a moved or changed base file: the defaults
        return Config().flat()


def sweep_file_data(manifest: dict[str, Any]) -> dict[str, Any]:
    try:
        return tomllib.loads(manifest.get("sweep_text") or "")
    except tomllib.TOMLDecodeError:
        return {}


def resolve_baseline(
    results: SweepResults, given: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The baseline policy, one level of every list factor, and where each level came from:
    ``"option"`` (``--baseline``), ``"file"`` (the sweep file's ``baseline`` table) or
    ``"default"`` (the factor's first level: nothing states one).

    ``--baseline`` sets the factors it names; the others keep the sweep file's level, else
    their first. Every policy is compared with this one policy, so that two options' changes
    are changes from the same street (not each from its own variant of the baseline)."""
    filed = (
        results.manifest.get("baseline") or sweep_file_data(results.manifest).get("baseline") or {}
    )
    stated = {
        **{k: (v, "file") for k, v in filed.items()},
        **{k: (v, "option") for k, v in (given or {}).items()},
    }
    for key, (value, _) in stated.items():
        if key not in results.policy_factors:
            raise ReportError(
                f"baseline {key}: not a list factor of this sweep; factors: "
                f"{', '.join(results.policy_factors) or 'none'}"
            )
        levels = results.manifest["factors"][key]
        if not any(same(value, v) for v in levels):
            raise ReportError(
                f"baseline {key}={value}: not a level of the sweep; levels: "
                f"{', '.join(map(str, levels))}"
            )
    baseline: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in results.policy_factors:
        levels = results.manifest["factors"][key]
        value, source = stated.get(key, (levels[0], "default"))
        baseline[key] = next(v for v in levels if same(v, value))
        sources[key] = source
    return baseline, sources


def stated_baseline(baseline: dict[str, Any], sources: dict[str, str]) -> dict[str, Any]:
    """The levels the sweep file or ``--baseline`` state (not the first levels that stand in
    for the others)."""
    return {k: v for k, v in baseline.items() if sources.get(k) != "default"}


def baseline_of(results: SweepResults, policy: tuple, baseline: dict[str, Any]) -> tuple:
    values = list(policy)
    for i, key in enumerate(results.policy_factors):
        if key in baseline:
            values[i] = next(v for v in results.manifest["factors"][key] if same(v, baseline[key]))
    return tuple(values)


def is_same_policy(a: tuple, b: tuple) -> bool:
    return all(same(x, y) for x, y in zip(a, b))


def paired_arrays(
    results: SweepResults, policy: tuple, base: tuple, outcome: str
) -> tuple[np.ndarray, np.ndarray]:
    """The outcome of ``policy`` and of ``base`` on the same emergencies, pair by pair."""
    key = results.pair_key
    p = results.runs_of(policy)[[*key, outcome]]
    b = results.runs_of(base)[[*key, outcome]]
    merged = p.merge(b, on=key, suffixes=("_p", "_b")).sort_values(key)
    return merged[f"{outcome}_p"].to_numpy(float), merged[f"{outcome}_b"].to_numpy(float)


@dataclass
class Finding:
    """One sentence and the numbers it was written from."""

    outcome: str
    policy: tuple
    baseline: tuple
    diff: PairedDifference
    text: str


@dataclass
class Comparison:
    """Every policy's estimate and paired difference for one outcome."""

    outcome: str
    labels: list[str]
    estimates: list[Estimate]
    diffs: list[PairedDifference | None]
    findings: list[Finding] = field(default_factory=list)


def no_negative_zero(text: str) -> str:
    """ "-0", "-0.0" (a small negative number rounded) read as "0", "0.0"."""
    return text[1:] if text[:1] in "-+" and float(text.replace(",", "")) == 0 else text


def pct(x: float) -> str:
    """A share as a percentage: whole numbers from 10%, one decimal below."""
    v = 100 * x
    return no_negative_zero(f"{v:.0f}" if abs(v) >= 9.95 else f"{v:.1f}")


def signed_pct(x: float) -> str:
    text = pct(x)
    return text if text.startswith("-") or float(text) == 0 else "+" + text


def points(x: float) -> str:
    """A difference of shares in percentage points, one decimal, signed (zero unsigned)."""
    return no_negative_zero(f"{100 * x:+.1f}")


def finding_text(
    results: SweepResults, policy: tuple, base: tuple, outcome: str, d: PairedDifference
) -> str:
    """ "With siloed structure, direct reporting cuts mean response time by 23% (95% CI
    18–28%) against hierarchical reporting, and is faster in 29 of 30 emergencies."; shares
    in percentage points; intervals from fewer than ``MIN_REPLICATIONS`` pairs are called
    rough and never "cuts" or "raises"."""
    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    changed = [k for k, a, b in zip(results.policy_factors, policy, base) if not same(a, b)]
    shared = [k for k in results.policy_factors if k not in changed]
    what = oc.words(outcome, lang)
    better = (
        t(f"report.better.{outcome}")
        if i18n.has(f"report.better.{outcome}", lang)
        else t("report.better")
    )
    rough = d.n < MIN_REPLICATIONS
    share = oc.is_share(outcome)
    low, high = (d.diff_low, d.diff_high) if share else (d.rel_low, d.rel_high)
    clear = not rough and (high < 0 or low > 0)
    verb = ("cuts" if high < 0 else "raises") if clear else "changes"
    if share and clear:  # percentage points, unsigned: the verb says the direction
        sign = -1 if verb == "cuts" else 1
        ends = sorted((sign * low, sign * high))
        numbers = dict(
            x=points(sign * d.diff).lstrip("+"),
            low=points(ends[0]).lstrip("+"),
            high=points(ends[1]).lstrip("+"),
        )
    elif share:
        numbers = dict(x=points(d.diff), low=points(low), high=points(high))
    elif verb == "cuts":
        numbers = dict(x=pct(-d.rel), low=pct(-high), high=pct(-low))
    elif verb == "raises":
        numbers = dict(x=pct(d.rel), low=pct(low), high=pct(high))
    else:
        numbers = dict(x=signed_pct(d.rel), low=signed_pct(low), high=signed_pct(high))
    change = t(f"report.finding.{'points_' if share else ''}{verb}", what=what, **numbers)
    unclear = "" if rough or high < 0 or low > 0 else t("report.finding.unclear")
    warn = t("report.finding.rough", n=d.n, min=MIN_REPLICATIONS) if rough else ""
    runs = t("report.emergencies" if not results.range_factors else "report.paired_runs")
    text = t(
        "report.finding.sentence",
        policy=results.label(policy, changed),
        change=change,
        base=results.label(base, changed),
        better=better,
        k=d.n_better,
        n=d.n,
        runs=runs,
        unclear=unclear + warn,
    )
    if shared:
        text = t("report.finding.context", context=results.label(policy, shared), text=text)
    return text[0].upper() + text[1:]


def compare(
    results: SweepResults,
    outcome: str,
    baseline: dict[str, Any],
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> Comparison:
    """Estimates, paired differences and findings of every policy for ``outcome``."""
    lower = oc.lower_is_better(outcome)
    comp = Comparison(outcome, [], [], [])
    for policy in results.policies():
        comp.labels.append(results.label(policy))
        comp.estimates.append(
            bootstrap_mean(results.runs_of(policy)[outcome].to_numpy(float), n_resamples, seed=seed)
        )
        base = baseline_of(results, policy, baseline) if baseline else policy
        if is_same_policy(base, policy) or not len(results.runs_of(base)):
            comp.diffs.append(None)
            continue
        p, b = paired_arrays(results, policy, base, outcome)
        d = paired_difference(p, b, lower, n_resamples, seed=seed)
        comp.diffs.append(d)
        if d.n >= 2 and np.isfinite(d.rel_low) and np.isfinite(d.rel_high):
            comp.findings.append(
                Finding(outcome, policy, base, d, finding_text(results, policy, base, outcome, d))
            )
    return comp
