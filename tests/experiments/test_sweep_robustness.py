"""The sweep, run, report and demo commands under hostile conditions: a changed base on
resume, bad scheduler addresses and ports, write errors, corrupt results, killed drivers,
runs that hang."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.cli.main import main
from experiments.sweeps.backends import scheduler_address

REPO = Path(__file__).resolve().parents[2]
STREET = REPO / "configs" / "scenarios" / "street_flood.toml"


def tiny_base(folder: Path, war_hours: float = 6) -> Path:
    path = folder / "base.toml"
    path.write_text(
        f'name = "tiny"\nbase = "{STREET}"\n[time]\npeace_days = 2\n'
        f"war_hours = {war_hours}\n[population]\nn_residents = 2000\n",
        encoding="utf-8",
    )
    return path


def tiny_sweep(folder: Path, replications: int = 1, extra: str = "") -> Path:
    tiny_base(folder)
    path = folder / "tiny.toml"
    path.write_text(
        f'name = "tiny"\nbase = "base.toml"\nreplications = {replications}\n'
        f'{extra}[factors]\n"reporting.mechanism" = ["hierarchical", "direct"]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """A finished tiny sweep (2 runs): its sweep file and its results folder."""
    folder = tmp_path_factory.mktemp("finished")
    sweep = tiny_sweep(folder)
    out = folder / "out"
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    return sweep, out


def test_resume_refuses_a_changed_base_naming_the_change(finished, capsys):
    sweep, out = finished
    assert (
        main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--resume", "--quiet"]) == 0
    )  # unchanged: nothing left to run, fine
    tiny_base(sweep.parent, war_hours=4)
    try:
        capsys.readouterr()
        assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--resume"]) == 2
        err = capsys.readouterr().err
        assert "cannot resume" in err and "time.war_hours 6.0 -> 4.0" in err
        assert "Traceback" not in err
    finally:
        tiny_base(sweep.parent)


@pytest.mark.parametrize(
    "address, words",
    [
        ("foo", "port"),
        ("tcp://", "no host"),
        ("http://example.org:80", "scheme"),
        ("tcp://[::1", "not HOST:PORT"),
        ("tcp://127.0.0.1:99999", "not HOST:PORT"),
        ("tcp://127.0.0.1:0", "port from 1 to 65535"),
        ("", "empty"),
    ],
)
def test_bad_scheduler_address_is_refused_before_connecting(tmp_path, capsys, address, words):
    sweep = tiny_sweep(tmp_path)
    assert main(["sweep", str(sweep), "--scheduler", address, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and words in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_scheduler_address_accepts_host_port_forms():
    assert scheduler_address("10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert scheduler_address("tls://[::1]:8786") == "tls://[::1]:8786"


def test_unreachable_scheduler_fails_within_the_connect_timeout(tmp_path, capsys):
    pytest.importorskip("distributed")
    import time

    sweep = tiny_sweep(tmp_path)
    start = time.monotonic()
    assert (
        main(
            [
                "sweep",
                str(sweep),
                "--scheduler",
                "tcp://127.0.0.1:1",
                "--connect-timeout",
                "1",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )
    assert time.monotonic() - start < 15
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 1 s" in err


@pytest.mark.parametrize("port", ["70000", "-1", "0", "x"])
def test_demo_port_out_of_range_is_refused(capsys, port):
    assert main(["demo", "--port", port]) == 2
    err = capsys.readouterr().err
    assert "--port" in err and "Traceback" not in err
    if port != "x":
        assert "1 to 65535" in err


def test_run_refuses_an_existing_folder_unless_forced(tmp_path, capsys):
    base = tiny_base(tmp_path)
    out = tmp_path / "run"
    out.mkdir()
    (out / "runs.parquet").write_text("a sweep's table")
    stale = out / ".run.png.999999.tmp"
    stale.write_text("left by a killed run")
    assert main(["run", str(base), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}" in err and "--force" in err
    assert not (out / "summary.json").exists()  # nothing was written
    assert main(["run", str(base), "--out", str(out), "--quiet", "--force"]) == 0
    assert (out / "summary.json").exists() and not stale.exists()
    assert main(["run", str(base), "--out", str(out / "summary.json"), "--quiet"]) == 2


def test_sweep_write_error_exits_1_keeping_what_was_written(tmp_path, capsys, monkeypatch):
    import errno

    from experiments.sweeps import store
    from experiments.sweeps.store import SweepStore

    real = store.pq.write_table
    calls = []

    def full_disk(table, where, **kwargs):
        calls.append(where)
        if len(calls) > 3:  # the first batch's time series, need logs and rows are written
            raise OSError(errno.ENOSPC, "No space left on device")  # as pyarrow: no file name
        return real(table, where, **kwargs)

    monkeypatch.setattr(store, "BATCH_RUNS", 1)  # a batch a run
    monkeypatch.setattr(store.pq, "write_table", full_disk)
    sweep = tiny_sweep(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out / 'timeseries'}/p0001-r000--p0001-r000.parquet: No space left on device" in err
    assert "--resume" in err and "Traceback" not in err
    stored = SweepStore(out)
    assert stored.done() == {"p0000-r000"}  # the first run is kept, whole
    assert set(pd.read_parquet(out / "timeseries")["run_id"]) == {"p0000-r000"}
    monkeypatch.setattr(store.pq, "write_table", real)  # space again: the sweep is finished
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--resume"]) == 0
    assert stored.done() == {"p0000-r000", "p0001-r000"}


def test_report_write_error_exits_1_naming_the_path(finished, tmp_path, capsys):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(finished[1], folder)
    (folder / "report").write_text("a file where the report folder goes")
    assert main(["report", str(folder), "--quiet", "--resamples", "50"]) == 1
    err = capsys.readouterr().err
    assert f"{folder}/report" in err and "Traceback" not in err


def corrupt(folder: Path, name: str) -> Path:
    if name == "part":
        path = sorted((folder / "parts").glob("*.parquet"))[0]
        (folder / "runs.parquet").unlink()
    else:
        path = folder / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    return path


@pytest.mark.parametrize("name", ["runs.parquet", "part", "manifest.json"])
def test_report_on_a_corrupt_sweep_file_names_it(finished, tmp_path, capsys, name):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(finished[1], folder)
    bad = corrupt(folder, name)
    assert main(["report", str(folder), "--quiet", "--resamples", "50"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: cannot read it" in err and "Traceback" not in err


def test_report_on_a_corrupt_run_summary_names_it(tmp_path, capsys):
    base = tiny_base(tmp_path)
    out = tmp_path / "run"
    assert main(["run", str(base), "--out", str(out), "--quiet"]) == 0
    for bad in ("summary.json", "needs.parquet"):
        whole = (out / bad).read_bytes()
        corrupt(out, bad)
        capsys.readouterr()
        assert main(["report", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"{out / bad}: cannot read it" in err and "Traceback" not in err
        (out / bad).write_bytes(whole)


def test_report_on_an_unfinished_sweep_says_how_to_resume(finished, tmp_path, capsys):
    folder = tmp_path / "unfinished"
    folder.mkdir()
    (folder / "manifest.json").write_bytes((finished[1] / "manifest.json").read_bytes())
    (folder / "parts").mkdir()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "unfinished sweep" in err
    assert f"grassroots sweep {finished[0]} --replications 1 --out {folder} --resume" in err


def test_run_over_the_timeout_is_recorded_failed_serially(tmp_path, monkeypatch, capsys):
    import sweep_faults

    from experiments.sweeps import runner
    from experiments.sweeps.store import read_runs

    monkeypatch.setattr(runner, "run_task", sweep_faults.run_task)
    monkeypatch.setenv(sweep_faults.HANG_ENV, "p0001-r000")
    out = tmp_path / "out"
    assert (
        main(
            [
                "sweep",
                str(tiny_sweep(tmp_path)),
                "--workers",
                "1",
                "--run-timeout",
                "2",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    table = read_runs(out).set_index("run_id")
    assert table.loc["p0001-r000", "status"] == "failed"
    assert "RunTimeout: the run took more than 2 s" in table.loc["p0001-r000", "error"]
    assert table.loc["p0001-r000", "seed"] == table.loc["p0000-r000", "seed"] > 0
    assert table.loc["p0000-r000", "status"] == "ok"


def test_stuck_worker_is_replaced_and_its_run_failed(tmp_path, monkeypatch):
    import sweep_faults

    from experiments.sweeps import backends, runner
    from experiments.sweeps.designs import load_sweep

    monkeypatch.setattr(runner, "run_task", sweep_faults.run_task)
    monkeypatch.setattr(backends, "HARD_KILL_GRACE_S", 1.0)
    monkeypatch.setenv(sweep_faults.HANG_HARD_ENV, "p0000-r001")
    plan = runner.make_plan(load_sweep(tiny_sweep(tmp_path, replications=2)))
    table = runner.run_sweep(
        plan, tmp_path / "out", backends.ProcessBackend(2, 2.0), quiet=True, run_timeout=2.0
    ).set_index("run_id")
    assert table.loc["p0000-r001", "status"] == "failed"
    assert "its worker was killed" in table.loc["p0000-r001", "error"]
    others = table.drop(index="p0000-r001")
    assert (others["status"] == "ok").all(), others["error"].tolist()
    assert len(table) == 4


def test_closing_a_pool_ends_a_worker_stuck_in_a_run(tmp_path, monkeypatch):
    """The driver stopped reading (an error, Ctrl-C) while a worker is in a run that never
    ends: ``close()`` kills it after its grace instead of waiting for ever."""
    import time

    import sweep_faults

    from experiments.sweeps import backends

    monkeypatch.setattr(backends, "CLOSE_GRACE_S", 0.5)
    backend = backends.ProcessBackend(1)
    backend.start()
    pool = backend.pool
    started = tmp_path / "started"
    pool.submit(sweep_faults.touch_and_hang, str(started))
    while not started.exists():
        time.sleep(0.05)
    workers = list(pool._processes.values())
    backend.close()
    assert backend.pool is None
    for worker in workers:
        worker.join(10)
        assert not worker.is_alive()


def test_workers_fork_from_a_driver_without_threads_else_spawn(monkeypatch):
    """Forking copies a driver's threads' locks in whatever state they are: a driver that
    runs other Python threads spawns its workers."""
    import sys
    import threading

    from experiments.sweeps import backends

    backend = backends.ProcessBackend(1)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert backend.context().get_start_method() == "spawn"
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    expected = "fork" if sys.platform == "linux" else "spawn"
    assert backend.context().get_start_method() == expected
    assert backends.ProcessBackend(1, start_method="spawn").context().get_start_method() == (
        "spawn"
    )


def test_workers_die_with_a_killed_driver(tmp_path):
    import os
    import signal
    import subprocess
    import time

    import sweep_faults

    psutil = pytest.importorskip("psutil")
    sweep = tiny_sweep(tmp_path, replications=10)
    out = tmp_path / "out"
    driver = subprocess.Popen(  # writing its runs every 0.05 s: they are seen finishing
        sweep_faults.sweep_command(sweep, "--workers", "2", "--out", out, "--quiet"),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        children: list = []
        while time.monotonic() < deadline and driver.poll() is None:
            children = psutil.Process(driver.pid).children(recursive=True)
            if len(children) >= 3 and any((out / "parts").glob("*.parquet")):
                break  # two workers and the resource tracker, and runs are finishing
            time.sleep(0.1)
        assert driver.poll() is None and len(children) >= 3, "the sweep ended too soon"
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"still running after their driver was killed: {alive}"
    finally:
        if driver.poll() is None:
            driver.kill()
