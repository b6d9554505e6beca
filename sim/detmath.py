"""exp, expm1, log, log1p and powers from IEEE-754 arithmetic alone, so that a run does not
depend on the platform's math library.

The C library's (and numpy's) transcendental functions are accurate to about half a unit in
the last place, but not correctly rounded, so their last digit differs between libraries,
their versions and the CPU paths they pick (docs/ODD.md, "Reproducibility across
machines"). The engine uses these instead: each is made of additions, subtractions,
multiplications and divisions (correctly rounded on every IEEE-754 machine), ``floor``,
``frexp`` and ``ldexp`` (exact), in a fixed order; compiled (numba: no fast-math, so no
reordering or fused multiply-add) and run as Python (``NUMBA_DISABLE_JIT=1``) they give the
same bits on any machine. Accuracy: within a few units in the last place of the true value
(``tests/engine/test_detmath.py``); ``pow`` loses more for large |e x log(b)|.

Methods: fdlibm's argument reductions (exp: x = k ln2 + r, |r| <= ln2 / 2, ln2 split so
that k x its upper part is exact; log: x = 2^e m, sqrt(1/2) <= m < sqrt(2), log m from
s = (m - 1) / (m + 1)), with Taylor series long enough that the truncation is below 1e-17;
log1p by Goldberg's correction (D. Goldberg, "What every computer scientist should know
about floating-point arithmetic", ACM Computing Surveys 23, 1991, theorem 4).
"""

from __future__ import annotations

import math
from typing import Any

from .jit import entry

LN2_HI = 6.93147180369123816490e-01  # ln 2, upper 32 bits (fdlibm's ln2_hi)
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
INV_LN2 = 1.44269504088896338700e00
SQRT_HALF = 0.70710678118654752440
EXP_MAX = 709.782712893383973096  # above: inf
EXP_MIN = -745.13321910194110842  # below: 0
# 1/k! for k = 0..16 (exp on |r| <= 0.347 uses k <= 13: the next term is below 4e-18).
_E = tuple(1.0 / math.factorial(k) for k in range(17))
# 2/(2k + 1) for k = 0..12 (log: z <= 0.0295, the next term is below 1e-19).
_L = tuple(2.0 / (2 * k + 1) for k in range(13))


@entry
def _exp_reduced(r):
    """exp(r) for |r| <= 0.35 (Horner, highest term first)."""
    p = _E[13]
    p = p * r + _E[12]
    p = p * r + _E[11]
    p = p * r + _E[10]
    p = p * r + _E[9]
    p = p * r + _E[8]
    p = p * r + _E[7]
    p = p * r + _E[6]
    p = p * r + _E[5]
    p = p * r + _E[4]
    p = p * r + _E[3]
    p = p * r + _E[2]
    p = p * r + _E[1]
    return p * r + _E[0]


@entry
def exp(x):
    """e^x."""
    if x != x:
        return x
    if x > EXP_MAX:
        return math.inf
    if x < EXP_MIN:
        return 0.0
    k = math.floor(x * INV_LN2 + 0.5)
    r = (x - k * LN2_HI) - k * LN2_LO
    return math.ldexp(_exp_reduced(r), int(k))


@entry
def expm1(x):
    """e^x - 1, accurate also for small |x|."""
    if x != x:
        return x
    if -0.5 < x < 0.5:  # x (1 + x/2 + x^2/6 + ...): the next term below 2e-17
        q = _E[16]
        for k in range(15, 0, -1):
            q = q * x + _E[k]
        return x * q
    return exp(x) - 1.0


@entry
def log(x):
    """Natural logarithm (nan below 0, -inf at 0)."""
    if x != x or x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    if x == math.inf:
        return x
    m, e = math.frexp(x)  # x = m 2^e, 1/2 <= m < 1
    if m < SQRT_HALF:
        m *= 2.0
        e -= 1
    f = m - 1.0  # exact (Sterbenz)
    s = f / (2.0 + f)
    z = s * s
    # log(1 + f) = 2s + s R, R = 2z/3 + 2z^2/5 + ...; 2s = f - s f: log(1 + f) = f - s (f - R)
    R = _L[12]
    for k in range(11, 0, -1):
        R = R * z + _L[k]
    R = R * z
    return e * LN2_HI + (e * LN2_LO + (f - s * (f - R)))


@entry
def log1p(x):
    """log(1 + x), accurate also for small |x|."""
    if x == math.inf:
        return x
    u = 1.0 + x
    if u == 1.0:
        return x
    if u <= 0.0:
        return -math.inf if u == 0.0 else math.nan
    return log(u) * (x / (u - 1.0))


@entry
def power(b, e):
    """b^e for b >= 0 (exp(e log b)); 0^e is 0 for e > 0 and 1 for e = 0."""
    if e == 0.0:
        return 1.0
    if b == 0.0:
        return 0.0 if e > 0.0 else math.inf
    return exp(e * log(b))


@entry
def ipow(b, n):
    """b^n for an integer n >= 0, by repeated squaring."""
    result = 1.0
    k = int(n)
    while k > 0:
        if k & 1:
            result *= b
        b *= b
        k >>= 1
    return result


def py(fn: Any) -> Any:
    """The Python source of a compiled function, to call from Python without compiling
    (at import, or on a value or two): the same arithmetic, the same bits."""
    return getattr(fn, "py_func", fn)
