"""Scenario files: TOML overrides of a base configuration, checked against ``sim.params``.

A scenario file holds optional top-level ``name``, ``description`` and ``base`` keys and then
one table per parameter section (a ``space.district_file`` is relative to the file too)::

    name = "street_flood"
    description = "Urban street, 72 hours of flooding."
    base = "../base.toml"          # relative to this file; applied first

    [flood]
    enabled = true

Every value goes through :meth:`Config.from_dict` / :meth:`Config.with_overrides`, so an
unknown section or key, a wrong type or an out-of-range value raises :class:`ConfigError`
naming the file, the key and what is allowed. Values are typed strictly: ``true``/``false``
for switches, numbers without quotes (see :func:`sim.params.check_value`). A file that is
missing, unreadable, not valid TOML, not a regular file (a device or a FIFO), larger than
:data:`MAX_FILE_BYTES`, nested too deeply, or at the end of a ``base`` chain longer than
:data:`MAX_BASE_DEPTH` files is a ConfigError too.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
import sys
import tomllib
from pathlib import Path
from typing import Any

from .params import SECTIONS, Config, ConfigError, Layout, show_value
from .plugins import load_all

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
SCENARIO_DIR = CONFIG_DIR / "scenarios"
DEFAULT_SCENARIO = SCENARIO_DIR / "street_flood.toml"
META_KEYS = ("name", "description", "base", "plugins")
MAX_FILE_BYTES = 1 << 20  # a scenario or sweep file is a few kB; refuse to read megabytes
MAX_BASE_DEPTH = 16  # files in one base chain (the shipped scenarios use 2)


def load_scenario(
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
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


def apply_overrides(
    config: Config,
    overrides: dict[str, Any],
    source: str = "override",
) -> Config:
    """Apply flat ``{"section.key": value}`` overrides (and an optional ``"name"``); a
    ``space.district_file`` is relative to the working folder."""
    values = dict(overrides)
    name = _check_name(values.pop("name"), source) if "name" in values else None
    for key in ("space.district_file", "space__district_file"):
        if isinstance(values.get(key), str) and values[key].strip():  # from where it is given
            values[key] = os.path.abspath(values[key])
    for key, value in values.items():
        _check_finite(key, value, source)
    config = _check_resolved(config.with_overrides(values, source), source)
    if name is not None:
        config = dataclasses.replace(config, name=name)
    return config


def _check_name(value: Any, source: str) -> str:
    """A scenario's name, from a file or an override: a string with more than spaces in it."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("name", f"must be a non-empty string, got {show_value(value)}", source)
    return value


def _load_file(path: Path, chain: tuple[Path, ...]) -> Config:
    """Load one file, after its ``base`` chain; ``chain`` holds the files that include it."""
    source = str(path)
    data = read_toml(path)
    plugins: tuple[str, ...] = ()
    if "plugins" in data:  # modules that register hazards or mechanisms (sim/plugins.py)
        value = data.pop("plugins")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(
                "plugins",
                f"must be a list of file or module names, got {show_value(value)}",
                source,
            )
        plugins = load_all(
            [str(path.parent / v) if v.endswith(".py") else v for v in value], source
        )
    for key, value in data.items():
        if key == "name":
            _check_name(value, source)
        elif key in META_KEYS:
            if not isinstance(value, str):
                raise ConfigError(key, f"must be a string, got {show_value(value)}", source)
        elif key not in SECTIONS:
            raise ConfigError(
                key,
                f"unknown section; allowed: [{'], ['.join(SECTIONS)}] "
                f"and the top-level keys {', '.join(META_KEYS)}",
                source,
            )
        elif not isinstance(value, dict):
            raise ConfigError(key, f"must be a table ([{key}]) of key = value", source)
        else:
            for name, item in value.items():
                _check_finite(f"{key}.{name}", item, source)
    base = Config()
    if "base" in data:
        base_path = _base_path(path, data["base"], source)
        if base_path in chain or base_path == path.resolve():
            raise ConfigError("base", f"'{data['base']}' includes itself (a cycle)", source)
        if len(chain) + 1 >= MAX_BASE_DEPTH:
            raise ConfigError(
                "base",
                f"the base chain is longer than {MAX_BASE_DEPTH} files "
                f"(from {chain[0] if chain else path})",
                source,
            )
        base = _load_file(base_path, chain + (path.resolve(),))
    sections = {k: v for k, v in data.items() if k in SECTIONS}
    district_file = sections.get("space", {}).get("district_file")
    if isinstance(district_file, str) and district_file.strip():  # like base: from here
        try:
            resolved = str((path.parent / district_file).resolve())
        except (OSError, ValueError):  # a NUL in the name, a name too long
            raise ConfigError(
                "space.district_file", f"not a file name: {show_value(district_file)}", source
            ) from None
        sections["space"] = {**sections["space"], "district_file": resolved}
    sections["name"] = data.get("name", path.stem)
    config = Config.from_dict(sections, source=source, base=base)
    if plugins:
        config = dataclasses.replace(config, plugins=tuple(dict.fromkeys(config.plugins + plugins)))
    return _check_resolved(config, source)


def _base_path(path: Path, base: str, source: str) -> Path:
    """The regular file a ``base`` names, relative to the file that includes it."""
    if not base.strip() or "\0" in base:
        raise ConfigError("base", f"must name a TOML file, got {show_value(base)}", source)
    try:
        base_path = (path.parent / base).resolve()
        info = os.stat(base_path)
    except FileNotFoundError:
        raise ConfigError(
            "base", f"file not found: {show_value(str(path.parent / base), 200)}", source
        ) from None
    except (OSError, ValueError) as e:
        raise ConfigError(
            "base", f"cannot read {show_value(base)}: {getattr(e, 'strerror', None) or e}", source
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError("base", f"not a regular file: {base_path}", source)
    return base_path


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; any failure to read or parse it is a ConfigError naming the file.

    The file must be a regular file of at most :data:`MAX_FILE_BYTES`: it is opened without
    blocking (a FIFO would wait for a writer forever) and checked before it is read (a device
    such as ``/dev/zero`` never ends)."""
    text = _read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _file_error(path, f"TOML syntax error: {e}") from None
    except ValueError:  # tomllib refuses an integer of more than 4,300 digits
        raise _file_error(
            path,
            f"{_long_number_line(text)}: an integer of more than "
            f"{sys.get_int_max_str_digits():,} digits",
        ) from None
    except RecursionError:
        raise _file_error(
            path, f"{_deepest_line(text)}: arrays or tables nested too deeply"
        ) from None


def _read_text(path: Path) -> str:
    """The UTF-8 text of a regular file of at most MAX_FILE_BYTES."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise _file_error(path, "file not found") from None
    except IsADirectoryError:
        raise _file_error(path, "is a directory, not a TOML file") from None
    except OSError as e:
        raise _file_error(path, f"cannot read file: {e.strerror or e}") from None
    except ValueError:
        raise _file_error(path, "not a valid file name (it holds a NUL character)") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _file_error(path, "is a directory, not a TOML file")
        if not stat.S_ISREG(info.st_mode):
            raise _file_error(
                path, "not a regular file (a device, FIFO or socket): give a TOML file"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise _file_error(
                path,
                f"too large for a TOML configuration ({info.st_size:,} "
                f"bytes; the limit is {MAX_FILE_BYTES:,})",
            )
        data = os.read(fd, MAX_FILE_BYTES + 1)
    except OSError as e:
        raise _file_error(path, f"cannot read file: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:  # it grew after the check
        raise _file_error(
            path, f"too large for a TOML configuration (over {MAX_FILE_BYTES:,} bytes)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _file_error(path, f"not UTF-8 text: {e}") from None


def _deepest_line(text: str) -> str:
    """The line that opens the most arrays and inline tables: 'line N (key)'."""
    lines = text.splitlines() or [""]
    number = max(range(len(lines)), key=lambda i: lines[i].count("[") + lines[i].count("{"))
    key = lines[number].split("=", 1)[0].strip() if "=" in lines[number] else ""
    return f"line {number + 1}" + (f" ({key[:40]})" if key else "")


def _long_number_line(text: str) -> str:
    """Where tomllib found a number too long to convert: 'line N (key)'."""
    for number, line in enumerate(text.splitlines(), 1):
        if re.search(rf"\d{{{sys.get_int_max_str_digits() + 1}}}", line.replace("_", "")):
            key = line.split("=", 1)[0].strip() if "=" in line else ""
            return f"line {number}" + (f" ({key[:40]})" if key else "")
    return "a number"


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
    """Refuse a nan that arrived as a string (``"nan"``) and passed the range check, and a
    district layout whose file is missing, broken or holds other residents."""
    for key, value in config.flat().items():
        _check_finite(key, value, source)
    if config.space.layout == Layout.DISTRICT:
        from .district import check_residents, load_district

        check_residents(
            load_district(config.space.district_file, source), config.population.n_residents, source
        )
    return config


def shipped_or_path(arg: str, folder: Path, kind: str = "scenarios") -> Path:
    """A path, or the name of a file shipped in `folder` (``township_typhoon``).

    Raises :class:`ConfigError` naming the argument and the shipped names when neither is
    found (the command line reports it with exit status 2).
    """
    path = Path(arg)
    if os.path.exists(arg):  # False, not an error, for a name too long or with a NUL
        return path
    shipped = folder / f"{arg.removesuffix('.toml')}.toml"
    if "/" not in arg and os.path.isfile(shipped):
        return shipped
    names = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
    raise _file_error(path, f"file not found (shipped {kind}: {names or 'none'})")
