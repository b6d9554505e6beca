"""Scenario files: TOML overrides of a base configuration, checked against ``sim.params``.

A scenario file holds optional top-level ``name``, ``description`` and ``base`` keys and then
one table per parameter section::

    name = "street_flood"
    description = "Urban street, 72 hours of flooding."
    base = "../base.toml"          # relative to this file; applied first

    [flood]
    enabled = true

Every value goes through :meth:`Config.from_dict` / :meth:`Config.with_overrides`, so an
unknown section or key, a wrong type or an out-of-range value raises :class:`ConfigError`
naming the file, the key and what is allowed. So does a file that is missing, unreadable or
not valid TOML.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path
from typing import Any

from .params import SECTIONS, Config, ConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
SCENARIO_DIR = CONFIG_DIR / "scenarios"
DEFAULT_SCENARIO = SCENARIO_DIR / "street_flood.toml"
META_KEYS = ("name", "description", "base")


def load_scenario(path: str | Path | None = None, overrides: dict[str, Any] | None = None,
                  ) -> Config:
    """Load a scenario file (default: the street-flood scenario) and apply overrides.

    ``overrides`` maps ``"section.key"`` to a value (``{"reporting.mechanism": "direct"}``);
    a ``"name"`` entry renames the scenario. Without ``path`` the default scenario
    ``configs/scenarios/street_flood.toml`` is used, or the built-in defaults if that file
    is not there (an installed copy without the configs folder).
    """
    if path is None:
        config = _load_file(DEFAULT_SCENARIO, ()) if DEFAULT_SCENARIO.is_file() else Config()
    else:
        config = _load_file(Path(path), ())
    if overrides:
        config = apply_overrides(config, overrides)
    return config


def apply_overrides(config: Config, overrides: dict[str, Any], source: str = "override",
                    ) -> Config:
    """Apply flat ``{"section.key": value}`` overrides (and an optional ``"name"``)."""
    values = dict(overrides)
    name = values.pop("name", None)
    for key, value in values.items():
        _check_finite(key, value, source)
    config = _check_resolved(config.with_overrides(values, source), source)
    if name is not None:
        config = dataclasses.replace(config, name=str(name))
    return config


def _load_file(path: Path, chain: tuple[Path, ...]) -> Config:
    """Load one file, after its ``base`` chain; ``chain`` holds the files that include it."""
    source = str(path)
    data = read_toml(path)
    for key, value in data.items():
        if key in META_KEYS:
            if not isinstance(value, str):
                raise ConfigError(key, f"must be a string, got {value!r}", source)
        elif key not in SECTIONS:
            raise ConfigError(key, f"unknown section; allowed: [{'], ['.join(SECTIONS)}] "
                              f"and the top-level keys {', '.join(META_KEYS)}", source)
        elif not isinstance(value, dict):
            raise ConfigError(key, f"must be a table ([{key}]) of key = value", source)
        else:
            for name, item in value.items():
                _check_finite(f"{key}.{name}", item, source)
    base = Config()
    if "base" in data:
        base_path = (path.parent / data["base"]).resolve()
        if base_path in chain or base_path == path.resolve():
            raise ConfigError("base", f"'{data['base']}' includes itself (a cycle)", source)
        if not base_path.is_file():
            raise ConfigError("base", f"file not found: {base_path}", source)
        base = _load_file(base_path, chain + (path.resolve(),))
    sections = {k: v for k, v in data.items() if k in SECTIONS}
    sections["name"] = data.get("name", path.stem)
    return _check_resolved(Config.from_dict(sections, source=source, base=base), source)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; any failure to read or parse it is a ConfigError naming the file."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise _file_error(path, "file not found") from None
    except IsADirectoryError:
        raise _file_error(path, "is a directory, not a TOML file") from None
    except tomllib.TOMLDecodeError as e:
        raise _file_error(path, f"TOML syntax error: {e}") from None
    except UnicodeDecodeError as e:
        raise _file_error(path, f"not UTF-8 text: {e}") from None
    except OSError as e:
        raise _file_error(path, f"cannot read file: {e.strerror or e}") from None


def _file_error(path: Path, message: str) -> ConfigError:
    """A ConfigError about a whole file: ``source`` is the file, ``key`` is empty."""
    error = ConfigError(str(path), message)
    error.key, error.source = "", str(path)
    return error


def _check_finite(key: str, value: Any, source: str) -> None:
    """Refuse nan and inf, which range checks do not catch (TOML accepts both)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, f"must be a finite number, got {value!r}", source)


def _check_resolved(config: Config, source: str) -> Config:
    """Refuse a nan that arrived as a string (``"nan"``) and passed the range check."""
    for key, value in config.flat().items():
        _check_finite(key, value, source)
    return config


def shipped_or_path(arg: str, folder: Path, kind: str = "scenarios") -> Path:
    """A path, or the name of a file shipped in `folder` (``township_typhoon``).

    Raises :class:`ConfigError` naming the argument and the shipped names when neither is
    found (the command line reports it with exit status 2).
    """
    path = Path(arg)
    if path.exists():
        return path
    shipped = folder / f"{arg.removesuffix('.toml')}.toml"
    if "/" not in arg and shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
    raise _file_error(path, f"file not found (shipped {kind}: {names or 'none'})")
