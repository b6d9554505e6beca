"""The HTML report (experiments/report/) and its statistics (experiments/report/stats.py).

The sweep-shaped folders here are built by calling ``sim.simulate`` directly (same layout as
``grassroots sweep`` writes), so these tests do not depend on the sweep engine; one test at
the end runs the real engine end to end.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import outcomes as oc
from experiments.cli.main import main
from experiments.factors import value_text
from experiments.report.page import build_report
from experiments.report.stats import SEED, bootstrap_mean, paired_difference
from experiments.report.sweep import ReportError
from sim import Config, simulate

TINY = {"population.n_residents": 3000, "time.peace_days": 2, "time.war_hours": 8}
POLICIES = {
    "reporting.mechanism": ["hierarchical", "direct"],
    "organization.structure": ["siloed", "integrated_party"],
}
N_RESAMPLES = 500  # fewer than the default 2,000, to keep the tests fast


def build_sweep_folder(
    root: Path, factors: dict[str, list], replications: int, needs: bool = True
) -> Path:
    """A folder shaped like ``grassroots sweep`` output: manifest, runs, time series, needs."""
    seeds = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(7).spawn(replications)]
    points = [dict(zip(factors, v)) for v in itertools.product(*factors.values())]
    rows = []
    for i, point in enumerate(points):
        for r, seed in enumerate(seeds):
            result = simulate(Config().with_overrides({**TINY, **point}), seed=seed)
            run_id = f"p{i:04d}-r{r:03d}"
            rows.append(
                {
                    "run_id": run_id,
                    "point": i,
                    "replication": r,
                    "seed": seed,
                    **point,
                    **result.summary(),
                    "status": "ok",
                    "error": "",
                    "duration_s": 0.0,
                }
            )
            for name, frame in (("timeseries", result.timeseries), ("needs", result.needs)):
                if name == "needs" and not needs:
                    continue
                folder = root / name / f"run_id={run_id}"
                folder.mkdir(parents=True)
                frame.to_parquet(folder / "part.parquet", index=False)
    pd.DataFrame(rows).to_parquet(root / "runs.parquet", index=False)
    manifest = {
        "sweep": "tiny",
        "design": "factorial",
        "factors": factors,
        "fixed": TINY,
        "base": None,
        "master_seed": 7,
        "replications": replications,
        "seeds": seeds,
        "points": points,
        "n_runs": len(rows),
    }
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def sweep_report(tmp_path_factory):
    folder = build_sweep_folder(tmp_path_factory.mktemp("sweep"), POLICIES, replications=6)
    return folder, build_report(folder, n_resamples=N_RESAMPLES)


def test_sweep_report_builds_every_chart(sweep_report):
    folder, report = sweep_report
    out = folder / "report"
    assert report.path == out / "index.html" and report.path.is_file()
    names = {c.name for s in report.sections for c in s.charts}
    assert {
        "comparison_mean_response_min",
        "comparison_total_harm",
        "distributions",
        "timeseries",
        "heatmap",
    } <= names
    for name in names:
        assert (out / f"{name}.png").stat().st_size > 1000
        assert (out / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    # the default baseline: the first level of every factor (the sweep states none)
    assert report.baseline == {
        "reporting.mechanism": "hierarchical",
        "organization.structure": "siloed",
    }


def expected_numbers(
    p: np.ndarray, b: np.ndarray, lower_is_better: bool, share: bool = False
) -> list[float]:
    """The numbers a finding states, recomputed here from the paired outcomes: the relative
    change in percent (a share: the difference in percentage points), its CI, k and n.
    With fewer than 10 pairs the interval is rough: signed numbers, never "cuts"."""
    idx = np.random.default_rng(SEED).integers(0, len(p), size=(N_RESAMPLES, len(p)))
    d = p - b
    if share:
        x = d.mean()
        low, high = np.quantile(d[idx].mean(axis=1), [0.025, 0.975])
    else:
        x = p.mean() / b.mean() - 1
        low, high = np.quantile(p[idx].mean(axis=1) / b[idx].mean(axis=1) - 1, [0.025, 0.975])
    n_better = int(np.sum(d < 0 if lower_is_better else d > 0))
    rough = len(p) < 10
    if high < 0 and not rough:
        shown = [-x, -high, -low]
    else:
        shown = [x, low, high]
    return [100 * v for v in shown] + [n_better, len(p)]


def test_every_number_in_the_findings_is_recomputed_from_runs_parquet(sweep_report):
    folder, report = sweep_report
    runs = pd.read_parquet(folder / "runs.parquet")
    assert report.findings, "a 2 x 2 sweep compares direct with hierarchical reporting"
    html = report.path.read_text(encoding="utf-8")
    for f in report.findings:  # every policy against the one baseline policy
        mech, structure = f.policy
        assert f.baseline == ("hierarchical", "siloed")
        p = runs[
            (runs["organization.structure"] == structure) & (runs["reporting.mechanism"] == mech)
        ].sort_values("replication")
        b = runs[
            (runs["organization.structure"] == "siloed")
            & (runs["reporting.mechanism"] == "hierarchical")
        ].sort_values("replication")
        assert list(p["seed"]) == list(b["seed"])  # common random numbers
        p, b = p[f.outcome].to_numpy(float), b[f.outcome].to_numpy(float)
        keep = np.isfinite(p) & np.isfinite(b)
        share = f.outcome == "share_met_within_target"
        expected = expected_numbers(p[keep], b[keep], not share, share)
        # 6 replications: rough intervals, said so, and never "cuts" or "raises"
        assert "rough: only 6 pairs, fewer than 10" in f.text and " cuts " not in f.text
        assert ("percentage points" in f.text) == share
        text = f.text.replace("95% CI", "").replace(oc.words(f.outcome), "")
        text = text.split(" (rough")[0].replace("90th-percentile", "")
        stated = re.findall(r"[-+]?\d+(?:\.\d+)?", text)
        assert len(stated) == len(expected), f.text
        for s, e in zip(stated, expected):
            decimals = len(s.split(".")[1]) if "." in s else 0
            assert abs(float(s) - e) <= 0.5 * 10**-decimals + 1e-9, (f.text, s, e)
        assert f.text in html.replace("&#x27;", "'")


def test_html_is_self_contained_names_every_policy_and_shows_cis(sweep_report):
    folder, report = sweep_report
    html = report.path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert html.count('src="data:image/png;base64,') == sum(
        len(s.charts) for s in report.sections
    ) + len(report.decision.charts)
    for mech, structure in itertools.product(*POLICIES.values()):
        assert (
            f"{value_text('reporting.mechanism', mech)}, "
            f"{value_text('organization.structure', structure)}"
        ) in html
    assert "95% CI" in html
    comp = report.comparisons[0]
    est = comp.estimates[0]
    assert f"{est.low:,.4g} to {est.high:,.4g}" in html  # each CI is shown in the table
    # 6 replications: the page and every chart say the intervals are rough
    assert "Only 6 replications (fewer than 10)" in html
    # (the harm maps show one replication and no interval)
    for chart in (c for s in report.sections for c in s.charts if c.name != "harm_maps"):
        assert "fewer than 10" in chart.svg.read_text(encoding="utf-8"), chart.name


def test_bootstrap_ci_covers_the_mean_at_the_stated_rate():
    rng = np.random.default_rng(1)
    hits = 0
    for rep in range(200):
        x = rng.normal(5.0, 2.0, size=40)
        est = bootstrap_mean(x, n_resamples=1000, seed=rep)
        hits += est.low <= 5.0 <= est.high
    assert 0.90 <= hits / 200 <= 0.99


def test_paired_difference_ci_covers_the_true_difference():
    rng = np.random.default_rng(2)
    hits = 0
    for rep in range(200):
        emergency = rng.gamma(4.0, 10.0, size=30)  # shared by both policies (CRN)
        base = emergency + rng.normal(0, 2, size=30)
        policy = emergency - 3.0 + rng.normal(0, 2, size=30)
        d = paired_difference(policy, base, n_resamples=1000, seed=rep)
        hits += d.diff_low <= -3.0 <= d.diff_high
    assert 0.90 <= hits / 200 <= 0.99


def test_paired_difference_counts_and_drops_missing_pairs():
    d = paired_difference(np.array([1.0, 2.0, np.nan, 5.0]), np.array([2.0, 2.0, 1.0, 4.0]))
    assert (d.n, d.n_better, d.n_worse) == (3, 1, 1)
    assert d.rel == pytest.approx(8 / 8 - 1)
    up = paired_difference(np.array([3.0, 4.0]), np.array([1.0, 2.0]), lower_is_better=False)
    assert up.n_better == 2 and up.diff == pytest.approx(2.0)


def test_dose_response_marks_where_gains_flatten(tmp_path):
    factors = {"volunteers.team_size_per_1000": [0, 10, 20]}
    folder = build_sweep_folder(tmp_path, factors, replications=3, needs=False)
    report = build_report(
        folder, outcomes=["total_harm"], gain_threshold=1e9, n_resamples=N_RESAMPLES
    )
    dose = next(s for s in report.sections if s.title == "Dose-response")
    assert dose.charts[0].png.is_file()
    assert "from 0" in dose.body  # every step gains less than a huge threshold
    dist = next(s for s in report.sections if s.title == "Response-time distributions")
    assert "no need logs" in dist.body  # drawn from runs.parquet, and says so


def test_run_report_from_a_grassroots_run_folder(tmp_path):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--seed",
                "2",
                "--out",
                str(out),
                "--quiet",
                *[f"--set={k}={v}" for k, v in TINY.items()],
            ]
        )
        == 0
    )
    report = build_report(out)
    html = report.path.read_text(encoding="utf-8")
    for name in ("map", "timeline", "stages"):
        assert (out / "report" / f"{name}.png").is_file()
        assert (out / "report" / f"{name}.svg").is_file()
    assert "Need stages" in html and "detection (min)" in html
    assert "http://" not in html and "https://" not in html
    # the same report in Chinese: headings, table heads and chart titles
    zh = build_report(out, lang="zh")
    html = zh.path.read_text(encoding="utf-8")
    assert "单次运行报告" in html and "需求各环节" in html and "发现 (分钟)" in html
    assert "Need stages" not in html
    assert "时间花在哪里" in (out / "report" / "stages.svg").read_text(encoding="utf-8")


def test_cli_report_baseline_option_and_errors(sweep_report, tmp_path, capsys):
    folder, _ = sweep_report
    assert (
        main(
            [
                "report",
                str(folder),
                "--baseline",
                "reporting.mechanism=direct",
                "--resamples",
                "200",
                "--quiet",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip().endswith("index.html")
    html = (folder / "report" / "index.html").read_text(encoding="utf-8")
    assert "reporting.mechanism = direct" in html
    assert main(["report", str(folder), "--baseline", "reporting.mechanism=radio"]) == 2
    assert "not a level" in capsys.readouterr().err
    assert main(["report", str(folder), "--outcomes", "total_harm,mean_respons_min"]) == 2
    assert "mean_response_min" in capsys.readouterr().err  # names the valid outcomes
    assert main(["report", str(tmp_path)]) == 2
    with pytest.raises(ReportError):
        build_report(tmp_path / "missing")


@pytest.mark.parametrize("design", ['kind = "sobol"\nsamples = 8', 'kind = "morris"\nsamples = 4'])
def test_report_on_a_real_sensitivity_sweep(tmp_path, design):
    from experiments.sweeps.backends import SerialBackend
    from experiments.sweeps.designs import load_sweep
    from experiments.sweeps.runner import make_plan, run_sweep

    base = Path(__file__).resolve().parents[2] / "configs" / "scenarios" / "street_flood.toml"
    path = tmp_path / "sa.toml"
    fixed = "\n".join(f'"{k}" = {v}' for k, v in TINY.items())
    path.write_text(
        f'name = "sa"\nbase = "{base}"\nreplications = 1\nmaster_seed = 3\n'
        f'outcomes = ["total_harm"]\n[design]\n{design}\n'
        f"[fixed]\n{fixed}\n[factors]\n"
        '"population.initial_trust" = { low = 0.2, high = 0.8 }\n'
        '"flood.needs_per_1000_per_hour" = { low = 4, high = 16 }\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run_sweep(make_plan(load_sweep(path)), out, SerialBackend(), quiet=True)
    report = build_report(out, n_resamples=N_RESAMPLES)
    sens = next(s for s in report.sections if s.title == "Sensitivity")
    assert sens.charts[0].png.is_file() and sens.charts[0].svg.is_file()
    svg = sens.charts[0].svg.read_text(encoding="utf-8")
    assert "initial trust" in svg and "needs per 1000 per hour" in svg
    # in words: the top parameters with their index and CI ("2 parameters explain N% of the
    # variance of total harm on their own: ..." for Sobol, largest effects for Morris)
    words = re.sub(r"<[^>]+>", "", sens.body)
    assert "initial trust" in words and "needs per 1000 per hour" in words
    assert ("of the variance of total harm" in words) == ("sobol" in design)
    assert "95% CI" in words
    if "sobol" in design:  # 8 base samples: SALib's intervals are far too wide, and it says so
        assert "Increase samples to" in report.path.read_text(encoding="utf-8")
    # a sweep still running (no runs.parquet yet) is reported from parts/, and says so
    (out / "runs.parquet").unlink()
    partial = build_report(out, n_resamples=N_RESAMPLES)
    assert "has not finished" in partial.path.read_text(encoding="utf-8")
