"""Random numbers for the compiled engine: xoshiro256** streams seeded from SeedSequence.

A stream is four ``uint64`` words (``stream(seed_sequence)``); the draws below advance it in
place. The engine runs without numba's reference counting (``sim/jit.py``), which a
``numpy.random.Generator`` cannot cross without leaking, so it draws from these streams
instead; each is seeded from a child of the run's ``SeedSequence`` (``sim/model.py``), so a
run is still a function of its seed. With ``NUMBA_DISABLE_JIT=1`` the same source runs as
Python and gives the same numbers (numpy's ``uint64`` scalars wrap as the compiled code
does; the overflow warnings they raise in that mode are silenced here).

Distributions: uniform (53-bit), exponential by inversion, Poisson by multiplication below a
mean of 10 and by Hormann's transformed rejection (PTRS) above it, binomial by inversion
below a mean of 10 and by Hormann's BTRS above it (W. Hormann, "The transformed rejection
method for generating Poisson random variables", Insurance: Mathematics and Economics 12,
1993; "The generation of binomial random variates", J. Stat. Comput. Simul. 46, 1993),
normal by Marsaglia's polar method and, where speed counts (the gamma draws), by Marsaglia
and Tsang's ziggurat ("The ziggurat method for generating random variables", J. Stat.
Software 5, 2000; 256 layers, 52-bit values, as numpy's generator draws them), gamma by
Marsaglia and Tsang's method ("A simple method for generating gamma variables", ACM TOMS 26,
2000; below shape 1 with their boost G(a + 1) U^(1/a)) and beta as G(a) / (G(a) + G(b)).
Logarithms and exponentials come from ``sim/detmath.py``, not the C library, so a draw is
the same on every machine; the ziggurat's tables are computed at import from them and the
correctly rounded square root, so they are too.
"""

from __future__ import annotations

import math
import warnings

import numba
import numpy as np

from .detmath import exp, log, log1p, power, py
from .jit import entry as jit

_U = np.uint64
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_HALF_LOG_2PI = 0.5 * py(log)(2.0 * math.pi)
# log(k!) for small k (sim/detmath.py's log: the same on every machine).
_LOG_FACTORIAL = np.zeros(128)
for _k in range(1, 128):
    _LOG_FACTORIAL[_k] = _LOG_FACTORIAL[_k - 1] + py(log)(float(_k))

# The ziggurat (``ziggurat_normal``): 256 layers of equal area _ZIG_V under exp(-x^2/2),
# the base layer (0) with the tail beyond _ZIG_R. Layer i >= 1 spans [0, x_i] horizontally
# and [f(x_i), f(x_(i+1))] vertically (x_1 = R > x_2 > ... > x_255 > x_256 = 0); the base
# layer's width is V / f(R). A draw takes 8 bits for the layer, 1 for the sign and 52 for
# the position: below x_(i+1) (_ZIG_K, scaled by 2^52) it is accepted at once.
_ZIG_R = 3.6541528853610088
_ZIG_V = 0.00492867323399


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def f(x: float) -> float:
        return py(exp)(-0.5 * x * x)

    x = [0.0] * 257
    x[0], x[1] = _ZIG_V / f(_ZIG_R), _ZIG_R
    for i in range(1, 255):
        x[i + 1] = math.sqrt(-2.0 * py(log)(_ZIG_V / x[i] + f(x[i])))
    scale = 4503599627370496.0  # 2**52
    width = np.array([xi / scale for xi in x[:256]])
    inner = np.array([math.floor(x[i + 1] / x[i] * scale) for i in range(1, 256)], dtype=np.uint64)
    inner = np.concatenate([np.array([math.floor(_ZIG_R / x[0] * scale)], np.uint64), inner])
    height = np.array([0.0] + [f(xi) for xi in x[1:256]] + [1.0])
    return width, inner, height


_ZIG_W, _ZIG_K, _ZIG_F = _ziggurat_tables()
_ZIG_INV_R = 1.0 / _ZIG_R
_MASK52 = np.uint64(0x000FFFFFFFFFFFFF)

if getattr(numba.config, "DISABLE_JIT", 0):  # uint64 scalars wrap as intended
    warnings.filterwarnings("ignore", "overflow encountered in scalar", RuntimeWarning)


def stream(seed: np.random.SeedSequence) -> np.ndarray:
    """A new stream's state from a seed sequence (never all zeros)."""
    state = seed.generate_state(4, np.uint64)
    if not state.any():
        state[0] = 1
    return state


@jit
def _rotl(x, k):
    return (x << _U(k)) | (x >> _U(64 - k))


@jit
def next_u64(s):
    """The next 64 bits of stream s (xoshiro256**, Blackman and Vigna 2018)."""
    result = _rotl(s[1] * _U(5), 7) * _U(9)
    t = s[1] << _U(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@jit
def random(s):
    """Uniform on [0, 1), 53 bits."""
    return float(next_u64(s) >> _U(11)) * _TO_UNIT


@jit
def uniform(s, low, high):
    return low + (high - low) * random(s)


@jit
def exponential(s, mean):
    return -mean * log1p(-random(s))


@jit
def index(s, n):
    """A position drawn uniformly from range(n) (n >= 1)."""
    return min(n - 1, int(random(s) * n))


@jit
def log_factorial(k):
    if k < 128:
        return _LOG_FACTORIAL[int(k)]
    x = k + 1.0  # Stirling's series for log Gamma(x), error below 1e-12 here
    x3 = x * x * x
    return (
        (x - 0.5) * log(x)
        - x
        + _HALF_LOG_2PI
        + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x3)
        + 1.0 / (1260.0 * (x3 * x * x))
    )


@jit
def poisson(s, lam):
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        limit, k, p = exp(-lam), 0, random(s)
        while p > limit:
            k += 1
            p *= random(s)
        return k
    slam, loglam = math.sqrt(lam), log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = random(s) - 0.5
        v = random(s)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lam + k * loglam - log_factorial(k):
            return int(k)


@jit
def binomial(s, n, p):
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(s, n, 1.0 - p)
    if n * p < 10.0:  # inversion, from P(0) = q^n upward
        q = 1.0 - p
        ratio = p / q
        prob = exp(n * log1p(-p))
        u, k = random(s), 0
        while u > prob and k < n:
            u -= prob
            prob *= ratio * (n - k) / (k + 1.0)
            k += 1
        return k
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = log(p / (1.0 - p))
    m = math.floor((n + 1) * p)
    h = log_factorial(m) + log_factorial(n - m)
    while True:
        u = random(s) - 0.5
        v = random(s)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= vr:
            return int(k)
        v = log(v * alpha / (a / (us * us) + b))
        if v <= h - log_factorial(k) - log_factorial(n - k) + (k - m) * lpq:
            return int(k)


def key(seed: np.random.SeedSequence) -> float:
    """A key for ``keyed`` from a seed sequence: 52 bits, exact as a float (it travels in
    the engine's parameter array)."""
    return float(int(seed.generate_state(1, np.uint64)[0]) >> 12)


@jit
def keyed(k, a, b):
    """Uniform on [0, 1), 53 bits, as a function of a key (``key``) and two counters
    (splitmix64's finalizer; Steele, Lea and Flood 2014): the same counters give the same
    number whatever else the run has drawn, and no stream is advanced. For decisions that
    should stay common between arms (common random numbers) though events around them move."""
    z = _U(np.int64(k)) + _U(a) * _U(0x9E3779B97F4A7C15) + _U(b) * _U(0xD1B54A32D192ED03)
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    z = z ^ (z >> _U(31))
    return float(z >> _U(11)) * _TO_UNIT


@jit
def normal(s):
    """Standard normal (Marsaglia's polar method; the pair's second value is not kept)."""
    while True:
        u = 2.0 * random(s) - 1.0
        v = 2.0 * random(s) - 1.0
        q = u * u + v * v
        if 0.0 < q < 1.0:
            return u * math.sqrt(-2.0 * log(q) / q)


@jit
def ziggurat_normal(s):
    """Standard normal by the ziggurat (see ``_ziggurat_tables``): one 64-bit draw 99% of
    the time, about twice as fast as ``normal``."""
    while True:
        r = next_u64(s)
        layer = int(r & _U(0xFF))
        r = r >> _U(8)
        sign = 1.0 - 2.0 * float(np.int64(r & _U(1)))
        position = (r >> _U(1)) & _MASK52
        x = sign * (float(np.int64(position)) * _ZIG_W[layer])
        if position < _ZIG_K[layer]:
            return x
        if layer == 0:  # the tail beyond R (Marsaglia's method)
            while True:
                xx = -_ZIG_INV_R * log1p(-random(s))
                yy = -log1p(-random(s))
                if yy + yy > xx * xx:
                    return sign * (_ZIG_R + xx)
        elif _ZIG_F[layer] + random(s) * (_ZIG_F[layer + 1] - _ZIG_F[layer]) < exp(-0.5 * x * x):
            return x


@jit
def gamma(s, shape):
    """Gamma with this shape and scale 1 (0 for a shape of 0 or below)."""
    if shape <= 0.0:
        return 0.0
    boost = 1.0
    if shape < 1.0:  # G(a) = G(a + 1) U^(1/a), U in (0, 1]
        boost = power(1.0 - random(s), 1.0 / shape)
        shape += 1.0
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = ziggurat_normal(s)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = random(s)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2 or log(u) < 0.5 * x2 + d * (1.0 - v + log(v)):
            return d * v * boost


@jit
def beta(s, a, b):
    """Beta(a, b), from two gamma draws."""
    x = gamma(s, a)
    y = gamma(s, b)
    return x / (x + y) if x + y > 0.0 else a / (a + b)


@jit
def fill_beta(s, a, b, out):
    """out[:] = independent Beta(a, b) draws, in order."""
    for k in range(len(out)):
        out[k] = beta(s, a, b)
