"""The ``grassroots`` command line (experiments/cli/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli.args import parse_sets, parse_value
from experiments.cli.main import main
from experiments.docs import configdoc
from sim.params import ConfigError

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "--set",
    "population.n_residents=2000",
    "--set",
    "time.peace_days=3",
    "--set",
    "time.war_hours=6",
]
OUTCOME_KEYS = {
    "mean_response_min",
    "p90_response_min",
    "share_met_within_target",
    "total_harm",
    "needs_total",
    "needs_resolved",
    "mean_reporting_delay_min",
    "peak_backlog",
    "workload_gini",
    "duplicate_dispatches",
}
SUMMARY_KEYS = {"outcomes", "parameters", "scenario", "seed", "version", "git_revision", "created"}

# (file text or None for a missing file, --set arguments, words the message must contain)
BAD_INPUT = {
    "unknown section": ("[weather]\nrain = 1\n", [], ["weather", "unknown section"]),
    "unknown key": ("[flood]\nrain_mm = 1\n", [], ["flood.rain_mm", "road_cut_share"]),
    "wrong type": ('[time]\nwar_hours = "long"\n', [], ["time.war_hours", "number"]),
    "out of range": ("[flood]\nroad_cut_share = 1.5\n", [], ["flood.road_cut_share", "0 and 1"]),
    "bad choice": ('[reporting]\nmechanism = "x"\n', [], ["reporting.mechanism", "direct"]),
    "syntax error": ("[time\n", [], ["TOML syntax error", "line 1"]),
    "missing file": (None, [], ["not found", "street_flood"]),
    "set unknown key": ("", ["--set", "flood.rain=1"], ["--set", "flood.rain", "allowed"]),
    "set unknown section": ("", ["--set", "weather.rain=1"], ["weather", "allowed"]),
    "set out of range": ("", ["--set", "time.war_hours=0"], ["time.war_hours", "between"]),
    "set bad choice": ("", ["--set", "space.layout=hex"], ["space.layout", "lattice"]),
    "set without =": ("", ["--set", "time.war_hours"], ["section.key=value"]),
}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def scenario_file(tmp_path: Path, text: str | None) -> Path:
    path = tmp_path / "scenario.toml"
    if text is not None:
        path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["run", "config"])
@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_exits_2_with_one_message(tmp_path, capsys, case, command):
    text, sets, words = BAD_INPUT[case]
    path = scenario_file(tmp_path, text)
    code, out, err = cli(capsys, command, str(path), *sets)
    assert code == 2
    assert "Traceback" not in err and out == ""
    assert err.startswith(f"grassroots {command}: error: ") and err.count("\n") == 1
    assert ("--set: " if sets else f"{path}: ") in err  # names where the value came from
    for word in words:
        assert word in err


@pytest.mark.parametrize("case", ["unknown key", "syntax error", "set out of range"])
def test_bad_input_from_a_real_process(tmp_path, case):
    text, sets, words = BAD_INPUT[case]
    path = scenario_file(tmp_path, text)
    done = subprocess.run(
        [sys.executable, "-m", "experiments.cli", "run", str(path), *sets],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert all(word in done.stderr for word in words)


# Every way the parser itself refuses a command line: (argv, the words of the message). Each
# printed argparse's usage text before its error line until the parser printed one line.
PARSER_ERRORS = [
    ([], "grassroots: error: the following arguments are required: COMMAND"),
    (["fly"], "grassroots: error: argument COMMAND: invalid choice: 'fly'"),
    (["run", "--seed", "abc"], "argument --seed: must be a whole number, got 'abc'"),
    (["run", "--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
    (["run", "--seed", "-1e3"], "argument --seed: must be a whole number, got '-1e3'"),
    (["run", "--nope"], "unrecognized arguments: --nope"),
    (["run", "a.toml", "b.toml"], "unrecognized arguments: b.toml"),
    (["run", "--max-memory"], "argument --max-memory: expected one argument"),
    (["config", "--toml", "--json"], "argument --json: not allowed with argument --toml"),
    (["sweep"], "the following arguments are required: SWEEP"),
    (
        ["sweep", "s.toml", "--workers", "2", "--local-cluster", "2"],
        "argument --local-cluster: not allowed with argument --workers",
    ),
    (
        ["sweep", "s.toml", "--resume", "--force"],
        "argument --force: not allowed with argument --resume",
    ),
    (["sweep", "s.toml", "--replications", "0"], "argument --replications: must be 1 or more"),
    (["sweep", "s.toml", "--run-timeout", "0"], "argument --run-timeout: must be more than 0"),
    (["sweep", "s.toml", "--scheduler", "ftp://h:1"], "argument --scheduler: 'ftp://h:1'"),
    (["demo", "--port", "70000"], "argument --port: must be a port from 1 to 65535"),
    (["demo", "--lang", "fr"], "argument --lang: invalid choice: 'fr'"),
    (["demo", "--replay", "dir"], "argument --replay: expected 2 arguments"),
    (["report"], "the following arguments are required: DIR"),
    (["report", "d", "--margin", "-1"], "argument --margin: must be a number >= 0"),
    (["report", "d", "--resamples", "x"], "argument --resamples: must be a whole number"),
    (["report", "d", "--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
    (
        ["report", "d", "--gain-threshold", "nan"],
        "argument --gain-threshold: must be a finite number, got 'nan'",
    ),
    (["calibrate"], "the following arguments are required: --params, --budget, --out"),
    (
        ["calibrate", "--params", "time.war_hours", "--budget", "0", "--out", "d"],
        "argument --budget: must be 1 or more",
    ),
    (["validate", "--seeds", "0"], "argument --seeds: must be 1 or more"),
    (["validate", "a", "b"], "unrecognized arguments: b"),
]


@pytest.mark.parametrize("argv, words", PARSER_ERRORS)
def test_bad_arguments_exit_2_with_one_line_and_no_usage(capsys, argv, words):
    code, out, err = cli(capsys, *argv)
    command = f"grassroots {argv[0]}" if argv and argv[0] != "fly" else "grassroots"
    assert code == 2 and out == "" and words in err, err
    assert err.startswith(f"{command}: error: ") and err.count("\n") == 1, err
    assert f"(see {command} --help)" in err
    assert "usage:" not in err and "Traceback" not in err


def test_abbreviated_options_are_refused_not_guessed(capsys, tmp_path):
    """`report DIR --out X` once meant `--outcomes X`: prefixes of options are not accepted."""
    code, _, err = cli(capsys, "report", str(tmp_path), "--out", str(tmp_path / "x"))
    assert code == 2 and "unrecognized arguments: --out" in err
    code, _, err = cli(capsys, "run", "--se", "3")
    assert code == 2 and "unrecognized arguments: --se" in err


def test_help_exits_0(capsys):
    code, out, _ = cli(capsys, "run", "--help")
    assert code == 0 and "--set" in out


@pytest.mark.parametrize(
    "text, value",
    [
        ("3", 3),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("true", True),
        ("false", False),
        ("direct", "direct"),
        ('"direct"', "direct"),
        ("random_geometric", "random_geometric"),
        ("1\nx = 2", "1\nx = 2"),
        ("a b", "a b"),
    ],
)
def test_set_values_are_toml_or_text(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_set_parsing_last_wins():
    assert parse_sets(["a.b=1", " a.b = 2 ", "c.d=x=y"]) == {"a.b": 2, "c.d": "x=y"}
    with pytest.raises(ConfigError):
        parse_sets(["=3"])


def test_config_shows_scenario_with_overrides(capsys):
    code, out, _ = cli(
        capsys,
        "config",
        "township_typhoon",
        "--set",
        "reporting.mechanism=hierarchical",
        "--set",
        "fire.enabled=false",
    )
    assert code == 0 and "Scenario: township_typhoon" in out
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}
    assert lines["reporting.mechanism"] == '"hierarchical"'
    assert lines["fire.enabled"] == "false" and lines["space.layout"] == '"random_geometric"'


def test_config_toml_reads_back(capsys, tmp_path):
    code, out, _ = cli(
        capsys, "config", "street_epidemic", "--toml", "--set", "volunteers.team_size_per_1000=20"
    )
    assert code == 0
    path = tmp_path / "resolved.toml"
    path.write_text(out)
    code, again, _ = cli(capsys, "config", str(path), "--toml")
    assert code == 0 and again == out


def test_write_base(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(configdoc, "BASE_TOML", tmp_path / "base.toml")
    code, out, _ = cli(capsys, "config", "--write-base")
    assert code == 0 and str(tmp_path / "base.toml") in out
    assert (tmp_path / "base.toml").read_text() == configdoc.render_base_toml()


def test_run_end_to_end(capsys, tmp_path):
    """A tiny run writes the whole results folder (needs the model in sim/)."""
    out_dir = tmp_path / "out"
    code, out, err = cli(capsys, "run", *TINY, "--seed", "3", "--out", str(out_dir))
    assert code == 0, err
    assert str(out_dir) in out and "mean_response_min" in out
    for name in ("summary.json", "timeseries.parquet", "needs.parquet", "run.png"):
        assert (out_dir / name).stat().st_size > 0, name
    assert not list(out_dir.glob(".*.tmp"))
    summary = json.loads((out_dir / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert OUTCOME_KEYS <= set(summary["outcomes"])
    assert summary["scenario"] == "street_flood" and summary["seed"] == 3
    assert summary["parameters"]["population"]["n_residents"] == 2000
    assert summary["parameters"]["time"]["war_hours"] == 6
    timeseries = pd.read_parquet(out_dir / "timeseries.parquet")
    assert {"time_min", "backlog", "cum_harm", "responders_busy"} <= set(timeseries.columns)
    needs = pd.read_parquet(out_dir / "needs.parquet")
    assert {"created_min", "reached_min", "resolved_min"} <= set(needs.columns)


def test_config_json_lists_every_parameter_with_its_plausible_range(capsys):
    from sim.params import describe

    assert (
        main(["config", "township_typhoon", "--json", "--set", "reporting.mechanism=hierarchical"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    rows = {r["key"]: r for r in data["parameters"]}
    assert data["scenario"] == "township_typhoon"
    assert set(rows) == {r["key"] for r in describe()}
    assert rows["reporting.mechanism"]["value"] == "hierarchical"  # the scenario's, not default
    for r in rows.values():
        assert set(r) == {
            "key",
            "value",
            "type",
            "unit",
            "allowed",
            "plausible",
            "source",
            "description",
        }
        assert r["plausible"] is None or r["plausible"][0] <= r["plausible"][1]
    assert rows["routine.cases_per_1000_per_day"]["plausible"] is not None
