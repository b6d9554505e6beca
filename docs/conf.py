"""Sphinx configuration of the grassroots-sim documentation (``make docs``).

Sphinx with MyST (Markdown pages) and myst-nb (the tutorials, executed at build time), as
Mesa and EMA Workbench do; the furo theme, whose assets are bundled. The build is offline:
no intersphinx, no CDN (``grassroots_docs`` fails the build if a page refers to an asset off
the machine). The parameter reference and the CLI reference are generated from the code at
build time: ``sim.params.describe()`` and the argparse parsers.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "grassroots-sim"
author = "grassroots-sim developers"
copyright = "grassroots-sim developers"
release = version = "0.1.0"
try:
    from importlib.metadata import version as _version

    release = version = _version("grassroots-sim")
except Exception:  # noqa: BLE001 - a checkout not installed: keep the literal above
    pass

extensions = [
    "myst_nb",  # Markdown pages (MyST) and notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxarg.ext",  # the CLI reference, from experiments.cli.main.build_parser
    "grassroots_docs",  # the parameter reference; offline and tutorial-chart checks
]

root_doc = "index"
exclude_patterns = ["_build", "ODD.md", "**.ipynb_checkpoints", "_ext"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# --- MyST -------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # docs/ODD.md starts its tables at level 3 headings

# --- myst-nb: the tutorials run at every build ----------------------------------------------
# "force": a tutorial always runs against the code as it is (a cache would show a chart from
# an older engine). `make docs NB_EXECUTE=off` skips them for quick edits of the prose.
nb_execution_mode = "force"
nb_execution_timeout = 600  # seconds per cell; the tutorials take seconds to a minute
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_in_temp = True  # results folders go to temporary folders, not docs/
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget JavaScript (it comes from a CDN)
nb_render_image_options = {"width": "100%"}

# --- autodoc ----------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = True

# --- HTML -------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"grassroots-sim {release}"
html_static_path = ["_static"]
html_last_updated_fmt = None
html_theme_options = {
    "source_repository": "",
    "navigation_with_keys": True,
}
html_show_sourcelink = False
smartquotes = False  # `--set` stays two hyphens, "quotes" stay straight
