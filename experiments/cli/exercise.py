"""``grassroots exercise [--scenario NAME] [--seed N] [--host H] [--port P] [--lang zh]
[--out DIR]``: serve a tabletop exercise (``experiments/exercise``) until Ctrl-C; when the
trainer ends it, write the debrief as ``debrief.json`` and ``debrief.html`` and the
after-action report as ``after_action.pdf`` (and ``after_action.zh.pdf`` with ``--lang zh``)
to the results folder (default ``results/exercise-<name>-<YYYYmmdd-HHMMSS>``)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiments.cli.args import UsageError, port_type, write_error
from experiments.i18n import LANGUAGES

LOCAL = "127.0.0.1"


def add_exercise_parser(sub: Any) -> None:
    ex = sub.add_parser(
        "exercise",
        help="serve a tabletop exercise: students take roles and "
        "decide, the debrief shows which decisions mattered",
    )
    ex.add_argument(
        "--scenario",
        metavar="NAME",
        default="street_flood",
        help="exercise plan (configs/exercises), plan file, or shipped scenario "
        "(default street_flood)",
    )
    ex.add_argument("--seed", type=int, default=None, help="seed (default: the plan's)")
    ex.add_argument(
        "--host",
        default=LOCAL,
        help="address to serve (default 127.0.0.1; "
        "0.0.0.0 serves the classroom network and requires the join code and "
        "the trainer key)",
    )
    ex.add_argument("--port", type=port_type, default=8766, help="port (default 8766)")
    ex.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the pages")
    ex.add_argument("--out", metavar="DIR", help="results folder for the debrief")
    ex.set_defaults(func=cmd_exercise)


def results_folder(out: str | None, name: str) -> Path:
    if out:
        return Path(out)
    return Path("results") / f"exercise-{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def write_debrief(folder: Path, debrief: dict, page: str) -> None:
    """The debrief as JSON and HTML in ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "debrief.json").write_text(
        json.dumps(debrief, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "debrief.html").write_text(page, encoding="utf-8")


def write_results(
    folder: Path, debrief: dict, lang: str = "en", clock: Callable[[float, str], str] | None = None
) -> list[Path]:
    """The debrief (JSON, HTML in ``lang``) and the after-action report (PDF in English, and
    in Chinese too with ``lang`` zh) in ``folder``; ``clock(minute, lang)`` names the time."""
    from experiments.exercise.after_action import write_after_action_pdf
    from experiments.exercise.pages import debrief_html

    def in_words(lg: str) -> Callable[[float], str] | None:
        return None if clock is None else (lambda m: clock(m, lg))

    write_debrief(folder, debrief, debrief_html(debrief, lang, in_words(lang)))
    pdfs = [write_after_action_pdf(folder / "after_action.pdf", debrief, "en", in_words("en"))]
    if lang != "en":
        path = folder / f"after_action.{lang}.pdf"
        pdfs.append(write_after_action_pdf(path, debrief, lang, in_words(lang)))
    return [folder / "debrief.html", *pdfs]


def cmd_exercise(args: argparse.Namespace) -> int:
    from experiments.classroom.model import clock
    from experiments.exercise.plan import load_plan
    from experiments.exercise.server import ExerciseServer
    from experiments.exercise.session import Session

    plan = load_plan(args.scenario, args.seed)
    folder = results_folder(args.out, plan.name)
    session = Session(plan, lang=args.lang, require_code=args.host != LOCAL)

    def on_debrief(debrief: dict) -> None:
        model = session.player.model
        try:
            written = write_results(folder, debrief, args.lang, lambda m, lg: clock(model, m, lg))
            print(f"Debrief written to {', '.join(map(str, written))}", file=sys.stderr)
        except OSError as e:
            print(f"cannot write the debrief: {write_error(e, folder)}", file=sys.stderr)

    session.on_debrief = on_debrief
    try:
        server = ExerciseServer(session, args.host, args.port)
    except OSError as e:
        raise UsageError(
            f"--port {args.port}: {args.host}:{args.port}: {write_error(e)}: choose another --port"
        ) from None
    shown = LOCAL if args.host in (LOCAL, "0.0.0.0") else args.host
    key = f"?key={session.trainer_key}" if session.require_code else ""
    print(
        f"Exercise {plan.name} (seed {plan.seed}), join code {session.code}\n"
        f"  trainer:  http://{shown}:{args.port}/{key}\n"
        f"  students: http://{'<this machine>' if session.require_code else shown}:"
        f"{args.port}/join   (Ctrl-C stops it)",
        file=sys.stderr,
    )
    server.start()
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 130
    finally:
        server.stop()
