"""Result folders: one run's outcomes, time series, needs and chart, with how they were made.

Every file is written to a temporary name in the same folder and then renamed, so a reader
never sees a half-written file. ``summary.json`` is written last: its presence marks a
complete run.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from experiments.provenance import provenance

RESULTS_DIR = Path("results")


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    An OSError names ``path``: the writers of Parquet files and charts raise one without a
    file name (a full disk), and the temporary name means nothing to a reader."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        if e.filename is None or str(e.filename) == str(tmp):
            raise OSError(e.errno, e.strerror or str(e), str(path)) from e
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    return _atomic(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


class UnreadableResult(Exception):
    """A file of a results folder is missing, truncated or corrupt; the message names it."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        super().__init__(
            f"{path}: cannot read it ({reason}); the file is truncated or "
            "corrupt: remove it, or run again"
        )


def read_json_file(path: Path) -> Any:
    """A JSON file of a results folder; :class:`UnreadableResult` if it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UnreadableResult(path, f"{type(e).__name__}: {e}") from None


def read_parquet_file(path: Path, **kwargs: Any):
    """A Parquet file of a results folder; :class:`UnreadableResult` if it cannot be read."""
    import pandas as pd
    import pyarrow

    try:
        return pd.read_parquet(path, **kwargs)
    except (OSError, ValueError, pyarrow.ArrowException) as e:
        raise UnreadableResult(path, f"{type(e).__name__}: {e}") from None


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, nan and inf as null."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def outcomes_dict(result: Any) -> dict[str, Any]:
    """The one-row outcomes table as ``{name: value}``."""
    row = result.outcomes
    return to_jsonable({name: row[name].iloc[0] for name in row.columns})  # keeps each dtype


def summary(result: Any, scenario: str, seed: int) -> dict[str, Any]:
    """What summary.json holds: outcomes, and the resolved config, seed, how it was made
    (:func:`experiments.provenance.provenance`) and when."""
    data = {
        "scenario": scenario,
        "seed": seed,
        "outcomes": outcomes_dict(result),
        "outcome_units": dict(getattr(result, "outcome_units", {}) or {}),
        "parameters": result.config.to_dict(),
        "n_residents": getattr(result, "n_residents", None),
        "n_steps": getattr(result, "n_steps", None),
        **provenance(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    return to_jsonable(data)


def default_out_dir(
    scenario: str, seed: int, root: Path = RESULTS_DIR, now: datetime | None = None
) -> Path:
    """``results/run-<scenario>-seed<N>-<YYYYmmdd-HHMMSS>``, made unique if it exists."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", scenario).strip("-.") or "scenario"
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"run-{slug}-seed{seed}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def write_run(result: Any, out_dir: Path, scenario: str, seed: int) -> dict[str, Path]:
    """Write a run's folder and return ``{file kind: path}``."""
    from experiments.runs.charts import plot_run

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.tmp"):  # temporaries of a run that was killed
        stale.unlink(missing_ok=True)
    paths = {
        "timeseries": _atomic(
            out_dir / "timeseries.parquet", lambda tmp: result.timeseries.to_parquet(tmp)
        ),
        "needs": _atomic(out_dir / "needs.parquet", lambda tmp: result.needs.to_parquet(tmp)),
        "events": _atomic(out_dir / "events.parquet", lambda tmp: result.events.to_parquet(tmp)),
        "chart": _atomic(out_dir / "run.png", lambda tmp: plot_run(result, tmp)),
    }
    text = json.dumps(summary(result, scenario, seed), indent=2, allow_nan=False)
    paths["summary"] = atomic_write_text(out_dir / "summary.json", text + "\n")
    return paths
