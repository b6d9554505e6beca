"""The exercise over HTTP: a server on 127.0.0.1 on a free port, started and stopped here;
a trainer and two students through the JSON the pages poll, the pages themselves, the
debrief page, and the results the command writes."""

import json
import time
import urllib.error
import urllib.request
from dataclasses import replace
from xml.etree import ElementTree

import pytest

from experiments.cli.exercise import write_debrief
from experiments.cli.main import build_parser
from experiments.exercise.plan import load_plan
from experiments.exercise.server import ExerciseServer
from experiments.exercise.session import Session


@pytest.fixture
def server():
    plan = replace(load_plan("street_flood"), decision_seconds=30)
    srv = ExerciseServer(Session(plan, require_code=True), "127.0.0.1", 0).start()
    yield srv
    srv.stop()


def get(srv, path):
    try:
        with urllib.request.urlopen(srv.url + path, timeout=10) as r:
            body = r.read().decode()
            return r.status, json.loads(body) if path.startswith("/api/") else body
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        return e.code, json.loads(body) if path.startswith("/api/") else body


def post(srv, path, data):
    req = urllib.request.Request(
        srv.url + path, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_an_exercise_over_http(server):
    s = server.session
    key = s.trainer_key
    assert get(server, "/")[0] == 403  # the trainer's page needs the key on a network
    status, page = get(server, f"/?key={key}")
    assert status == 200 and "/api/trainer" in page
    assert get(server, "/join")[0] == 200
    assert post(server, "/api/join", {"code": "nope", "name": "a", "role": "command"})[0] == 403
    status, body = post(
        server, "/api/join", {"code": s.code, "name": "<i>Ann</i>", "role": "command"}
    )
    assert status == 200
    ann = body["token"]
    bo = post(server, "/api/join", {"code": s.code, "name": "Bo", "role": "grid_manager:B-1"})[1][
        "token"
    ]
    assert post(server, "/api/trainer/start", {"key": "guess"})[0] == 403
    assert get(server, "/api/trainer?key=guess")[0] == 403
    assert post(server, "/api/trainer/speed", {"key": key, "value": 8}) == (200, {"ok": True})
    assert post(server, "/api/trainer/start", {"key": key})[0] == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = get(server, f"/api/student?token={ann}")[1]
        if view["round"]:
            break
        time.sleep(0.1)
    choices = [c["key"] for c in view["round"]["choices"]]
    assert "act_locally" in choices
    # Bo may not take the command's choice; Ann takes it
    assert post(server, "/api/decide", {"token": bo, "choice": "act_locally"})[0] == 400
    assert post(server, "/api/decide", {"token": ann, "choice": "act_locally"})[0] == 200
    roster = get(server, f"/api/trainer?key={key}")[1]["roster"]
    assert [(p["name"], p["decided"]) for p in roster] == [("<i>Ann</i>", True), ("Bo", False)]
    assert post(server, "/api/trainer/end", {"key": key})[0] == 200
    assert get(server, "/api/debrief?code=wrong")[0] == 403
    status, debrief = get(server, f"/api/debrief?key={key}")
    assert status == 200
    assert [(d["role"], d["choice"]) for d in debrief["decisions"]] == [
        ("grid_manager:B-1", "default"),
        ("command", "act_locally"),
    ]  # the plan's order
    status, page = get(server, f"/debrief?token={bo}")
    assert status == 200 and "&lt;i&gt;Ann&lt;/i&gt;" in page and "<i>Ann" not in page


def test_bad_requests_are_refused_in_words(server):
    req = urllib.request.Request(
        server.url + "/api/join", data=b"not json", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 400 and json.loads(e.value.read())["error"] == "Bad request."
    assert get(server, "/nowhere")[0] == 404


def test_the_command_line_and_the_results_it_writes(tmp_path):
    args = build_parser().parse_args(["exercise", "--port", "9000", "--host", "0.0.0.0"])
    assert (args.scenario, args.port, args.host) == ("street_flood", 9000, "0.0.0.0")
    write_debrief(tmp_path / "ex", {"class": {"total_harm": 1.0}}, "<html></html>")
    assert json.loads((tmp_path / "ex" / "debrief.json").read_text())["class"]
    assert (tmp_path / "ex" / "debrief.html").read_text() == "<html></html>"


def test_the_trainers_poll_carries_the_live_map(server):
    """The trainer's page polls /api/trainer and redraws the map it returns: the township's
    grids coloured by open needs, as an SVG that follows the run."""
    s = server.session
    status, view = get(server, f"/api/trainer?key={s.trainer_key}")
    assert status == 200 and view["map"].startswith("<svg")
    assert 'class="grassroots-map-svg"' in view["map"] and 'data-step="0"' in view["map"]
    assert view["map"].count("B-1") >= 1  # the grids, named
    ElementTree.fromstring(view["map"])  # well-formed XML: the page parses it as SVG
    with s.lock:
        for _ in range(3):
            s.player.step()
    assert 'data-step="3"' in get(server, f"/api/trainer?key={s.trainer_key}")[1]["map"]
    status, page = get(server, f"/?key={s.trainer_key}")
    assert 'id="map"' in page and "exercise.map" in page
    assert get(server, "/api/trainer?key=wrong")[0] == 403  # the map needs the trainer key
