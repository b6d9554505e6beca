"""Your own district (`grassroots district import|export`, experiments/district): the shipped
example on a real street network imported and run through simulate, `run`, a sweep,
`report` and the classroom map; the synthetic township exported and run the same; every
bad input refused in one line that names the file and the feature."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas", reason="the 'district' extra is not installed")
pytest.importorskip("pyrosm", reason="the 'district' extra is not installed")

from experiments.cli.main import main  # noqa: E402
from sim import simulate  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.township import build_township  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs/districts/kotka"
INPUTS = ("grids.geojson", "sites.geojson", "flood.geojson", "roads.osm.pbf")
SHORT = ["--set", "time.peace_days=2", "--set", "time.war_hours=8.0"]
SHORT_OVERRIDES = {"time.peace_days": 2, "time.war_hours": 8.0}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def inputs(tmp_path) -> Path:
    """A copy of the example's input files, to break."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in INPUTS:
        shutil.copy(EXAMPLE / name, folder / name)
    return folder


def import_args(folder: Path, out: Path, **files: str) -> list[str]:
    paths = {
        "grids": "grids.geojson",
        "sites": "sites.geojson",
        "flood": "flood.geojson",
        "roads": "roads.osm.pbf",
        **files,
    }
    args = ["district", "import", "--name", "kotka", "--out", str(out)]
    for option, name in paths.items():
        if name:
            args += [f"--{option}", str(folder / name)]
    return args


# --- the shipped example ---------------------------------------------------------------


def test_importing_the_example_gives_the_shipped_district(inputs, tmp_path, capsys):
    code, out, err = cli(capsys, *import_args(inputs, tmp_path / "out"))
    assert code == 0, err
    assert "29 grids (3 low-lying), 4,500 residents, 6 communities" in out
    made = json.loads((tmp_path / "out/district.json").read_text())
    shipped = json.loads((EXAMPLE / "district.json").read_text())
    assert made["communities"] == shipped["communities"]
    for key in ("name", "residents", "elderly_share", "lowlying", "community"):
        assert [g[key] for g in made["grids"]] == [g[key] for g in shipped["grids"]], key
    np.testing.assert_allclose(
        [g["centroid"] for g in made["grids"]], [g["centroid"] for g in shipped["grids"]], atol=0.2
    )
    assert [(s["kind"], s["name"], s["host"], s["community"]) for s in made["sites"]] == [
        (s["kind"], s["name"], s["host"], s["community"]) for s in shipped["sites"]
    ]
    assert [e[:2] for e in made["edges"]] == [e[:2] for e in shipped["edges"]]
    np.testing.assert_allclose(
        [e[2] for e in made["edges"]], [e[2] for e in shipped["edges"]], rtol=1e-6
    )
    scenario = (tmp_path / "out/kotka.toml").read_text()
    assert 'layout = "district"' in scenario and "n_residents = 4500" in scenario


def test_the_example_runs_with_its_own_grids_and_names():
    config = load_scenario(EXAMPLE / "kotka.toml", overrides=SHORT_OVERRIDES)
    township = build_township(config, 1)
    assert township.n_grids == 29 and township.n_communities == 6
    assert township.grid_names[0] == "Ristinkallio 1" and township.lowlying.sum() == 3
    assert len(township.shelter_nodes) == 3 and len(township.unit_nodes) == 3
    result = simulate(config, seed=1, keep_model=True)
    assert result.n_residents == 4500 == int(result.model.residents.grid_size.sum())
    assert result.model.residents.grid_size.tolist() == [
        g["residents"] for g in json.loads((EXAMPLE / "district.json").read_text())["grids"]
    ]
    assert result.outcomes["needs_total"].iloc[0] > 0
    assert result.outcomes["mean_travel_min"].iloc[0] > 0


def test_the_example_through_run_sweep_report_and_the_classroom(tmp_path, capsys):
    scenario = EXAMPLE / "kotka.toml"
    code, _, err = cli(
        capsys, "run", scenario, *SHORT, "--seed", "2", "--quiet", "--out", tmp_path / "run"
    )
    assert code == 0, err
    code, _, err = cli(capsys, "report", tmp_path / "run")
    assert code == 0, err
    svg = (tmp_path / "run/report/map.svg").read_text()
    assert "Marttila 1" in svg and "Ristinkallio 11" in svg  # the grids' own names

    sweep = tmp_path / "tiny.toml"
    sweep.write_text(
        f'name = "kotka_tiny"\nbase = "{scenario}"\nreplications = 2\n'
        'master_seed = 3\n[fixed]\n"time.peace_days" = 2\n'
        '"time.war_hours" = 8.0\n[design]\nkind = "factorial"\n[factors]\n'
        '"organization.structure" = ["siloed", "integrated_party"]\n'
    )
    code, _, err = cli(capsys, "sweep", sweep, "--workers", "1", "--out", tmp_path / "sweep")
    assert code == 0, err
    runs = pd.read_parquet(tmp_path / "sweep/runs.parquet")
    assert len(runs) == 4 and (runs["status"] == "ok").all()
    code, _, err = cli(capsys, "report", tmp_path / "sweep")
    assert code == 0, err
    assert "Malminki 2" in (tmp_path / "sweep/report/harm_maps.svg").read_text()

    from experiments.classroom.model import ClassroomModel, make_startup
    from experiments.classroom.svg import MapLayout, map_svg

    ClassroomModel.startup = make_startup(str(scenario), overrides=SHORT_OVERRIDES)
    try:
        m = ClassroomModel(seed=2)
    finally:
        ClassroomModel.startup = None
    while m.running and m.main.minute < 240:
        m.step()
    svg = map_svg(m.main, MapLayout(m.main.township))
    assert svg.count('<path class="grid"') == 29 and "Kannikko 1" in svg


def test_the_classroom_gif_draws_a_districts_outlines():
    pytest.importorskip("solara", reason="the 'app' extra is not installed")
    from experiments.classroom import app
    from experiments.classroom.model import make_startup
    from experiments.classroom.svg import grid_levels

    app.AppModel.startup = make_startup(str(EXAMPLE / "kotka.toml"), overrides=SHORT_OVERRIDES)
    try:
        m = app.AppModel(seed=2)
    finally:
        app.AppModel.startup = None
    assert m.layouts[0].rings is not None and len(m.layouts[0].rings) == 29
    for _ in range(5):
        m.step()
        m.frames.append((m.main.clock_label(m.main.minute), [grid_levels(m.main)[0]]))
    assert app.gif_bytes(m)[:6] == b"GIF89a"


# --- the synthetic township, exported ------------------------------------------------------


@pytest.mark.parametrize(
    "scenario, layout", [("street_flood", "lattice"), ("township_typhoon", "random_geometric")]
)
def test_an_exported_township_runs_as_the_synthetic_one(tmp_path, capsys, scenario, layout):
    sets = [
        "--set",
        "population.n_residents=4000",
        "--set",
        "time.peace_days=3",
        "--set",
        "time.war_hours=12.0",
        "--set",
        f"space.layout={layout}",
    ]
    code, out, err = cli(
        capsys, "district", "export", scenario, "--seed", "5", *sets, "--out", tmp_path
    )
    assert code == 0, err
    exported = load_scenario(tmp_path / f"{scenario}-seed5.toml")
    assert exported.space.layout == "district"
    synthetic = load_scenario(
        ROOT / f"configs/scenarios/{scenario}.toml",
        overrides={
            "population.n_residents": 4000,
            "time.peace_days": 3,
            "time.war_hours": 12.0,
            "space.layout": layout,
        },
    )
    a, b = simulate(synthetic, seed=5), simulate(exported, seed=5)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.needs, b.needs)
    pd.testing.assert_frame_equal(a.events, b.events)  # grids named alike
    # the exported scenario's other seeds keep the township, and run
    assert simulate(exported, seed=6).outcomes["needs_total"].iloc[0] > 0
    code, _, err = cli(
        capsys, "district", "export", scenario, "--seed", "5", *sets, "--out", tmp_path
    )
    assert code == 2 and "--force" in err  # it does not overwrite silently


# --- other road files, other CRSs ----------------------------------------------------------


def _edges(folder: Path) -> list:
    return json.loads((folder / "district.json").read_text())["edges"]


def test_graphml_and_osm_xml_give_the_same_district(inputs, tmp_path, capsys):
    import osmnx as ox
    import pyrosm

    osm = pyrosm.OSM(str(inputs / "roads.osm.pbf"))
    nodes, edges = osm.get_network(network_type="all", nodes=True)
    ox.save_graphml(osm.to_graph(nodes, edges, graph_type="networkx"), inputs / "roads.graphml")
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    xml += [
        f'<node id="{r.id}" lat="{r.lat}" lon="{r.lon}" version="1"/>' for r in nodes.itertuples()
    ]
    xml += [
        f'<way id="{k}" version="1"><nd ref="{r.u}"/><nd ref="{r.v}"/>'
        f'<tag k="highway" v="{r.highway}"/></way>'
        for k, r in enumerate(edges.itertuples())
    ]
    (inputs / "roads.osm").write_text("\n".join(xml + ["</osm>"]))
    shipped = _edges(EXAMPLE)
    for roads in ("roads.graphml", "roads.osm"):
        code, _, err = cli(capsys, *import_args(inputs, tmp_path / roads, roads=roads))
        assert code == 0, err
        made = _edges(tmp_path / roads)
        assert [e[:2] for e in made] == [e[:2] for e in shipped]
        np.testing.assert_allclose([e[2] for e in made], [e[2] for e in shipped], atol=0.01)


def test_grids_in_another_crs_are_reprojected(inputs, tmp_path, capsys):
    grids = gpd.read_file(inputs / "grids.geojson").to_crs("EPSG:3067")  # Finland's TM35FIN
    grids.to_file(inputs / "grids.gpkg", driver="GPKG")
    code, _, err = cli(capsys, *import_args(inputs, tmp_path / "out", grids="grids.gpkg"))
    assert code == 0, err
    made = json.loads((tmp_path / "out/district.json").read_text())
    assert made["crs"] == "EPSG:3067"  # projected in metres: kept
    shipped = _edges(EXAMPLE)
    assert [e[:2] for e in made["edges"]] == [e[:2] for e in shipped]
    np.testing.assert_allclose([e[2] for e in made["edges"]], [e[2] for e in shipped], rtol=0.01)


# --- bad input: one line naming the file and the feature -----------------------------------


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _square(lon: float, lat: float, d: float = 0.002) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        ],
    }


def _bowtie(data: dict) -> None:
    ring = data["features"][3]["geometry"]["coordinates"][0]
    (x0, y0), (x1, y1) = ring[0], ring[2]
    data["features"][3]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]],
    }


def _far_grid(data: dict) -> None:
    data["features"].append(
        {
            "type": "Feature",
            "geometry": _square(27.02, 60.53),
            "properties": {"name": "Far away", "residents": 100, "community": "Marttila"},
        }
    )


def _utm_without_crs(folder: Path) -> None:
    grids = gpd.read_file(folder / "grids.geojson").to_crs("EPSG:32635")
    data = json.loads(grids.to_json())
    data.pop("crs")  # GeoJSON without a "crs" member is longitude and latitude (RFC 7946)
    (folder / "grids.geojson").write_text(json.dumps(data))


def _degrees_said_metres(folder: Path) -> None:
    grids = gpd.read_file(folder / "grids.geojson").set_crs("EPSG:3857", allow_override=True)
    (folder / "grids.geojson").unlink()
    grids.to_file(folder / "grids.gpkg", driver="GPKG")


def _no_crs(folder: Path) -> None:
    grids = gpd.read_file(folder / "grids.geojson").to_crs("EPSG:32635")
    grids = grids.set_crs(None, allow_override=True)
    grids.to_file(folder / "grids.gpkg", driver="GPKG")


BAD = {
    "self-intersecting": (
        lambda f: _edit(f / "grids.geojson", _bowtie),
        {},
        r"grids.geojson: feature 3 \('Ristinkallio 4'\): self-intersecting "
        r"polygon near \(",
    ),
    "no road access": (
        lambda f: _edit(f / "grids.geojson", _far_grid),
        {},
        r"grids.geojson: feature 29 \('Far away'\): no road access: no road of "
        r"the network lies inside the grid or within 250 m",
    ),
    "missing residents": (
        lambda f: _edit(
            f / "grids.geojson", lambda d: d["features"][5]["properties"].pop("residents")
        ),
        {},
        r"grids.geojson: feature 5 \('Kannikko 2'\): missing residents",
    ),
    "no residents field": (
        lambda f: _edit(
            f / "grids.geojson", lambda d: [x["properties"].pop("residents") for x in d["features"]]
        ),
        {},
        r"grids.geojson: no 'residents' field \(the residents of each grid\)",
    ),
    "negative residents": (
        lambda f: _edit(
            f / "grids.geojson", lambda d: d["features"][2]["properties"].update(residents=-40)
        ),
        {},
        r"grids.geojson: feature 2 \('Ristinkallio 3'\): negative residents \(-40\)",
    ),
    "elderly percentage": (
        lambda f: _edit(
            f / "grids.geojson", lambda d: d["features"][0]["properties"].update(elderly_share=23)
        ),
        {},
        r"feature 0 \('Ristinkallio 1'\): elderly_share must be a share from 0 to 1, got 23 "
        r"\(a percentage\? write 0.23\)",
    ),
    "overlap": (
        lambda f: _edit(
            f / "grids.geojson",
            lambda d: d["features"][1].update(geometry=d["features"][0]["geometry"]),
        ),
        {},
        r"feature 0 \('Ristinkallio 1'\): overlaps feature 1 \('Ristinkallio 2'\)",
    ),
    "metres without crs": (
        _utm_without_crs,
        {},
        r"grids.geojson: coordinates such as \(4\d{5}, 67\d{5}\) are not "
        r"longitude and latitude, yet the file's CRS is EPSG:4326: is its "
        r"CRS wrong\?",
    ),
    "wrong crs": (
        _degrees_said_metres,
        {"grids": "grids.gpkg"},
        r"grids.gpkg: the grids lie [\d,.]+ km from the road network of "
        r".*roads.osm.pbf: is the grids' CRS right \(the file says EPSG:3857\)",
    ),
    "missing crs": (
        _no_crs,
        {"grids": "grids.gpkg"},
        r"grids.gpkg: has no coordinate reference system \(CRS\)",
    ),
    "empty grids": (
        lambda f: _edit(f / "grids.geojson", lambda d: d.update(features=[])),
        {},
        r"grids.geojson: is empty: no features",
    ),
    "empty file": (
        lambda f: (f / "sites.geojson").write_text(""),
        {},
        r"sites.geojson: cannot read it as a map layer",
    ),
    "site outside": (
        lambda f: _edit(
            f / "sites.geojson",
            lambda d: d["features"][8].update(
                geometry={"type": "Point", "coordinates": [27.1, 60.6]}
            ),
        ),
        {},
        r"sites.geojson: feature 8 \('Otsonkallio'\): lies [\d,]+ m outside every grid",
    ),
    "site kind": (
        lambda f: _edit(
            f / "sites.geojson", lambda d: d["features"][0]["properties"].update(kind="hospital")
        ),
        {},
        r"sites.geojson: feature 0 \('Ristinkallio community office'\): kind must be one of "
        r"community_office, command_post, shelter, unit, got 'hospital'",
    ),
    "roads": (
        lambda f: (f / "roads.osm.pbf").write_bytes(b"not an extract"),
        {},
        r"roads.osm.pbf: cannot read the OpenStreetMap extract",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_naming_the_file_and_feature(inputs, tmp_path, capsys, case):
    breaks, files, message = BAD[case]
    breaks(inputs)
    code, out, err = cli(capsys, *import_args(inputs, tmp_path / "out", **files))
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grassroots district: error: "), err
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "out/district.json").exists()


def test_without_sites_offices_and_the_command_post_are_placed(inputs, tmp_path, capsys):
    code, out, err = cli(capsys, *import_args(inputs, tmp_path / "out", sites="", flood=""))
    assert code == 0, err
    assert out.count("has no community_office in the sites: placed") == 6
    assert "no command_post in the sites" in out and "no grid is low-lying" in out
    config = load_scenario(tmp_path / "out/kotka.toml", overrides=SHORT_OVERRIDES)
    assert simulate(config, seed=1).outcomes["needs_total"].iloc[0] > 0


@pytest.mark.parametrize(
    "sites, communities",
    [
        (
            "sites.geojson",
            ["Ristinkallio", "Kannikko", "Suurniitty", "Marttila", "Malminki", "Helilä"],
        ),  # no community field: each office's catchment by road
        ("", ["A", "B", "C", "D", "E"]),
    ],
)  # nothing says: clusters of about 6 grids
def test_communities_without_a_community_field(inputs, tmp_path, capsys, sites, communities):
    _edit(
        inputs / "grids.geojson",
        lambda d: [f["properties"].pop("community") for f in d["features"]],
    )
    _edit(
        inputs / "sites.geojson",
        lambda d: [f["properties"].pop("community") for f in d["features"]],
    )
    code, _, err = cli(capsys, *import_args(inputs, tmp_path / "out", sites=sites))
    assert code == 0, err
    made = json.loads((tmp_path / "out/district.json").read_text())
    names = [n.replace(" community office", "") for n in made["communities"]]
    assert names == communities
    used = {g["community"] for g in made["grids"]}
    assert used == set(range(len(communities)))
    offices = [s for s in made["sites"] if s["kind"] == "community_office"]
    assert sorted(s["community"] for s in offices) == list(range(len(communities)))
