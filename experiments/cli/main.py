"""The ``grassroots`` command: run a scenario, or list and document parameters.

    grassroots --version                      (version, git revision, library versions)
    grassroots run [CONFIG] [--seed N] [--set section.key=value ...] [--out DIR [--force]]
                   [--quiet]
    grassroots config [CONFIG] [--set ...] [--toml] [--write-base]
    grassroots sweep SWEEP [--replications N] [--workers N | --local-cluster N |
                     --scheduler ADDR] [--out DIR] [--resume]   (experiments/cli/sweep.py)
    grassroots demo [CONFIG] [--set KEY=VALUE] [--port P] [--side-by-side] [--lang zh]
                    [--replay DIR RUN_ID]
                                              (the classroom app: experiments/cli/demo.py)
    grassroots report DIR [--baseline KEY=VALUE ...] [--outcomes A,B]
                                              (an HTML report: experiments/cli/report.py)
    grassroots calibrate [TARGETS] --params KEY... --budget N --out DIR [--workers N]
                     [--seeds K]               (fit to field data: experiments/cli/calibrate.py)
    grassroots validate [SCENARIO] [--targets FILE] [--seeds N] [--strict]
                                              (the validation table: experiments/cli/validate.py)
    grassroots district import --grids FILE --roads FILE [--sites FILE] [--flood FILE]
                               --out DIR        (your own district: experiments/cli/district.py)
    grassroots district export [CONFIG] [--seed N] --out DIR
    grassroots exercise [--scenario NAME] [--seed N] [--host H] [--port P] [--lang zh]
                        [--out DIR]   (a tabletop exercise: experiments/cli/exercise.py)

CONFIG is a scenario file or the name of a shipped scenario (``township_typhoon``); without
it the default scenario (street_flood) is used. Configuration errors and bad arguments print
one line, ``grassroots COMMAND: error: ...``, naming the file, the key and the allowed values
(no usage text, no traceback), and exit with status 2; a command that cannot finish (a write
error) exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys

from experiments.cli.args import EXIT_USAGE, Parser, RunError, UsageError
from experiments.cli.calibrate import add_calibrate_parser
from experiments.cli.config import add_config_parser
from experiments.cli.demo import add_demo_parser
from experiments.cli.district import add_district_parser
from experiments.cli.exercise import add_exercise_parser
from experiments.cli.report import add_report_parser
from experiments.cli.run import add_run_parser
from experiments.cli.sweep import add_sweep_parser
from experiments.cli.validate import add_validate_parser
from sim.params import ConfigError


class VersionAction(argparse.Action):
    """``--version``: the package's version, git revision and library versions
    (:func:`experiments.provenance.version_text`), read only when asked for."""

    def __init__(
        self, option_strings: list[str], dest: str = argparse.SUPPRESS, help: str | None = None
    ) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from experiments.provenance import version_text

        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="grassroots",
        description="Grassroots organizations responding to emergencies: "
        "an agent-based simulation.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--version",
        action=VersionAction,
        help="print the version, git revision and library versions, and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        add_run_parser,
        add_config_parser,
        add_sweep_parser,
        add_demo_parser,
        add_report_parser,
        add_calibrate_parser,
        add_validate_parser,
        add_district_parser,
        add_exercise_parser,
    ):
        add(sub)
    for command in sub.choices.values():  # `report DIR --out X` must not mean --outcomes
        command.allow_abbrev = False
        command.set_defaults(parser=command)  # whose errors name the command
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input or configuration)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # the command's error, not the top-level parser's
            args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as e:  # argparse has printed the error, or --help or --version
        return int(e.code or 0)
    except BrokenPipeError:  # ``grassroots --version | head -1``
        return _reader_gone()
    prog = f"{parser.prog} {args.command}"
    try:
        return args.func(args)
    except (ConfigError, UsageError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except RunError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``grassroots config --json | head``)
        return _reader_gone()


def _reader_gone() -> int:
    """Output to a closed pipe: stop quietly (Python's flush at exit would complain)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
