"""The exercise's web server: the standard library's ``ThreadingHTTPServer`` serving the
trainer's page (``/``), the students' page (``/join``), the debrief (``/debrief``) and the
JSON the pages poll, plus a clock thread that ticks the session.

Why not Solara (the classroom app's framework): each student's browser is a separate client
acting for one role, the pages are small forms and tables that poll a few JSON endpoints, and
the whole protocol can be tested with ``urllib`` in a second without a browser or a second
process; Solara's per-connection state would have to be bridged to one shared session.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from experiments.classroom.model import clock
from experiments.i18n import text

from .pages import debrief_html, join_page, message_page, trainer_page
from .session import Refused, Session

TICK_S = 0.25
MAX_BODY = 10_000


class ExerciseServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, session: Session, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), Handler)
        self.session = session
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ExerciseServer:
        """Serve and tick in background threads (``stop`` ends both)."""
        self._workers = [
            threading.Thread(target=self.serve_forever, daemon=True),
            threading.Thread(target=self._ticks, daemon=True),
        ]
        for t in self._workers:
            t.start()
        return self

    def _ticks(self) -> None:
        while not self._stop.wait(TICK_S):
            self.session.tick()

    def stop(self) -> None:
        self._stop.set()
        self.shutdown()
        self.server_close()
        for t in self._workers:
            t.join(5)


class Handler(BaseHTTPRequestHandler):
    server: ExerciseServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the class's names
        pass

    @property
    def session(self) -> Session:
        return self.server.session

    def _send(self, status: int, body: str, kind: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False), "application/json")

    def _refused(self, e: Refused, page: bool) -> None:
        words = text(e.key, self.session.lang)
        if page:
            self._send(e.status, message_page(words, self.session.lang), "text/html")
        else:
            self._json(e.status, {"error": words, "reason": e.key})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        s, lang = self.session, self.session.lang
        page = not url.path.startswith("/api/")
        try:
            if url.path == "/":
                s.check_trainer(query.get("key"))
                self._send(200, trainer_page(lang), "text/html")
            elif url.path == "/join":
                self._send(200, join_page(lang), "text/html")
            elif url.path == "/debrief":
                self._debrief(query, html=True)
            elif url.path == "/api/debrief":
                self._debrief(query, html=False)
            elif url.path == "/api/trainer":
                s.check_trainer(query.get("key"))
                self._json(200, s.trainer_view())
            elif url.path == "/api/roles":
                self._json(200, {"roles": s.roles_view()})
            elif url.path == "/api/student":
                self._json(200, s.student_view(query.get("token")))
            else:
                self._send(404, message_page("404", lang), "text/html")
        except Refused as e:
            self._refused(e, page)

    def _debrief(self, query: dict[str, str], html: bool) -> None:
        s = self.session
        if query.get("token") in s.students:
            pass  # a student of the class
        elif s.require_code and query.get("key") is None:
            s.check_code(query.get("code"), self.client_address[0])
        else:
            s.check_trainer(query.get("key"))
        if s.debrief is None:
            raise Refused("exercise.refused.no_round", 409)
        if html:
            model = s.player.model
            self._send(
                200,
                debrief_html(s.debrief, s.lang, lambda minute: clock(model, minute, s.lang)),
                "text/html",
            )
        else:
            self._json(200, s.debrief)

    def do_POST(self) -> None:
        url = urlparse(self.path)
        s = self.session
        try:
            size = int(self.headers.get("Content-Length") or 0)
            if not 0 <= size <= MAX_BODY:
                raise Refused("exercise.refused.request", 413)
            try:
                body = json.loads(self.rfile.read(size) or b"{}")
            except ValueError:
                raise Refused("exercise.refused.request") from None
            if not isinstance(body, dict):
                raise Refused("exercise.refused.request")
            if url.path == "/api/join":
                token = s.join(
                    body.get("code"), body.get("name"), body.get("role"), self.client_address[0]
                )
                self._json(200, {"token": token})
            elif url.path == "/api/decide":
                s.decide(body.get("token"), body.get("choice"))
                self._json(200, {"ok": True})
            elif url.path.startswith("/api/trainer/"):
                s.check_trainer(body.get("key"))
                self._trainer(url.path.rpartition("/")[2], body.get("value"))
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": "404"})
        except Refused as e:
            self._refused(e, page=False)
        except (TypeError, ValueError):
            self._refused(Refused("exercise.refused.request"), page=False)

    def _trainer(self, action: str, value: Any) -> None:
        s = self.session
        actions = {"start": s.start, "pause": s.pause, "end": s.end}
        if action in actions:
            actions[action]()
        elif action == "speed":
            s.set_speed(value)
        elif action == "seconds":
            s.set_decision_seconds(value)
        elif action == "inject":
            s.add_inject(value)
        else:
            raise Refused("exercise.refused.request", 404)
