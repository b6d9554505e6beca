"""A sweep's results folder, written in batches as runs finish and safe to kill at any moment.

    DIR/manifest.json                      the sweep file, design, seeds, version, git revision
    DIR/parts/<first>--<last>.parquet      a batch of finished runs, a row each (a row = done)
    DIR/timeseries/<first>--<last>.parquet the batch's time series, with a run_id column
    DIR/needs/<first>--<last>.parquet      the batch's need logs, with a run_id column
    DIR/runs.parquet                       all rows, sorted by run_id (consolidated at the end)

``<first>--<last>`` are the first and last run_ids of the batch (in run_id order; the runs
between them need not all be in it). ``pd.read_parquet(DIR / "timeseries")`` reads every
run's time series, with its run_id; :meth:`SweepStore.run_frames` reads some runs'.

The driver keeps finished runs in memory and writes them together: when :data:`BATCH_RUNS`
have finished, when the oldest has waited :data:`FLUSH_SECONDS`, and at the end of the sweep,
also one stopped by an exception or Ctrl-C (writing a file per run cost the driver 8-20 ms
of CPU per run, taken from the workers on a small machine). A batch's time series and need
logs are written before its rows, so a run with a row has its time series and need log.

Every file is written under a temporary name in its own folder and renamed into place
(``os.replace`` is atomic), so SIGKILL leaves finished files whole and at most a stray
``.*.tmp`` file, and loses only the runs not yet written (the last few seconds'), which a
resumed sweep runs again; :meth:`SweepStore.open` removes the temporary files and the time
series and need logs of a batch whose rows were never written.

Folders written before batches (a part file per run, ``parts/<run_id>.parquet``, and a Hive
partition per run, ``timeseries/run_id=<run_id>/part.parquet``) read and resume as before:
a part file is any Parquet table of rows, and a resumed sweep goes on writing its time
series and need logs a partition per run (so that the folder still reads as one dataset).
"""

from __future__ import annotations

import bisect
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
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

BATCH_RUNS = 100  # finished runs written together: a part file (and a time-series file) each
# How long a finished run may wait in the driver before it is written: what a killed sweep
# loses at most (those runs are run again on resume). Two seconds of runs make batches of
# dozens on a laptop's workers, and of one when a run takes longer.
FLUSH_SECONDS = 2.0
GATHER_CHUNK = 200  # part files read together when gathering
BATCH_SEPARATOR = "--"  # <first run_id>--<last run_id>.parquet
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


@dataclass
class _Run:
    """A finished run waiting to be written: its row, time series and need log (Arrow)."""

    row: dict[str, Any]
    timeseries: pa.Table | None
    needs: pa.Table | None

    @property
    def run_id(self) -> str:
        return str(self.row["run_id"])


def as_arrow(frame: pd.DataFrame | pa.Table | None) -> pa.Table | None:
    """A run's time series or need log as an Arrow table, column by column (the table
    ``pa.Table.from_pandas`` makes, without the pandas metadata that took it half again as
    long and that a frame of plain columns does not need to read back the same). A sweep's
    workers convert their runs' frames (``runner.run_task``), so that the driver, which
    shares the machine with them, only writes them."""
    if frame is None or isinstance(frame, pa.Table):
        return frame
    return pa.table({str(k): pa.array(column, from_pandas=True) for k, column in frame.items()})


def _write_frames(table: pa.Table, path: Path) -> None:
    """Write time series or need logs, dictionary-encoding only their text and categorical
    columns (run_id, phase, hazard, ...): tried on every column of numbers too, it took
    half the time of writing them, for files a tenth smaller."""
    text = [
        f.name
        for f in table.schema
        if pa.types.is_dictionary(f.type)
        or pa.types.is_string(f.type)
        or pa.types.is_large_string(f.type)
    ]
    _atomic(path, lambda tmp: pq.write_table(table, tmp, use_dictionary=text or False))


class SweepStore:
    """Reads and writes one sweep's results folder.

    A sweep's runs go in with :meth:`add_run`, inside :meth:`buffered`, which writes them in
    batches (``batch_runs`` runs, or those of ``flush_seconds``: by default
    :data:`BATCH_RUNS` and :data:`FLUSH_SECONDS`); ``clock`` is what measures the wait."""

    def __init__(
        self,
        root: str | Path,
        batch_runs: int | None = None,
        flush_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.timeseries = self.root / "timeseries"
        self.needs = self.root / "needs"
        self.manifest_path = self.root / "manifest.json"
        self.runs_path = self.root / "runs.parquet"
        self.batch_runs = batch_runs or BATCH_RUNS  # the module's values when the store is made
        self.flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
        self.clock = clock
        self.per_run_partitions = False  # a folder from before batches: see open()
        self._buffer: list[_Run] = []
        self._oldest = 0.0  # when the oldest run in the buffer was added
        self._lock = threading.Lock()  # the buffer
        self._writing = threading.Lock()  # one batch written at a time
        self._wake: threading.Event | None = None  # the writer thread's, in buffered()
        self._error: BaseException | None = None  # a background write's, for add_run to raise

    def open(self) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        self.timeseries.mkdir(parents=True, exist_ok=True)
        self.needs.mkdir(parents=True, exist_ok=True)
        for tmp in list(self.root.rglob(".*.tmp")):  # left by a killed sweep
            tmp.unlink(missing_ok=True)
        written = {p.name for p in self.part_files()}
        for folder in (self.timeseries, self.needs):
            for path in self._batch_files(folder):
                if path.name not in written:  # a batch killed before its rows were written
                    path.unlink(missing_ok=True)
        # A folder begun before batches has a partition per run: it goes on so, since a
        # dataset of partitions and batch files does not read as one (run_id twice).
        self.per_run_partitions = any(
            any(folder.glob("run_id=*")) for folder in (self.timeseries, self.needs)
        )

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
        table = self._gather(self.part_files(), columns=["run_id"])
        return set(table["run_id"].astype(str)) if "run_id" in table else set()

    def add_run(
        self,
        row: dict[str, Any],
        timeseries: pd.DataFrame | pa.Table | None,
        needs: pd.DataFrame | pa.Table | None = None,
    ) -> None:
        """Keep a finished run to be written with its batch; write the batch when it is full
        or its oldest run has waited ``flush_seconds``. Raises what a background write of
        :meth:`buffered` raised."""
        self._raise_background_error()
        run = _Run(row, as_arrow(timeseries), as_arrow(needs))
        with self._lock:
            if not self._buffer:
                self._oldest = self.clock()
            self._buffer.append(run)
            due = self._due()
        if due and self._wake is not None:  # the writer thread writes it, while the sweep
            self._wake.set()  # goes on handing out runs
        elif due:
            self.flush()

    def flush(self) -> None:
        """Write the runs kept so far (a batch)."""
        with self._writing:
            with self._lock:
                runs, self._buffer = sorted(self._buffer, key=lambda r: r.run_id), []
            if not runs:
                return
            try:
                self._write_batch(runs)
            except BaseException:  # kept, for the end of the sweep to try again
                with self._lock:
                    self._buffer = runs + self._buffer
                raise

    @contextmanager
    def buffered(self) -> Iterator[SweepStore]:
        """Add a sweep's runs in the block: a background thread writes each batch when it
        is full or its oldest run has waited ``flush_seconds`` (also when no other run comes),
        so that adding a run never waits for a write; the block's end writes the rest, also
        when the block is left by an exception or Ctrl-C."""
        stop, wake = threading.Event(), threading.Event()
        thread = threading.Thread(
            target=self._flush_when_due, args=(stop, wake), name="sweep-store-flush", daemon=True
        )
        thread.start()
        self._wake = wake
        try:
            yield self
        finally:
            self._wake = None
            stop.set()
            wake.set()
            thread.join()
            self.flush()
            self._raise_background_error()

    def _flush_when_due(self, stop: threading.Event, wake: threading.Event) -> None:
        tick = min(max(self.flush_seconds / 4, 0.01), 0.5)
        while True:
            wake.wait(tick)
            wake.clear()
            if stop.is_set():
                return
            with self._lock:
                due = bool(self._buffer) and self._due()
            if due:
                try:
                    self.flush()
                except BaseException as e:  # noqa: BLE001 - raised in the sweep's thread
                    self._error = e
                    return

    def _raise_background_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _due(self) -> bool:
        return (
            len(self._buffer) >= self.batch_runs
            or self.clock() - self._oldest >= self.flush_seconds
        )

    def _write_batch(self, runs: list[_Run]) -> None:
        """The batch's time series and need logs, then (marking its runs done) its rows."""
        name = f"{runs[0].run_id}{BATCH_SEPARATOR}{runs[-1].run_id}.parquet"
        frames: list[Path] = []  # this batch's files of time series and need logs
        for folder, kind in ((self.timeseries, "timeseries"), (self.needs, "needs")):
            tables = [(r.run_id, t) for r in runs if (t := getattr(r, kind)) is not None]
            if not tables:
                continue
            if self.per_run_partitions:
                for run_id, table in tables:
                    path = folder / f"run_id={run_id}" / "part.parquet"
                    path.parent.mkdir(exist_ok=True)
                    _write_frames(table, path)
                continue
            ids = pa.array(np.repeat([i for i, _ in tables], [t.num_rows for _, t in tables]))
            table = pa.concat_tables([t for _, t in tables], promote_options="permissive")
            _write_frames(table.append_column("run_id", ids), folder / name)
            frames.append(folder / name)
        # A table of rows by column: every row's keys (pyarrow's from_pylist takes the first's).
        keys = dict.fromkeys(k for r in runs for k in r.row)
        rows = pa.Table.from_pydict({k: [r.row.get(k) for r in runs] for k in keys})
        try:
            _atomic(self.parts / name, lambda tmp: pq.write_table(rows, tmp))
        except BaseException:
            # The runs stay to be written again, maybe in a batch of another name: without
            # its rows this batch's time series would be read beside theirs.
            for path in frames:
                path.unlink(missing_ok=True)
            raise

    def part_files(self) -> list[Path]:
        return sorted(self.parts.glob("*.parquet"))

    @staticmethod
    def _batch_files(folder: Path) -> list[Path]:
        return sorted(folder.glob(f"*{BATCH_SEPARATOR}*.parquet"))

    def run_frames(
        self, kind: str, run_ids: Iterable[str], columns: list[str] | None = None
    ) -> dict[str, pd.DataFrame]:
        """The stored time series (``kind`` "timeseries") or need logs ("needs") of these
        runs, by run_id in their order (a run without one is left out), without a run_id
        column: from the batch files, and the partitions of a folder from before batches."""
        folder = self.root / kind
        wanted = list(dict.fromkeys(str(r) for r in run_ids))
        found: dict[str, pd.DataFrame] = {}
        for run_id in wanted:
            path = folder / f"run_id={run_id}" / "part.parquet"
            if path.exists():
                found[run_id] = read_parquet_file(path, columns=columns)
        missing = sorted(r for r in wanted if r not in found)
        for path in self._batch_files(folder):
            first, _, last = path.stem.partition(BATCH_SEPARATOR)
            k = bisect.bisect_left(missing, first)
            if k == len(missing) or missing[k] > last:
                continue  # no run asked for is in this batch
            frame = read_parquet_file(
                path,
                columns=None if columns is None else [*columns, "run_id"],
                filters=[("run_id", "in", missing)],
            )
            for run_id, rows in frame.groupby("run_id", sort=False, observed=True):
                found[str(run_id)] = rows.drop(columns="run_id").reset_index(drop=True)
            missing = [r for r in missing if r not in found]
        return {r: found[r] for r in wanted if r in found}

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
    def _gather(files: list[Path], columns: list[str] | None = None) -> pd.DataFrame:
        if not files:
            return pd.DataFrame()
        try:  # many parts at a time, on pyarrow's threads (a folder from before batches
            # has thousands of one-row files); each group's rows are combined at once, since
            # a table of 10,000 one-row chunks holds GBs of small buffers (this gathers 9,600
            # such parts in 15 s, 70 MB)
            table = pa.concat_tables(
                [
                    pads.dataset([str(f) for f in files[k : k + GATHER_CHUNK]], format="parquet")
                    .to_table(columns=columns)
                    .combine_chunks()
                    for k in range(0, len(files), GATHER_CHUNK)
                ]
            ).to_pandas()
        except (OSError, ValueError, pa.ArrowException):
            # Parts that do not read together (a damaged file, schemas that differ): one by
            # one, so that an unreadable file is named.
            table = pd.concat(
                [read_parquet_file(f, columns=columns) for f in files], ignore_index=True
            )
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
