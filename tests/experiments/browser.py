"""Debian's Chromium for the browser tests (Playwright's own download does not work here):
its path (``GRASSROOTS_CHROMIUM`` to override) and the flags every test launches it with."""

import os

CHROMIUM = os.environ.get("GRASSROOTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
