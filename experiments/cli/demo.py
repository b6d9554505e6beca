"""``grassroots demo [CONFIG] [--port P] [--side-by-side] [--replay DIR RUN_ID]``: check the
arguments, pass them to the page (``experiments/classroom/app.py``) in the environment
variable ``GRASSROOTS_DEMO`` and serve it with ``solara run`` on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from experiments.classroom.model import APP_FILE, ENV, make_startup, startup_to_env
from sim.params import ConfigError


def add_demo_parser(sub: Any) -> None:
    demo = sub.add_parser("demo", help="serve the classroom app on 127.0.0.1 "
                          "(needs the 'app' extra)")
    demo.add_argument("config", nargs="?", metavar="CONFIG",
                      help="scenario file or shipped scenario name (default: street_flood)")
    demo.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    demo.add_argument("--side-by-side", action="store_true",
                      help="two copies on the same seed with different policies (A and B)")
    demo.add_argument("--replay", nargs=2, metavar=("DIR", "RUN_ID"),
                      help="open one run of a sweep results folder")
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    replay = tuple(args.replay) if args.replay else None
    if replay is not None and args.config:
        raise ConfigError("--replay", "takes the scenario from the sweep: give no CONFIG")
    try:
        start = make_startup(args.config, args.side_by_side, replay)
    except ValueError as e:  # ConfigError is a ValueError: a bad replay folder or run id
        if isinstance(e, ConfigError):
            raise
        raise ConfigError("--replay", str(e)) from None
    try:
        import solara  # noqa: F401
    except ImportError:
        print("grassroots: error: the app needs the 'app' extra: "
              "pip install -e '.[app]'", file=sys.stderr)
        return 1
    env = {**os.environ, ENV: startup_to_env(args.config, args.side_by_side, replay)}
    url = f"http://127.0.0.1:{args.port}/"
    print(f"Classroom app: {start.preset} (seed {start.seed}) at {url}  (Ctrl-C stops it)",
          file=sys.stderr)
    cmd = [sys.executable, "-m", "solara", "run", str(APP_FILE), "--host", "127.0.0.1",
           "--port", str(args.port), "--no-open", "--production"]
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130
