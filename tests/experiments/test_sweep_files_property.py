"""Property: any sweep file, valid or broken, gets exit 0 (``grassroots sweep FILE --check``)
or exit 2 with one message naming the file and the broken key; never a traceback or a hang."""

from __future__ import annotations

import contextlib
import io
import signal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.cli.main import main

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "configs" / "scenarios" / "street_flood.toml"
CASE_TIMEOUT_S = 30

# Each piece: (TOML text, the key an error must name, or None when the piece is valid).
NAME = st.sampled_from(
    [('name = "t"', None), ("name = 3", "name"), ("name = true", "name"), ("", None)]
)
BASE_KEY = st.sampled_from(
    [
        (f'base = "{BASE}"', None),
        ("base = 3", "base"),
        ('base = ""', "base"),
        ('base = "missing.toml"', "base"),
        ("", None),
    ]
)
REPLICATIONS = st.one_of(
    st.integers(1, 3).map(lambda n: (f"replications = {n}", None)),
    st.sampled_from(
        [
            ("replications = 0", "replications"),
            ("replications = true", "replications"),
            ("replications = 1.5", "replications"),
            ('replications = "2"', "replications"),
            (f"replications = {10**30}", "replications"),
        ]
    ),
)
SEED = st.one_of(
    st.integers(0, 2**64).map(lambda n: (f"master_seed = {n}", None)),
    st.sampled_from(
        [
            ("master_seed = -1", "master_seed"),
            ("master_seed = true", "master_seed"),
            (f"master_seed = {2**200}", "master_seed"),
        ]
    ),
)
OUTCOMES = st.sampled_from(
    [
        ('outcomes = ["total_harm"]', None),
        ("", None),
        ("outcomes = 3", "outcomes"),
        ('outcomes = "total_harm"', "outcomes"),
        ('outcomes = ["harm"]', "outcomes"),
        ("outcomes = [1]", "outcomes"),
    ]
)
EXTRA = st.sampled_from(
    [
        ("", None),
        ("sampels = 64", "sampels"),
        ("fixed = 3", "fixed"),
        ("factors = [1]", "factors"),
        ("design = 3", "design"),
        ('baseline = { "reporting.mechanism" = "pigeon" }', "reporting.mechanism"),
    ]
)
DESIGN = st.one_of(
    st.sampled_from(["factorial", "lhs", "sobol", "morris"]).map(
        lambda k: (f'kind = "{k}"' + ("" if k == "factorial" else "\nsamples = 2"), None, k)
    ),
    st.sampled_from(
        [
            ('knd = "lhs"', "design.knd", "factorial"),
            ("sampels = 64", "design.sampels", "factorial"),
            ('kind = "grid"', "design.kind", None),
            ('kind = "lhs"\nsamples = 0', "design.samples", "lhs"),
            ('kind = "lhs"\nsamples = true', "design.samples", "lhs"),
            ('kind = "lhs"\nlevels = 4', "design.levels", "lhs"),
            ('kind = "morris"\nsamples = 1\nlevels = 1', "design.levels", "morris"),
            (f'kind = "sobol"\nsamples = {10**9}', "design.samples", "sobol"),
        ]
    ),
)
LIST_FACTOR = st.sampled_from(
    [
        ('"reporting.mechanism" = ["hierarchical", "direct"]', None),
        ('reporting__mechanism = ["direct"]', None),
        ('"reporting.mechanism" = ["direct", "pigeon"]', "reporting.mechanism"),
        ('"reporting.mechanism" = []', "reporting.mechanism"),
        ('"reporting.mechanism" = "direct"', "reporting.mechanism"),
        ('"reporting.mechanizm" = ["direct"]', "reporting.mechanizm"),
        ('"time.war_hours" = [6, -1]', "time.war_hours"),
        ('"time.war_hours" = ' + "[" + ", ".join(str(h) for h in range(1, 101)) + "]", None),
    ]
)
RANGE_FACTOR = st.sampled_from(
    [
        ('"population.initial_trust" = { low = 0.2, high = 0.8 }', None),
        ('"population.initial_trust" = { low = 0.8, high = 0.2 }', "population.initial_trust"),
        ('"population.initial_trust" = { low = "a", high = 0.8 }', "population.initial_trust"),
        ('"population.initial_trust" = { low = 0.2 }', "population.initial_trust"),
        ("", None),
    ]
)
FIXED = st.sampled_from(
    [
        ("", None),
        ('"time.war_hours" = 6', None),
        ('"time.war_hours" = 6\ntime__war_hours = 7', "time__war_hours"),
        ('"time.war_hourz" = 6', "time.war_hourz"),
        ('"time.war_hours" = "six"', "time.war_hours"),
    ]
)


@st.composite
def sweep_files(draw) -> tuple[str, set[str]]:
    """A sweep file's text and the keys its errors may name (empty: a valid file).

    A third of the files are meant to be valid (each piece drawn until it is), a third have
    one broken piece, the rest any number."""
    mode = draw(st.sampled_from(["valid", "one", "any"]))
    pieces = [
        NAME,
        BASE_KEY,
        REPLICATIONS,
        SEED,
        OUTCOMES,
        EXTRA,
        DESIGN,
        LIST_FACTOR,
        RANGE_FACTOR,
        FIXED,
    ]
    broken_one = draw(st.integers(0, len(pieces) - 1))

    def valid(x) -> bool:
        return x[1] is None

    drawn = []
    for i, strategy in enumerate(pieces):
        if mode == "valid" or (mode == "one" and i != broken_one):
            strategy = strategy.filter(valid)
        elif mode == "one":
            strategy = strategy.filter(lambda x: not valid(x))
        drawn.append(draw(strategy))
    top, extra, (design_text, design_bad, kind) = drawn[:5], drawn[5], drawn[6]
    lists, ranges, fixed = drawn[7:]
    if mode == "valid":  # a range factor exactly when the design samples
        ranges = (
            ("", None)
            if kind == "factorial"
            else ('"population.initial_trust" = { low = 0.2, high = 0.8 }', None)
        )
    if mode == "valid" and "time.war_hours" in lists[0]:
        fixed = ("", None)
    bad = {key for _, key in [*top, extra, lists, ranges, fixed] if key}
    if '"time.war_hours" = [' in lists[0] and '"time.war_hours" = 6' in fixed[0]:
        bad.add("fixed.time.war_hours")  # a factor that is also fixed
    if design_bad:
        bad.add(design_bad)
    n_points = 100 if "range(1, 101)" in lists[0] or "100]" in lists[0] else 2
    has_range = bool(ranges[0])
    if kind == "factorial" and has_range or kind not in (None, "factorial") and not has_range:
        bad.add("factors")  # a factorial needs lists; a sampled design needs a range
    reps = 10**30 if "10000000000" in top[2][0] else 1
    if n_points * reps > 100_000:
        bad.add("replications")
    if "fixed = 3" in extra[0] and fixed[0]:  # a table given twice: a TOML error
        bad.add("")
    text = "\n".join(t for t, _ in [*top, extra] if t)
    if extra[0] != "design = 3":
        text += f"\n[design]\n{design_text}\n"
    if "fixed = 3" not in extra[0] and fixed[0]:
        text += f"\n[fixed]\n{fixed[0]}\n"
    if extra[0] != "factors = [1]":
        text += f"\n[factors]\n{lists[0]}\n{ranges[0]}\n"
    return text, bad


class Hang(Exception):
    pass


def check(text: str) -> tuple[int, str]:
    def expire(signum, frame):
        raise Hang(f"no answer within {CASE_TIMEOUT_S} s")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.toml"
        path.write_text(text, encoding="utf-8")
        err = io.StringIO()
        previous = signal.signal(signal.SIGALRM, expire)
        signal.alarm(CASE_TIMEOUT_S)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["sweep", str(path), "--check"])
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        return code, err.getvalue().replace(str(path), "FILE")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweep_files())
def test_any_sweep_file_gets_a_clear_answer(case):
    text, bad = case
    code, err = check(text)
    assert "Traceback" not in err
    if not bad:
        assert code == 0, f"a valid file was refused:\n{text}\n{err}"
        return
    assert code == 2, f"a broken file ({bad}) was accepted:\n{text}"
    assert err.startswith("grassroots sweep: error: FILE: ") and err.count("\n") == 1, err
    assert any(f"{key}: " in err or f"{key} " in err for key in bad if key) or "" in bad, (
        f"the message names none of {bad}:\n{err}\n{text}"
    )
