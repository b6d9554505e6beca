"""Modules outside the package that register hazards or reporting mechanisms.

A scenario names them (``plugins = ["heatwave.py"]``, relative to the file, or an
importable module name); loading one runs its registrations once per process. A
configuration keeps the list, so a copy of it unpickled in another process (a sweep worker)
loads them again before it is rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from .errors import ConfigError

LOADED: list[str] = []  # canonical names of the plugins loaded in this process, in order


def load(spec: str, source: str = "plugins") -> str:
    """Import a plugin (a ``.py`` file or a module name) once; return its canonical name
    (the file's absolute path, or the module name), kept in ``LOADED``."""
    name = _load(spec, source)
    if name not in LOADED:
        LOADED.append(name)
    return name


def _load(spec: str, source: str) -> str:
    if spec.endswith(".py") or "/" in spec:
        path = Path(spec).resolve()
        name = "grassroots_plugin_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        if name not in sys.modules:
            if not path.is_file():
                raise ConfigError("plugins", f"file not found: {path}", source)
            module_spec = importlib.util.spec_from_file_location(name, path)
            assert module_spec is not None and module_spec.loader is not None
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            try:
                module_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        return str(path)
    try:
        importlib.import_module(spec)
    except ImportError as e:
        raise ConfigError("plugins", f"cannot import {spec!r}: {e}", source) from None
    return spec


def load_all(specs: tuple[str, ...] | list[str], source: str = "plugins") -> tuple[str, ...]:
    return tuple(load(s, source) for s in specs)
