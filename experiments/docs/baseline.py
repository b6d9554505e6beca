"""Baseline regression: the outcomes of every shipped scenario at a fixed seed.

``tests/baseline.json`` holds, for each ``configs/scenarios/*.toml``, the one-row outcomes of
``simulate(load_scenario(path), seed)``. ``tests/test_baseline.py`` re-runs them and fails
with a readable diff when any outcome moves by more than 1e-9 (relative). Only an explicit
command refreshes the file, after a deliberate change to the model:

    python -m experiments.docs.baseline --refresh     # rewrite tests/baseline.json
    python -m experiments.docs.baseline               # compare and print the diff (exit 1 if any)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "tests" / "baseline.json"
SCENARIOS = ROOT / "configs" / "scenarios"
SEED = 20240601
RTOL = 1e-9


def scenario_paths() -> list[Path]:
    return sorted(SCENARIOS.glob("*.toml"))


def run_scenario(path: Path, seed: int = SEED) -> dict[str, float]:
    from sim import load_scenario, simulate

    out = simulate(load_scenario(path), seed=seed).summary()
    return {
        k: (None if isinstance(v, float) and math.isnan(v) else float(v)) for k, v in out.items()
    }


def current(paths: list[Path] | None = None) -> dict[str, Any]:
    paths = scenario_paths() if paths is None else paths
    return {"seed": SEED, "rtol": RTOL, "scenarios": {p.stem: run_scenario(p) for p in paths}}


def load() -> dict[str, Any]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def refresh() -> Path:
    data = current()
    BASELINE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return BASELINE


def _differs(a: float | None, b: float | None, rtol: float) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > rtol * max(abs(a), abs(b), 1e-300) and a != b


def diff_scenario(
    name: str, base: dict[str, Any], now: dict[str, Any], rtol: float = RTOL
) -> list[str]:
    """Readable lines, one per changed outcome: baseline, now, relative change."""
    lines = []
    for key in sorted(set(base) | set(now)):
        if key not in base:
            lines.append(f"  {name}.{key}: new outcome (now {now[key]!r})")
        elif key not in now:
            lines.append(f"  {name}.{key}: outcome gone (baseline {base[key]!r})")
        elif _differs(base[key], now[key], rtol):
            b, n = base[key], now[key]
            rel = "n/a" if b in (None, 0) or n is None else f"{(n - b) / abs(b):+.3e}"
            lines.append(f"  {name}.{key}: baseline {b!r}, now {n!r}, relative change {rel}")
    return lines


def report(base: dict[str, Any], now: dict[str, Any]) -> list[str]:
    lines = []
    for name in sorted(set(base["scenarios"]) | set(now["scenarios"])):
        if name not in base["scenarios"]:
            lines.append(f"  {name}: scenario not in the baseline")
        elif name not in now["scenarios"]:
            lines.append(f"  {name}: scenario in the baseline but no longer shipped")
        else:
            lines += diff_scenario(
                name, base["scenarios"][name], now["scenarios"][name], base.get("rtol", RTOL)
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m experiments.docs.baseline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--refresh", action="store_true", help="rewrite tests/baseline.json from the current model"
    )
    args = ap.parse_args(argv)
    if args.refresh:
        print(f"wrote {refresh()}")
        return 0
    lines = report(load(), current())
    print("\n".join(lines) if lines else "baseline unchanged")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
