"""Rough edges of the ``grassroots`` command (issue 23): each refusal is one precise line,
and nothing is written, served or printed that was not asked for."""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from experiments.cli.main import main
from experiments.runs.output import _atomic

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "--set",
    "population.n_residents=2000",
    "--set",
    "time.peace_days=3",
    "--set",
    "time.war_hours=6",
]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def full_disk(*args, **kwargs) -> None:
    """A writer on a full disk: pyarrow and matplotlib raise an OSError without a file name."""
    raise OSError(
        errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device"
    )


# --- a write error names the file being written ------------------------------------------------


def test_an_atomic_write_error_names_the_file_not_its_temporary(tmp_path):
    path = tmp_path / "needs.parquet"
    with pytest.raises(OSError) as e:
        _atomic(path, full_disk)
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(path)
    assert not list(tmp_path.iterdir())  # no temporary file left
    with pytest.raises(PermissionError) as e:  # a file name of its own is kept
        _atomic(
            path,
            lambda tmp: (_ for _ in ()).throw(
                PermissionError(errno.EACCES, "Permission denied", "/elsewhere")
            ),
        )
    assert e.value.filename == "/elsewhere"


def test_a_full_disk_during_a_run_names_the_file(tmp_path, capsys, monkeypatch):
    from experiments.runs import charts

    monkeypatch.setattr(charts, "plot_run", full_disk)
    out = tmp_path / "one"
    code, _, err = cli(capsys, "run", *TINY, "--out", str(out), "--quiet")
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1
    assert (
        err == f"grassroots run: error: cannot write results: {out / 'run.png'}: "
        "No space left on device\n"
    )


# --- --set: the key is checked before the value -------------------------------------------------

SET_COMMANDS = [
    ["config"],
    ["run", "--quiet"],
    ["demo"],
    ["validate"],
    ["calibrate", "--params", "time.war_hours", "--budget", "1", "--out", "OUT"],
]


@pytest.mark.parametrize("command", SET_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("value", ["1e400", "nan", "-inf"])
@pytest.mark.parametrize(
    "key, words",
    [
        ("x", "--set: x: unknown key: expected section.key"),
        ("flood.rain", "--set: flood.rain: unknown key; allowed in [flood]: enabled"),
        ("weather.rain", "--set: weather.rain: unknown section 'weather'"),
    ],
)
def test_set_checks_the_key_before_the_value(tmp_path, capsys, command, value, key, words):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    code, out, err = cli(capsys, *argv, "--set", f"{key}={value}")
    assert code == 2 and out == "" and not (tmp_path / "out").exists()
    assert err.startswith(f"grassroots {command[0]}: error: {words}") and err.count("\n") == 1
    assert "finite" not in err


def test_a_known_key_with_an_infinite_value_is_still_refused_as_such(capsys):
    code, _, err = cli(capsys, "config", "--set", "time.war_hours=1e400")
    assert code == 2
    assert (
        err == "grassroots config: error: --set: time.war_hours: must be a finite number, got inf\n"
    )


# --- a symlink loop is a symlink loop, not "file not found" -------------------------------------

LOOP = "a symlink loop: following its links never reaches a file or folder"


def links(folder: Path) -> dict[str, Path]:
    """A link to itself, two links to each other, and a link to nothing."""
    (folder / "self.toml").symlink_to("self.toml")
    (folder / "a.toml").symlink_to("b.toml")
    (folder / "b.toml").symlink_to("a.toml")
    (folder / "dangling.toml").symlink_to("nothing.toml")
    return {name: folder / f"{name}.toml" for name in ("self", "a", "dangling")}


@pytest.mark.parametrize(
    "command",
    [
        ["config"],
        ["run"],
        ["demo"],
        ["validate"],
        ["sweep", "--check"],
        ["calibrate", "--params", "time.war_hours", "--budget", "1", "--out", "OUT"],
    ],
    ids=lambda c: c[0],
)
def test_a_symlink_loop_as_an_input_file_is_said_to_be_one(tmp_path, capsys, command):
    paths = links(tmp_path)
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    for name in ("self", "a"):
        code, out, err = cli(capsys, argv[0], str(paths[name]), *argv[1:])
        assert code == 2 and out == ""
        assert err == f"grassroots {command[0]}: error: {paths[name]}: {LOOP}\n"
    code, _, err = cli(capsys, argv[0], str(paths["dangling"]), *argv[1:])
    assert (
        code == 2
        and err
        == f"grassroots {command[0]}: error: {paths['dangling']}: a "
        "broken symlink: it points to nothing.toml, which does not exist\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_symlink_loop_as_a_folder_or_targets_file_is_said_to_be_one(tmp_path, capsys):
    paths = links(tmp_path)
    code, _, err = cli(capsys, "validate", "--targets", str(paths["a"]))
    assert code == 2 and err == f"grassroots validate: error: {paths['a']}: {LOOP}\n"
    code, _, err = cli(capsys, "report", str(paths["self"]))
    assert code == 2 and err == f"grassroots report: error: {paths['self']}: {LOOP}\n"
    code, _, err = cli(capsys, "run", *TINY, "--out", str(paths["self"]))
    assert code == 2 and err == f"grassroots run: error: --out {paths['self']}: {LOOP}\n"


# --- the Dask local cluster serves no dashboard ----------------------------------------------


def test_the_local_cluster_opens_no_dashboard_port(tmp_path):
    """LocalCluster(dashboard_address=None) still started the scheduler's HTTP server on port
    8787, with an info page of the workers."""
    pytest.importorskip("distributed")
    import urllib.error
    import urllib.request

    import psutil

    from experiments.sweeps.backends import DaskBackend

    backend = DaskBackend(local_workers=1)
    try:
        port = backend.cluster.scheduler.http_server.port
        me = psutil.Process()
        listening = [
            c.laddr
            for p in [me, *me.children(recursive=True)]
            for c in p.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN
        ]
        assert listening and all(address.ip == "127.0.0.1" for address in listening)
        assert port != 8787 and 8787 not in {address.port for address in listening}
        for page in ("status", "info/main/workers.html", "health", "metrics"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=10)
            assert e.value.code == 404, page
        assert backend.client.submit(sum, [1, 2]).result() == 3  # the cluster works
    finally:
        backend.close()


# --- the classroom app: no warning on each page load, no address printed it cannot serve ------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_on_a_port_in_use_is_refused_before_it_prints_an_address(capsys):
    pytest.importorskip("solara")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = cli(capsys, "demo", "--port", str(port))
    assert code == 2 and out == "" and "http://" not in err
    assert (
        err == f"grassroots demo: error: --port {port}: 127.0.0.1:{port}: it is in use "
        "(another app, or a demo still running?): choose another --port\n"
    )


def test_demo_serves_pages_without_the_samesite_warning(tmp_path):
    """Solara warned (UserWarning, 12 lines) on every page load from 127.0.0.1."""
    pytest.importorskip("solara")
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "w") as stream:
        proc = subprocess.Popen(
            [sys.executable, "-m", "experiments.cli", "demo", "--port", str(port)],
            cwd=REPO,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        loads, deadline = 0, time.monotonic() + 90
        while loads < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    loads += page.status == 200
            except OSError:
                time.sleep(0.5)
        assert loads == 2, f"no page within 90 s:\n{log.read_text()}"
        time.sleep(1)  # a warning is printed after the page is sent
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    text = log.read_text()
    assert f"at http://127.0.0.1:{port}/" in text
    assert "samesite" not in text and "Warning" not in text, text


# --- a replay needs a sweep's results folder: say how to make one ------------------------------


def test_replay_of_a_missing_folder_says_which_command_makes_it(tmp_path, capsys):
    folder = tmp_path / "results" / "sweep-volunteer_team_size-20261129-180000"
    code, _, err = cli(capsys, "demo", "--replay", str(folder), "p0003-r007")
    assert code == 2 and err.count("\n") == 1
    assert (
        err == f"grassroots demo: error: --replay: {folder}: no such folder: make it with "
        f"a sweep first, e.g. grassroots sweep volunteer_team_size --out {folder}, then give "
        "one of its run ids (p0000-r000, ...)\n"
    )
    empty = tmp_path / "my results"
    empty.mkdir()
    code, _, err = cli(capsys, "demo", "--replay", str(empty), "p0003-r007")
    assert (
        code == 2
        and f"{empty}: not a sweep results folder (no runs.parquet or parts/): "
        f"make it with a sweep first, e.g. grassroots sweep reporting_structure --out "
        f"'{empty}', then"
        in err
    )


@pytest.mark.parametrize("page", ["README.md", "docs/guides/trainer.md"])
def test_the_readme_makes_the_folder_it_replays(page):
    """The README's replay example failed on a fresh clone: no sweep had made its folder.
    The example is now in the trainer's guide; any page that replays makes its folder first."""
    readme = (REPO / page).read_text(encoding="utf-8")
    replays = re.findall(r"grassroots demo --replay (\S+) (\S+)", readme)
    if page != "README.md":
        assert replays
    for folder, run_id in replays:
        before = readme[: readme.index(f"--replay {folder} {run_id}")]
        sweep = re.findall(rf"grassroots sweep (\S+) .*--out {re.escape(folder)}\b", before)
        assert sweep, f"no 'grassroots sweep ... --out {folder}' before its replay"
        from experiments.cli.sweep import sweep_path
        from experiments.sweeps.designs import load_sweep
        from experiments.sweeps.runner import make_plan

        plan = make_plan(load_sweep(sweep_path(sweep[-1])))
        ids = {plan.run_id(p, r) for p in range(len(plan.points)) for r in range(len(plan.seeds))}
        assert run_id in ids


# --- citation and provenance ---------------------------------------------------------------------


def pyproject_version() -> str:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_citation_file_is_cff_1_2_0_with_the_package_version():
    yaml = pytest.importorskip("yaml")  # PyYAML comes with dask, in the 'cluster' extra
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["version"] == pyproject_version()
    assert cff["authors"] == [{"name": "grassroots-sim developers"}]
    assert cff["title"].startswith("grassroots-sim") and cff["message"] and cff["abstract"]
    assert set(cff) <= {
        "cff-version",
        "message",
        "type",
        "title",
        "version",
        "authors",
        "abstract",
        "keywords",
    }  # keys of the schema, checked as written


def test_version_prints_package_git_and_library_versions(capsys):
    from importlib import metadata

    from experiments.provenance import git_revision

    code, out, err = cli(capsys, "--version")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"grassroots-sim {pyproject_version()}"
    for name in ("numpy", "numba", "mesa", "pandas"):
        assert f"{name} {metadata.version(name)}" in lines
    assert f"python {sys.version.split()[0]}" in lines
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    if (REPO / ".git").exists() and revision:  # a checkout (a worktree's .git is a file)
        assert git_revision() == revision and lines[1].startswith(f"git revision {revision}")
    else:
        assert not any(line.startswith("git") for line in lines)


def test_every_results_folder_records_how_it_was_made(tmp_path, capsys):
    """run, sweep, report, validate and calibrate folders record the package version, the git
    revision and dirty flag, and python's and the libraries' versions, from one helper."""
    import json

    from test_calibration import GOOD, SMALL

    from experiments.provenance import library_versions, provenance

    run, sweep_out = tmp_path / "run", tmp_path / "sweep"
    assert cli(capsys, "run", *TINY, "--out", str(run), "--quiet")[0] == 0
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'name = "s"\nbase = "{REPO}/configs/scenarios/street_flood.toml"\n'
        'replications = 1\n[fixed]\n"population.n_residents" = 2000\n'
        '"time.peace_days" = 2\n"time.war_hours" = 6\n'
        '[factors]\n"reporting.mechanism" = ["direct"]\n'
    )
    assert (
        cli(capsys, "sweep", str(sweep), "--workers", "1", "--out", str(sweep_out), "--quiet")[0]
        == 0
    )
    assert cli(capsys, "report", str(run), "--quiet")[0] == 0
    targets = tmp_path / "targets.toml"
    targets.write_text(GOOD)
    assert (
        cli(
            capsys,
            "validate",
            "--targets",
            str(targets),
            "--seeds",
            "1",
            "--quiet",
            "--out",
            str(tmp_path / "val"),
            *SMALL,
        )[0]
        == 0
    )
    assert (
        cli(
            capsys,
            "calibrate",
            str(targets),
            "--params",
            "routine.effort_min",
            "--budget",
            "1",
            "--seeds",
            "1",
            "--out",
            str(tmp_path / "cal"),
            "--quiet",
            *SMALL,
        )[0]
        == 0
    )
    made = provenance()
    assert set(made["versions"]) >= {"python", "numpy", "numba", "mesa", "pandas"}
    assert made["versions"] == library_versions() and made["version"] == pyproject_version()
    for path in (
        run / "summary.json",
        sweep_out / "manifest.json",
        run / "report" / "provenance.json",
        tmp_path / "val" / "validation.json",
        tmp_path / "cal" / "calibration.json",
    ):
        doc = json.loads(path.read_text())
        assert {k: doc[k] for k in made} == made, path
        assert doc["created"], path
    report = json.loads((run / "report" / "provenance.json").read_text())
    assert report["folder"] == str(run) and report["kind"] == "run"
    assert made["git_revision"] in (run / "report" / "index.html").read_text()


def test_validate_and_calibrate_out_errors_are_one_line(tmp_path, capsys):
    """--out a file is refused (exit 2) before anything runs; a folder that cannot be made
    stops with the path (exit 1): both were tracebacks."""
    from test_calibration import GOOD, SMALL

    targets = tmp_path / "targets.toml"
    targets.write_text(GOOD)
    a_file = tmp_path / "f"
    a_file.write_text("x")
    commands = {
        "validate": ["validate", "--targets", str(targets), "--seeds", "1"],
        "calibrate": [
            "calibrate",
            str(targets),
            "--params",
            "routine.effort_min",
            "--budget",
            "1",
            "--seeds",
            "1",
        ],
    }
    for name, argv in commands.items():
        code, _, err = cli(capsys, *argv, "--quiet", *SMALL, "--out", str(a_file))
        assert (
            code == 2
            and err == f"grassroots {name}: error: --out {a_file}: exists and is not a folder\n"
        )
        code, _, err = cli(capsys, *argv, "--quiet", *SMALL, "--out", str(a_file / "sub"))
        assert (
            code == 1
            and err
            == f"grassroots {name}: error: cannot write results: "
            f"{a_file / 'sub'}: Not a directory\n"
        )


@pytest.mark.parametrize("args", [["--version"], ["config", "--json"]])
def test_output_into_a_closed_pipe_ends_quietly(args):
    """``grassroots --version | head -1``: the reader has gone before the output is
    written; no traceback, status 0."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "experiments.cli", *args],
            cwd=REPO,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert b"BrokenPipe" not in proc.stderr, proc.stderr
