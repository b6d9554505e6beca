"""How a results folder was made: the package's version, the git revision of its code (and
whether it had uncommitted changes), and the versions of Python and the libraries that shape a
run's numbers. :func:`provenance` is what every results folder records (a run's
``summary.json``, a sweep's ``manifest.json``, a report's ``provenance.json``, a calibration's
``calibration.json``, ``validation.json``) and what ``grassroots --version`` prints.

A leaf module: it imports none of the project's modules, nor the libraries it names.
"""

from __future__ import annotations

import platform
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE = "grassroots-sim"
REPO_ROOT = Path(__file__).resolve().parents[1]
# The libraries whose versions a run's numbers can depend on (the engine, the township's
# network, the tables), as distribution names.
LIBRARIES = ("numpy", "numba", "mesa", "networkx", "scipy", "pandas")


def package_version() -> str:
    """The installed version of grassroots-sim, else the one in the checkout's
    pyproject.toml, else "unknown"."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        pass
    try:
        with open(REPO_ROOT / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _in_checkout() -> bool:
    """Whether the code runs from a git checkout of this project, not from a copy installed
    in a folder that some other repository holds (a venv inside another checkout)."""
    top = _git("rev-parse", "--show-toplevel")
    return top is not None and Path(top).resolve() == REPO_ROOT


def git_revision() -> str:
    """The commit the code was run from, or "unknown" outside a git checkout."""
    return (_in_checkout() and _git("rev-parse", "HEAD")) or "unknown"


def git_dirty() -> bool | None:
    """Whether tracked files differ from that commit (None if unknown)."""
    status = _git("status", "--porcelain", "--untracked-files=no") if _in_checkout() else None
    return None if status is None else bool(status)


def library_versions() -> dict[str, str]:
    """Python's version and each library's, read from the installed distributions (nothing
    is imported); "not installed" for a missing one."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance() -> dict[str, Any]:
    """What a results folder records of how it was made (beside its own time and inputs):
    ``version``, ``git_revision``, ``git_dirty`` and ``versions`` (python and libraries)."""
    return {
        "version": package_version(),
        "git_revision": git_revision(),
        "git_dirty": git_dirty(),
        "versions": library_versions(),
    }


def version_text() -> str:
    """``grassroots --version``: the package, its git revision when it runs from a
    checkout, and Python's and the libraries' versions, one per line."""
    made = provenance()
    lines = [f"{PACKAGE} {made['version']}"]
    if made["git_revision"] != "unknown":
        dirty = " (with uncommitted changes)" if made["git_dirty"] else ""
        lines.append(f"git revision {made['git_revision']}{dirty}")
    lines += [f"{name} {version}" for name, version in made["versions"].items()]
    return "\n".join(lines)
