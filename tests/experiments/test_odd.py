"""docs/ODD.md: its generated parameter table must equal the one rendered from the code."""

from __future__ import annotations

from experiments.docs import odd
from sim.params import describe


def _doc() -> str:
    return odd.ODD_PATH.read_text(encoding="utf-8")


def test_odd_parameter_table_matches_code():
    stored = odd.extract_between(_doc(), odd.PARAM_BEGIN, odd.PARAM_END)
    assert stored == odd.render_parameter_table(), (
        "docs/ODD.md differs from sim/params.py: run `python -m experiments.docs.odd --write`"
    )


def test_table_lists_every_parameter_with_unit_default_range_source():
    table = odd.render_parameter_table()
    for row in describe(shipped_only=True):
        line = next(x for x in table.splitlines() if x.startswith(f"| `{row['key']}` |"))
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert len(cells) == 6, line
        assert cells[1] == row["unit"] and cells[2] and cells[3] and cells[5], line


def test_table_detects_a_changed_default():
    rows = describe()
    changed = [dict(r) for r in rows]
    changed[0]["default"] = changed[0]["default"] + 1
    assert odd.render_parameter_table(changed) != odd.render_parameter_table(rows)


def test_odd_has_every_section():
    doc = _doc()
    for heading in (
        "Purpose and patterns",
        "Entities, state variables and scales",
        "Process overview and scheduling",
        "Design concepts",
        "Initialization",
        "Input data",
        "Submodels",
        "Verification",
        "Direction of effects",
    ):
        assert heading in doc, heading


def test_check_command(capsys):
    assert odd.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
