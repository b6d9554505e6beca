"""One run of a sweep, as a worker does it: ``run_task(task)`` returns the run's row of
outcomes and, if asked, its time series and need log as Arrow tables.

Kept apart from :mod:`experiments.sweeps.runner` so that a worker process imports only what a
run needs (the model, pandas, pyarrow), not the driver's designs, analyses and their
libraries (scipy): a spawned worker starts about 1 s sooner (``python -X importtime``).
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from experiments.sweeps.backends import Task, time_limit
from experiments.sweeps.store import as_arrow
from sim import plugins
from sim.scenario import apply_overrides, load_scenario

_BASES: dict[tuple, Any] = {}


def base_scenario(path: str | Path | None) -> Any:
    """The sweep's base scenario, read once per worker process (a study runs thousands of
    tasks on the same file; a changed file is read again)."""
    try:
        stat = Path(path).stat() if path is not None else None
    except OSError:
        stat = None
    if stat is None:  # the default scenario, or a file gone: load_scenario says what
        return load_scenario(path)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _BASES:
        if len(_BASES) >= 8:  # a sweep over a few worlds' scenarios keeps each
            _BASES.clear()
        _BASES[key] = load_scenario(path)
    return _BASES[key]


def run_task(task: Task) -> dict[str, Any]:
    """Run one task (in a worker); never raises: a failing run comes back as ``failed``."""
    from sim import OUTCOMES, simulate

    plugins.load_all(task.get("plugins", ()))
    start = time.perf_counter()
    row = task_columns(task)
    outcomes: dict[str, Any] = dict.fromkeys(OUTCOMES, np.nan)
    timeseries = needs = None
    try:
        with time_limit(task.get("timeout_s")):
            config = apply_overrides(
                base_scenario(task["base"]), {**task["fixed"], **task["factors"]}
            )
            result = simulate(config, seed=task["seed"])
        outcomes.update(result.summary())
        if task["timeseries"]:  # as Arrow: the driver only writes them (store.as_arrow)
            timeseries, needs = as_arrow(result.timeseries), as_arrow(result.needs)
        status, error = "ok", ""
    except Exception as e:  # noqa: BLE001 - recorded with the run
        status = "failed"
        error = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=-3)}"
    row.update(outcomes)
    row.update(status=status, error=error, duration_s=time.perf_counter() - start)
    return {"row": row, "timeseries": timeseries, "needs": needs}


def task_columns(task: Task) -> dict[str, Any]:
    """The columns of a run's row that say which run it is: its id, design point,
    replication, seed, world and factor values."""
    return {
        "run_id": task["run_id"],
        "point": task["point"],
        "replication": task["replication"],
        "seed": task["seed"],
        **task.get("where", {}),
        **task["factors"],
    }


def failed_row(task: Task, error: BaseException) -> dict[str, Any]:
    from sim import OUTCOMES

    return {
        **task_columns(task),
        **dict.fromkeys(OUTCOMES, np.nan),
        "status": "failed",
        "error": f"{type(error).__name__}: {error}",
        "duration_s": np.nan,
    }
