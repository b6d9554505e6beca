"""``grassroots sweep``: a designed sweep with replications, streamed to a results folder.

Each run is ``simulate(load_scenario(base, fixed + point), seed)``. Replication r of every
design point gets the same seed (common random numbers), so policies are compared on
identical emergencies. Runs are identified by ``p<point>-r<replication>``; a resumed sweep
runs only the run_ids not yet stored and ends with the same table as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import shlex
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario import apply_overrides, load_scenario

from experiments.sweeps.backends import Task, make_backend
from experiments.sweeps.designs import (Sweep, design_points, morris_effects,
                                        replication_seeds, sobol_indices, unit_sample)
from experiments.runs.output import git_dirty, git_revision, package_version
from experiments.sweeps.store import SweepStore

class SweepError(Exception):
    """The results folder cannot take this sweep (exists, or holds another sweep)."""


@dataclass
class Plan:
    """Every run of a sweep: design points x replications."""

    sweep: Sweep
    points: list[dict[str, Any]]
    seeds: list[int]

    @property
    def n_runs(self) -> int:
        return len(self.points) * len(self.seeds)

    def run_id(self, point: int, replication: int) -> str:
        wp = max(4, len(str(len(self.points) - 1)))
        wr = max(3, len(str(len(self.seeds) - 1)))
        return f"p{point:0{wp}d}-r{replication:0{wr}d}"

    def tasks(self, skip: set[str] = frozenset(), timeseries: bool = True) -> Iterator[Task]:
        base = str(self.sweep.base) if self.sweep.base else None
        for i, point in enumerate(self.points):
            for r, seed in enumerate(self.seeds):
                run_id = self.run_id(i, r)
                if run_id in skip:
                    continue
                yield {"run_id": run_id, "point": i, "replication": r, "seed": seed,
                       "factors": point, "fixed": self.sweep.fixed, "base": base,
                       "timeseries": timeseries}


def make_plan(sweep: Sweep) -> Plan:
    """The design points and replication seeds; checks every point's config up front."""
    points = design_points(sweep)
    base = load_scenario(sweep.base)
    for point in points:  # a bad combination is refused before anything runs
        apply_overrides(base, {**sweep.fixed, **point})
    return Plan(sweep, points, replication_seeds(sweep.master_seed, sweep.replications))


def run_task(task: Task) -> dict[str, Any]:
    """Run one task (in a worker); never raises: a failing run comes back as ``failed``."""
    from sim import OUTCOMES, simulate

    start = time.perf_counter()
    row: dict[str, Any] = {"run_id": task["run_id"], "point": task["point"],
                           "replication": task["replication"], "seed": task["seed"],
                           **task["factors"]}
    outcomes: dict[str, Any] = dict.fromkeys(OUTCOMES, np.nan)
    timeseries = needs = None
    try:
        config = load_scenario(task["base"], overrides={**task["fixed"], **task["factors"]})
        result = simulate(config, seed=task["seed"])
        outcomes.update(result.summary())
        if task["timeseries"]:
            timeseries, needs = result.timeseries, result.needs
        status, error = "ok", ""
    except Exception as e:  # noqa: BLE001 - recorded with the run
        status = "failed"
        error = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=-3)}"
    row.update(outcomes)
    row.update(status=status, error=error, duration_s=time.perf_counter() - start)
    return {"row": row, "timeseries": timeseries, "needs": needs}


def failed_row(task: Task, error: BaseException) -> dict[str, Any]:
    from sim import OUTCOMES

    return {"run_id": task["run_id"], "point": task["point"],
            "replication": task["replication"], "seed": task["seed"], **task["factors"],
            **dict.fromkeys(OUTCOMES, np.nan), "status": "failed",
            "error": f"{type(error).__name__}: {error}", "duration_s": np.nan}


def manifest(plan: Plan) -> dict[str, Any]:
    sweep = plan.sweep
    return {
        "sweep": sweep.name, "sweep_file": sweep.source, "sweep_text": sweep.text,
        "sweep_sha256": hashlib.sha256(sweep.text.encode()).hexdigest(),
        "question": sweep.question, "decision": sweep.decision,
        "base": str(sweep.base) if sweep.base else None, "design": sweep.design,
        "fixed": sweep.fixed,
        "factors": {k: v if isinstance(v, list) else {"low": v.low, "high": v.high}
                    for k, v in sweep.factors.items()},
        "master_seed": sweep.master_seed, "replications": sweep.replications,
        "seeds": plan.seeds, "points": plan.points, "n_runs": plan.n_runs,
        "version": package_version(), "git_revision": git_revision(),
        "git_dirty": git_dirty(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def rerun_command(plan: Plan, row: dict[str, Any]) -> str:
    """The ``grassroots run`` command that repeats one run of the sweep."""
    sets = {**plan.sweep.fixed, **plan.points[int(row["point"])]}
    words = ["grassroots", "run"] + ([str(plan.sweep.base)] if plan.sweep.base else [])
    words += ["--seed", str(row["seed"])]
    for key, value in sets.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        words += ["--set", f"{key}={text}"]
    return shlex.join(words)


def run_sweep(plan: Plan, out: str | Path, backend=None, resume: bool = False,
              timeseries: bool = True, quiet: bool = False) -> pd.DataFrame:
    """Run what is missing of ``plan`` into ``out`` and return the consolidated runs table."""
    from tqdm import tqdm

    store = SweepStore(out)
    info = manifest(plan)
    old = store.read_manifest()
    if store.root.exists() and (old is not None or any(store.root.glob("parts/*.parquet"))):
        if not resume:
            raise SweepError(f"{out} already holds a sweep: add --resume to finish it, or "
                             "choose another --out")
        if old is not None and (old.get("sweep_sha256"), old.get("replications")) != \
                (info["sweep_sha256"], info["replications"]):
            raise SweepError(f"{out} holds a different sweep ({old.get('sweep_file')}, "
                             f"{old.get('replications')} replications): cannot resume it")
    store.open()
    if old is None:
        store.write_manifest(info)
    done = store.done() if resume else set()
    backend = backend or make_backend()
    n_failed = 0
    first_failed: dict[str, Any] | None = None
    bar = tqdm(total=plan.n_runs, initial=len(done), unit="run", disable=quiet,
               desc=f"sweep {plan.sweep.name}", file=sys.stderr, dynamic_ncols=True,
               mininterval=0.1 if sys.stderr.isatty() else 5.0)
    try:
        for task, result in backend.run(run_task, plan.tasks(done, timeseries)):
            if isinstance(result, BaseException):
                row, ts, needs = failed_row(task, result), None, None
            else:
                row, ts, needs = result["row"], result["timeseries"], result["needs"]
            store.write_run(row, ts, needs)
            if row["status"] != "ok":
                n_failed += 1
                first_failed = first_failed or row
            bar.update(1)
            bar.set_postfix(failed=n_failed, refresh=False)
    finally:
        bar.close()
        backend.close()
    table = store.consolidate()
    failed = table[table["status"] != "ok"] if not table.empty else table
    if not quiet:
        print(f"{len(table)} runs in {store.runs_path} ({len(failed)} failed)", file=sys.stderr)
        if len(failed):
            row = failed.iloc[0].to_dict()
            print(f"first failure ({row['run_id']}): {str(row['error']).splitlines()[0]}\n"
                  f"rerun it with: {rerun_command(plan, row)}", file=sys.stderr)
    if plan.sweep.design == "sobol" and not table.empty:
        indices = sobol_table(plan, table)
        indices.to_csv(store.root / "sobol.csv", index=False)
        if not quiet:
            print(indices.to_string(index=False), file=sys.stderr)
    if plan.sweep.design == "morris" and not table.empty:
        effects = morris_table(plan, table)
        effects.to_csv(store.root / "morris.csv", index=False)
        if not quiet:
            print(effects.to_string(index=False), file=sys.stderr)
    return table


def sobol_table(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Sobol indices (S1, ST) of each outcome, from the replication means of each point,
    for each combination of policy (list) factors."""
    sweep = plan.sweep
    names = list(sweep.ranges)
    d = len(names)
    outcomes = sweep.outcomes or ["total_harm", "mean_response_min"]
    means = table.groupby("point")[outcomes].mean().reindex(range(len(plan.points)))
    per_combo = sweep.samples * (d + 2)  # points per policy combination (see design_points)
    rows = []
    for start in range(0, len(plan.points), per_combo):
        combo = {k: plan.points[start][k] for k in sweep.policies}
        block = means.iloc[start:start + per_combo]
        for outcome in outcomes:
            idx = sobol_indices(block[outcome].to_numpy(), d)
            for i, name in enumerate(names):
                rows.append({**combo, "outcome": outcome, "factor": name,
                             "S1": idx["S1"][i], "ST": idx["ST"][i]})
    return pd.DataFrame(rows)


def morris_table(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Morris mu* and sigma of each outcome, from the replication means of each point, for
    each combination of policy (list) factors."""
    sweep = plan.sweep
    names = list(sweep.ranges)
    d = len(names)
    unit = unit_sample(sweep)
    outcomes = sweep.outcomes or ["total_harm", "mean_response_min"]
    means = table.groupby("point")[outcomes].mean().reindex(range(len(plan.points)))
    rows = []
    for start in range(0, len(plan.points), len(unit)):
        combo = {k: plan.points[start][k] for k in sweep.policies}
        block = means.iloc[start:start + len(unit)]
        for outcome in outcomes:
            eff = morris_effects(unit, block[outcome].to_numpy(), d)
            for i, name in enumerate(names):
                rows.append({**combo, "outcome": outcome, "factor": name,
                             "mu_star": eff["mu_star"][i], "sigma": eff["sigma"][i]})
    return pd.DataFrame(rows)
