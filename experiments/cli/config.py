"""``grassroots config [CONFIG] [--set ...] [--toml | --json] [--write-base]``: every
parameter with its value, unit and allowed values (:mod:`experiments.docs.configdoc`);
``--json`` adds each one's plausible range, source and description."""

from __future__ import annotations

import argparse
import json

from experiments.cli.args import add_config_arguments, load_config


def cmd_config(args: argparse.Namespace) -> int:
    from experiments.docs.configdoc import parameter_table, render_toml, toml_value, write_base_toml

    if args.write_base:
        print(f"Wrote {write_base_toml()}")
        return 0
    config = load_config(args)
    if args.json:
        from sim.params import describe_json

        print(
            json.dumps(
                {"scenario": config.name, "parameters": describe_json(config)},
                indent=1,
                ensure_ascii=False,
            )
        )
    elif args.toml:
        print(render_toml(config, header=f"name = {toml_value(config.name)}\n"), end="")
    else:
        print(f"Scenario: {config.name}")
        print(parameter_table(config))
    return 0


def add_config_parser(sub: argparse._SubParsersAction) -> None:
    config = sub.add_parser("config", help="show parameters (defaults, or a scenario's)")
    add_config_arguments(config)
    form = config.add_mutually_exclusive_group()
    form.add_argument("--toml", action="store_true", help="print as TOML")
    form.add_argument(
        "--json",
        action="store_true",
        help="print as JSON: key, value, unit, allowed, plausible, source, "
        "description of every parameter",
    )
    config.add_argument(
        "--write-base", action="store_true", help="regenerate configs/base.toml from sim/params.py"
    )
    config.set_defaults(func=cmd_config)
