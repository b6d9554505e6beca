"""A district folder: ``district.json`` (``sim/district.py`` reads it) and a scenario file
beside it that points at it. ``district import`` and ``district export`` both write one
through :func:`write_folder`, so a planner's district and the synthetic township are run
the same way: ``grassroots run DIR/<name>.toml``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from experiments.docs.configdoc import toml_value
from experiments.runs.output import atomic_write_text
from sim.district import load_district

DISTRICT_FILE = "district.json"


def render_json(data: dict[str, Any]) -> str:
    """The district as JSON with one grid, site, edge or street a line (readable, and a
    change shows as a change of lines)."""
    lines = ["{"]
    items = list(data.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f" {json.dumps(key)}: [")
            lines += [
                f"  {json.dumps(v, ensure_ascii=False)}" + ("," if k < len(value) - 1 else "")
                for k, v in enumerate(value)
            ]
            lines.append(f" ]{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    return "\n".join(lines + ["}"]) + "\n"


def scenario_text(
    name: str,
    description: str,
    base: Path,
    out: Path,
    n_residents: int,
    overrides: dict[str, Any] | None = None,
    comment: str = "",
) -> str:
    """A scenario file: the base scenario, the district and its residents, and overrides."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in (overrides or {}).items():
        section, item = key.replace("__", ".").split(".", 1)
        sections.setdefault(section, {})[item] = value
    sections.setdefault("population", {})["n_residents"] = n_residents
    sections.setdefault("space", {}).update(layout="district", district_file=DISTRICT_FILE)
    head = [f"# {line}".rstrip() for line in comment.splitlines()]
    base, out = base.resolve(), out.resolve()
    # relative where the two share a folder below the root (a district in the project's
    # configs), else absolute
    where = (
        Path(os.path.relpath(base, out)).as_posix()
        if os.path.commonpath([base, out]) != base.anchor
        else base.as_posix()
    )
    head += [
        f"name = {toml_value(name)}",
        f"description = {toml_value(description)}",
        f"base = {toml_value(where)}",
    ]
    for section, values in sections.items():
        head += ["", f"[{section}]"] + [f"{k} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(head) + "\n"


def existing(out: Path, name: str) -> list[Path]:
    """The files of a district folder that writing one named ``name`` would replace."""
    return [p for p in (out / DISTRICT_FILE, out / f"{name}.toml") if p.exists()]


def write_folder(out: Path, data: dict[str, Any], scenario: str) -> tuple[Path, Path]:
    """Write ``district.json`` and the scenario ``<data name>.toml``; checks the district
    file by reading it back as the model will."""
    out.mkdir(parents=True, exist_ok=True)
    district = atomic_write_text(out / DISTRICT_FILE, render_json(data))
    load_district(district)
    toml = atomic_write_text(out / f"{data['name']}.toml", scenario)
    return district, toml
