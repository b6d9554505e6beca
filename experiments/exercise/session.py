"""A class's exercise session: who joined in which role, the run's clock, decision points
and their time limits, the trainer's controls, and the debrief at the end.

Nothing here serves HTTP or writes files (``server.py`` and ``experiments/cli/exercise.py``
do): every method is called under the session's lock, and ``tick`` is what the server's
clock thread calls a few times a second. ``clock`` (seconds) may be a test's fake clock.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.classroom.model import Moments, hazard_word, need_word
from experiments.classroom.model import clock as clock_words
from experiments.classroom.svg import MapLayout, map_svg
from experiments.i18n import text
from sim.codes import RESOLVED

from .debrief import build_debrief
from .levers import DEFAULT, choices_for, resolve_role
from .pages import choice_words, event_words, role_words
from .plan import Plan
from .play import Decision, Player

MAX_NAME = 40
MAX_INJECT = 200
SPEEDS = (1, 2, 4, 8)  # model steps per tick
# Wrong join codes: at most this many a minute from one address, and from all together
# (a six-digit code would take weeks to guess at this pace); past it every try is refused
# until the minute has passed, the right code too.
GUESS_WINDOW_S = 60.0
WRONG_CODES_PER_ADDRESS = 5
WRONG_CODES_IN_ALL = 30
REPORTS_SHOWN = 8  # the command's page lists the latest reports that reached it


class Refused(Exception):
    """A request the session refuses; ``key`` names the reason (``exercise.refused.*``)."""

    def __init__(self, key: str, status: int = 400) -> None:
        super().__init__(key)
        self.key, self.status = key, status


@dataclass
class Student:
    token: str
    name: str
    role: str


@dataclass
class Round:
    """An open decision point: what happened, the choices of each role, the picks so far."""

    number: int
    words: dict[str, str]  # what happened, by language
    minute: float
    step: int
    deadline: float
    choices: dict[str, list[str]]
    picks: dict[str, tuple[str, str]] = field(default_factory=dict)  # role: (choice, name)


def clean_name(name: Any) -> str:
    """A student's name: printable, trimmed, at most MAX_NAME characters (Refused if empty).
    It is stored as typed; every page escapes it (``html.escape`` or ``textContent``)."""
    name = "".join(ch for ch in str(name or "") if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise Refused("exercise.refused.name")
    return name


class Session:
    def __init__(
        self,
        plan: Plan,
        *,
        lang: str = "en",
        require_code: bool = False,
        clock: Callable[[], float] = time.monotonic,
        on_debrief: Callable[[dict], None] | None = None,
    ) -> None:
        self.plan, self.lang, self.require_code, self.clock = plan, lang, require_code, clock
        self.code = f"{secrets.randbelow(10**6):06d}"
        self.trainer_key = secrets.token_urlsafe(12)
        self.lock = threading.RLock()
        self.player = Player(plan.config, plan.seed)
        model = self.player.model
        self.roles = {k: resolve_role(model, k) for k in plan.roles}
        self.students: dict[str, Student] = {}
        self.phase = "lobby"  # lobby, running, paused, ended
        self.speed = 1
        self.decision_seconds = plan.decision_seconds
        self.round: Round | None = None
        self.rounds = 0
        self.timeline: list[dict[str, Any]] = []
        self._scripted = sorted(plan.injects, key=lambda i: i.hour)
        self._trainer_injects: list[str] = []
        self._moments = Moments()
        self._paused_at = 0.0
        self.debrief: dict | None = None
        self.on_debrief = on_debrief
        self._layout: MapLayout | None = None
        self._wrong_codes: deque[tuple[float, str]] = deque()  # (clock, address)

    # --- students ---------------------------------------------------------------------

    def check_code(self, code: Any, address: str = "") -> None:
        """Refused: a wrong join code, or too many wrong ones lately (from ``address``, or
        from everyone: ``WRONG_CODES_PER_ADDRESS``, ``WRONG_CODES_IN_ALL`` a minute)."""
        if not self.require_code:
            return
        with self.lock:
            wrong, now = self._wrong_codes, self.clock()
            while wrong and wrong[0][0] <= now - GUESS_WINDOW_S:
                wrong.popleft()
            mine = sum(a == address for _, a in wrong)
            if mine >= WRONG_CODES_PER_ADDRESS or len(wrong) >= WRONG_CODES_IN_ALL:
                raise Refused("exercise.refused.too_many", 429)
            if not secrets.compare_digest(str(code or "").strip(), self.code):
                wrong.append((now, address))
                raise Refused("exercise.refused.code", 403)

    def check_trainer(self, key: Any) -> None:
        if self.require_code and not secrets.compare_digest(str(key or ""), self.trainer_key):
            raise Refused("exercise.refused.key", 403)

    def seats_free(self, role: str) -> int:
        taken = sum(s.role == role for s in self.students.values())
        return self.plan.seats_per_role - taken

    def join(self, code: Any, name: Any, role: Any, address: str = "") -> str:
        """A student joins in ``role``; returns their token (Refused: wrong code, or too many
        wrong codes lately, bad name, a role not offered, a role full, the exercise over)."""
        with self.lock:
            self.check_code(code, address)
            name = clean_name(name)
            if self.phase == "ended":
                raise Refused("exercise.refused.ended", 409)
            if role not in self.roles:
                raise Refused("exercise.refused.role")
            if self.seats_free(role) <= 0:
                raise Refused("exercise.refused.full", 409)
            token = secrets.token_urlsafe(16)
            self.students[token] = Student(token, name, str(role))
            if self.round is not None and role not in self.round.choices:
                choices = {
                    **self.round.choices,
                    role: choices_for(self.player.model, self.roles[role]),
                }
                self.round.choices = {r: choices[r] for r in self.roles if r in choices}
            return token

    def student(self, token: Any) -> Student:
        found = self.students.get(str(token or ""))
        if found is None:
            raise Refused("exercise.refused.token", 403)
        return found

    def decide(self, token: Any, choice: Any) -> None:
        """The student's choice for their own role at the open decision point."""
        with self.lock:
            me = self.student(token)
            if self.round is None:
                raise Refused("exercise.refused.no_round", 409)
            if choice not in self.round.choices.get(me.role, []):
                raise Refused("exercise.refused.choice")
            self.round.picks[me.role] = (str(choice), me.name)

    # --- the trainer ------------------------------------------------------------------

    def start(self) -> None:
        with self.lock:
            if self.phase == "paused" and self.round is not None:
                self.round.deadline += self.clock() - self._paused_at
            if self.phase in ("lobby", "paused"):
                self.phase = "running"

    def pause(self) -> None:
        with self.lock:
            if self.phase == "running":
                self.phase, self._paused_at = "paused", self.clock()

    def set_speed(self, speed: Any) -> None:
        with self.lock:
            if int(speed) not in SPEEDS:
                raise Refused("exercise.refused.speed")
            self.speed = int(speed)

    def set_decision_seconds(self, seconds: Any) -> None:
        with self.lock:
            s = float(seconds)
            if not 5 <= s <= 3600:
                raise Refused("exercise.refused.seconds")
            self.decision_seconds = s

    def add_inject(self, words: Any) -> None:
        """A trainer's inject: a decision point after the next step."""
        with self.lock:
            words = " ".join(str(words or "").split())[:MAX_INJECT]
            if not words:
                raise Refused("exercise.refused.inject")
            self._trainer_injects.append(words)

    def end(self) -> None:
        """End the exercise: the open decision point closes, the rest of the run plays out
        with the default policy, and the debrief is made."""
        with self.lock:
            if self.phase == "ended":
                return
            if self.round is not None:
                self._close_round()
            while self.player.running:
                self._step()
                self.round = None  # no more decision points: the default decides
            self._finish()

    # --- the clock --------------------------------------------------------------------

    def tick(self) -> None:
        """Step the run (``speed`` steps), or close a decision point whose time is up or
        whose roles have all decided."""
        with self.lock:
            if self.phase != "running":
                return
            if self.round is not None:
                if self._all_decided() or self.clock() >= self.round.deadline:
                    self._close_round()
                return
            for _ in range(self.speed):
                if not self.player.running:
                    self._finish()
                    return
                self._step()
                if self.round is not None:
                    return

    def _step(self) -> None:
        m = self.player.model
        if m.phase == "peace":  # peacetime is not played in class: on to the emergency
            while m.phase == "peace" and self.player.running:
                self.player.step()
        else:
            self.player.step()
        happened = []
        for key, fields in self._moments.check(m):
            words = {lang: self._moment_words(key, fields, lang) for lang in ("en", "zh")}
            self._log("moment", words)
            if key in self.plan.moments:
                happened.append(words)
        while self._scripted and self._scripted[0].hour * 60 <= m.minute:
            inject = self._scripted.pop(0)
            self._log("inject", inject.words)
            happened.append(inject.words)
        for words in self._trainer_injects:
            self._log("inject", {"en": words})
            happened.append({"en": words})
        self._trainer_injects = []
        if happened and self.player.running:
            self._open_round(
                {lang: " ".join(w.get(lang) or w["en"] for w in happened) for lang in ("en", "zh")}
            )

    def _moment_words(self, key: str, fields: dict[str, Any], lang: str) -> str:
        fields = dict(fields)
        if "hazard" in fields:
            fields["hazard"] = hazard_word(fields["hazard"], lang)
        if "minute" in fields:
            fields["at"] = clock_words(self.player.model, fields.pop("minute"), lang)
        return text(f"app.moment.{key}", lang, **fields)

    def _log(self, kind: str, words: dict[str, str], **extra: Any) -> None:
        m = self.player.model
        self.timeline.append(
            {
                "kind": kind,
                "minute": m.minute,
                "words": words,
                "cum_harm": float(m.cum_harm),
                "backlog": int(m.backlog),
                **extra,
            }
        )

    def _open_round(self, words: dict[str, str]) -> None:
        m = self.player.model
        self.rounds += 1
        filled = {s.role for s in self.students.values()}
        self.round = Round(
            self.rounds,
            words,
            m.minute,
            m.step_count,
            self.clock() + self.decision_seconds,
            {r: choices_for(m, self.roles[r]) for r in self.roles if r in filled},
        )  # in the plan's order: decisions apply in it

    def _all_decided(self) -> bool:
        assert self.round is not None
        return all(r in self.round.picks for r in self.round.choices)

    def _close_round(self) -> None:
        r = self.round
        assert r is not None
        for role in r.choices:  # roles no one took are played by the default: not listed
            pick = r.picks.get(role)
            names = (
                (pick[1],)
                if pick
                else tuple(s.name for s in self.students.values() if s.role == role)
            )
            decision = Decision(
                r.step,
                r.minute,
                role,
                pick[0] if pick else DEFAULT,
                r.words["en"],
                names,
                timed_out=pick is None,
                inject_words=dict(r.words),
            )
            self.player.decide(decision)
            self._log(
                "decision",
                r.words,
                role=role,
                choice=decision.choice,
                students=list(names),
                timed_out=decision.timed_out,
            )
        self.round = None

    def _finish(self) -> None:
        self.phase = "ended"
        self.debrief = build_debrief(self.plan, self.player, self.timeline)
        if self.on_debrief is not None:
            self.on_debrief(self.debrief)

    # --- what the pages show ------------------------------------------------------------

    def situation(self, role: str) -> dict[str, int]:
        """What a role knows from its position: a grid manager and a party secretary their
        grids' found, open needs; the command the open needs whose report reached it; the
        volunteer team leader the responders busy."""
        m = self.player.model
        if m.engine is None:
            return {}
        nd, kind = m.needs, self.roles[role].kind
        n = nd.n
        open_ = nd.state[:n] != RESOLVED
        if kind in ("grid_manager", "party_secretary"):
            mine = np.isin(nd.grid[:n], self.roles[role].grids)
            return {"found_open": int(np.count_nonzero(mine & open_ & ~np.isnan(nd.detected[:n])))}
        if kind == "command":
            return {"reported_open": int(np.count_nonzero(open_ & (nd.reported[:n] <= m.minute)))}
        return {"responders_busy": int(m.responders_busy)}

    def reports(self, role: str) -> list[dict[str, Any]]:
        """The command's view of the reports that reached it (the unit that decides): the
        latest REPORTS_SHOWN, each with its grid, need, when it was found, when its report
        arrived and the delay between (minutes); nothing for the other roles."""
        m = self.player.model
        if m.engine is None or self.roles[role].kind != "command":
            return []
        nd = m.needs
        n = nd.n
        arrived = np.flatnonzero(nd.reported[:n] <= m.minute)
        latest = arrived[np.argsort(-nd.reported[arrived], kind="stable")][:REPORTS_SHOWN]
        return [
            {
                "grid": m.grid_label(int(nd.grid[i])),
                "need": need_word(int(nd.kind[i]), self.lang),
                "found": clock_words(m, float(nd.detected[i]), self.lang),
                "reached": clock_words(m, float(nd.reported[i]), self.lang),
                "delay_min": round(float(nd.reported[i] - nd.detected[i])),
                "open": bool(nd.state[i] != RESOLVED),
            }
            for i in latest.tolist()
        ]

    def status(self) -> dict[str, Any]:
        m = self.player.model
        out: dict[str, Any] = {
            "phase": self.phase,
            "clock": clock_words(m, m.minute, self.lang),
            "progress": m.step_count / max(1, m.n_steps),
            "speed": self.speed,
            "decision_seconds": self.decision_seconds,
            "round": None,
            "debrief": self.debrief is not None,
        }
        if self.round is not None:
            left = self.round.deadline - (
                self._paused_at if self.phase == "paused" else self.clock()
            )
            out["round"] = {
                "number": self.round.number,
                "seconds_left": max(0, math.ceil(left)),
                "words": self.round.words.get(self.lang) or self.round.words["en"],
            }
        return out

    def trainer_view(self) -> dict[str, Any]:
        with self.lock:
            m = self.player.model
            out = self.status()
            picks = self.round.picks if self.round is not None else {}
            out.update(
                code=self.code,
                scenario=self.plan.name,
                cum_harm=round(float(m.cum_harm), 1),
                backlog=int(m.backlog),
                roles=[
                    {"key": k, "label": role_words(k, self.lang), "seats_free": self.seats_free(k)}
                    for k in self.roles
                ],
                roster=[
                    {
                        "name": s.name,
                        "role": role_words(s.role, self.lang),
                        "decided": s.role in picks,
                    }
                    for s in self.students.values()
                ],
                timeline=[
                    {
                        "clock": clock_words(m, e["minute"], self.lang),
                        "words": event_words(e, self.lang),
                        "kind": e["kind"],
                        "role": e.get("role", ""),
                        "choice": e.get("choice", ""),
                    }
                    for e in self.timeline[-12:]
                ],
                map=self.live_map(),
            )
            return out

    def live_map(self) -> str:
        """The township now, as the classroom app draws it (SVG): grids coloured by their
        open needs, busy responders as dots; the trainer's page redraws it at each poll."""
        m = self.player.model
        if self._layout is None:
            self._layout = MapLayout(m.township)
        return map_svg(m, self._layout, "unmet", clock_words(m, m.minute, self.lang))

    def roles_view(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"key": k, "label": role_words(k, self.lang), "seats_free": self.seats_free(k)}
                for k in self.roles
            ]

    def student_view(self, token: Any) -> dict[str, Any]:
        with self.lock:
            me = self.student(token)
            out = self.status()
            out.update(
                name=me.name,
                role=role_words(me.role, self.lang),
                situation={
                    text(f"exercise.situation.{k}", self.lang): v
                    for k, v in self.situation(me.role).items()
                },
                reports=self.reports(me.role),
            )
            if self.round is not None and out["round"] is not None:
                kind = self.roles[me.role].kind
                pick = self.round.picks.get(me.role)
                out["round"].update(
                    choices=[
                        {"key": c, "label": choice_words(kind, c, self.lang)}
                        for c in self.round.choices.get(me.role, [])
                    ],
                    picked=pick[0] if pick else None,
                    picked_by=pick[1] if pick else None,
                )
            return out
