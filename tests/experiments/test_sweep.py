"""Designed sweeps (experiments/sweeps/: designs, runner, backends, store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sweep_faults  # tests/sweep_faults.py: the fault-injecting task function

from experiments.cli.main import main
from experiments.sweeps import runner
from experiments.sweeps.backends import DaskBackend, ProcessBackend, SerialBackend
from experiments.sweeps.designs import load_sweep, replication_seeds
from experiments.sweeps.runner import make_plan, run_sweep
from experiments.sweeps.store import read_runs

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


def test_common_random_numbers(serial_table):
    seeds = serial_table.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all()  # replication r: one seed at every design point
    per_rep = serial_table.groupby("replication")["seed"].first()
    assert per_rep.nunique() == 3  # and different replications differ
    assert list(per_rep) == replication_seeds(11, 3)


def test_process_pool_gives_identical_table(serial_table, factorial_file, tmp_path):
    table = run_sweep(
        make_plan(load_sweep(factorial_file)), tmp_path / "out", ProcessBackend(2), quiet=True
    )
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


def _kill_after_some_parts(sweep: Path, out: Path, some: int) -> bool:
    """Start the sweep, SIGKILL it once `some` runs are stored; False if it finished first."""
    cmd = [
        sys.executable,
        "-m",
        "experiments.cli",
        "sweep",
        str(sweep),
        "--workers",
        "1",
        "--out",
        str(out),
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None and len(list((out / "parts").glob("*.parquet"))) < some:
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
        if _kill_after_some_parts(sweep, out, 8):
            break
    else:
        pytest.fail("every sweep finished before it could be killed")
    total = 4 * replications
    n_parts = len(list((out / "parts").glob("*.parquet")))
    assert 8 <= n_parts < total
    for part in (out / "parts").glob("*.parquet"):
        pd.read_parquet(part)  # every stored file is whole
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out)]) == 2  # no --resume
    assert (
        main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--resume", "--quiet"]) == 0
    )
    uninterrupted = tmp_path / "full"
    assert (
        main(["sweep", str(sweep), "--workers", "1", "--out", str(uninterrupted), "--quiet"]) == 0
    )
    pd.testing.assert_frame_equal(comparable(read_runs(out)), comparable(read_runs(uninterrupted)))
    ts = pd.read_parquet(out / "timeseries")
    assert ts["run_id"].nunique() == total


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
    from experiments.sweeps.store import SweepStore

    store = SweepStore(tmp_path / "out")
    assert store.read_runs() is None
    store.open()
    for run_id in ("p0001-r000", "p0000-r001", "p0000-r000"):
        store.write_run({"run_id": run_id, "total_harm": float(len(run_id))}, None)
    partial = store.read_runs()
    assert not store.finished()
    assert list(partial["run_id"]) == ["p0000-r000", "p0000-r001", "p0001-r000"]
    table = store.consolidate()
    assert store.finished()
    pd.testing.assert_frame_equal(store.read_runs(), partial)
    pd.testing.assert_frame_equal(table, partial)
