"""Parameter documentation generated from ``sim.params``: ``configs/base.toml`` and tables.

``configs/base.toml`` lists every parameter with its default, unit, meaning, allowed values
and source. It is generated (``grassroots config --write-base``), never edited by hand, and a
test checks that it matches :func:`render_base_toml`, so the docs cannot drift from the code.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from sim.params import Config, describe
from sim.scenario import CONFIG_DIR

BASE_TOML = CONFIG_DIR / "base.toml"
WIDTH = 99

HEADER = """\
# grassroots-sim base configuration: every parameter with its default value.
# GENERATED from sim/params.py by `grassroots config --write-base`; do not edit by hand.
# Each comment gives the unit, the meaning, the allowed values and the source of the default.
# Scenario files start from this file (base = "../base.toml") and override what differs.
"""


def toml_value(value: Any) -> str:
    """A Python bool, int, float or str written as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # also valid TOML for 1e-05, inf and nan
    if isinstance(value, str):  # JSON escapes the controls TOML refuses, all but DEL
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    raise TypeError(f"cannot write {value!r} as a TOML value")


def allowed(row: dict[str, Any]) -> str:
    """The allowed values of one parameter, in words."""
    if row["choices"]:
        return "one of " + ", ".join(row["choices"])
    if row["type"] == "bool":
        return "true or false"
    if row["type"] == "str":
        return "any text"
    low, high = row["low"], row["high"]
    if low is None and high is None:
        return "any number"
    return f"{_num(low)} to {_num(high)}"


def _num(x: float | None) -> str:
    if x is None:
        return "unbounded"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def comment(row: dict[str, Any]) -> list[str]:
    """Comment lines for one parameter: unit; meaning; allowed values; source."""
    text = f"[{row['unit']}] {row['doc']} Allowed: {allowed(row)}. Source: {row['source']}."
    return textwrap.wrap(
        text, WIDTH - 2, initial_indent="# ", subsequent_indent="#   ", break_on_hyphens=False
    )


def render_toml(
    config: Config | None = None, header: str = HEADER, shipped_only: bool = False
) -> str:
    """Every parameter of ``config`` (default: the defaults), documented, as TOML text
    (``shipped_only``: without the sections plugins registered in this process)."""
    values = (config or Config()).to_dict()
    rows = describe(shipped_only)
    lines = header.rstrip("\n").splitlines()
    for section in dict.fromkeys(r["section"] for r in rows):
        lines += ["", f"[{section}]"]
        for row in (r for r in rows if r["section"] == section):
            lines += comment(row)
            lines.append(f"{row['name']} = {toml_value(values[section][row['name']])}")
    return "\n".join(lines) + "\n"


def render_base_toml() -> str:
    """The text of ``configs/base.toml``: the shipped parameters."""
    return render_toml(shipped_only=True)


def write_base_toml(path: Path | None = None) -> Path:
    """Write ``configs/base.toml`` (or ``path``) atomically and return its path."""
    from experiments.runs.output import atomic_write_text

    path = BASE_TOML if path is None else Path(path)
    atomic_write_text(path, render_base_toml())
    return path


def parameter_table(config: Config | None = None) -> str:
    """A plain-text table of every parameter: key, value, unit, allowed values."""
    values = (config or Config()).flat()
    rows = [(r["key"], toml_value(values[r["key"]]), r["unit"], allowed(r)) for r in describe()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    head = ("parameter", "value", "unit")
    widths = [max(w, len(h)) for w, h in zip(widths, head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)) + "  allowed"]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])
    return "\n".join(lines)
