"""Fit parameters inside their plausible ranges to the ``use = "calibrate"`` targets.

Optuna's TPE sampler (seeded) proposes candidates; each is run on the same K seeds (common
random numbers), and its loss is the sum over targets of the distance of the simulated mean
from the target's band in band widths (0 inside), plus a tie-breaker of 0.01 x the mean
distance from the reported values, so that among candidates inside every band the one
nearest the field figures wins. The study lives in ``DIR/study.db`` (SQLite): the same command
run again resumes it and runs only the remaining budget; a trial that was running when the
process was killed is run again.

Outputs in DIR: ``calibrated.toml`` (a scenario file: the target scenario as base and the
fitted values, each with its plausible range and the loss), ``trials.parquet`` (one row per
trial: parameters, loss, each target's simulated mean) and ``report/index.html``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.calibration.targets import Target, band_loss, load_targets, point_distance
from experiments.calibration.validate import MASTER_SEED, seeds_for, simulate_targets
from experiments.provenance import provenance
from experiments.runs.output import atomic_write_text
from sim.params import ConfigError, param_field, split_key
from sim.scenario import load_scenario

STUDY_NAME = "calibration"
TIE_WEIGHT = 0.01


class CalibrationError(Exception):
    """A calibration that cannot run as asked (exit status 2)."""


@dataclass(frozen=True)
class Plan:
    """What a calibration fits, against what, with which seeds: a resumed study must match."""

    targets_path: Path
    params: tuple[str, ...]
    ranges: dict[str, tuple[float, float]]
    kinds: dict[str, str]  # "float" or "int"
    seeds: tuple[int, ...]
    fixed: dict[str, Any]  # --set overrides applied to every setting
    master_seed: int = MASTER_SEED
    phase: str | None = None  # only the calibrate targets of this phase (None: all)

    def signature(self) -> dict[str, Any]:
        text = self.targets_path.read_bytes()
        return {
            "targets_sha256": hashlib.sha256(text).hexdigest(),
            "params": list(self.params),
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "seeds": list(self.seeds),
            "fixed": self.fixed,
            "master_seed": self.master_seed,
            "phase": self.phase,
        }


def plausible_range(key: str) -> tuple[float, float, str]:
    """The plausible range of a numeric parameter, and its kind; ConfigError if it has none."""
    section, name = split_key(key, "--params")
    f = param_field(section, name)
    full = f"{section}.{name}"
    kind = type(f.default)
    if kind not in (int, float) or f.metadata.get("plausible") is None:
        raise ConfigError(
            full,
            "has no plausible range in sim/params.py (a policy, switch or "
            "setting, or an assumption not yet given one): it cannot be "
            "calibrated",
            "--params",
        )
    lo, hi = f.metadata["plausible"]
    return float(lo), float(hi), kind.__name__


def make_plan(
    targets_path: str | Path,
    params: list[str],
    n_seeds: int,
    fixed: dict[str, Any] | None = None,
    master_seed: int = MASTER_SEED,
    phase: str | None = None,
) -> Plan:
    target_set = load_targets(targets_path)
    if not [t for t in target_set.used_for("calibrate") if phase in (None, t.phase)]:
        where = f' and phase = "{phase}"' if phase else ""
        raise CalibrationError(f'{targets_path}: no target has use = "calibrate"{where}')
    keys, ranges, kinds = [], {}, {}
    for raw in params:
        lo, hi, kind = plausible_range(raw)
        key = ".".join(split_key(raw))
        keys.append(key)
        ranges[key], kinds[key] = (lo, hi), kind
    if not keys:
        raise CalibrationError("--params: name at least one parameter to fit")
    fixed = dict(fixed or {})
    for t in target_set.targets:  # a bad --set fails here, before anything runs
        load_scenario(t.scenario, {**t.overrides, **fixed})
    return Plan(
        Path(targets_path).resolve(),
        tuple(keys),
        ranges,
        kinds,
        tuple(seeds_for(n_seeds, master_seed)),
        fixed,
        master_seed,
        phase,
    )


# --- one evaluation (runs in a worker process) --------------------------------------------

_TARGETS: dict[tuple[str, str | None], list[Target]] = {}


def calibration_targets(path: Path, phase: str | None = None) -> list[Target]:
    """The calibrate targets of the file (of one phase, if given)."""
    key = (str(path), phase)
    if key not in _TARGETS:
        _TARGETS[key] = [
            t for t in load_targets(path).used_for("calibrate") if phase in (None, t.phase)
        ]
    return _TARGETS[key]


def evaluate(plan: Plan, values: dict[str, Any]) -> dict[str, Any]:
    """Run the calibrate targets' settings with `values`; the loss and each target's mean."""
    start = time.perf_counter()
    targets = calibration_targets(plan.targets_path, plan.phase)
    runs = simulate_targets(targets, list(plan.seeds), {**plan.fixed, **values})
    means = {}
    for t in targets:
        finite = [v for v in runs[t.name] if math.isfinite(v)]
        means[t.name] = sum(finite) / len(finite) if finite else math.nan
    band = sum(band_loss(means[t.name], t.band) for t in targets)
    point = sum(point_distance(means[t.name], t) for t in targets) / len(targets)
    return {
        "band_loss": band,
        "point_distance": point,
        "loss": band + TIE_WEIGHT * point,
        "means": means,
        "duration_s": time.perf_counter() - start,
    }


# --- the study --------------------------------------------------------------------------------


def open_study(plan: Plan, out: Path, sampler_seed: int):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=STUDY_NAME,
        storage=f"sqlite:///{out / 'study.db'}",
        sampler=optuna.samplers.TPESampler(seed=sampler_seed),
        direction="minimize",
        load_if_exists=True,
    )
    sig = json.loads(json.dumps(plan.signature()))
    old = study.user_attrs.get("plan")
    if old is None:
        study.set_user_attr("plan", sig)
        study.set_user_attr("targets_path", str(plan.targets_path))
        # The first candidate is the scenario's current values: what calibration changes.
        study.enqueue_trial(current_values(plan))
    elif old != sig:
        raise CalibrationError(
            f"{out} holds a different calibration (other targets file, "
            "parameters, seeds or --set): use another --out"
        )
    for t in study.get_trials(deepcopy=False):
        if t.state == optuna.trial.TrialState.RUNNING:  # killed mid-run: run it again
            study.tell(t.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
            study.enqueue_trial(t.params)
    return study


def current_values(plan: Plan) -> dict[str, Any]:
    """The fitted parameters' values in the calibrate targets' scenario."""
    t = calibration_targets(plan.targets_path, plan.phase)[0]
    flat = load_scenario(t.scenario, {**t.overrides, **plan.fixed}).flat()
    return {k: min(max(flat[k], plan.ranges[k][0]), plan.ranges[k][1]) for k in plan.params}


def distributions(plan: Plan) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    return {
        k: IntDistribution(int(math.ceil(lo)), int(math.floor(hi)))
        if plan.kinds[k] == "int"
        else FloatDistribution(lo, hi)
        for k, (lo, hi) in plan.ranges.items()
    }


def n_complete(study) -> int:
    from optuna.trial import TrialState

    return sum(1 for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE)


def run_calibration(
    plan: Plan,
    budget: int,
    out: str | Path,
    workers: int = 1,
    sampler_seed: int = MASTER_SEED,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run the study to `budget` complete trials (resuming one in `out`); write the outputs."""
    from optuna.trial import TrialState
    from tqdm import tqdm

    out = Path(out)
    study = open_study(plan, out, sampler_seed)
    dists = distributions(plan)
    done = n_complete(study)
    remaining = max(budget - done, 0)
    bar = tqdm(
        total=budget,
        initial=min(done, budget),
        unit="trial",
        disable=quiet,
        desc="calibrate",
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.1 if sys.stderr.isatty() else 5.0,
    )
    attempts = 0

    def record(trial, result: dict[str, Any] | BaseException) -> None:
        nonlocal remaining
        if isinstance(result, BaseException):
            trial.set_user_attr("error", f"{type(result).__name__}: {result}")
            study.tell(trial, state=TrialState.FAIL)
            return
        for k in ("band_loss", "point_distance", "means", "duration_s"):
            trial.set_user_attr(k, result[k])
        study.tell(trial, result["loss"])
        remaining -= 1
        bar.update(1)
        bar.set_postfix(best=f"{study.best_value:.3g}", refresh=False)

    try:
        if workers <= 1:
            while remaining > 0 and attempts < 2 * budget:
                trial = study.ask(dists)
                attempts += 1
                try:
                    result: dict[str, Any] | BaseException = evaluate(plan, trial.params)
                except Exception as e:  # recorded as a failed trial; the study goes on
                    result = e
                record(trial, result)
        else:
            with ProcessPoolExecutor(workers) as pool:
                running: dict[Any, Any] = {}
                while remaining > 0 or running:
                    while (
                        len(running) < workers
                        and len(running) < remaining
                        and attempts < 2 * budget
                    ):
                        trial = study.ask(dists)
                        attempts += 1
                        running[pool.submit(evaluate, plan, trial.params)] = trial
                    if not running:
                        break
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        trial = running.pop(fut)
                        exc = fut.exception()
                        record(trial, exc if exc is not None else fut.result())
    finally:
        bar.close()
    return write_outputs(study, plan, out)


# --- outputs ---------------------------------------------------------------------------------


def trials_table(study, plan: Plan) -> pd.DataFrame:
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        row.update({k: t.params.get(k, math.nan) for k in plan.params})
        row["loss"] = t.value if t.value is not None else math.nan
        row["band_loss"] = t.user_attrs.get("band_loss", math.nan)
        row["point_distance"] = t.user_attrs.get("point_distance", math.nan)
        for name, v in t.user_attrs.get("means", {}).items():
            row[f"sim:{name}"] = v
        row["duration_s"] = t.user_attrs.get("duration_s", math.nan)
        row["error"] = t.user_attrs.get("error", "")
        rows.append(row)
    return pd.DataFrame(rows)


def write_outputs(study, plan: Plan, out: Path) -> dict[str, Any]:
    from experiments.calibration.report import write_report

    table = trials_table(study, plan)
    tmp = out / "trials.parquet.tmp"
    table.to_parquet(tmp, index=False)
    os.replace(tmp, out / "trials.parquet")
    complete = table[table["state"] == "COMPLETE"]
    if complete.empty:
        raise CalibrationError(
            f"{out}: no trial completed (see the error column of trials.parquet)"
        )
    best = study.best_trial
    finished = [t for t in study.get_trials(deepcopy=False) if t.datetime_complete]
    wall = (
        max(t.datetime_complete for t in finished) - min(t.datetime_start for t in finished)
    ).total_seconds()
    before = complete.iloc[0] if complete.iloc[0]["trial"] == 0 else None
    targets = calibration_targets(plan.targets_path, plan.phase)
    text = calibrated_toml(plan, best, targets, out)
    atomic_write_text(out / "calibrated.toml", text)
    summary = {
        "best_trial": best.number,
        "loss": best.value,
        "band_loss": best.user_attrs["band_loss"],
        "fitted": {k: best.params[k] for k in plan.params},
        "before": {k: before[k] for k in plan.params} if before is not None else None,
        "means": best.user_attrs["means"],
        "trials": int(len(complete)),
        "mean_trial_s": float(complete["duration_s"].mean()),
        "wall_s": wall,  # first trial's start to last trial's end, over resumes
        "plan": plan.signature(),
        **provenance(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    atomic_write_text(out / "calibration.json", json.dumps(summary, indent=2, default=str))
    summary["report"] = write_report(out, table, targets, plan, best.number)
    return summary


def calibrated_toml(plan: Plan, best, targets: list[Target], out: Path) -> str:
    """A scenario file: base = the targets' scenario, the fitted values with comments."""
    scenario = targets[0].scenario
    base = os.path.relpath(scenario, out.resolve())
    names = ", ".join(f"{t.name} ({t.source.split(':', 1)[0]})" for t in targets)
    lines = [
        f"# Calibrated by `grassroots calibrate` against {names}",
        f"# ({plan.targets_path.name}; trial {best.number} of the study in study.db, "
        f"{len(plan.seeds)} seeds each).",
        f"# Loss {best.value:.4g} (band distance {best.user_attrs['band_loss']:.4g}).",
        f'name = "{scenario.stem}_calibrated"',
        f'base = "{base}"',
        "",
    ]
    by_section: dict[str, list[str]] = {}
    for k in plan.params:
        section, name = k.split(".", 1)
        lo, hi = plan.ranges[k]
        v = best.params[k]
        value = str(int(v)) if plan.kinds[k] == "int" else f"{v:.6g}"
        if plan.kinds[k] == "float" and "." not in value and "e" not in value:
            value += ".0"
        by_section.setdefault(section, []).append(
            f"{name} = {value}  # plausible {lo:g}-{hi:g}; calibrated, loss {best.value:.3g}"
        )
    for section, rows in by_section.items():
        lines += [f"[{section}]", *rows, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = [
    "CalibrationError",
    "Plan",
    "make_plan",
    "run_calibration",
    "evaluate",
    "plausible_range",
]
