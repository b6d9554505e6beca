"""How the engine is compiled (numba), and how Python calls it cheaply.

Every compiled function runs without numba's reference counting (``_nrt=False``): with it, each
call between compiled functions that passes the engine's tuples of arrays counts references on
every array, which made the event loop as slow as Python. The engine therefore allocates nothing
and holds no Python object (its random numbers come from ``sim/rng.py``); Python grows its
arrays between calls. The engine's named tuples of arrays (need table, roster, place, residents,
event loop) reach compiled code by reference, as a ``Table``: passed by value, every call that
numba does not inline copied about 1,000 words. Compiled code is cached beside each module, in
``sim/**/__pycache__``. ``NUMBA_DISABLE_JIT=1`` runs the same source as Python, for debugging
and coverage."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.datamodel import models
from numba.core.registry import CPUDispatcher
from numba.core.typing.templates import AttributeTemplate
from numba.extending import (
    NativeValue,
    infer_getattr,
    lower_getattr_generic,
    register_model,
    typeof_impl,
    unbox,
)

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

# A function's compiled entry point, which of its arguments are tables (by position), and
# their types.
_ENTRY: dict[Any, tuple[Callable[..., Any], tuple[int, ...], tuple[Any, ...]]] = {}


def call(fn: Any, *args: Any) -> Any:
    """Call a compiled function; after its first call through its compiled entry point,
    which skips numba's dispatch (typing every argument anew: several microseconds a call).
    The engine passes each function arguments of the same types on every call (arrays of
    fixed dtype and layout); a function compiled for more than one signature keeps
    dispatch, and so does every function when compilation is off. A named tuple of arrays
    (the need table, the roster, the event loop...) goes by reference (``by_reference``);
    a table of another type than the entry point's goes through dispatch."""
    known = _ENTRY.get(fn)
    if known is not None:
        entry, tables, kinds = known
        if not tables:
            return entry(*args)
        refs = _referenced(args, tables)
        for k, kind in zip(tables, kinds, strict=True):
            if refs[k].numba_type is not kind:
                return fn(*refs)
        return entry(*refs)
    tables = tuple(k for k, a in enumerate(args) if type(a) in _TABLES) if _COMPILED else ()
    refs = _referenced(args, tables)
    result = fn(*refs)
    overloads = getattr(fn, "overloads", None)
    if overloads is not None and len(overloads) == 1:
        kinds = tuple(refs[k].numba_type for k in tables)
        _ENTRY[fn] = (next(iter(overloads.values())).entry_point, tables, kinds)
    return result


def _referenced(args: tuple[Any, ...], tables: tuple[int, ...]) -> list[Any]:
    out = list(args)
    for k in tables:
        out[k] = by_reference(out[k])
    return out


# --- named tuples of arrays, passed by reference ----------------------------------------------
#
# numba passes a tuple to a function that it does not inline as one argument per field of
# each array in it (seven words for a 1-d array): the event loop's calls passed about 1,000
# words each (the need table, the roster, the place and the loop: 140 arrays). A ``Table``
# holds the tuple's arrays laid out as numba lays out the tuple (numba's ArrayModel:
# meminfo, parent, size, item size, data, shape, strides) in a buffer it owns; compiled code
# receives a pointer to it and reads a field where it is used. The arrays stay the tuple's:
# compiled code writes into them as before, and the tuple keeps them alive.


class Table:
    """A named tuple of arrays as compiled code reads it by reference."""

    __slots__ = ("address", "buffer", "numba_type", "tuple")

    def __init__(self, table: tuple[np.ndarray, ...]) -> None:
        words: list[int] = []
        for a in table:
            words += [0, id(a), a.size, a.itemsize, a.ctypes.data, *a.shape, *a.strides]
        self.tuple = table
        self.buffer = np.array(words, dtype=np.int64)
        self.address = self.buffer.ctypes.data
        # numba's type of the tuple, from what it depends on (typing 40 arrays takes longer)
        key = (
            type(table),
            *(
                (
                    a.dtype,
                    a.ndim,
                    a.flags.c_contiguous,
                    a.flags.f_contiguous,
                    a.flags.writeable,
                    a.flags.aligned,
                )
                for a in table
            ),
        )
        known = _TYPES.get(key)
        if known is None:
            known = _TYPES[key] = TableType(numba.typeof(table))
        self.numba_type = known


class TableType(types.Type):
    """numba's type of a ``Table``: a pointer to the named tuple's fields."""

    def __init__(self, tuple_type: types.NamedTuple) -> None:
        self.tuple_type = tuple_type
        super().__init__(name=f"Table({tuple_type})")


_COMPILED = not getattr(numba.config, "DISABLE_JIT", 0)
_TABLES: set[type] = set()  # the named tuples that go by reference
_REFS: dict[int, Table] = {}  # id of a tuple -> its Table (which keeps the tuple alive)
_MAX_REFS = 64
_TYPES: dict[tuple[Any, ...], TableType] = {}


def table(cls: Any) -> Any:
    """Class decorator: this named tuple of arrays goes to compiled code by reference."""
    _TABLES.add(cls)
    return cls


def by_reference(t: Any) -> Table:
    """The ``Table`` of a named tuple of arrays (made once per tuple; the oldest are
    forgotten past 64, and all at the end of a run: ``forget``)."""
    if type(t) is Table:
        return t
    ref = _REFS.get(id(t))
    if ref is None or ref.tuple is not t:
        if len(_REFS) >= _MAX_REFS:
            for k in list(_REFS)[: _MAX_REFS // 2]:
                del _REFS[k]
        ref = _REFS[id(t)] = Table(t)
    return ref


def forget() -> None:
    """Drop every ``Table`` (and so the tuples they hold)."""
    _REFS.clear()


@typeof_impl.register(Table)
def _typeof_table(val: Table, c: Any) -> TableType:
    return val.numba_type


@register_model(TableType)
class _TableModel(models.PrimitiveModel):
    def __init__(self, dmm: Any, fe_type: TableType) -> None:
        fields = dmm.lookup(fe_type.tuple_type).get_data_type()
        super().__init__(dmm, fe_type, ir.PointerType(fields))


@unbox(TableType)
def _unbox_table(typ: TableType, obj: Any, c: Any) -> NativeValue:
    address = c.pyapi.object_getattr_string(obj, "address")
    pointer = c.pyapi.long_as_voidptr(address)
    c.pyapi.decref(address)
    return NativeValue(c.builder.bitcast(pointer, c.context.get_value_type(typ)))


@infer_getattr
class _TableFields(AttributeTemplate):
    key = TableType

    def generic_resolve(self, typ: TableType, attr: str) -> Any:  # type: ignore[override]
        fields = typ.tuple_type.fields
        return typ.tuple_type.types[fields.index(attr)] if attr in fields else None


@lower_getattr_generic(TableType)
def _table_field(context: Any, builder: Any, typ: TableType, value: Any, attr: str) -> Any:
    k = typ.tuple_type.fields.index(attr)
    pointer = cgutils.gep_inbounds(builder, value, 0, k)
    return context.data_model_manager[typ.tuple_type.types[k]].load_from_data_pointer(
        builder, pointer
    )
