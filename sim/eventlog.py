"""The run's event log: each event a kind and fields, its sentence rendered from them.

The model logs what a trainer or a report narrates (the switch to wartime, the command
convening, sent-down cadres arriving, a hazard beginning, peaking or ending, a fire breaking
out, a lockdown, the evaluation after an emergency). Kinds not listed here are a hazard's
own, with sentences in its ``HazardSpec.events``. The app and the reports read the fields;
nothing parses sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .registry import event_text, hazard_label, label


class LogEvent(NamedTuple):
    minute: float  # since wartime began
    kind: str
    hazard: str = ""  # the hazard it concerns
    grid: int = -1
    number: int = -1  # how many (roads cut, cadres commended)


SENTENCES = {
    "wartime": {
        "en": "emergency: organization switches to wartime mode",
        "zh": "紧急状态：组织转入战时状态",
    },
    "command": {
        "en": "joint-meeting committee convened as the front-line command",
        "zh": "联席会议转为一线指挥部",
    },
    "evaluation": {
        "en": "front-line evaluation after the {hazard}: {n} cadres commended",
        "zh": "{hazard}后一线考评：{n} 名干部受表彰",
    },
    "sent_down": {
        "en": "{n} cadres sent down from agencies above the street arrive in the communities",
        "zh": "{n} 名下沉干部到社区报到",
    },
    "begins": {"en": "{hazard} begins", "zh": "{hazard}开始"},
    "ends": {"en": "{hazard} ends", "zh": "{hazard}结束"},
}
COLUMNS = ("minute", "kind", "hazard", "grid", "number")


def render(event: LogEvent, lang: str = "en", grid_label: Callable[[int], str] = str) -> str:
    """The event's sentence in ``lang`` (English where there is none)."""
    fields = {
        "hazard": hazard_label(event.hazard, lang) if event.hazard else "",
        "grid": grid_label(event.grid) if event.grid >= 0 else "",
        "n": event.number,
    }
    if event.kind in SENTENCES:
        return label(SENTENCES[event.kind], lang).format(**fields)
    found = event_text(event.hazard, event.kind, lang, fields)
    return found if found is not None else f"{event.hazard} {event.kind}".strip()
