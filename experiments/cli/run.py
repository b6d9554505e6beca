"""``grassroots run [CONFIG] [--seed N] [--set ...] [--out DIR [--force]] [--quiet]
[--max-memory SIZE]``: one scenario, a table of outcomes and a results folder
(:mod:`experiments.runs.output`); a run whose estimated memory is over the limit is refused
first (:mod:`sim.footprint`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from experiments.cli.args import (
    RunError,
    UsageError,
    add_config_arguments,
    load_config,
    refuse_bad_link,
    seed_type,
    write_error,
)
from sim.footprint import check_memory


class Progress:
    """A one-line progress display on stderr, passed to ``simulate`` as ``progress``."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = -1
        self.start = time.perf_counter()

    def __call__(self, step: int, n_steps: int) -> None:
        pct = 100 if n_steps <= 0 else min(100, int(100 * step / n_steps))
        every = 1 if self.tty else 10
        if pct // every == self.last // every:
            return
        self.last = pct
        elapsed = time.perf_counter() - self.start
        line = f"  simulating: step {step}/{n_steps} ({pct:3d}%), {elapsed:.1f} s"
        self.stream.write(f"\r{line}" if self.tty else f"{line}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.last >= 0:
            self.stream.write("\n")
            self.stream.flush()


def format_value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:,.4g}"
    return str(value)


def outcome_table(outcomes: dict[str, Any], units: dict[str, str]) -> str:
    rows = [(name, format_value(v), units.get(name, "")) for name, v in outcomes.items()]
    w0 = max([len("outcome")] + [len(r[0]) for r in rows])
    w1 = max([len("value")] + [len(r[1]) for r in rows])
    lines = [f"{'outcome':<{w0}}  {'value':>{w1}}  unit"]
    lines += [f"{n:<{w0}}  {v:>{w1}}  {u}".rstrip() for n, v, u in rows]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    config = load_config(args)  # configuration errors first, before the model is imported
    check_memory(config, args.max_memory)  # refuse a run that cannot fit, before building it

    from experiments.runs.output import default_out_dir, outcomes_dict, write_run
    from sim import simulate

    out_dir = Path(args.out) if args.out else default_out_dir(config.name, args.seed)
    refuse_bad_link(out_dir, "--out")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not args.force:
        raise UsageError(
            f"--out {out_dir}: the folder exists and is not empty (a run or "
            "sweep is there?): choose another --out, or add --force to "
            "overwrite its run files"
        )
    progress = None if args.quiet else Progress()
    if not args.quiet:
        print(f"Running scenario '{config.name}' with seed {args.seed}", file=sys.stderr)
        if not _engine_cached():
            print(
                "(the first run on this machine compiles the model's engine: about a minute, once)",
                file=sys.stderr,
            )
    try:
        result = simulate(config, seed=args.seed, progress=progress)
    finally:
        if progress:
            progress.close()
    try:
        paths = write_run(result, out_dir, config.name, args.seed)
    except OSError as e:
        raise RunError(f"cannot write results: {write_error(e, out_dir)}") from None
    if not args.quiet:
        print(outcome_table(outcomes_dict(result), getattr(result, "outcome_units", {}) or {}))
        print()
        print(f"Results in {out_dir}/: " + ", ".join(p.name for p in paths.values()))
    else:
        print(out_dir)
    return 0


def add_run_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run one scenario and write a results folder")
    add_config_arguments(run)
    run.add_argument("--seed", type=seed_type, default=1, help="random seed (default 1)")
    run.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/run-<scenario>-seed<N>-<YYYYmmdd-HHMMSS>)",
    )
    run.add_argument(
        "--force", action="store_true", help="write into an --out folder that is not empty"
    )
    run.add_argument(
        "--quiet", action="store_true", help="no progress or table; print only the results folder"
    )
    run.add_argument(
        "--max-memory",
        metavar="SIZE",
        help="refuse a run whose estimated peak "
        "memory is above SIZE (8G, 500M, none; default: half of physical memory)",
    )
    run.set_defaults(func=cmd_run)


def _engine_cached() -> bool:
    """Whether numba's cache of the model's compiled engine is beside it (where numba looks
    first): if not, the first run compiles it."""
    import sim.engine.step

    return any((Path(sim.engine.step.__file__).parent / "__pycache__").glob("step.*.nbi"))
