"""``grassroots district import|export``: a district folder (``district.json`` and a scenario
file) from a planner's maps and road network, or from a scenario's synthetic township
(:mod:`experiments.district`).

    grassroots district import --grids GRIDS --roads ROADS [--sites SITES] [--flood FLOOD]
                               --out DIR [--name NAME] [--base SCENARIO] [--speed-kmh 5]
                               [--max-access-m 250] [--flood-min-share 0.25]
                               [--network all] [--crs EPSG:...] [--force]
    grassroots district export [SCENARIO] [--seed N] [--set KEY=VALUE] --out DIR [--force]

A file that cannot make a district is one line naming the file and the feature, with exit
status 2 (``grids.geojson: feature 3 ('Riverside'): self-intersecting polygon``).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from experiments.cli.args import (
    RunError,
    UsageError,
    add_config_arguments,
    load_config,
    refuse_bad_link,
    scenario_path,
    seed_type,
    write_error,
)
from sim.scenario import DEFAULT_SCENARIO, load_scenario

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def _out_dir(args: argparse.Namespace, name: str) -> Path:
    from experiments.district.folder import existing

    out = Path(args.out)
    refuse_bad_link(out, "--out")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    there = existing(out, name) if out.is_dir() else []
    if there and not args.force:
        raise UsageError(
            f"--out {out}: {', '.join(p.name for p in there)} exists there: "
            "choose another --out, or add --force to replace it"
        )
    return out


def _write(out: Path, data: dict, scenario: str) -> tuple[Path, Path]:
    from experiments.district.folder import write_folder

    try:
        return write_folder(out, data, scenario)
    except OSError as e:
        raise RunError(f"cannot write the district: {write_error(e, out)}") from None


def cmd_import(args: argparse.Namespace) -> int:
    try:
        from experiments.district.build import ImportOptions, import_district
    except ImportError as e:
        raise UsageError(
            f"importing a district needs the 'district' extra ({e.name} is "
            "missing): pip install 'grassroots-sim[district]'"
        ) from None
    from experiments.district.folder import scenario_text

    name = args.name or Path(args.grids).stem.split(".")[0]
    if not name or not set(name) <= NAME_CHARS:
        raise UsageError(
            f"--name {name!r}: use letters, digits, '-', '_' and '.' (it names the scenario file)"
        )
    base = scenario_path(args.base) if args.base else DEFAULT_SCENARIO
    base_config = load_scenario(base)
    out = _out_dir(args, name)
    for option in ("speed_kmh", "max_access_m"):
        value = getattr(args, option)
        if not (math.isfinite(value) and value > 0):
            raise UsageError(
                f"--{option.replace('_', '-')}: must be a number above 0, got {value:g}"
            )
    if not 0 < args.flood_min_share <= 1:
        raise UsageError(
            f"--flood-min-share: must be above 0 and at most 1, got {args.flood_min_share:g}"
        )
    options = ImportOptions(
        speed_kmh=args.speed_kmh,
        max_access_m=args.max_access_m,
        flood_min_share=args.flood_min_share,
        network_type=args.network,
        crs=args.crs,
        grids_per_community=base_config.population.grids_per_community,
        office_access_min=base_config.space.office_access_min,
    )
    start = time.perf_counter()
    imported = import_district(args.grids, args.roads, args.sites, args.flood, name, options)
    data = imported.data
    total = sum(g["residents"] for g in data["grids"])
    text = scenario_text(
        name,
        f"{name}: {len(data['grids'])} grids and {total:,} residents imported from "
        f"{Path(args.grids).name} and {Path(args.roads).name}",
        base,
        out,
        total,
        comment="Written by `grassroots district import`: the grids, sites and travel "
        "minutes are in district.json;\nevery other parameter comes from the base scenario.",
    )
    district, scenario = _write(out, data, text)
    seconds = time.perf_counter() - start
    low = sum(g["lowlying"] for g in data["grids"])
    kinds = [s["kind"] for s in data["sites"]]
    print(
        f"District '{name}': {len(data['grids'])} grids ({low} low-lying), {total:,} "
        f"residents, {len(data['communities'])} communities, "
        f"{kinds.count('shelter')} shelters, {kinds.count('unit')} co-located units, "
        f"{len(data['edges'])} edges (travel at {args.speed_kmh:g} km/h), in "
        f"{seconds:.1f} s"
    )
    for note in imported.notes:
        print(f"  note: {note}")
    print(f"Wrote {district} and {scenario}")
    print(f"Run it: grassroots run {scenario}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from experiments.cli.args import parse_overrides
    from experiments.district.export import export_township
    from experiments.district.folder import scenario_text

    config = load_config(args)
    if config.space.layout == "district":
        raise UsageError(
            f"{args.config}: its township is a district already ({config.space.district_file})"
        )
    try:
        data = export_township(config, args.seed)
    except ImportError as e:
        raise UsageError(
            f"exporting a random geometric township needs the 'district' extra "
            f"({e.name} is missing): pip install 'grassroots-sim[district]'"
        ) from None
    out = _out_dir(args, data["name"])
    base = scenario_path(args.config) or DEFAULT_SCENARIO
    overrides = {k: v for k, v in parse_overrides(args.set).items() if k != "name"}
    text = scenario_text(
        data["name"],
        f"The synthetic township of {config.name} (seed {args.seed}) as a district",
        base,
        out,
        config.population.n_residents,
        overrides,
        comment=f"Written by `grassroots district export` from {config.name}: the township "
        f"of its seed {args.seed} is in district.json.\nWith seed {args.seed} this scenario "
        f"runs exactly as {config.name} does; other seeds keep this township.",
    )
    district, scenario = _write(out, data, text)
    print(
        f"Township of '{config.name}' (seed {args.seed}): {len(data['grids'])} grids, "
        f"{len(data['communities'])} communities, {len(data['edges'])} edges"
    )
    print(f"Wrote {district} and {scenario}")
    return 0


def add_district_parser(sub: argparse._SubParsersAction) -> None:
    district = sub.add_parser(
        "district",
        help="make a scenario from your own district's "
        "maps and roads (import), or write the synthetic township as "
        "one (export)",
    )
    commands = district.add_subparsers(
        dest="district_command", required=True, metavar="import|export"
    )
    imp = commands.add_parser(
        "import",
        help="a district folder from grid polygons, sites and a road network",
        prog="grassroots district import",
    )
    imp.add_argument(
        "--grids",
        required=True,
        metavar="FILE",
        help="grid polygons "
        "(GeoJSON or GeoPackage) with 'residents'; optional 'name', "
        "'community', 'elderly_share' (0-1), 'lowlying'",
    )
    imp.add_argument(
        "--roads",
        required=True,
        metavar="FILE",
        help="the road network: an OpenStreetMap extract (.osm.pbf, .osm) or a GraphML file",
    )
    imp.add_argument(
        "--sites",
        metavar="FILE",
        help="points with 'kind' (community_office, "
        "command_post, shelter, unit), optional 'name' and 'community'",
    )
    imp.add_argument(
        "--flood",
        metavar="FILE",
        help="the flood extent (polygons): grids mostly inside it are low-lying",
    )
    imp.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="the district folder to write (district.json, NAME.toml)",
    )
    imp.add_argument("--name", help="the scenario's name (default: the grids file's)")
    imp.add_argument(
        "--base",
        metavar="SCENARIO",
        help="the scenario whose other parameters it takes (default: street_flood)",
    )
    imp.add_argument(
        "--speed-kmh",
        type=float,
        default=5.0,
        help="travel speed on the roads (default 5: walking)",
    )
    imp.add_argument(
        "--max-access-m",
        type=float,
        default=250.0,
        help="how far a grid or site may lie from the nearest road (default 250 m)",
    )
    imp.add_argument(
        "--flood-min-share",
        type=float,
        default=0.25,
        help="share of a grid inside the flood extent that makes it low-lying (default 0.25)",
    )
    imp.add_argument(
        "--network",
        default="all",
        choices=("walking", "cycling", "driving", "driving+service", "all"),
        help="which roads of an .osm.pbf extract (default all: every road and path)",
    )
    imp.add_argument(
        "--crs",
        help="the district's projected CRS (default: the grids' own "
        "if in metres, else their UTM zone)",
    )
    imp.add_argument(
        "--force", action="store_true", help="replace district.json and the scenario file in --out"
    )
    imp.set_defaults(func=cmd_import)
    exp = commands.add_parser(
        "export",
        help="the synthetic township of a scenario as a district folder",
        prog="grassroots district export",
    )
    add_config_arguments(exp)
    exp.add_argument(
        "--seed", type=seed_type, default=1, help="the seed whose township it writes (default 1)"
    )
    exp.add_argument("--out", required=True, metavar="DIR", help="the district folder")
    exp.add_argument(
        "--force", action="store_true", help="replace district.json and the scenario file in --out"
    )
    exp.set_defaults(func=cmd_export)
    for command in (imp, exp):
        command.allow_abbrev = False
        command.set_defaults(parser=command)
