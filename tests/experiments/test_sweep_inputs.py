"""Every sweep-file input gets a clear answer: exit 2 naming the file and the key, checked
before anything runs (experiments/sweeps/designs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.cli.main import main
from experiments.sweeps.designs import MAX_RUNS, load_sweep
from experiments.sweeps.store import SweepStore
from sim.params import ConfigError

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "configs" / "scenarios" / "street_flood.toml"
FACTORS = '[factors]\n"reporting.mechanism" = ["hierarchical", "direct"]\n'
RANGE = '[factors]\n"population.initial_trust" = { low = 0.2, high = 0.8 }\n'


def sweep_file(tmp_path: Path, body: str, base: str | None = None) -> Path:
    path = tmp_path / "s.toml"
    head = f'base = "{BASE}"\n' if base is None else base
    path.write_text(head + body, encoding="utf-8")
    return path


# (sweep file body after `base = ...`, the key the error must name, a word it must hold)
BROKEN = [
    ("fixed = 3\n" + FACTORS, "fixed", "table"),
    ("factors = [1]\n", "factors", "table"),
    ("outcomes = 3\n" + FACTORS, "outcomes", "list"),
    ('outcomes = "total_harm"\n' + FACTORS, "outcomes", "list"),
    ('outcomes = ["total_harm", "harm"]\n[design]\nkind = "sobol"\n' + RANGE, "outcomes", "harm"),
    ("replications = true\n" + FACTORS, "replications", "whole number"),
    ("replications = 0\n" + FACTORS, "replications", "whole number"),
    ("master_seed = true\n" + FACTORS, "master_seed", "whole number"),
    ("master_seed = -1\n" + FACTORS, "master_seed", "whole number"),
    ("name = 3\n" + FACTORS, "name", "string"),
    ("description = [1]\n" + FACTORS, "description", "string"),
    ("sampels = 64\n" + FACTORS, "sampels", "allowed"),
    ("[design]\nsampels = 64\n" + FACTORS, "design.sampels", "allowed: kind"),
    ('[design]\nknd = "lhs"\n' + FACTORS, "design.knd", "allowed"),
    ('[design]\nkind = "lhs"\nlevels = 4\n' + RANGE, "design.levels", "allowed"),
    ('[design]\nkind = "lhs"\nsamples = true\n' + RANGE, "design.samples", "whole number"),
    ('[design]\nkind = "morris"\nlevels = 1\n' + RANGE, "design.levels", "whole number"),
    ("design = 3\n" + FACTORS, "design", "table"),
    (
        FACTORS + 'reporting__mechanism = ["direct"]\n',
        "reporting__mechanism",
        "the same parameter as 'reporting.mechanism'",
    ),
    (
        '[fixed]\n"time.war_hours" = 6\ntime__war_hours = 12\n' + FACTORS,
        "time__war_hours",
        "same parameter",
    ),
    (
        '[fixed]\n"reporting.mechanism" = "direct"\n' + FACTORS,
        "fixed.reporting.mechanism",
        "also a factor",
    ),
    (
        'baseline = { "reporting.mechanism" = "joint_meeting" }\n' + FACTORS,
        "baseline.reporting.mechanism",
        "'hierarchical', 'direct'",
    ),
    ('baseline = { "time.war_hours" = 6 }\n' + FACTORS, "baseline.time.war_hours", "list factors"),
    ("baseline = 3\n" + FACTORS, "baseline", "table"),
    (
        '[factors]\n"reporting.mechanism" = "direct"\n',
        "factors.reporting.mechanism",
        "list of values",
    ),
    ('[factors]\n"reporting.mechanism" = []\n', "factors.reporting.mechanism", "at least one"),
]


@pytest.mark.parametrize("body, key, words", BROKEN)
def test_broken_sweep_file_is_refused_naming_file_and_key(tmp_path, capsys, body, key, words):
    path = sweep_file(tmp_path, body)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{path}: " in err and f"{key}: " in err and words in err, err
    assert not out.exists()  # refused before anything was written


@pytest.mark.parametrize(
    "base", ["base = 3\n", 'base = ""\n', 'base = "nope.toml"\n', 'base = "a\\u0000b"\n']
)
def test_bad_base_is_refused(tmp_path, capsys, base):
    path = sweep_file(tmp_path, FACTORS, base=base)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: base: " in err and "Traceback" not in err


def test_valid_file_keeps_normalized_keys_and_baseline(tmp_path):
    path = sweep_file(
        tmp_path,
        'baseline = { reporting__mechanism = "direct" }\n'
        'outcomes = ["total_harm"]\n[fixed]\ntime__war_hours = 6\n' + FACTORS,
    )
    sweep = load_sweep(path)
    assert sweep.fixed == {"time.war_hours": 6}
    assert sweep.baseline == {"reporting.mechanism": "direct"}
    assert sweep.outcomes == ["total_harm"] and sweep.n_runs == 2


@pytest.mark.parametrize(
    "args, counted",
    [
        (["--replications", "99999999999999999999999"], "199,999,999,999,999,999,999,998 runs"),
        (["--replications", "100000000"], "200,000,000 runs"),
    ],
)
def test_too_many_replications_are_refused_with_count_and_limit(tmp_path, capsys, args, counted):
    path = sweep_file(tmp_path, FACTORS)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert "--replications: " in err and counted in err and f"{MAX_RUNS:,}" in err


def test_huge_factorial_is_counted_not_built(tmp_path):
    levels = ", ".join(str(v) for v in range(1, 101))
    body = "[factors]\n" + "".join(
        f'"{k}" = [{levels}]\n'
        for k in (
            "time.war_hours",
            "time.peace_days",
            "volunteers.team_size_per_1000",
            "reporting.command_delay_min",
        )
    )
    with pytest.raises(ConfigError) as e:  # 10^8 points: refused at once, not after GiBs
        load_sweep(sweep_file(tmp_path, body))
    assert e.value.key == "factors" and "100,000,000 points" in str(e.value)


def test_huge_sobol_sample_is_refused(tmp_path):
    body = '[design]\nkind = "sobol"\nsamples = 100000\n' + RANGE
    with pytest.raises(ConfigError, match="300,000 points"):
        load_sweep(sweep_file(tmp_path, body))


def test_a_design_point_over_the_memory_limit_is_refused_before_any_run(tmp_path):
    """The sweep checks every point's estimated memory (sim.footprint) before the first run."""
    sweep = tmp_path / "big.toml"
    sweep.write_text(
        f'name = "big"\nbase = "{REPO}/configs/scenarios/street_flood.toml"\n'
        'replications = 1\n[design]\nkind = "factorial"\n[factors]\n'
        '"population.n_residents" = [1000, 10000000]\n'
        '"population.residents_per_grid" = [50]\n'
    )
    out = tmp_path / "out"
    code = main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--max-memory", "1G"])
    assert code == 2
    assert not (out / "parts").exists() or not any((out / "parts").iterdir())


# --- the results folder: refused unless it is empty, this sweep (--resume) or --force -----------

TINY_FIXED = (
    '[fixed]\n"population.n_residents" = 2000\n"time.peace_days" = 2\n"time.war_hours" = 6\n'
)


def tiny_sweep(tmp_path: Path, name: str, levels: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\nbase = "{BASE}"\nreplications = 1\n{TINY_FIXED}'
        f'[factors]\n"reporting.mechanism" = [{levels}]\n',
        encoding="utf-8",
    )
    return path


def sweep_main(capsys, *argv: str) -> tuple[int, str]:
    code = main(["sweep", *argv, "--workers", "1", "--quiet"])
    return code, capsys.readouterr().err


def test_a_folder_that_holds_no_sweep_is_refused_unless_forced(tmp_path, capsys):
    sweep = tiny_sweep(tmp_path, "one", '"direct"')
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "f").write_text("x\n")
    for extra in ([], ["--resume"]):
        code, err = sweep_main(capsys, str(sweep), "--out", str(junk), *extra)
        assert code == 2 and err.count("\n") == 1 and "usage:" not in err
        assert err == (
            f"grassroots sweep: error: --out {junk}: the folder exists and is not "
            f"empty, and holds no sweep{' to resume' if extra else ''} (no "
            "manifest.json or parts/): choose another --out, or add --force to "
            "write the sweep into it\n"
        )
        assert [p.name for p in junk.iterdir()] == ["f"]  # nothing written
    code, err = sweep_main(capsys, str(sweep), "--out", str(junk / "f"))
    assert (
        code == 2
        and err == f"grassroots sweep: error: --out {junk / 'f'}: exists and is not a folder\n"
    )
    code, err = sweep_main(capsys, str(sweep), "--out", str(junk), "--force")
    assert code == 0, err
    assert (junk / "f").read_text() == "x\n" and (junk / "runs.parquet").exists()


def test_force_replaces_an_earlier_sweep_and_resume_finishes_the_same_one(tmp_path, capsys):
    import json

    import pandas as pd

    two = tiny_sweep(tmp_path, "two", '"hierarchical", "direct"')
    one = tiny_sweep(tmp_path, "one", '"direct"')
    out = tmp_path / "out"
    assert sweep_main(capsys, str(two), "--out", str(out))[0] == 0
    (out / "report").mkdir()
    (out / "report" / "index.html").write_text("the report of sweep 'two'")
    (out / "notes.txt").write_text("mine")
    code, err = sweep_main(capsys, str(two), "--out", str(out))  # the same sweep, again
    assert code == 2 and err == (
        f"grassroots sweep: error: --out {out}: the folder already "
        "holds a sweep: add --resume to finish it, or --force to "
        "replace it, or choose another --out\n"
    )
    assert sweep_main(capsys, str(two), "--out", str(out), "--resume")[0] == 0
    code, err = sweep_main(capsys, str(one), "--out", str(out), "--resume")  # another sweep
    assert code == 2 and err.startswith(
        f"grassroots sweep: error: --out {out}: cannot resume: it holds a different sweep"
    )
    assert err.endswith("(add --force to replace it, or choose another --out)\n")
    assert sweep_main(capsys, str(one), "--out", str(out), "--force")[0] == 0
    assert json.loads((out / "manifest.json").read_text())["sweep"] == "one"
    assert SweepStore(out).done() == {"p0000-r000"}  # the earlier sweep's rows are gone
    assert list(pd.read_parquet(out / "runs.parquet")["reporting.mechanism"]) == ["direct"]
    assert not (out / "report").exists() and (out / "notes.txt").read_text() == "mine"


def test_an_empty_folder_or_one_a_sweep_never_started_in_is_used(tmp_path, capsys):
    sweep = tiny_sweep(tmp_path, "one", '"direct"')
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sweep_main(capsys, str(sweep), "--out", str(empty))[0] == 0
    unstarted = tmp_path / "unstarted"  # killed between making its folders and its manifest
    for name in ("parts", "timeseries", "needs"):
        (unstarted / name).mkdir(parents=True)
    (unstarted / ".manifest.json.123.tmp").write_text("{")
    assert sweep_main(capsys, str(sweep), "--out", str(unstarted))[0] == 0
    assert sweep_main(capsys, str(sweep), "--out", str(tmp_path / "new"), "--resume")[0] == 0
