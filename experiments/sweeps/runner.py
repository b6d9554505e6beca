"""``grassroots sweep``: a designed sweep with replications, streamed to a results folder.

Each run is ``simulate(load_scenario(base, fixed + point), seed)``. Replication r of every
design point gets the same seed (common random numbers), so policies are compared on
identical emergencies. Runs are identified by ``p<point>-r<replication>``; a resumed sweep
runs only the run_ids not yet stored and ends with the same table as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.provenance import provenance
from experiments.runs.output import _atomic, atomic_write_text, to_jsonable
from experiments.sweeps.backends import Task, make_backend
from experiments.sweeps.designs import (
    DEFAULT_OUTCOMES,
    Sweep,
    design_points,
    replication_seeds,
    sweep_worlds,
    unit_sample,
)
from experiments.sweeps.robustness import FLIP_SHARE
from experiments.sweeps.robustness import analyze as analyze_robustness
from experiments.sweeps.sensitivity import (
    converged,
    convergence_warnings,
    morris_effects,
    salib_seed,
    sobol_indices,
)
from experiments.sweeps.store import SweepStore
from experiments.sweeps.task import failed_row, run_task
from experiments.sweeps.worlds import World
from sim import plugins
from sim.footprint import check_memory
from sim.run import warm_engine
from sim.scenario import apply_overrides, load_scenario


class SweepError(Exception):
    """The results folder cannot take this sweep (exists, or holds another sweep)."""


@dataclass
class Plan:
    """Every run of a sweep: design points x replications."""

    sweep: Sweep
    points: list[dict[str, Any]]
    seeds: list[int]
    resolved_base: dict[str, Any] = field(default_factory=dict)  # base + fixed, flat
    point_hashes: list[str] = field(default_factory=list)  # of each point's resolved config
    worlds: list[World] = field(default_factory=list)  # a sweep's declared [worlds]
    point_worlds: list[int] = field(default_factory=list)  # each point's world

    def world_of(self, point: int) -> World | None:
        return self.worlds[self.point_worlds[point]] if self.worlds else None

    @property
    def n_runs(self) -> int:
        return len(self.points) * len(self.seeds)

    def run_id(self, point: int, replication: int) -> str:
        wp = max(4, len(str(len(self.points) - 1)))
        wr = max(3, len(str(len(self.seeds) - 1)))
        return f"p{point:0{wp}d}-r{replication:0{wr}d}"

    def tasks(
        self,
        skip: set[str] = frozenset(),
        timeseries: bool = True,
        run_timeout: float | None = None,
    ) -> Iterator[Task]:
        base = str(self.sweep.base) if self.sweep.base else None
        for i, point in enumerate(self.points):
            world = self.world_of(i)
            where = {} if world is None else {"world": world.index, "scenario": world.scenario}
            for r, seed in enumerate(self.seeds):
                run_id = self.run_id(i, r)
                if run_id in skip:
                    continue
                # Time series and need logs of the base world only: the report draws its
                # charts and maps from it, and the other worlds' would double the writing.
                yield {
                    "run_id": run_id,
                    "point": i,
                    "replication": r,
                    "seed": seed,
                    "factors": point,
                    "fixed": self.sweep.fixed,
                    "base": base if world is None else world.base,
                    "where": where,
                    "timeseries": timeseries and (world is None or world.index == 0),
                    "timeout_s": run_timeout,
                    # the driver's plugins: a worker's outcome columns are the driver's
                    "plugins": tuple(plugins.LOADED),
                }


def make_plan(sweep: Sweep, max_memory: int | str | None = None) -> Plan:
    """The design points and replication seeds; checks every point's config up front (values,
    and its estimated memory against ``max_memory``: see :func:`sim.footprint.check_memory`)
    and hashes it (what ``--resume`` compares)."""
    points = design_points(sweep)
    base = apply_overrides(load_scenario(sweep.base), sweep.fixed)
    resolved = base.flat()
    worlds = sweep_worlds(sweep) if sweep.worlds is not None else []
    n_options = len(points) // max(len(worlds), 1)
    point_worlds = [i // n_options for i in range(len(points))] if worlds else []
    bases = {w.index: apply_overrides(load_scenario(w.base), sweep.fixed) for w in worlds}
    hashes = []
    for i, point in enumerate(points):  # a bad combination is refused before anything runs
        here = bases[point_worlds[i]] if worlds else base
        check_memory(apply_overrides(here, point), max_memory)
        hashes.append(config_hash({**here.flat(), **point}))
    return Plan(
        sweep,
        points,
        replication_seeds(sweep.master_seed, sweep.replications),
        resolved,
        hashes,
        worlds,
        point_worlds,
    )


def config_hash(flat: dict[str, Any]) -> str:
    """A short hash of a resolved flat config (key order and 20 vs 20.0 do not matter)."""
    text = json.dumps(
        {
            k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in sorted(flat.items())
        },
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def resume_conflict(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Why a folder's manifest ``old`` cannot be resumed with ``new``, or None if it can."""
    if (old.get("sweep_sha256"), old.get("replications")) != (
        new["sweep_sha256"],
        new["replications"],
    ):
        return (
            f"it holds a different sweep ({old.get('sweep_file')}, "
            f"{old.get('replications')} replications)"
        )
    if old.get("seeds") != new["seeds"]:
        return "its replication seeds differ"
    if "point_hashes" not in old or old["point_hashes"] == new["point_hashes"]:
        return None
    before, after = old.get("resolved_base") or {}, new["resolved_base"]
    changed = [
        f"{k} {before.get(k)!r} -> {after.get(k)!r}"
        for k in sorted({*before, *after})
        if before.get(k) != after.get(k)
    ]
    where = f" (base scenario {new['base']})" if new.get("base") else ""
    what = (
        "; ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        if changed
        else "the design points"
    )
    return (
        f"the configuration of its runs has changed since it started{where}: {what}; "
        "resuming would mix runs of two configurations"
    )


def manifest(plan: Plan) -> dict[str, Any]:
    sweep = plan.sweep
    return {
        "sweep": sweep.name,
        "sweep_file": sweep.source,
        "sweep_text": sweep.text,
        "sweep_sha256": hashlib.sha256(sweep.text.encode()).hexdigest(),
        "question": sweep.question,
        "decision": sweep.decision,
        "base": str(sweep.base) if sweep.base else None,
        "design": sweep.design,
        "fixed": sweep.fixed,
        "factors": {
            k: v if isinstance(v, list) else {"low": v.low, "high": v.high}
            for k, v in sweep.factors.items()
        },
        "master_seed": sweep.master_seed,
        "replications": sweep.replications,
        "seeds": plan.seeds,
        "points": plan.points,
        "n_runs": plan.n_runs,
        "resolved_base": plan.resolved_base,
        "point_hashes": plan.point_hashes,
        **world_manifest(plan),
        **provenance(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def world_manifest(plan: Plan) -> dict[str, Any]:
    """What the manifest says of a sweep's declared worlds (nothing without [worlds]): each
    world's scenario, its uncertain values and its resolved configuration (what the report
    prices an option with), and the uncertainties' ranges."""
    if not plan.worlds:
        return {}
    settings = {}
    for w in plan.worlds:
        config = apply_overrides(apply_overrides(load_scenario(w.base), plan.sweep.fixed), w.values)
        settings[w.index] = config.flat()
    ranges = plan.sweep.worlds.uncertainties
    return {
        "worlds": [
            {
                "world": w.index,
                "scenario": w.scenario,
                "base": w.base,
                "sampled": w.sampled,
                "values": w.values,
                "setting": settings[w.index],
            }
            for w in plan.worlds
        ],
        "uncertainties": {k: {"low": b.low, "high": b.high} for k, b in ranges.items()},
    }


def rerun_command(plan: Plan, row: dict[str, Any]) -> str:
    """The ``grassroots run`` command that repeats one run of the sweep."""
    sets = {**plan.sweep.fixed, **plan.points[int(row["point"])]}
    world = plan.world_of(int(row["point"]))
    base = plan.sweep.base if world is None else world.base
    words = ["grassroots", "run"] + ([str(base)] if base else [])
    words += ["--seed", str(row["seed"])]
    for key, value in sets.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        words += ["--set", f"{key}={text}"]
    return shlex.join(words)


def resume_command(sweep_file: str, out: str | Path, replications: int | None = None) -> str:
    """The ``grassroots sweep ... --resume`` command that finishes the sweep in ``out``."""
    words = ["grassroots", "sweep", str(sweep_file)]
    if replications is not None:
        words += ["--replications", str(replications)]
    return shlex.join([*words, "--out", str(out), "--resume"])


def check_out(
    plan: Plan,
    out: str | Path,
    resume: bool = False,
    force: bool = False,
    info: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Whether the sweep may write into the folder ``out``, as ``run --out`` decides: one
    that is missing or empty; with ``resume``, one that holds this sweep; with ``force``,
    any folder (:meth:`SweepStore.clear` then removes an earlier sweep's files). Raises
    :class:`SweepError` saying why not and what to do; returns the manifest of the sweep to
    resume (None for a new sweep)."""
    store = SweepStore(out)
    if store.root.exists() and not store.root.is_dir():
        raise SweepError(f"--out {out}: exists and is not a folder")
    if force:
        return None
    if store.holds_sweep():
        if not resume:
            raise SweepError(
                f"--out {out}: the folder already holds a sweep: add --resume to "
                "finish it, or --force to replace it, or choose another --out"
            )
        old = store.read_manifest()
        info = info or manifest(plan)
        conflict = resume_conflict(old, to_jsonable(info)) if old is not None else None
        if conflict:
            raise SweepError(
                f"--out {out}: cannot resume: {conflict} (add --force to replace "
                "it, or choose another --out)"
            )
        return old
    if store.foreign_entries():
        raise SweepError(
            f"--out {out}: the folder exists and is not empty, and holds no sweep"
            f"{' to resume' if resume else ''} (no manifest.json or parts/): "
            "choose another --out, or add --force to write the sweep into it"
        )
    return None


def run_sweep(
    plan: Plan,
    out: str | Path,
    backend=None,
    resume: bool = False,
    timeseries: bool = True,
    quiet: bool = False,
    run_timeout: float | None = None,
    force: bool = False,
) -> pd.DataFrame:
    """Run what is missing of ``plan`` into ``out`` and return the consolidated runs table.

    ``out`` must be missing or empty, or hold this sweep with ``resume``; ``force`` replaces
    whatever sweep is there (see :func:`check_out`). A run longer than ``run_timeout``
    seconds is stopped and recorded as failed (see
    :func:`~experiments.sweeps.backends.time_limit`).
    """
    from tqdm import tqdm

    class Progress(tqdm):
        monitor_interval = 0  # no thread left behind: this process's next pool can fork

    store = SweepStore(out)
    info = manifest(plan)
    old = check_out(plan, out, resume, force, info)
    if force:
        store.clear()
    store.open()
    if old is None:
        store.write_manifest(info)
    done = store.done() if resume else set()
    warm_engine()  # compile or load the engine once: forked workers inherit it
    backend = backend or make_backend()
    backend.start()  # before the progress bar's and the store's threads: workers can fork
    n_failed = 0
    first_failed: dict[str, Any] | None = None
    bar = Progress(
        total=plan.n_runs,
        initial=len(done),
        unit="run",
        disable=quiet,
        desc=f"sweep {plan.sweep.name}",
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.1 if sys.stderr.isatty() else 5.0,
    )
    try:  # the runs are written in batches, and the last one however the loop ends
        with store.buffered():
            for task, result in backend.run(run_task, plan.tasks(done, timeseries, run_timeout)):
                if isinstance(result, BaseException):
                    row, ts, needs = failed_row(task, result), None, None
                else:
                    row, ts, needs = result["row"], result["timeseries"], result["needs"]
                store.add_run(row, ts, needs)
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
            print(
                f"first failure ({row['run_id']}): {str(row['error']).splitlines()[0]}\n"
                f"rerun it with: {rerun_command(plan, row)}",
                file=sys.stderr,
            )
    if plan.sweep.design in ("sobol", "morris") and not table.empty:
        write_sensitivity(plan, table, store, quiet)
    if plan.sweep.design == "robustness" and not table.empty:
        write_robustness(plan, table, store, quiet)
    return table


def point_means(plan: Plan, table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Each design point's replication-mean outcomes (NaN where every run failed)."""
    ok = table[table["status"] == "ok"]
    return ok.groupby("point")[outcomes].mean().reindex(range(len(plan.points)))


def sensitivity_table(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """SALib's Sobol indices (S1, ST, optional S2, with 95% interval half-widths) or Morris
    effects (mu*, its half-width, mu, sigma) of each outcome, from the replication means of
    each point, for each combination of policy (list) factors."""
    sweep = plan.sweep
    names = list(sweep.ranges)
    outcomes = sweep.outcomes or DEFAULT_OUTCOMES
    means = point_means(plan, table, outcomes)
    unit = unit_sample(sweep)
    seed = salib_seed(sweep.master_seed)
    frames = []
    for start in range(0, len(plan.points), len(unit)):
        combo = {k: plan.points[start][k] for k in sweep.policies}
        block = means.iloc[start : start + len(unit)]
        for outcome in outcomes:
            y = block[outcome].to_numpy(float)
            if sweep.design == "sobol":
                idx = sobol_indices(y, names, seed, sweep.second_order)
            else:
                idx = morris_effects(unit, y, names, sweep.levels, seed)
            frames.append(idx.assign(**combo, outcome=outcome)[[*combo, "outcome", *idx.columns]])
    return pd.concat(frames, ignore_index=True)


def write_sensitivity(
    plan: Plan, table: pd.DataFrame, store: SweepStore, quiet: bool
) -> pd.DataFrame:
    """``sobol.csv`` (with a warning in ``sobol_warnings.txt`` and on stderr when intervals
    are too wide) or ``morris.csv``."""
    indices = sensitivity_table(plan, table)
    name = "sobol" if plan.sweep.design == "sobol" else "morris"
    if name == "sobol":
        indices["converged"] = converged(indices)
    _atomic(store.root / f"{name}.csv", lambda tmp: indices.to_csv(tmp, index=False))
    lines = convergence_warnings(indices) if name == "sobol" else []
    if name == "sobol":
        atomic_write_text(store.root / "sobol_warnings.txt", "".join(f"{t}\n" for t in lines))
    if not quiet:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(indices.round(3).to_string(index=False), file=sys.stderr)
    for line in lines:  # printed even with --quiet: the numbers are not to be trusted
        print(line, file=sys.stderr)
    return indices


def write_robustness(
    plan: Plan, table: pd.DataFrame, store: SweepStore, quiet: bool
) -> dict[str, Any]:
    """``robustness.json``: shares of worlds won, regret and scenario discovery."""
    from sim.params import describe

    sweep = plan.sweep
    units = {r["key"]: r["unit"] for r in describe()}
    outcomes = sweep.outcomes or DEFAULT_OUTCOMES
    result = analyze_robustness(
        table,
        list(sweep.policies),
        list(sweep.ranges),
        outcomes,
        seed=sweep.master_seed,
        units=units,
    )
    result = {
        "sweep": sweep.name,
        "worlds": sweep.samples,
        "replications": sweep.replications,
        "master_seed": sweep.master_seed,
        "ranges": {
            k: {"low": r.low, "high": r.high, "unit": units[k]} for k, r in sweep.ranges.items()
        },
        **result,
    }
    text = json.dumps(to_jsonable(result), indent=1, allow_nan=False)
    atomic_write_text(store.root / "robustness.json", text + "\n")
    if not quiet:
        labels = [p["label"] for p in result["policies"]]
        for outcome, best in result["minimax_regret"].items():
            print(f"{outcome}: least maximum regret: {labels[best]}", file=sys.stderr)
        flips = [p for p in result["pairs"] if p["flips"]]
        print(
            f"{len(flips)} of {len(result['pairs'])} pair comparisons flip in more than "
            f"{FLIP_SHARE:.0%} of worlds (robustness.json)",
            file=sys.stderr,
        )
    return result
