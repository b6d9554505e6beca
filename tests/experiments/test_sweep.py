"""Designed sweeps (experiments/sweeps/: designs, runner, backends, store)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import sweep_faults  # tests/sweep_faults.py: the fault-injecting task function

from experiments.cli.main import main
from experiments.sweeps import runner
from experiments.sweeps.backends import DaskBackend, ProcessBackend, SerialBackend
from experiments.sweeps.designs import load_sweep, replication_seeds
from experiments.sweeps.runner import make_plan, run_sweep
from experiments.sweeps.store import SweepStore, read_runs

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "configs" / "scenarios" / "street_flood.toml"
TINY_FIXED = """
[fixed]
"population.n_residents" = 2000
"time.peace_days" = 2
"time.war_hours" = 6
"""


def write_sweep(
    tmp_path: Path,
    factors: str,
    design: str = 'kind = "factorial"',
    replications: int = 2,
    name: str = "tiny",
) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\nbase = "{BASE}"\nreplications = {replications}\n'
        f"master_seed = 11\n\n[design]\n{design}\n{TINY_FIXED}\n[factors]\n"
        f"{factors}\n",
        encoding="utf-8",
    )
    return path


FACTORIAL = (
    '"reporting.mechanism" = ["hierarchical", "direct"]\n'
    '"organization.structure" = ["siloed", "integrated_party"]'
)


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    """The runs table without the wall-clock duration, which differs between runs."""
    return table.drop(columns="duration_s").sort_values("run_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def factorial_file(tmp_path_factory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("sweep"), FACTORIAL, replications=3)


@pytest.fixture(scope="module")
def serial_table(factorial_file, tmp_path_factory) -> pd.DataFrame:
    plan = make_plan(load_sweep(factorial_file))
    out = tmp_path_factory.mktemp("serial") / "out"
    return run_sweep(plan, out, SerialBackend(), quiet=True)


def test_serial_sweep_writes_table_timeseries_and_manifest(serial_table, factorial_file, tmp_path):
    assert len(serial_table) == 4 * 3
    assert (serial_table["status"] == "ok").all()
    assert {
        "run_id",
        "point",
        "replication",
        "seed",
        "reporting.mechanism",
        "organization.structure",
        "total_harm",
        "mean_response_min",
        "status",
        "error",
        "duration_s",
    } <= set(serial_table.columns)
    out = tmp_path / "out"
    run_sweep(make_plan(load_sweep(factorial_file)), out, SerialBackend(), quiet=True)
    ts = pd.read_parquet(out / "timeseries")
    assert set(ts["run_id"].astype(str)) == set(serial_table["run_id"])
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["master_seed"] == 11 and manifest["n_runs"] == 12
    assert "sweep_text" in manifest and "git_revision" in manifest and "version" in manifest


def test_workers_send_arrow_tables_the_store_writes_as_frames(factorial_file, tmp_path):
    """A worker converts its run's time series and need log to Arrow (the driver, which
    shares the machine with the workers, only writes them); the files are those the
    run's DataFrames give."""
    import pyarrow as pa

    from experiments.sweeps.task import base_scenario
    from sim import simulate
    from sim.scenario import apply_overrides

    task = next(make_plan(load_sweep(factorial_file)).tasks(timeseries=True))
    result = runner.run_task(task)
    assert isinstance(result["timeseries"], pa.Table) and isinstance(result["needs"], pa.Table)
    config = apply_overrides(base_scenario(task["base"]), {**task["fixed"], **task["factors"]})
    plain = simulate(config, seed=task["seed"])
    stores = {}
    for name, (ts, needs) in {
        "arrow": (result["timeseries"], result["needs"]),
        "frames": (plain.timeseries, plain.needs),
    }.items():
        store = stores[name] = SweepStore(tmp_path / name)
        store.open()
        store.add_run({"run_id": task["run_id"]}, ts, needs)
        store.flush()
    for kind in ("timeseries", "needs"):
        got = stores["arrow"].run_frames(kind, [task["run_id"]])[task["run_id"]]
        want = stores["frames"].run_frames(kind, [task["run_id"]])[task["run_id"]]
        pd.testing.assert_frame_equal(got, want)
        assert len(got) == len(getattr(plain, kind)) > 0


def test_common_random_numbers(serial_table):
    seeds = serial_table.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all()  # replication r: one seed at every design point
    per_rep = serial_table.groupby("replication")["seed"].first()
    assert per_rep.nunique() == 3  # and different replications differ
    assert list(per_rep) == replication_seeds(11, 3)


@pytest.mark.parametrize("quiet", [True, False])
def test_a_sweep_leaves_no_thread_behind(factorial_file, tmp_path, quiet):
    """Its progress bar and store stop their threads: the process's next pool can fork."""
    before = set(threading.enumerate())
    run_sweep(make_plan(load_sweep(factorial_file)), tmp_path / "out", SerialBackend(), quiet=quiet)
    assert set(threading.enumerate()) <= before


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_process_pool_gives_identical_table(serial_table, factorial_file, tmp_path, start_method):
    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {start_method} here")
    backend = ProcessBackend(2, start_method=start_method)
    table = run_sweep(make_plan(load_sweep(factorial_file)), tmp_path / "out", backend, quiet=True)
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table))


def test_dask_local_cluster_gives_identical_table(serial_table, factorial_file, tmp_path):
    pytest.importorskip(
        "distributed",
        reason="dask[distributed] is not installed: "
        "pip install '.[cluster]' to test the Dask backend",
    )
    table = run_sweep(
        make_plan(load_sweep(factorial_file)),
        tmp_path / "out",
        DaskBackend(local_workers=2),
        quiet=True,
    )
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table))


def test_failing_run_is_recorded_and_others_complete(
    serial_table, factorial_file, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(runner, "run_task", sweep_faults.run_task)
    monkeypatch.setenv(sweep_faults.FAIL_ENV, "p0001-r002")
    out = tmp_path / "out"
    code = main(["sweep", str(factorial_file), "--workers", "1", "--out", str(out)])
    assert code == 0
    table = read_runs(out)
    failed = table[table["status"] == "failed"]
    assert list(failed["run_id"]) == ["p0001-r002"]
    assert "test-failure-injected.toml: file not found" in failed["error"].iloc[0]
    assert np.isnan(failed["total_harm"].iloc[0]) and failed["seed"].iloc[0] > 0
    ok = table[table["status"] == "ok"]
    pd.testing.assert_frame_equal(
        comparable(ok), comparable(serial_table[serial_table["run_id"] != "p0001-r002"])
    )
    err = capsys.readouterr().err
    assert "1 failed" in err and "grassroots run" in err and "--seed" in err


def test_dead_worker_is_retried_once(serial_table, factorial_file, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_task", sweep_faults.run_task)
    monkeypatch.setenv(sweep_faults.CRASH_ONCE_ENV, str(tmp_path / "crashed"))
    table = run_sweep(
        make_plan(load_sweep(factorial_file)), tmp_path / "out", ProcessBackend(1), quiet=True
    )
    assert (tmp_path / "crashed").exists()  # a worker did die
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table))


def stored_rows(out: Path) -> int:
    """Rows in the part files written so far (from their footers)."""
    rows = 0
    for part in (out / "parts").glob("*.parquet"):
        try:
            rows += pq.read_metadata(part).num_rows
        except OSError:  # not there yet
            pass
    return rows


def _kill_after_some_runs(sweep: Path, out: Path, some: int) -> bool:
    """Start the sweep (writing its runs every 0.05 s), SIGKILL it once `some` runs are
    stored; False if it finished first."""
    cmd = sweep_faults.sweep_command(sweep, "--workers", "1", "--out", out, "--quiet")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None and stored_rows(out) < some:
            time.sleep(0.002)
        if proc.poll() is not None:
            return False
        os.kill(proc.pid, signal.SIGKILL)
        return True
    finally:
        proc.wait()


def test_sigkill_then_resume_gives_uninterrupted_table(tmp_path):
    # Kill the sweep once 8 runs are stored. On a machine fast enough to finish the sweep
    # before that is seen, the test takes a sweep four times longer, whatever the speed.
    for replications in (12, 48, 192, 768):
        (tmp_path / str(replications)).mkdir()
        sweep = write_sweep(tmp_path / str(replications), FACTORIAL, replications=replications)
        out = tmp_path / str(replications) / "killed"
        if _kill_after_some_runs(sweep, out, 8):
            break
    else:
        pytest.fail("every sweep finished before it could be killed")
    total = 4 * replications
    for folder in ("parts", "timeseries", "needs"):
        for path in (out / folder).glob("*.parquet"):
            pd.read_parquet(path)  # every stored file is whole
    stored = SweepStore(out).read_runs()
    assert 8 <= len(stored) < total
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out)]) == 2  # no --resume
    assert (
        main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--resume", "--quiet"]) == 0
    )
    resumed = read_runs(out)
    # the runs stored before the kill were kept, not run again (a run's duration differs)
    kept = resumed[resumed["run_id"].isin(stored["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, stored)
    uninterrupted = tmp_path / "full"
    assert (
        main(["sweep", str(sweep), "--workers", "1", "--out", str(uninterrupted), "--quiet"]) == 0
    )
    pd.testing.assert_frame_equal(comparable(resumed), comparable(read_runs(uninterrupted)))
    for kind in ("timeseries", "needs"):  # each run's, once (a killed batch's were removed)
        frame = pd.read_parquet(out / kind)
        assert frame["run_id"].nunique() == total
        assert len(frame) == len(pd.read_parquet(uninterrupted / kind))


def test_factor_typo_is_refused(tmp_path, capsys):
    sweep = write_sweep(tmp_path, '"reporting.mechanizm" = ["direct"]')
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "reporting.mechanizm" in err and "mechanism" in err
    assert not (tmp_path / "out").exists()


def test_bad_factor_value_is_refused(tmp_path, capsys):
    sweep = write_sweep(tmp_path, '"reporting.mechanism" = ["direct", "pigeon"]')
    assert main(["sweep", str(sweep)]) == 2
    assert "pigeon" in capsys.readouterr().err


RANGES = (
    '"organization.structure" = ["siloed", "integrated"]\n'
    '"population.initial_trust" = { low = 0.2, high = 0.8 }\n'
    '"organization.community_cadres_per_community" = { low = 3, high = 9 }\n'
    '"flood.needs_per_1000_per_hour" = { low = 4, high = 16 }'
)


@pytest.mark.parametrize(
    "design, size",
    [
        ('kind = "lhs"\nsamples = 10', 2 * 10),
        ('kind = "sobol"\nsamples = 8', 2 * 8 * (3 + 2)),
        ('kind = "morris"\nsamples = 5\nlevels = 4', 2 * 5 * (3 + 1)),
    ],
)
def test_sampled_designs_have_size_and_bounds(tmp_path, design, size):
    plan = make_plan(load_sweep(write_sweep(tmp_path, RANGES, design=design)))
    assert len(plan.points) == size
    frame = pd.DataFrame(plan.points)
    assert frame["population.initial_trust"].between(0.2, 0.8).all()
    assert frame["flood.needs_per_1000_per_hour"].between(4, 16).all()
    cadres = frame["organization.community_cadres_per_community"]
    assert cadres.between(3, 9).all() and all(isinstance(v, int) for v in cadres)
    assert (frame["organization.structure"].value_counts() == size // 2).all()
    assert frame["population.initial_trust"].nunique() > 2


def test_lhs_is_stratified_and_seeded(tmp_path):
    path = write_sweep(tmp_path, RANGES, design='kind = "lhs"\nsamples = 10')
    points = make_plan(load_sweep(path)).points
    trust = np.array([p["population.initial_trust"] for p in points[:10]])
    strata = np.floor((trust - 0.2) / 0.6 * 10).astype(int)
    assert sorted(strata) == list(range(10))  # one point in each tenth of the range
    assert make_plan(load_sweep(path)).points == points  # same master seed, same design


def test_factorial_size_and_replications_override(factorial_file):
    plan = make_plan(load_sweep(factorial_file, replications=5))
    assert len(plan.points) == 4 and plan.n_runs == 20


def test_morris_sweep_writes_effects(tmp_path):
    path = write_sweep(tmp_path, RANGES, design='kind = "morris"\nsamples = 2', replications=1)
    out = tmp_path / "out"
    table = run_sweep(make_plan(load_sweep(path)), out, SerialBackend(), quiet=True)
    assert len(table) == 2 * 2 * 4
    effects = pd.read_csv(out / "morris.csv")
    assert len(effects) == 2 * 2 * 3  # structures x outcomes x range factors
    assert effects["mu_star"].notna().all()


@pytest.mark.parametrize(
    "name, runs",
    [("reporting_structure", 12 * 30), ("volunteer_team_size", 18 * 20), ("sensitivity", 64 * 12)],
)
def test_shipped_sweeps_load(name, runs):
    sweep = load_sweep(REPO / "configs" / "sweeps" / f"{name}.toml")
    assert make_plan(sweep).n_runs == runs
    if name == "sensitivity":
        assert len(sweep.ranges) >= 8 and sweep.design == "sobol"


def test_mesa_batch_run_still_works():
    import mesa

    import sim

    results = mesa.batch_run(
        sim.GrassrootsModel,
        parameters={
            "population.n_residents": 2000,
            "time.peace_days": 2,
            "time.war_hours": 6,
            "reporting.mechanism": ["direct", "hierarchical"],
        },
        rng=[1, 2],
        max_steps=100,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    frame = pd.DataFrame(results)
    assert len(frame) == 4
    assert set(frame["reporting.mechanism"]) == {"direct", "hierarchical"}


def test_store_reads_an_unfinished_sweep_like_a_finished_one(tmp_path):
    """The store is the one reader of a results folder: parts/ before consolidation,
    runs.parquet after, the same table sorted by run_id."""
    store = SweepStore(tmp_path / "out")
    assert store.read_runs() is None
    store.open()
    with store.buffered():
        for run_id in ("p0001-r000", "p0000-r001", "p0000-r000"):
            store.add_run({"run_id": run_id, "total_harm": float(len(run_id))}, None)
    partial = store.read_runs()
    assert not store.finished()
    assert list(partial["run_id"]) == ["p0000-r000", "p0000-r001", "p0001-r000"]
    table = store.consolidate()
    assert store.finished()
    pd.testing.assert_frame_equal(store.read_runs(), partial)
    pd.testing.assert_frame_equal(table, partial)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frame_of(run_id: str, rows: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"step": range(rows), "value": [float(len(run_id))] * rows})


def test_store_writes_a_batch_when_full_or_when_its_oldest_run_has_waited(tmp_path):
    clock = FakeClock()
    store = SweepStore(tmp_path / "out", batch_runs=3, flush_seconds=10.0, clock=clock)
    store.open()

    def add(run_id: str) -> None:
        store.add_run({"run_id": run_id, "total_harm": 1.0}, frame_of(run_id), frame_of(run_id))

    for run_id in ("p0002-r000", "p0000-r000"):
        add(run_id)
    assert store.done() == set() and not store.part_files()  # kept in memory
    add("p0001-r000")  # the third: a full batch
    assert [p.name for p in store.part_files()] == ["p0000-r000--p0002-r000.parquet"]
    ts = pd.read_parquet(store.timeseries / "p0000-r000--p0002-r000.parquet")
    assert list(ts["run_id"].unique()) == ["p0000-r000", "p0001-r000", "p0002-r000"]
    clock.now = 100.0
    add("p0003-r000")
    clock.now = 109.9
    add("p0004-r000")
    assert len(store.part_files()) == 1  # its oldest run has waited 9.9 s
    clock.now = 110.0
    add("p0005-r000")  # ... and now 10 s
    assert len(store.part_files()) == 2
    assert store.done() == {f"p000{i}-r000" for i in range(6)}
    frames = store.run_frames("needs", ["p0004-r000", "p0001-r000", "p9999-r000"], ["value"])
    assert list(frames) == ["p0004-r000", "p0001-r000"]  # in the order asked, stored ones
    pd.testing.assert_frame_equal(frames["p0004-r000"], frame_of("p0004-r000")[["value"]])
    assert list(store.read_runs()["run_id"]) == [f"p000{i}-r000" for i in range(6)]


def test_store_writes_a_waiting_run_with_no_other_run_to_come(tmp_path):
    store = SweepStore(tmp_path / "out", flush_seconds=0.05)
    store.open()
    with store.buffered():
        store.add_run({"run_id": "p0000-r000", "total_harm": 1.0}, frame_of("p0000-r000"))
        deadline = time.monotonic() + 10
        while not store.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert store.done() == {"p0000-r000"}  # by the background thread, within the block


def test_adding_a_run_does_not_wait_for_a_batch_being_written(tmp_path, monkeypatch):
    """In a sweep the writer thread writes full batches: the driver goes on handing out runs
    (here: adds the next run) while a batch is being written."""
    real = SweepStore._write_batch
    writing, release, held_too_long = threading.Event(), threading.Event(), []

    def held(self, runs):
        writing.set()
        if not release.wait(5):
            held_too_long.append(threading.current_thread().name)
        real(self, runs)

    monkeypatch.setattr(SweepStore, "_write_batch", held)
    store = SweepStore(tmp_path / "out", batch_runs=1, flush_seconds=60.0)
    store.open()
    with store.buffered():
        store.add_run({"run_id": "p0000-r000"}, None)  # a full batch
        assert writing.wait(5)
        store.add_run({"run_id": "p0001-r000"}, None)  # while the first is being written
        release.set()
    assert held_too_long == []
    assert store.done() == {"p0000-r000", "p0001-r000"}


def test_a_background_write_error_is_raised_in_the_sweep(tmp_path, monkeypatch):
    import errno

    def full_disk(self, runs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.parts))

    monkeypatch.setattr(SweepStore, "_write_batch", full_disk)
    store = SweepStore(tmp_path / "out", flush_seconds=0.01)
    store.open()
    with store.buffered():
        store.add_run({"run_id": "p0000-r000"}, None)
        time.sleep(0.5)  # the background thread fails to write it
        with pytest.raises(OSError, match="No space left"):  # the thread's error
            store.add_run({"run_id": "p0001-r000"}, None)
        monkeypatch.undo()  # space again
    assert store.done() == {"p0000-r000"}  # kept, and written at the block's end


def test_a_batch_whose_rows_fail_leaves_no_time_series_beside_its_runs_next_batch(
    tmp_path, monkeypatch
):
    import errno

    from experiments.sweeps import store as store_module

    real = store_module.pq.write_table

    def rows_fail(table, where, **kwargs):
        if Path(where).parent.name == "parts":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, **kwargs)

    store = SweepStore(tmp_path / "out", batch_runs=1)
    store.open()
    monkeypatch.setattr(store_module.pq, "write_table", rows_fail)
    with pytest.raises(OSError, match="No space left"):
        store.add_run({"run_id": "p0000-r000"}, frame_of("p0000-r000"), frame_of("p0000-r000"))
    assert not list(store.timeseries.iterdir()) and not list(store.needs.iterdir())
    monkeypatch.setattr(store_module.pq, "write_table", real)  # space again
    store.add_run({"run_id": "p0001-r000"}, frame_of("p0001-r000"), frame_of("p0001-r000"))
    # The first run, kept, is written with the second, in a batch of another name: each
    # run's time series is stored once.
    ts = pd.read_parquet(store.timeseries)
    assert sorted(ts["run_id"].unique()) == ["p0000-r000", "p0001-r000"]
    assert len(ts) == 2 * len(frame_of("p0000-r000"))
    assert store.done() == {"p0000-r000", "p0001-r000"}


class InterruptedBackend(SerialBackend):
    """Runs `n` tasks, then stops the sweep with `error` (Ctrl-C, or a bug)."""

    def __init__(self, n: int, error: type[BaseException]) -> None:
        self.n, self.error = n, error

    def run(self, fn, tasks):
        for k, pair in enumerate(super().run(fn, tasks)):
            if k == self.n:
                raise self.error
            yield pair


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_sweep_writes_the_runs_it_finished(
    serial_table, factorial_file, tmp_path, monkeypatch, error
):
    from experiments.sweeps import store

    monkeypatch.setattr(store, "FLUSH_SECONDS", 3600.0)  # nothing written before the end
    plan = make_plan(load_sweep(factorial_file))
    out = tmp_path / "out"
    with pytest.raises(error):
        run_sweep(plan, out, InterruptedBackend(5, error), quiet=True)
    stored = SweepStore(out)
    assert len(stored.part_files()) == 1 and len(stored.done()) == 5
    assert pd.read_parquet(out / "timeseries")["run_id"].nunique() == 5
    table = run_sweep(plan, out, SerialBackend(), resume=True, quiet=True)
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table))


def to_layout_before_batches(out: Path, keep: int) -> None:
    """Rewrite a sweep's folder as sweeps wrote it before batches, killed after its first
    `keep` runs: a part file per run, a Hive partition per run, no runs.parquet."""
    table = read_runs(out).iloc[:keep]
    for kind in ("timeseries", "needs"):
        frame = pd.read_parquet(out / kind)
        shutil.rmtree(out / kind)
        for run_id in table["run_id"]:
            folder = out / kind / f"run_id={run_id}"
            folder.mkdir(parents=True)
            rows = frame[frame["run_id"] == run_id].drop(columns="run_id")
            rows.to_parquet(folder / "part.parquet", index=False)
    shutil.rmtree(out / "parts")
    (out / "parts").mkdir()
    for k in range(len(table)):
        row = table.iloc[[k]]
        row.to_parquet(out / "parts" / f"{row['run_id'].iloc[0]}.parquet", index=False)
    (out / "runs.parquet").unlink()


def test_a_folder_from_before_batches_reads_and_resumes(serial_table, factorial_file, tmp_path):
    plan = make_plan(load_sweep(factorial_file))
    out = tmp_path / "out"
    run_sweep(plan, out, SerialBackend(), quiet=True)
    to_layout_before_batches(out, keep=5)
    store = SweepStore(out)
    first = list(serial_table["run_id"].iloc[:5])
    assert store.done() == set(first) and list(store.read_runs()["run_id"]) == first
    assert list(store.run_frames("timeseries", reversed(first))) == first[::-1]
    table = run_sweep(plan, out, SerialBackend(), resume=True, quiet=True)
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table))
    # its time series go on a partition per run: the folder still reads as one dataset
    assert len(list((out / "timeseries").glob("run_id=*"))) == len(serial_table)
    assert set(pd.read_parquet(out / "timeseries")["run_id"].astype(str)) == set(
        serial_table["run_id"]
    )
