"""Scenario loading (sim/scenario.py) and the generated base configuration (configdoc)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.docs.configdoc import BASE_TOML, render_base_toml, render_toml
from sim.params import Config, ConfigError, describe
from sim.scenario import DEFAULT_SCENARIO, SCENARIO_DIR, load_scenario

SCENARIOS = sorted(SCENARIO_DIR.glob("*.toml"))

# (file text, key named in the error, a word of what is allowed)
BAD_FILES = {
    "unknown section": ("[weather]\nrain = 1\n", "weather", "population"),
    "unknown key": ("[flood]\nrain_mm = 1\n", "flood.rain_mm", "road_cut_share"),
    "wrong type": ('[time]\nwar_hours = "long"\n', "time.war_hours", "number"),
    "out of range": ("[flood]\nroad_cut_share = 1.5\n", "flood.road_cut_share", "between"),
    "bad choice": ('[reporting]\nmechanism = "telepathy"\n', "reporting.mechanism", "hierarchical"),
    "bad bool": ("[fire]\nenabled = 1\n", "fire.enabled", "true or false"),
    "not whole": ("[population]\nn_residents = 2.5\n", "population.n_residents", "whole"),
    "nan": ("[time]\nwar_hours = nan\n", "time.war_hours", "finite"),
    "inf int": ("[population]\nn_residents = inf\n", "population.n_residents", "finite"),
    "section not table": ("flood = 3\n", "flood", "table"),
    "unknown top-level key": ('title = "x"\n', "title", "description"),
    "name not string": ("name = 3\n", "name", "string"),
}


def write(directory: Path, text: str | bytes, name: str = "scenario.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_value_names_file_key_and_allowed(tmp_path, case):
    text, key, allowed = BAD_FILES[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(path) in message and key in message and allowed in message
    assert info.value.key == key and info.value.source == str(path)


@pytest.mark.parametrize(
    "case, content, words",
    [
        ("missing", None, "not found"),
        ("directory", "dir", "directory"),
        ("not utf-8", b"[time]\nwar_hours = 1 # \xff\xfe\n", "UTF-8"),
        ("syntax error", "[time\nwar_hours = 1\n", "TOML syntax error"),
        ("syntax error in value", "[time]\nwar_hours = = 3\n", "line 2"),
    ],
)
def test_unreadable_file_names_the_file(tmp_path, case, content, words):
    path = tmp_path / "scenario.toml"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        write(tmp_path, content)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert info.value.source == str(path)


def test_default_scenario_is_street_flood():
    config = load_scenario()
    assert DEFAULT_SCENARIO.is_file()
    assert config.name == "street_flood"
    assert config.flood.enabled and config.space.layout == "lattice"
    assert config.population.n_residents == 30_000 and config.time.war_hours == 72


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_load(path):
    config = load_scenario(path)
    assert config.name == path.stem
    data = tomllib.loads(path.read_text())
    assert data["base"] == "../base.toml" and data["description"]
    for section, values in data.items():
        if isinstance(values, dict):
            for key, value in values.items():
                assert getattr(getattr(config, section), key) == value


def test_shipped_scenarios_are_the_three_expected():
    assert [p.stem for p in SCENARIOS] == ["street_epidemic", "street_flood", "township_typhoon"]


def test_township_typhoon_is_two_hazards():
    config = load_scenario(SCENARIO_DIR / "township_typhoon.toml")
    assert config.flood.enabled and config.fire.enabled
    assert config.fire.onset_hour >= config.flood.onset_hour + config.flood.duration_hours
    assert config.space.layout == "random_geometric"


def test_base_toml_is_in_sync_with_params():
    assert BASE_TOML.read_text() == render_base_toml(), (
        "configs/base.toml is out of date: run `grassroots config --write-base`"
    )


def test_base_toml_holds_the_defaults_and_documents_every_parameter():
    assert load_scenario(BASE_TOML).to_dict() == Config().to_dict()
    text = BASE_TOML.read_text()
    for row in describe(shipped_only=True):  # not those a test's plugin registered
        assert f"\n{row['name']} = " in text and row["unit"] in text


def test_base_is_applied_first_relative_to_the_file(tmp_path):
    write(tmp_path, "[flood]\nroad_cut_share = 0.5\nsevere_share = 0.4\n", "base.toml")
    path = write(
        tmp_path,
        'name = "mine"\ndescription = "d"\nbase = "../base.toml"\n[flood]\nsevere_share = 0.25\n',
        "scenarios/mine.toml",
    )
    config = load_scenario(path)
    assert config.name == "mine"
    assert config.flood.road_cut_share == 0.5 and config.flood.severe_share == 0.25


def test_name_defaults_to_file_stem(tmp_path):
    assert load_scenario(write(tmp_path, "", "quiet_night.toml")).name == "quiet_night"


def test_error_in_base_names_the_base_file(tmp_path):
    base = write(tmp_path, "[flood]\nroad_cut_share = 2\n", "base.toml")
    path = write(tmp_path, 'base = "base.toml"\n', "s.toml")
    with pytest.raises(ConfigError, match="road_cut_share") as info:
        load_scenario(path)
    assert info.value.source == str(base.resolve())


def test_missing_base_and_base_cycle(tmp_path):
    path = write(tmp_path, 'base = "nowhere.toml"\n', "s.toml")
    with pytest.raises(ConfigError, match="nowhere.toml") as info:
        load_scenario(path)
    assert info.value.key == "base" and info.value.source == str(path)
    write(tmp_path, 'base = "b.toml"\n', "a.toml")
    write(tmp_path, 'base = "a.toml"\n', "b.toml")
    with pytest.raises(ConfigError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def test_overrides_are_applied_and_checked():
    config = load_scenario(
        overrides={
            "reporting.mechanism": "hierarchical",
            "population.n_residents": 2000,
            "name": "small",
        }
    )
    assert config.reporting.mechanism == "hierarchical"
    assert config.population.n_residents == 2000 and config.name == "small"
    assert config.flood.enabled  # the rest is still the default scenario
    with pytest.raises(ConfigError, match="override: reporting.mechanism: must be one of"):
        load_scenario(overrides={"reporting.mechanism": "telepathy"})
    with pytest.raises(ConfigError, match="unknown key; allowed in \\[flood\\]"):
        load_scenario(overrides={"flood.rain": 1})
    with pytest.raises(ConfigError, match="finite"):
        load_scenario(overrides={"time.war_hours": "nan"})


def value_strategy(row):
    if row["choices"]:
        return st.sampled_from(row["choices"])
    if row["type"] == "bool":
        return st.booleans()
    if row["type"] == "str":
        return st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]))
    if row["type"] == "int":
        return st.integers(row["low"] and int(row["low"]), row["high"] and int(row["high"]))
    return st.floats(row["low"], row["high"], allow_nan=False, allow_infinity=False)


@settings(max_examples=50, deadline=None)
@given(st.fixed_dictionaries({row["key"]: value_strategy(row) for row in describe()}))
def test_rendered_toml_reads_back_to_the_same_config(values):
    config = dataclasses.replace(Config().with_overrides(values), name="x")
    text = render_toml(config, header='name = "x"\n')
    assert Config.from_dict(tomllib.loads(text)) == config


def test_shipped_or_path_finds_names_and_paths_and_names_the_shipped_ones(tmp_path):
    from sim.scenario import shipped_or_path

    assert (
        shipped_or_path("township_typhoon", SCENARIO_DIR) == SCENARIO_DIR / "township_typhoon.toml"
    )
    assert (
        shipped_or_path("township_typhoon.toml", SCENARIO_DIR)
        == SCENARIO_DIR / "township_typhoon.toml"
    )
    own = tmp_path / "mine.toml"
    own.write_text('name = "mine"\n')
    assert shipped_or_path(str(own), SCENARIO_DIR) == own
    with pytest.raises(ConfigError, match="file not found.*street_flood") as e:
        shipped_or_path("no_such_scenario", SCENARIO_DIR)
    assert e.value.source == "no_such_scenario"
    with pytest.raises(ConfigError, match=r"shipped sweeps: mine\)"):  # a name, not a path
        shipped_or_path("x/township_typhoon", tmp_path, "sweeps")
