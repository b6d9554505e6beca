"""Named tuples of arrays go to compiled code by reference (``sim.jit.Table``): a compiled
function reads every field as the tuple holds it (any dtype, 1-d or 2-d, strided) and its
writes land in the tuple's own arrays."""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import jit
from sim.jit import Table, by_reference, call, forget

pytestmark = pytest.mark.skipif(
    bool(getattr(numba.config, "DISABLE_JIT", 0)), reason="tables are for compiled code"
)


@jit.table
class Sample(NamedTuple):
    count: np.ndarray  # int64
    value: np.ndarray  # float64
    flag: np.ndarray  # bool
    small: np.ndarray  # int8
    grid: np.ndarray  # float64, 2-d
    every_other: np.ndarray  # float64, strided (a view)


@numba.njit(_nrt=False)
def _sum_and_mark(s, i, j):
    """Reads each field, writes into three."""
    total = float(s.count[0]) + s.value[i] + s.grid[i % s.grid.shape[0], j] + s.every_other[i]
    total += float(s.small[i]) + (1.0 if s.flag[i] else 0.0) + len(s.value)
    s.count[0] += 1
    s.value[i] = -1.0
    s.flag[i] = True
    return total


def _sample(n: int, rows: int, seed: int) -> Sample:
    rng = np.random.default_rng(seed)
    base = rng.random(2 * n)
    return Sample(
        count=np.array([7], dtype=np.int64),
        value=rng.random(n),
        flag=rng.random(n) < 0.5,
        small=rng.integers(-100, 100, n).astype(np.int8),
        grid=rng.random((rows, 3)),
        every_other=base[::2],
    )


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), rows=st.integers(1, 5), data=st.data())
def test_compiled_code_reads_and_writes_the_tuples_arrays(n: int, rows: int, data) -> None:
    seed = data.draw(st.integers(0, 2**32 - 1))
    s, plain = _sample(n, rows, seed), _sample(n, rows, seed)
    i, j = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, 2))
    for _ in range(2):  # the second call sees the first one's writes
        assert call(_sum_and_mark, s, i, j) == _sum_and_mark.py_func(plain, i, j)
        for mine, theirs in zip(s, plain, strict=True):
            np.testing.assert_array_equal(mine, theirs)
    assert s.count[0] == 9 and s.value[i] == -1.0 and s.flag[i]
    assert isinstance(_sum_and_mark.signatures[0][0], jit.TableType)
    forget()


def test_a_tuple_has_one_table_until_forgotten() -> None:
    s = _sample(5, 2, 1)
    ref = by_reference(s)
    assert by_reference(s) is ref and by_reference(ref) is ref and ref.tuple is s
    grown = s._replace(value=np.zeros(10))
    assert by_reference(grown) is not ref  # a new tuple (grown arrays): a new table
    call(_sum_and_mark, grown, 9, 0)
    assert grown.value[9] == -1.0 and s.value.shape == (5,)
    forget()
    assert by_reference(s) is not ref


def test_tables_forget_the_oldest_past_their_limit() -> None:
    forget()
    kept = [_sample(3, 1, k) for k in range(jit._MAX_REFS + 1)]
    first = by_reference(kept[0])
    for s in kept[1:]:
        by_reference(s)
    assert len(jit._REFS) <= jit._MAX_REFS
    assert by_reference(kept[0]) is not first  # it was forgotten, and is made again
    assert isinstance(by_reference(kept[-1]), Table)
    forget()
    assert not jit._REFS


def test_a_table_of_another_layout_is_not_read_as_the_first() -> None:
    """After a call with contiguous arrays, a strided one goes through numba's dispatch
    (to its own compiled version), not through the first version's entry point."""

    @numba.njit(_nrt=False)
    def last(s):
        return s.every_other[len(s.every_other) - 1]

    one, five = _sample(1, 1, 3), _sample(5, 1, 4)
    assert one.every_other.flags.c_contiguous and not five.every_other.flags.c_contiguous
    assert call(last, one) == one.every_other[0]
    assert call(last, five) == five.every_other[4]
    assert len(last.overloads) == 2
    forget()
