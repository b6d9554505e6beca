"""Sphinx extension of the grassroots-sim docs.

- The parameter reference (``reference/parameters.md``) is written at build time from
  :func:`sim.params.describe`, the one definition of every parameter: the line
  ``<!-- parameter-reference -->`` in that page is replaced by a section per parameter
  section, each parameter with its meaning, default, unit, allowed values, plausible range
  and source. A parameter added to ``sim/params.py`` (or a hazard registered with its section)
  appears in the next build.
- After the build, two checks that warn (``-W``: fail): every page is readable offline (no
  script, stylesheet, image or font from another machine), and every tutorial shows a chart
  (an image among its cell outputs).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

# Sphinx's logger once setup() has run (its warnings count for -W); the module itself imports
# without Sphinx, so that tests/docs can check what it generates.
logger: Any = logging.getLogger(__name__)

MARKER = "<!-- parameter-reference -->"
PARAMETER_PAGE = "reference/parameters"


def _line(text: Any) -> str:
    """Text on one line of a definition (Markdown characters that would start markup are
    escaped: sources cite pages like handmsg.com/page/*)."""
    return re.sub(r"([*_`<\\[\]])", r"\\\1", " ".join(str(text).split()))


def _section_doc(cls: type) -> str:
    """A parameter class's own docstring (not the one dataclasses writes: ``Name(a: int, ...``)."""
    doc = (cls.__doc__ or "").strip()
    if not doc or doc.startswith(cls.__name__ + "("):
        return ""
    return " ".join(doc.split())


def _plausible(row: dict[str, Any]) -> str:
    from experiments.docs.configdoc import toml_value

    if row["plausible"] is None:
        return "none"
    low, high = row["plausible"]
    return f"{toml_value(low)} to {toml_value(high)}"


def parameter_reference() -> str:
    """Every parameter of ``sim.params.describe()``, as MyST Markdown: a section each."""
    import sim  # noqa: F401  the shipped hazards register their sections on import
    from experiments.docs.configdoc import allowed, toml_value
    from sim.params import SECTIONS, describe

    rows = describe()
    out = [f"{len(rows)} parameters in {len(SECTIONS)} sections.", ""]
    for section, cls in SECTIONS.items():
        own = [r for r in rows if r["section"] == section]
        out += [f"## `[{section}]`", ""]
        doc = _section_doc(cls)
        if doc:
            out += [doc, ""]
        for r in own:
            unit = "" if r["unit"] in ("-", "") else f" {r['unit']}"
            out += [
                f"`{r['key']}`",
                f": {_line(r['doc'])}",
                "",
                f"  **default** `{toml_value(r['default'])}`{_line(unit)} · **allowed** "
                f"{_line(allowed(r))} · **plausible** {_plausible(r)} · **source** "
                f"{_line(r['source'])}",
                "",
            ]
        out.append("")
    return "\n".join(out)


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == PARAMETER_PAGE:
        if MARKER not in source[0]:
            logger.warning(f"{docname}: no {MARKER} line to replace", location=docname)
            return
        source[0] = source[0].replace(MARKER, parameter_reference())


# --- checks after the build -------------------------------------------------------------------

# An asset the browser would fetch from another machine: a script, a stylesheet, an image, a
# frame or a font given by an http(s) or protocol-relative URL. Links (<a href>) are fine.
REMOTE_ASSET = re.compile(
    r"<(?:script|img|iframe|source|embed)\b[^>]*\bsrc\s*=\s*[\"'](?:https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"'](?:https?:)?//"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//"
    r"|url\(\s*[\"']?(?:https?:)?//",
    re.I,
)
# A chart among a notebook's outputs: myst-nb writes output images to _images/.
OUTPUT_IMAGE = re.compile(r"<img\b[^>]*\bsrc=\"(?:\.\./)*_images/", re.I)


def check_offline(out: Path) -> None:
    for path in sorted(out.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            # The <link rel="..."> of the theme's own pages and preconnects are not fetched
            # for the page to show; only stylesheets, icons and preloads are.
            found = [
                m.group(0)
                for m in REMOTE_ASSET.finditer(text)
                if not m.group(0).lower().startswith("<link") or _fetched_link(text, m.start())
            ]
        else:
            found = [m.group(0) for m in REMOTE_ASSET.finditer(text)]
        if found:
            logger.warning(
                f"{path.relative_to(out)}: refers to an asset on another machine "
                f"(the docs must read offline): {found[0][:120]}"
            )


def _fetched_link(text: str, start: int) -> bool:
    tag = text[start : text.index(">", start) + 1].lower()
    rel = re.search(r"\brel\s*=\s*[\"']([^\"']*)", tag)
    return rel is None or any(
        r in rel.group(1).split() for r in ("stylesheet", "icon", "preload", "modulepreload")
    )


def check_tutorial_charts(app: Sphinx, out: Path) -> None:
    for docname in sorted(app.env.found_docs):
        if not str(app.env.doc2path(docname)).endswith(".ipynb"):
            continue
        page = out / f"{docname}.html"
        if not page.is_file():
            logger.warning(f"{docname}: the tutorial's page was not written")
            continue
        if app.config.nb_execution_mode == "off":
            continue  # `make docs NB_EXECUTE=off`: nothing ran, so nothing to show
        if not OUTPUT_IMAGE.search(page.read_text(encoding="utf-8")):
            logger.warning(
                f"{docname}: the tutorial shows no chart (no image among its cell outputs)",
                location=docname,
            )


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    check_offline(out)
    check_tutorial_charts(app, out)


def setup(app: Sphinx) -> dict[str, Any]:
    global logger
    from sphinx.util import logging as sphinx_logging

    logger = sphinx_logging.getLogger(__name__)
    app.connect("source-read", on_source_read)
    app.connect("build-finished", on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
