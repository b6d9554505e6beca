"""How the engine is compiled (numba), and how Python calls it cheaply.

Every compiled function runs without numba's reference counting (``_nrt=False``): with it, each
call between compiled functions that passes the engine's tuples of arrays counts references on
every array, which made the event loop as slow as Python. The engine therefore allocates nothing
and holds no Python object (its random numbers come from ``sim/rng.py``); Python grows its
arrays between calls. Compiled code is cached beside each module, in ``sim/**/__pycache__``.
``NUMBA_DISABLE_JIT=1`` runs the same source as Python, for debugging and coverage."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba.core import types
from numba.core.registry import CPUDispatcher

ROOT = Path(__file__).resolve().parent


def _refresh_cache() -> None:
    """numba keys each compiled function's cache on its own file only: a function whose
    callee changed in another file would load stale code. The engine's cache therefore
    goes whenever any source file of the package changes (a digest of them all)."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    stamp = ROOT / "__pycache__" / "engine-source.sha256"
    try:
        if stamp.is_file() and stamp.read_text() == digest.hexdigest():
            return
        stamp.parent.mkdir(exist_ok=True)
        for old in ROOT.rglob("__pycache__/*.nb[ci]"):
            old.unlink(missing_ok=True)
        stamp.write_text(digest.hexdigest())
    except OSError:  # a read-only installation: numba caches elsewhere, by its own rules
        pass


_refresh_cache()


class _OneVersion(CPUDispatcher):
    """A compiled function that compiled callers' constant arguments do not specialize."""

    def get_call_template(self, args: Any, kws: Any) -> Any:
        return super().get_call_template(
            [types.unliteral(a) for a in args], {k: types.unliteral(v) for k, v in kws.items()}
        )


def one_version(compiled: Any) -> Any:
    """Compile `compiled` once for the plain types of constants that compiled callers pass.

    numba types a constant argument as its literal value and compiles a version of the
    callee for each combination: ``push(Q, t, DETECT, i, 0, 0)`` had 26, a fifth of the
    engine's first compile. Elsewhere the versions pay: a constant -1 for "no community"
    removes a test from a search's inner loop."""
    if isinstance(compiled, CPUDispatcher):  # not with NUMBA_DISABLE_JIT=1
        compiled.__class__ = _OneVersion
    return compiled


# numpy's error model: a float division by zero gives inf or nan, as Python's math would not.
_FLAGS = {"cache": True, "nogil": True, "_nrt": False, "error_model": "numpy"}
_njit: Any = numba.njit  # its type stubs know no private options
# What Python calls (the steps, the need generators), and the random numbers (tests call them).
entry = _njit(**_FLAGS)
# What only compiled code calls: without the wrapper that converts every argument from
# Python, which for the engine's tuples of arrays is most of the compile time.
jit = _njit(**_FLAGS, no_cpython_wrapper=True, no_cfunc_wrapper=True)
# For a plugin's compiled functions (sim/plugins.py): compiled once per process, not cached,
# since numba would not notice when the engine functions they call change.
plugin = _njit(nogil=True, _nrt=False, error_model="numpy")

_ENTRY: dict[Any, Callable[..., Any]] = {}


def call(fn: Any, *args: Any) -> Any:
    """Call a compiled function; after its first call through its compiled entry point,
    which skips numba's dispatch (typing every argument anew: several microseconds a call).
    The engine passes each function arguments of the same types on every call (arrays of
    fixed dtype and layout); a function compiled for more than one signature keeps
    dispatch, and so does every function when compilation is off."""
    entry = _ENTRY.get(fn)
    if entry is not None:
        return entry(*args)
    result = fn(*args)
    overloads = getattr(fn, "overloads", None)
    if overloads is not None and len(overloads) == 1:
        _ENTRY[fn] = next(iter(overloads.values())).entry_point
    return result
