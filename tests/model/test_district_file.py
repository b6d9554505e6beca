"""A district file (space.layout = "district"): read, checked, and run like a generated
township, with its own residents per grid, elderly shares, names and travel minutes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.district import load_district
from sim.footprint import estimate
from sim.params import Config, ConfigError
from sim.residents import make_residents
from sim.scenario import load_scenario
from sim.township import Township, generate

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS = [700, 500, 900, 400]
SMALL = {"time": {"peace_days": 2, "war_hours": 6.0}}


def square(x: float, y: float) -> list:
    return [
        [[[x - 50, y - 50], [x + 50, y - 50], [x + 50, y + 50], [x - 50, y + 50], [x - 50, y - 50]]]
    ]


def district_data() -> dict:
    """Four grids in a row (two communities), their offices, a command post, a shelter and a
    unit; travel minutes on the edges."""
    grids = [
        {
            "name": name,
            "residents": r,
            "community": c,
            "lowlying": low,
            "centroid": [100.0 * i, 0.0],
            "polygon": square(100.0 * i, 0.0),
            **({"elderly_share": share} if share is not None else {}),
        }
        for i, (name, r, c, low, share) in enumerate(
            zip(
                ["Riverside", "Mill Lane", "Hill", "Station"],
                RESIDENTS,
                [0, 0, 1, 1],
                [True, True, False, False],
                [0.6, None, 0.0, None],
            )
        )
    ]
    sites = [
        {"kind": "community_office", "name": "Riverside office", "host": 0},
        {"kind": "community_office", "name": "Hill office", "host": 2},
        {"kind": "command_post", "name": "Town hall", "host": 1, "pos": [120.0, 10.0]},
        {"kind": "shelter", "name": "School", "host": 2, "community": 1},
        {"kind": "unit", "name": "Market", "host": 3},
    ]
    edges = [
        [0, 1, 4.0],
        [1, 2, 6.5],
        [2, 3, 3.0],
        [4, 0, 1.0],
        [5, 2, 1.5],
        [6, 1, 2.0],
        [7, 2, 2.5],
        [8, 3, 3.5],
    ]
    return {
        "format": "grassroots-district",
        "version": 1,
        "name": "riverside",
        "units": "m",
        "communities": ["River", "Hill"],
        "grids": grids,
        "sites": sites,
        "edges": edges,
    }


def write_district(
    folder: Path, data: dict | None = None, n_residents: int | None = None, extra: str = ""
) -> Path:
    """district.json and a scenario beside it (base: the street flood); the scenario."""
    data = district_data() if data is None else data
    (folder / "district.json").write_text(json.dumps(data))
    total = n_residents if n_residents is not None else sum(RESIDENTS)
    scenario = folder / "riverside.toml"
    scenario.write_text(
        f'name = "riverside"\nbase = "{ROOT}/configs/scenarios/street_flood.toml"'
        f'\n[population]\nn_residents = {total}\n[space]\nlayout = "district"'
        f'\ndistrict_file = "district.json"\n[time]\npeace_days = 2\n'
        f"war_hours = 6.0\n{extra}"
    )
    return scenario


def test_a_district_is_read_into_the_township(tmp_path):
    config = load_scenario(write_district(tmp_path))
    assert config.space.district_file == str((tmp_path / "district.json").resolve())
    tw = sim.township.build_township(config, 1)
    assert tw.n_grids == 4 and tw.n_communities == 2 and tw.n_nodes == 9
    assert tw.grid_community.tolist() == [0, 0, 1, 1]
    assert tw.lowlying.tolist() == [True, True, False, False]
    assert tw.office_node.tolist() == [4, 5] and tw.command_node == 6
    assert tw.shelter_nodes == [7] and tw.unit_nodes == [8] and tw.unit_community == [1]
    assert tw.grid_names == ("Riverside", "Mill Lane", "Hill", "Station")
    assert tw.node_kinds()[4:] == [
        "community_office",
        "community_office",
        "command_post",
        "shelter",
        "unit",
    ]
    assert tw.graph.nodes[6]["pos"] == (120.0, 10.0)  # its own point
    assert tw.graph.nodes[7]["pos"] == (200.0, 0.0)  # none given: its host grid's
    # shortest paths over the given minutes: Riverside -> Station = 4 + 6.5 + 3
    assert tw.travel[0, 3] == pytest.approx(13.5)
    assert tw.travel[4, 8] == pytest.approx(1 + 13.5 + 3.5)
    assert tw.nearest_shelter.tolist() == [7, 7, 7, 7]


def test_residents_and_elderly_shares_come_from_the_district(tmp_path):
    config = load_scenario(write_district(tmp_path))
    tw = sim.township.build_township(config, 1)
    res = make_residents(
        config.population,
        tw.n_grids,
        np.random.default_rng(3),
        tw.grid_residents,
        tw.grid_elderly_share,
    )
    assert res.grid_size.tolist() == RESIDENTS
    elderly = np.bincount(res.grid, weights=res.elderly, minlength=4) / RESIDENTS
    assert elderly[0] > 0.5 and elderly[2] == 0  # 0.6 and 0.0 given
    assert 0.1 < elderly[1] < 0.3  # none given: the population's share_60plus (0.2)
    # a household never spans two grids
    assert np.all(
        res.grid[res.household_start]
        == res.grid[np.minimum(res.household_start + res.household_size - 1, res.n - 1)]
    )


def test_a_district_runs_and_names_its_grids(tmp_path):
    config = load_scenario(
        write_district(tmp_path, extra="[fire]\nenabled = true\nduration_hours = 5.0\n")
    )
    result = sim.simulate(config, seed=2, keep_model=True)
    assert result.n_residents == sum(RESIDENTS)
    assert result.outcomes["needs_total"].iloc[0] > 0
    assert result.model.grid_label(1) == "Mill Lane"
    names = {"Riverside", "Mill Lane", "Hill", "Station"}
    assert any(name in text for text in result.events["text"] for name in names)
    # the same run again: a district has no random layout
    again = sim.simulate(config, seed=2)
    assert result.outcomes.equals(again.outcomes)


def test_the_memory_estimate_counts_the_districts_nodes(tmp_path):
    config = load_scenario(write_district(tmp_path))
    tw = sim.township.build_township(config, 1)
    footprint = estimate(config)
    assert footprint.nodes == tw.n_nodes
    assert footprint.travel == 2 * tw.travel.nbytes  # the flood keeps two matrices


def test_n_residents_must_be_the_districts_total(tmp_path):
    with pytest.raises(
        ConfigError,
        match=r"riverside.toml: population.n_residents: must be "
        r"the district's residents, 2,500 .* got 3,000",
    ):
        load_scenario(write_district(tmp_path, n_residents=3000))
    config = load_scenario(write_district(tmp_path))
    with pytest.raises(ConfigError, match="population.n_residents"):
        sim.scenario.apply_overrides(config, {"population.n_residents": 2000})


def test_the_generators_network_rebuilds_the_same_township():
    config = Config().with_overrides(
        {"population.n_residents": 9000, "space.layout": "random_geometric"}
    )
    a = Township(config.population, config.space, np.random.default_rng(4))
    b = Township.from_network(generate(config.population, config.space, np.random.default_rng(4)))
    np.testing.assert_array_equal(a.travel, b.travel)
    assert list(a.graph.edges) == list(b.graph.edges)
    assert a.grid_names is None and a.grid_residents is None


def test_missing_file_and_layout_without_file(tmp_path):
    scenario = write_district(tmp_path)
    (tmp_path / "district.json").unlink()
    with pytest.raises(
        ConfigError,
        match=r"space.district_file: file not found: .*"
        r"district.json",
    ):
        load_scenario(scenario)
    with pytest.raises(ConfigError, match="layout 'district' needs a district file"):
        load_scenario(overrides={"space.layout": "district"})


def _broken(change):
    data = copy.deepcopy(district_data())
    change(data)
    return data


BAD = {
    "not json": ("{", "not valid JSON"),
    "format": (
        _broken(lambda d: d.update(format="geojson")),
        "format: must be 'grassroots-district'",
    ),
    "residents missing": (
        _broken(lambda d: d["grids"][2].pop("residents")),
        r"grids\[2\] \('Hill'\).residents: must be a whole number of at "
        r"least 1, got nothing",
    ),
    "residents negative": (
        _broken(lambda d: d["grids"][1].update(residents=-5)),
        r"grids\[1\] \('Mill Lane'\).residents: .* got -5",
    ),
    "elderly share": (
        _broken(lambda d: d["grids"][0].update(elderly_share=1.5)),
        r"grids\[0\] \('Riverside'\).elderly_share: must be a share",
    ),
    "community index": (
        _broken(lambda d: d["grids"][3].update(community=2)),
        r"grids\[3\] \('Station'\).community: must be the index of one of "
        r"the 2 communities",
    ),
    "centroid": (
        _broken(lambda d: d["grids"][0].update(centroid=[1.0])),
        r"grids\[0\] \('Riverside'\).centroid: must be \[x, y\]",
    ),
    "duplicate name": (
        _broken(lambda d: d["grids"][1].update(name="Riverside")),
        "two grids are named 'Riverside'",
    ),
    "site kind": (
        _broken(lambda d: d["sites"][3].update(kind="hospital")),
        r"sites\[3\] \('School'\).kind: must be one of",
    ),
    "no office": (
        _broken(lambda d: d["sites"][1].update(kind="shelter")),
        "community 'Hill' has no community_office",
    ),
    "two offices": (
        _broken(lambda d: d["sites"][1].update(community=0)),
        r"sites\[1\] \('Hill office'\).community: community 'River' already "
        r"has an office",
    ),
    "no command": (_broken(lambda d: d["sites"][2].update(kind="unit")), "no command_post"),
    "edge node": (
        _broken(lambda d: d["edges"].append([0, 9, 1.0])),
        r"edges\[8\]: must be \[a, b, minutes\] with nodes 0 to 8",
    ),
    "edge minutes": (
        _broken(lambda d: d["edges"][0].__setitem__(2, 0)),
        r"edges\[0\]: minutes must be a finite number above 0",
    ),
    "edge twice": (
        _broken(lambda d: d["edges"].append([1, 0, 2.0])),
        r"edges\[8\]: a second edge between nodes 1 and 0",
    ),
    "not connected": (
        _broken(lambda d: d["edges"].pop(1)),
        "edges: the network is not connected: grid 'Hill' .* cannot be reached "
        "from grid 'Riverside'",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_a_broken_district_file_names_the_field(tmp_path, case):
    data, message = BAD[case]
    (tmp_path / "district.json").write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(ConfigError, match=message) as info:
        load_district(tmp_path / "district.json")
    assert str(info.value).startswith(str(tmp_path / "district.json"))
    assert "\n" not in str(info.value)


def test_a_district_file_given_as_an_override_is_from_the_working_folder(tmp_path, monkeypatch):
    write_district(tmp_path)
    monkeypatch.chdir(tmp_path)
    config = load_scenario(
        overrides={
            "space.layout": "district",
            "space.district_file": "district.json",
            "population.n_residents": sum(RESIDENTS),
        }
    )
    assert config.space.district_file == str(tmp_path / "district.json")


@pytest.mark.parametrize(
    "name, message",
    [
        ("a\\u0000b", "not a file name"),
        ("/dev/zero", "not a regular file"),
        (".", "not a regular file"),
        ("x" * 5000, "cannot read"),
    ],
)
def test_a_district_file_that_cannot_be_one(tmp_path, name, message):
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[space]\nlayout = "district"\ndistrict_file = "{name}"\n')
    with pytest.raises(ConfigError, match=f"s.toml: space.district_file: {message}") as info:
        load_scenario(scenario)
    assert len(str(info.value)) < 400
