"""``grassroots demo [CONFIG] [--set KEY=VALUE] [--port P] [--side-by-side] [--lang zh]
[--replay DIR RUN_ID]``: check the arguments, pass them to the page
(``experiments/classroom/app.py``) in the environment variable ``GRASSROOTS_DEMO`` and serve
it with ``solara run`` on 127.0.0.1. The server is a child process that ends with the command
(Ctrl-C, TERM, or the command itself being killed)."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
from typing import Any

from experiments.classroom.model import APP_FILE, ENV, make_startup, startup_to_env
from experiments.cli.args import (
    RunError,
    UsageError,
    parse_overrides,
    port_type,
    refuse_bad_link,
    scenario_path,
    write_error,
)
from experiments.i18n import LANGUAGES
from sim.params import ConfigError

STOP_WAIT_S = 10
HOST = "127.0.0.1"
# Solara's page handler warns on every page load from a host other than "localhost" that a
# samesite=none session cookie needs https, and falls back to samesite=lax (solara/server/
# starlette.py): samesite=none matters only for a page embedded in another site's iframe, and
# lax is right for a page opened at 127.0.0.1. The server process leaves out that warning.
SAMESITE_WARNING = (
    "ignore:Cookies with samesite=none require https:UserWarning:solara.server.starlette"
)


def add_demo_parser(sub: Any) -> None:
    demo = sub.add_parser(
        "demo", help="serve the classroom app on 127.0.0.1 (needs the 'app' extra)"
    )
    demo.add_argument(
        "config",
        nargs="?",
        metavar="CONFIG",
        help="scenario file or shipped scenario name (default: street_flood)",
    )
    demo.add_argument(
        "--port", type=port_type, default=8765, help="port, 1 to 65535 (default 8765)"
    )
    demo.add_argument(
        "--side-by-side",
        action="store_true",
        help="two copies on the same seed with different policies (A and B)",
    )
    demo.add_argument(
        "--replay",
        nargs=2,
        metavar=("DIR", "RUN_ID"),
        help="open one run of a sweep results folder",
    )
    demo.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a parameter of the scenario, e.g. --set time.war_hours=12",
    )
    demo.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="language of the page (default en; zh: Simplified Chinese)",
    )
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    replay = tuple(args.replay) if args.replay else None
    if replay is not None and args.config:
        raise ConfigError("--replay", "takes the scenario from the sweep: give no CONFIG")
    scenario_path(args.config)  # a missing file or a symlink loop, said as for `run`
    if replay is not None:
        refuse_bad_link(replay[0], "--replay")
    overrides = parse_overrides(args.set)
    if replay is not None and overrides:
        raise ConfigError("--replay", "takes the scenario from the sweep: give no --set")
    try:
        start = make_startup(args.config, args.side_by_side, replay, args.lang, overrides)
    except ValueError as e:  # ConfigError is a ValueError: a bad replay folder or run id
        if isinstance(e, ConfigError):
            raise
        raise ConfigError("--replay", str(e)) from None
    try:
        import solara  # noqa: F401
    except ImportError:
        raise RunError("the app needs the 'app' extra: pip install -e '.[app]'") from None
    check_port(args.port)  # before the address is printed: the server would fail to bind
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), SAMESITE_WARNING]))
    env = {
        **os.environ,
        ENV: startup_to_env(args.config, args.side_by_side, replay, args.lang, overrides),
        # a fixed light theme (the page's colours are chosen for it), no Solara banner
        "SOLARA_THEME_VARIANT": "light",
        "SOLARA_THEME_SHOW_BANNER": "False",
        "PYTHONWARNINGS": warnings,
    }
    url = f"http://{HOST}:{args.port}/"
    print(
        f"Classroom app: {start.preset} (seed {start.seed}) at {url}  (Ctrl-C stops it)",
        file=sys.stderr,
    )
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP_FILE),
        "--host",
        HOST,
        "--port",
        str(args.port),
        "--no-open",
        "--production",
    ]
    return serve(cmd, env)


def check_port(port: int) -> None:
    """Refuse (UsageError) a port the server cannot listen on: in use, or reserved. The
    server (uvicorn) binds with SO_REUSEADDR, and so does this check."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError as e:
            why = (
                "it is in use (another app, or a demo still running?)"
                if e.errno == errno.EADDRINUSE
                else f"cannot listen on it: {write_error(e)}"
            )
            raise UsageError(
                f"--port {port}: {HOST}:{port}: {why}: choose another --port"
            ) from None


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop


def _die_with_parent() -> None:
    """In the child (Linux): be sent TERM when the command dies, even by KILL."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve(cmd: list[str], env: dict[str, str]) -> int:
    """Run the server until it ends; on Ctrl-C or TERM stop it and wait for it."""
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    proc = subprocess.Popen(
        cmd, env=env, preexec_fn=_die_with_parent if sys.platform == "linux" else None
    )
    code = 0
    try:
        return proc.wait()
    except KeyboardInterrupt:
        code = 130
    except _Stop:
        code = 143
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return code
