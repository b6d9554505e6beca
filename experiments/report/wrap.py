"""Line breaking for English and Chinese text on the one-page PDF.

Text is cut into units that must stay on one line: a word or number (``+2.96``, ``1,234``,
``10-40``), a number with its unit (``2.96 分钟``, ``1,234 person-hours``, ``95%``), a Chinese
character with the punctuation that may not start or end a line (``，`` ``。`` ``）`` after it,
``（`` ``“`` before it). A line breaks only between units: at a space, or between two Chinese
characters. Widths are counted in columns: a wide (East Asian) character is two, any other
one. A unit wider than a line gets a line of its own, never split.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from experiments import i18n

NO_START = set("，。、；：！？）】》」』”’,.;:!?)]}%％·…—")  # may not begin a line
NO_END = set("（【《「『“‘([{")  # may not end a line
# units a number keeps with it, besides the catalogue's (report.unit.*, report.cost.unit.*)
EXTRA_UNITS = (
    "元",
    "万元",
    "亿元",
    "名",
    "人",
    "次",
    "年",
    "个",
    "分钟",
    "小时",
    "人·小时",
    "个百分点",
    "百分点",
    "项需求",
    "%",
    "pp",
    "min",
    "h",
    "yuan",
    "persons",
    "person-hours",
    "minutes",
    "hours",
)
NUMBER = re.compile(r"\d")
CLAUSE_END = set(",.;:!?)]）】。，；：！？")  # a number ending a clause keeps no unit


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def columns(text: str) -> int:
    return sum(2 if is_wide(ch) else 1 for ch in text)


@cache
def units() -> tuple[str, ...]:
    """Unit words a number keeps on its line, longest first."""
    found = set(EXTRA_UNITS)
    for lang in i18n.LANGUAGES:
        for key, value in i18n.catalogue(lang).items():
            if key.startswith(("report.unit.", "report.cost.unit.")) and "{" not in value:
                word = value.strip().lstrip("(（").rstrip(")）")
                if word and len(word) <= 12:
                    found.add(word)
    return tuple(sorted(found, key=len, reverse=True))


def _pieces(text: str) -> list[str]:
    """Runs of spaces, single wide characters, and runs of other characters."""
    out: list[list[str]] = []
    for ch in text:
        kind = "s" if ch.isspace() else "w" if is_wide(ch) else "n"
        if out and kind != "w" and out[-1][0] == kind:
            out[-1][1] += ch
        else:
            out.append([kind, ch])
    return [piece for _, piece in out]


def _unit_after(pieces: list[str], i: int) -> int:
    """How many pieces after a number at ``i`` belong with it: an optional space and a unit
    (the longest known one, else the next word or wide character)."""
    j = i + 1
    if j < len(pieces) and pieces[j] in (" ", "\u00a0"):
        j += 1
    if j >= len(pieces) or pieces[j].isspace() or NUMBER.search(pieces[j]):
        return 0  # nothing after it, or another number (which keeps its own unit)
    rest = "".join(pieces[j : j + 12])
    unit = next((u for u in units() if rest.startswith(u)), None)
    if unit is None:
        return j + 1 - i - 1
    taken, k = 0, j
    while k < len(pieces) and taken < len(unit):
        taken += len(pieces[k])
        k += 1
    return k - i - 1


def tokens(text: str) -> list[str]:
    """The units that stay on one line, and the spaces between them (as their own tokens)."""
    pieces = _pieces(text)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if not piece.isspace() and NUMBER.search(piece):
            n = 0 if piece[-1] in CLAUSE_END else _unit_after(pieces, i)
            out.append("".join(pieces[i : i + 1 + n]))
            i += 1 + n
            continue
        out.append(piece)
        i += 1
    return _glue_punctuation(out)


def _glue_punctuation(toks: list[str]) -> list[str]:
    """Closing punctuation joins the unit before it, opening punctuation the unit after."""
    out: list[str] = []
    for tok in toks:
        if out and not tok.isspace() and tok[0] in NO_START and not out[-1].isspace():
            out[-1] += tok
        elif len(out) > 1 and not tok.isspace() and tok[0] in NO_START:  # "建 ，": keep on
            space = out.pop()  # one line too
            out[-1] += space + tok
        elif out and not tok.isspace() and out[-1] and out[-1][-1] in NO_END:
            out[-1] += tok
        else:
            out.append(tok)
    return out


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns (a unit wider than that alone on its
    line); line breaks in ``text`` are kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for tok in tokens(paragraph):
            if tok.isspace():
                if line:
                    line += " "
                continue
            if line and columns(line + tok) > width:
                lines.append(line.rstrip())
                line = tok
            else:
                line += tok
        lines.append(line.rstrip())
    return lines


__all__ = ["columns", "tokens", "wrap"]
