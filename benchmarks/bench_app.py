"""Pace of the classroom app without the browser: a step plus a frame (the map and three
charts) of the default scenario, side by side as the app plays it.

Prints its figures (it is not a test): milliseconds per step and frame (wall and CPU time),
and steps per second. Target: >= 5 steps/s in process (the app plays at up to 5 steps/s; the
browser adds its own drawing on top). The browser end-to-end test writes the pace it saw in
headless Chromium to ``results/app/steps_per_second.txt``.

    .venv/bin/python benchmarks/bench_app.py
    .venv/bin/python benchmarks/bench_app.py --steps 300
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_STEPS_PER_S = 5.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=150, help="steps to play (default 150)")
    args = ap.parse_args(argv)
    from experiments.classroom.model import ClassroomModel
    from experiments.classroom.svg import MapLayout, chart_svg, map_svg

    m = ClassroomModel(seed=1)
    layouts = [MapLayout(p.model.township) for p in m.panes]
    walls, cpus = [], []
    while m.running and len(walls) < args.steps:
        t, c = time.perf_counter(), time.process_time()
        m.step()
        for pane, layout in zip(m.panes, layouts):
            map_svg(pane.model, layout)
            for attr in ("backlog", "response_min", "cum_harm"):
                chart_svg(attr, [("", pane.hours, getattr(pane, attr))], 72, attr)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"classroom app, default scenario, {len(m.panes)} pane(s), {len(walls)} steps")
    print(
        f"  per step and frame: median {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU; "
        f"95th percentile {sorted(walls)[int(0.95 * (len(walls) - 1))] * 1000:.1f} ms wall"
    )
    rate = 1.0 / wall
    print(
        f"  {rate:.1f} steps/s (target >= {TARGET_STEPS_PER_S:.0f}): "
        f"{'PASS' if rate >= TARGET_STEPS_PER_S else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
