"""A sweep's results folder, written as runs finish and safe to kill at any moment.

    DIR/manifest.json                       the sweep file, design, seeds, version, git revision
    DIR/parts/<run_id>.parquet              one row per finished run (its presence = done)
    DIR/timeseries/run_id=<run_id>/part.parquet   the run's time series (Hive-partitioned)
    DIR/needs/run_id=<run_id>/part.parquet        the run's need log (Hive-partitioned)
    DIR/runs.parquet                        all rows, sorted by run_id (consolidated at the end)

Every file is written under a temporary name in its own folder and renamed into place
(``os.replace`` is atomic), so SIGKILL leaves finished files whole and at most a stray
``.*.tmp`` file, which the next run removes. A run's time series is written before its row,
so a run with a row has its time series and need log.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from experiments.runs.output import (
    UnreadableResult,
    _atomic,
    atomic_write_text,
    read_json_file,
    read_parquet_file,
    to_jsonable,
)

GATHER_CHUNK = 200  # part files read together when gathering
# Everything a sweep (and a report of it) writes in its folder: what --force replaces.
SWEEP_ENTRIES = (
    "manifest.json",
    "runs.parquet",
    "parts",
    "timeseries",
    "needs",
    "sobol.csv",
    "sobol_warnings.txt",
    "morris.csv",
    "robustness.json",
    "report",
)


class SweepStore:
    """Reads and writes one sweep's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.timeseries = self.root / "timeseries"
        self.needs = self.root / "needs"
        self.manifest_path = self.root / "manifest.json"
        self.runs_path = self.root / "runs.parquet"

    def open(self) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        self.timeseries.mkdir(parents=True, exist_ok=True)
        self.needs.mkdir(parents=True, exist_ok=True)
        for tmp in list(self.root.rglob(".*.tmp")):  # left by a killed sweep
            tmp.unlink(missing_ok=True)

    def holds_sweep(self) -> bool:
        """Whether a sweep has started here: a manifest, or finished runs."""
        return self.manifest_path.exists() or any(self.parts.glob("*.parquet"))

    def foreign_entries(self) -> list[Path]:
        """What is in the folder besides a sweep's files and a killed sweep's temporaries."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.iterdir()
            if p.name not in SWEEP_ENTRIES
            and not (p.name.startswith(".") and p.name.endswith(".tmp"))
        )

    def clear(self) -> None:
        """Remove what an earlier sweep (and its report) wrote here; other files stay."""
        for name in SWEEP_ENTRIES:
            path = self.root / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        manifest = read_json_file(self.manifest_path)
        if not isinstance(manifest, dict):
            raise UnreadableResult(self.manifest_path, "not a JSON object")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(to_jsonable(manifest), indent=2, allow_nan=False)
        atomic_write_text(self.manifest_path, text + "\n")

    def done(self) -> set[str]:
        """run_ids with a stored row."""
        return {p.stem for p in self.parts.glob("*.parquet")}

    def write_run(
        self,
        row: dict[str, Any],
        timeseries: pd.DataFrame | None,
        needs: pd.DataFrame | None = None,
    ) -> None:
        run_id = row["run_id"]
        for root, frame in ((self.timeseries, timeseries), (self.needs, needs)):
            if frame is not None:
                folder = root / f"run_id={run_id}"
                folder.mkdir(exist_ok=True)
                _atomic(
                    folder / "part.parquet", lambda tmp, f=frame: f.to_parquet(tmp, index=False)
                )
        # One row written by pyarrow directly: a third of the cost of a one-row DataFrame's
        # to_parquet, which a 10,000-run study pays in its driver for every run.
        table = pa.Table.from_pylist([row])
        _atomic(self.parts / f"{run_id}.parquet", lambda tmp: pq.write_table(table, tmp))

    def part_files(self) -> list[Path]:
        return sorted(self.parts.glob("*.parquet"))

    def finished(self) -> bool:
        """Whether the runs have been gathered into ``runs.parquet``."""
        return self.runs_path.exists()

    def read_runs(self) -> pd.DataFrame | None:
        """The runs table: ``runs.parquet``, or for a sweep still running (or killed) its
        finished runs from ``parts/``, sorted by run_id; None when there are neither."""
        if self.finished():
            return read_parquet_file(self.runs_path)
        files = self.part_files()
        return self._gather(files) if files else None

    @staticmethod
    def _gather(files: list[Path]) -> pd.DataFrame:
        if not files:
            return pd.DataFrame()
        try:  # many parts at a time, on pyarrow's threads (thousands of one-row files);
            # each group's rows are combined at once, since a table of 10,000 one-row chunks
            # holds GBs of small buffers (this gathers 9,600 parts in 15 s, 70 MB)
            table = pa.concat_tables(
                [
                    pads.dataset([str(f) for f in files[k : k + GATHER_CHUNK]], format="parquet")
                    .to_table()
                    .combine_chunks()
                    for k in range(0, len(files), GATHER_CHUNK)
                ]
            ).to_pandas()
        except (OSError, ValueError, pa.ArrowException):
            # Parts that do not read together (a damaged file, schemas that differ): one by
            # one, so that an unreadable file is named.
            table = pd.concat([read_parquet_file(f) for f in files], ignore_index=True)
        if not table.empty:
            table = table.sort_values("run_id", kind="stable").reset_index(drop=True)
        return table

    def consolidate(self) -> pd.DataFrame:
        """Gather the parts into ``runs.parquet`` (sorted by run_id) and return the table."""
        table = self._gather(self.part_files())
        _atomic(self.runs_path, lambda tmp: table.to_parquet(tmp, index=False))
        return table


def read_runs(root: str | Path) -> pd.DataFrame:
    """A finished sweep's runs table (``runs.parquet``), sorted by run_id."""
    return read_parquet_file(SweepStore(root).runs_path)
