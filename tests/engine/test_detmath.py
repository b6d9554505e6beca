"""exp, log and their kin from IEEE arithmetic alone (sim/detmath.py), and the engine's
normal, gamma and beta draws built on them (sim/rng.py): accurate, the same compiled and as
Python, and the only transcendental functions the compiled code calls."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim import detmath
from sim.detmath import py
from sim.rng import fill_beta, gamma, normal, stream, ziggurat_normal

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = {  # ours, the C library's, the domain where both are finite
    "exp": (detmath.exp, math.exp, st.floats(-745.0, 709.0)),
    "expm1": (detmath.expm1, math.expm1, st.floats(-745.0, 709.0)),
    "log": (detmath.log, math.log, st.floats(5e-324, 1.7e308)),
    "log1p": (detmath.log1p, math.log1p, st.floats(-1.0 + 2**-53, 1e300)),
}


def ulps(got: float, want: float) -> float:
    if got == want:
        return 0.0
    return abs(got - want) / math.ulp(want)


@pytest.mark.parametrize("name", list(FUNCTIONS))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_within_a_few_units_in_the_last_place_of_the_c_library(name, data):
    ours, theirs, domain = FUNCTIONS[name]
    x = data.draw(domain)
    want = theirs(x)
    if want == 0.0 or math.isinf(want) or abs(want) < 2.3e-308:  # subnormal: absolute
        assert abs(ours(x) - want) <= 4 * 5e-324 or ours(x) == want
    else:
        assert ulps(ours(x), want) <= 3, (x, ours(x), want)


@pytest.mark.parametrize("name", list(FUNCTIONS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_compiled_and_python_give_the_same_bits(name, data):
    ours, _, domain = FUNCTIONS[name]
    x = data.draw(st.one_of(domain, st.floats(-1.0, 1.0), st.floats(-40.0, 40.0)))
    compiled, python = ours(x), py(ours)(x)
    assert compiled == python or (compiled != compiled and python != python)


def test_special_values():
    inf, nan = math.inf, math.nan
    assert detmath.exp(0.0) == 1.0 and detmath.exp(-inf) == 0.0 and detmath.exp(inf) == inf
    assert detmath.exp(800.0) == inf and detmath.exp(-800.0) == 0.0
    assert math.isnan(detmath.exp(nan)) and math.isnan(detmath.expm1(nan))
    assert detmath.expm1(0.0) == 0.0 and detmath.expm1(-50.0) == -1.0
    assert detmath.expm1(1e-300) == 1e-300  # e^x - 1 = x to the last digit
    assert detmath.log(1.0) == 0.0 and detmath.log(0.0) == -inf and detmath.log(inf) == inf
    assert math.isnan(detmath.log(-1.0)) and math.isnan(detmath.log(nan))
    assert detmath.log1p(0.0) == 0.0 and detmath.log1p(-1.0) == -inf
    assert detmath.log1p(1e-300) == 1e-300 and detmath.log1p(inf) == inf
    assert math.isnan(detmath.log1p(-2.0))
    assert detmath.log(math.e) == pytest.approx(1.0, abs=2e-16)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.01, 50.0))
def test_powers(b, e):
    assert detmath.power(b, e) == pytest.approx(b**e, rel=1e-13, abs=1e-300)
    n = int(e)
    assert detmath.ipow(b, n) == pytest.approx(b**n, rel=1e-13, abs=1e-300)
    assert detmath.ipow(b, float(n)) == detmath.ipow(b, n)
    assert detmath.power(b, 0.0) == 1.0 and detmath.ipow(b, 0) == 1.0
    assert detmath.power(0.0, e) == 0.0


def test_the_compiled_code_calls_no_c_library_transcendental_function():
    """Every exp, log and power of the model comes from sim/detmath.py (a square root is
    correctly rounded everywhere and may stay); `**` only on integers."""
    libm = re.compile(
        r"\b(math|np|numpy)\.(exp|expm1|exp2|log|log1p|log2|log10|pow|power|"
        r"sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|erf|erfc|gamma|"
        r"lgamma|hypot)\b"
    )
    power = re.compile(r"[\w)\]]\s*\*\*\s*[\w(.]")
    offenders = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        if path.name in ("detmath.py", "params.py"):  # params.py: logs to format numbers
            continue
        for k, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if '"""' in code or code.strip().startswith(("``", "-")):
                continue
            if libm.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()}")
            for hit in power.finditer(code):
                base = code[: hit.start() + 1]
                if re.search(r"(?<![\w.])\d+$", base):  # an integer literal's power: exact
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# --- the engine's normal, gamma and beta draws ------------------------------------------------


@pytest.mark.parametrize("a,b", [(4.0, 4.0), (2.4, 5.6), (1.2, 6.8), (0.4, 7.6), (0.3, 0.5)])
def test_beta_draws_follow_the_beta_distribution(a, b):
    s = stream(np.random.SeedSequence(11))
    out = np.empty(20_000)
    fill_beta(s, a, b, out)
    assert stats.kstest(out, "beta", args=(a, b)).pvalue > 1e-3
    assert out.mean() == pytest.approx(
        a / (a + b), abs=4 * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)) / len(out))
    )


def test_gamma_and_normal_draws():
    s = stream(np.random.SeedSequence(12))
    z = np.array([normal(s) for _ in range(20_000)])
    assert stats.kstest(z, "norm").pvalue > 1e-3
    for shape in (0.5, 1.0, 3.7):
        g = np.array([gamma(s, shape) for _ in range(20_000)])
        assert stats.kstest(g, "gamma", args=(shape,)).pvalue > 1e-3
    assert gamma(s, 0.0) == 0.0


def test_ziggurat_normal_draws():
    """The gamma draws' normal (sim/rng.py's ziggurat): standard normal, tails included."""
    s = stream(np.random.SeedSequence(13))
    z = np.empty(200_000)
    for k in range(len(z)):
        z[k] = ziggurat_normal(s)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert z.mean() == pytest.approx(0.0, abs=4 / math.sqrt(len(z)))
    assert z.var() == pytest.approx(1.0, abs=4 * math.sqrt(2 / len(z)))
    beyond = np.count_nonzero(np.abs(z) > 3.6541528853610088)  # the tail layer's draws
    assert beyond == pytest.approx(len(z) * 2 * stats.norm.sf(3.6541528853610088), abs=25)
