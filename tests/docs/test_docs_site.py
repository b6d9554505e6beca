"""The docs site's generated parts and build checks (docs/_ext/grassroots_docs.py), without
building it: ``make docs`` (in ``.ci/run``) builds it with warnings as errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import sim

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "docs" / "_ext"))

import grassroots_docs as ext  # noqa: E402


def test_parameter_reference_lists_every_parameter_with_its_definition():
    text = ext.parameter_reference()
    rows = sim.describe()
    assert text.startswith(f"{len(rows)} parameters")
    for r in rows:
        entry = text[text.index(f"`{r['key']}`\n: ") :]
        entry = entry[: entry.index("\n\n", entry.index("**default**"))]
        assert "**allowed**" in entry and "**plausible**" in entry and "**source**" in entry
        if r["plausible"] is None:
            assert "**plausible** none" in entry
    for section in {r["section"] for r in rows}:
        assert f"## `[{section}]`" in text


def test_offline_check_finds_remote_assets_and_allows_links(tmp_path):
    ok = '<a href="https://www.sphinx-doc.org/">Sphinx</a><script src="_static/x.js"></script>'
    bad = [
        '<script src="https://cdn.example.org/require.js"></script>',
        '<link rel="stylesheet" href="//fonts.example.org/a.css">',
        '<img src="http://example.org/a.png">',
    ]
    (tmp_path / "ok.html").write_text(ok)
    assert not [m for m in ext.REMOTE_ASSET.finditer(ok) if not m.group(0).startswith("<link")]
    for page in bad:
        found = [m.group(0) for m in ext.REMOTE_ASSET.finditer(page)]
        assert found and (
            not found[0].lower().startswith("<link") or ext._fetched_link(page, page.index("<link"))
        )
    assert not ext._fetched_link('<link rel="preconnect" href="https://x.org">', 0)


def test_every_tutorial_is_in_the_index_and_draws_a_chart():
    tutorials = sorted((REPO / "docs" / "tutorials").glob("*.ipynb"))
    index = (REPO / "docs" / "tutorials" / "index.md").read_text(encoding="utf-8")
    assert len(tutorials) == 7
    for path in tutorials:
        assert f"\n{path.stem}\n" in index
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert "matplotlib" in code, f"{path.name}: no chart"
        assert not any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), (
            f"{path.name}: committed with outputs (they are made at build time)"
        )
    assert ext.OUTPUT_IMAGE.search('<img alt="_images/x.png" src="../_images/abc.png" />')
