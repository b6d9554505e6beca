"""``grassroots config [CONFIG] [--set ...] [--toml] [--write-base]``: every parameter with
its value, unit and allowed values (:mod:`experiments.docs.configdoc`)."""

from __future__ import annotations

import argparse

from experiments.cli.args import add_config_arguments, load_config


def cmd_config(args: argparse.Namespace) -> int:
    from experiments.docs.configdoc import (parameter_table, render_toml, toml_value,
                                            write_base_toml)

    if args.write_base:
        print(f"Wrote {write_base_toml()}")
        return 0
    config = load_config(args)
    if args.toml:
        print(render_toml(config, header=f"name = {toml_value(config.name)}\n"), end="")
    else:
        print(f"Scenario: {config.name}")
        print(parameter_table(config))
    return 0


def add_config_parser(sub: argparse._SubParsersAction) -> None:
    config = sub.add_parser("config", help="show parameters (defaults, or a scenario's)")
    add_config_arguments(config)
    config.add_argument("--toml", action="store_true", help="print as TOML")
    config.add_argument("--write-base", action="store_true",
                        help="regenerate configs/base.toml from sim/params.py")
    config.set_defaults(func=cmd_config)
