"""Argument helpers shared by the commands: usage errors, ``--set`` values, whole numbers,
CONFIG arguments. A leaf module: it imports no command."""

from __future__ import annotations

import argparse
import errno
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from sim.params import ConfigError, split_key
from sim.scenario import SCENARIO_DIR, apply_overrides, load_scenario, shipped_or_path

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line input that argparse cannot catch itself (exit status 2)."""


class RunError(Exception):
    """A command that could not finish, such as a write error (exit status 1)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``grassroots run: error: ...``, without
    the usage text (``--help`` has it); the subcommands' parsers are of this class too.

    A value that starts with a minus and a digit (``--max-memory -5G``, ``--seed -1e3``) is
    a value, refused by its option's own check, not an unknown option: argparse's own rule
    takes only ``-5`` and ``-.5`` (Python 3.14 widens it the same way)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"-\.?\d")

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def write_error(error: OSError, where: str | Path | None = None) -> str:
    """An OSError in words: the file it concerns (else ``where``) and why, as in
    ``results/one/needs.parquet: No space left on device`` (without ``[Errno 28]`` or a
    library's wording of it)."""
    path = error.filename or where
    reason = (
        os.strerror(error.errno) if error.errno in errno.errorcode else error.strerror or str(error)
    )
    return f"{path}: {reason}" if path else reason


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value if it parses as one (``3``, ``true``, ``"x"``), else
    the text itself (so ``reporting.mechanism=direct`` needs no quotes)."""
    try:
        parsed = tomllib.loads(f"v = {text}")
    except (ValueError, RecursionError):  # not TOML, a 4,300-digit int, or nested too deeply
        return text
    return parsed["v"] if len(parsed) == 1 else text


def parse_sets(items: list[str], option: str = "--set") -> dict[str, Any]:
    """``["section.key=value", ...]`` as ``{"section.key": value}``; the last one wins."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                item, "expected section.key=value, e.g. reporting.mechanism=direct", option
            )
        overrides[key.strip()] = parse_value(value.strip())
    return overrides


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``--set`` options as overrides, each key checked to name a parameter (or ``name``)
    before its value is checked: ``--set x=1e400`` is an unknown key, not a number too
    large."""
    overrides = parse_sets(items)
    for key in overrides:
        if key == "name":
            continue
        if "." not in key.replace("__", "."):
            raise ConfigError(
                key, "unknown key: expected section.key (e.g. reporting.mechanism) or name", "--set"
            )
        split_key(key, "--set")
    return overrides


def refuse_bad_link(arg: str | Path, option: str = "") -> None:
    """Refuse (ConfigError) a path that is a symlink loop or a symlink to nothing, saying
    which: to ``os.path.exists`` both are just missing ("file not found")."""
    where = f"{option} {arg}" if option else str(arg)
    try:
        os.stat(arg)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ConfigError(
                where, "a symlink loop: following its links never reaches a file or folder"
            ) from None
        if os.path.islink(arg):
            raise ConfigError(
                where, f"a broken symlink: it points to {os.readlink(arg)}, which does not exist"
            ) from None
    except ValueError:  # a NUL in the name: the caller says "file not found"
        pass


def file_argument(arg: str, folder: Path, kind: str = "scenarios") -> Path:
    """The file a CONFIG, SWEEP or TARGETS argument names: a path, or the name of a file
    shipped in `folder` (see :func:`sim.scenario.shipped_or_path`)."""
    refuse_bad_link(arg)
    return shipped_or_path(arg, folder, kind)


def scenario_path(arg: str | None) -> Path | None:
    """The file a CONFIG argument names: a path, or the name of a shipped scenario."""
    return None if arg is None else file_argument(arg, SCENARIO_DIR, "scenarios")


def load_config(args: argparse.Namespace):
    """The resolved config of a command: scenario file, then ``--set`` overrides."""
    config = load_scenario(scenario_path(args.config))
    overrides = parse_overrides(args.set)
    if overrides:
        config = apply_overrides(config, overrides, source="--set")
    return config


def whole_number(minimum: int):
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {text}")
        return value

    return parse


seed_type = whole_number(0)


def port_type(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    value = whole_number(-(2**63))(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, got {value}")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return whole_number(1)(text)


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """CONFIG and ``--set``, as ``run``, ``config`` take them."""
    p.add_argument(
        "config",
        nargs="?",
        metavar="CONFIG",
        help="scenario file or shipped scenario name (default: street_flood)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a parameter (repeatable), e.g. --set reporting.mechanism=direct",
    )
