"""Bit-for-bit check that a speed-up did not change results.

``--write`` runs a fixed set of cases (the shipped scenarios and a few overrides of the
default one, seeds 1-2) and saves each run's outcomes, time series, need log, event feed and
routine-case log to parquet; ``--check`` runs them again and compares every table exactly
(NaN equals NaN). Use it before and after an optimization:

    .venv/bin/python benchmarks/identity_check.py --write   # on the code before the change
    .venv/bin/python benchmarks/identity_check.py --check   # after it: exit 1 on a difference
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402

SCENARIOS = sorted((ROOT / "configs" / "scenarios").glob("*.toml"))
OVERRIDES = {
    "siloed": {"organization.structure": "siloed"},
    "integrated": {"organization.structure": "integrated"},
    "hierarchical": {"reporting.mechanism": "hierarchical"},
    "joint_meeting": {"reporting.mechanism": "joint_meeting"},
    "grid_autonomy": {"reporting.mechanism": "grid_autonomy"},
    "no_team": {"volunteers.team_size_per_1000": 0.0},
    "epidemic": {"epidemic.enabled": True},
}
SEEDS = (1, 2)


def cases():
    for path in SCENARIOS:
        yield path.stem, sim.load_scenario(path)
    for name, ov in OVERRIDES.items():
        yield name, sim.load_scenario(None, ov)


def tables(config, seed: int) -> dict[str, pd.DataFrame]:
    r = sim.simulate(config, seed=seed)
    out = {"outcomes": r.outcomes, "timeseries": r.timeseries, "needs": r.needs, "events": r.events}
    if r.routine_cases is not None:
        out["routine"] = r.routine_cases
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write the reference tables")
    mode.add_argument("--check", action="store_true", help="compare with the reference")
    ap.add_argument("--dir", type=Path, default=ROOT / "results" / "speed-ref")
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name, config in cases():
        for seed in SEEDS:
            for table, df in tables(config, seed).items():
                path = args.dir / f"{name}-s{seed}-{table}.parquet"
                if args.write:
                    df.to_parquet(path)
                    continue
                ref = pd.read_parquet(path)
                try:
                    pd.testing.assert_frame_equal(df, ref, check_exact=True)
                except AssertionError as err:
                    failed += 1
                    print(f"DIFFERENT {name} seed {seed} {table}: {str(err)[:400]}")
            print(f"{name} seed {seed}: {'written' if args.write else 'checked'}", flush=True)
    if args.check:
        print("IDENTICAL" if not failed else f"{failed} tables differ")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
