"""The ``grassroots`` command: run a scenario, or list and document parameters.

    grassroots run [CONFIG] [--seed N] [--set section.key=value ...] [--out DIR] [--quiet]
    grassroots config [CONFIG] [--set ...] [--toml] [--write-base]
    grassroots sweep SWEEP [--replications N] [--workers N | --local-cluster N |
                     --scheduler ADDR] [--out DIR] [--resume]   (see experiments/sweep_cli.py)
    grassroots demo [CONFIG] [--port P] [--side-by-side] [--replay DIR RUN_ID]
                                              (the classroom app: experiments/classroom.py)
    grassroots report DIR [--baseline KEY=VALUE ...] [--outcomes A,B]
                                              (an HTML report: experiments/report.py)

CONFIG is a scenario file or the name of a shipped scenario (``township_typhoon``); without
it the default scenario (street_flood) is used. Configuration errors and bad arguments print
one message naming the file, the key and the allowed values, and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, TextIO

from sim.params import ConfigError
from sim.scenario import SCENARIO_DIR, apply_overrides, load_scenario

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line input that argparse cannot catch itself."""


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value if it parses as one (``3``, ``true``, ``"x"``), else
    the text itself (so ``reporting.mechanism=direct`` needs no quotes)."""
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text
    return parsed["v"] if len(parsed) == 1 else text


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``["section.key=value", ...]`` as ``{"section.key": value}``; the last one wins."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(item, "expected section.key=value, e.g. "
                              "reporting.mechanism=direct", "--set")
        overrides[key.strip()] = parse_value(value.strip())
    return overrides


def shipped_or_path(arg: str, folder: Path, kind: str) -> Path:
    """A path, or the name of a file shipped in `folder` (``township_typhoon``)."""
    path = Path(arg)
    if path.exists():
        return path
    shipped = folder / f"{arg.removesuffix('.toml')}.toml"
    if "/" not in arg and shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
    raise UsageError(f"{arg}: file not found (shipped {kind}: {names or 'none'})")


def scenario_path(arg: str | None) -> Path | None:
    """The file a CONFIG argument names: a path, or the name of a shipped scenario."""
    return None if arg is None else shipped_or_path(arg, SCENARIO_DIR, "scenarios")


def load(args: argparse.Namespace):
    """The resolved config of a command: scenario file, then ``--set`` overrides."""
    config = load_scenario(scenario_path(args.config))
    overrides = parse_sets(args.set)
    if overrides:
        config = apply_overrides(config, overrides, source="--set")
    return config


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
    config = load(args)  # configuration errors first, before the model is imported

    from sim import simulate

    from experiments.runs.output import default_out_dir, outcomes_dict, write_run

    out_dir = Path(args.out) if args.out else default_out_dir(config.name, args.seed)
    progress = None if args.quiet else Progress()
    if not args.quiet:
        print(f"Running scenario '{config.name}' with seed {args.seed}", file=sys.stderr)
    try:
        result = simulate(config, seed=args.seed, progress=progress)
    finally:
        if progress:
            progress.close()
    try:
        paths = write_run(result, out_dir, config.name, args.seed)
    except OSError as e:
        print(f"grassroots: error: cannot write results to {out_dir}: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(outcome_table(outcomes_dict(result), getattr(result, "outcome_units", {}) or {}))
        print()
        print(f"Results in {out_dir}/: " + ", ".join(p.name for p in paths.values()))
    else:
        print(out_dir)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from experiments.docs.configdoc import (parameter_table, render_toml, toml_value,
                                            write_base_toml)

    if args.write_base:
        print(f"Wrote {write_base_toml()}")
        return 0
    config = load(args)
    if args.toml:
        print(render_toml(config, header=f"name = {toml_value(config.name)}\n"), end="")
    else:
        print(f"Scenario: {config.name}")
        print(parameter_table(config))
    return 0


def whole_number(minimum: int):
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value

    return parse


seed_type = whole_number(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grassroots", description="Grassroots organizations responding to emergencies: "
        "an agent-based simulation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("config", nargs="?", metavar="CONFIG",
                       help="scenario file or shipped scenario name (default: street_flood)")
        p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override a parameter (repeatable), e.g. "
                       "--set reporting.mechanism=direct")

    run = sub.add_parser("run", help="run one scenario and write a results folder")
    common(run)
    run.add_argument("--seed", type=seed_type, default=1, help="random seed (default 1)")
    run.add_argument("--out", metavar="DIR", help="results folder (default: "
                     "results/run-<scenario>-seed<N>-<YYYYmmdd-HHMMSS>)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress or table; print only the results folder")
    run.set_defaults(func=cmd_run)

    config = sub.add_parser("config", help="show parameters (defaults, or a scenario's)")
    common(config)
    config.add_argument("--toml", action="store_true", help="print as TOML")
    config.add_argument("--write-base", action="store_true",
                        help="regenerate configs/base.toml from sim/params.py")
    config.set_defaults(func=cmd_config)

    from experiments.cli.sweep import add_sweep_parser  # the sweep command lives in its own module

    add_sweep_parser(sub)

    from experiments.classroom.model import add_demo_parser

    add_demo_parser(sub)

    from experiments.report.page import add_report_parser

    add_report_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input or configuration)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed usage and the error
        return int(e.code or 0)
    try:
        return args.func(args)
    except (ConfigError, UsageError) as e:
        print(f"grassroots: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("grassroots: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
