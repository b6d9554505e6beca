"""The classroom app's *Save GIF*: the run so far as an animated GIF, each frame with the
grids coloured as on the map, the busy responders as dots (hollow: on the way), the clock,
and a legend in the page's language.

The page records a frame at each drawn step (``frame``: the clock, each pane's grid levels
and its dots as a small integer array); the GIF keeps at most GIF_MAX_FRAMES of them, evenly
spaced, with the last. Memory: each frame is drawn in RGB and kept only as a palette image
(one byte a pixel, a third of RGB), and the GIF is written by Pillow from those, so an export
holds about GIF_MAX_FRAMES x width x height bytes (~25 MB for one map) and frees them after.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from experiments.classroom.svg import (
    ROLE_COLOURS,
    MapLayout,
    _heat,
    busy_responders,
    grid_levels,
    legend_items,
    role_kind,
)
from sim.codes import BUSY as SERVING

GIF_MAX_FRAMES = 120  # a GIF keeps at most this many frames, evenly spaced (433 -> 109)
KINDS = ("cadre", "volunteer", "other")
SIZE = 420  # pixels of one pane's map
TOP, LEGEND = 40, 76  # the clock's band above the maps, the legend's below
COLOURS = 64  # palette entries of a frame


def gif_frames(frames: list) -> list:
    """At most GIF_MAX_FRAMES of the recorded frames, evenly spaced, with the last."""
    if len(frames) <= GIF_MAX_FRAMES:
        return list(frames)
    every = math.ceil(len(frames) / GIF_MAX_FRAMES)
    picked = list(frames[::every])
    if len(frames) % every != 1 and every > 1:
        picked[-1] = frames[-1]  # the run's end, not a frame before it
    return picked


def dots(model, layout: MapLayout) -> np.ndarray:
    """The busy responders as rows (grid, kind: index in KINDS, serving: 1 or 0)."""
    busy, where = busy_responders(model, layout)
    ro = model.roster
    kinds = [KINDS.index(role_kind(int(r))) for r in ro.role[busy]]
    return np.column_stack(
        [where, np.asarray(kinds, dtype=int), (ro.status[busy] == SERVING).astype(int)]
    ).astype(np.int16)


def frame(clock_text: str, panes: list, layouts: list, colour: str) -> tuple:
    """One recorded frame: the clock, each pane's grid levels and its dots."""
    levels = [grid_levels(p.model, colour)[0].copy() for p in panes]
    return clock_text, levels, [dots(p.model, lay) for p, lay in zip(panes, layouts)]


def font_file(lang: str) -> str:
    """A font with the language's characters (the report's CJK fallback for Chinese)."""
    from matplotlib import font_manager as fm

    from experiments.report.charts import cjk_families

    families = [*cjk_families(), "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans"]
    return fm.findfont(fm.FontProperties(family=families))


def gif_bytes(model, words: Callable[..., str], lang: str = "en", colour: str = "unmet") -> bytes:
    """The run so far as an animated GIF (``words(key, **fields)``: the page's texts)."""
    from PIL import Image, ImageDraw, ImageFont

    path = font_file(lang)
    font, small, big = (ImageFont.truetype(path, s) for s in (15, 11, 22))
    legend = legend_lines(model, words, colour)
    now = [(model.main.clock_label(model.main.minute), [None] * len(model.panes))]
    frames = []
    for recorded in gif_frames(model.frames) or now:
        img = Image.new("RGB", (SIZE * len(model.panes), SIZE + TOP + LEGEND), "white")
        draw = ImageDraw.Draw(img)
        draw.text((8, 8), recorded[0], fill="#212121", font=big)
        for k, (pane, layout) in enumerate(zip(model.panes, model.layouts)):
            draw.text((k * SIZE + 200, 12), pane.label.strip(" :"), fill="#212121", font=big)
            levels = recorded[1][k]
            found = recorded[2][k] if len(recorded) > 2 else None
            draw_map(draw, pane, layout, k * SIZE, levels, found, font, small)
        draw_legend(draw, legend, SIZE + TOP + 4, img.width, font)
        frames.append(img.convert("P", palette=Image.Palette.ADAPTIVE, colors=COLOURS))
        del img, draw
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    return buf.getvalue()


def draw_map(draw, pane, layout: MapLayout, left: int, levels, found, font, small) -> None:
    scale = (SIZE - 20) / max(layout.height, 640)
    c = layout.cell * scale
    for g, (x, y) in enumerate(layout.xy):
        level = 0.0 if levels is None else float(levels[g])
        x0, y0 = left + 10 + x * scale - c / 2, TOP + y * scale - c / 2
        if layout.rings is not None:  # a district's outlines
            for ring in layout.rings[g]:
                draw.polygon(
                    [(left + 10 + px * scale, TOP + py * scale) for px, py in ring],
                    fill=_heat(level),
                    outline="#90a4ae",
                )
        else:
            draw.rounded_rectangle(
                (x0, y0, x0 + c, y0 + c), radius=3, fill=_heat(level), outline="#90a4ae"
            )
    for g, (x, y) in enumerate(layout.xy if not layout.small and c > 24 else ()):
        name = pane.model.grid_label(g)
        if layout.rings is None:
            draw.text(
                (left + 10 + x * scale - c / 2 + 3, TOP + y * scale - c / 2 + 2),
                name,
                fill="#263238",
                font=font,
            )
        elif draw.textlength(name, font=small) <= 1.6 * c:  # centred, if it fits
            draw.text(
                (left + 10 + x * scale, TOP + y * scale),
                name,
                fill="#263238",
                font=small,
                anchor="mm",
            )
    if found is None or not len(found):
        return
    r = max(2.5, min(5.0, c / 12))
    fit = max(1, int((c - 6) // (2 * r + 1)))
    for g in np.unique(found[:, 0]):
        here = found[found[:, 0] == g]
        x, y = layout.xy[int(g)]
        x0, y0 = left + 10 + x * scale - c / 2 + r + 3, TOP + y * scale + c / 2 - r - 3
        shown = fit - 1 if len(here) > fit and fit > 1 else fit
        for k, (_, kind, serving) in enumerate(here[:shown]):
            colour = ROLE_COLOURS[KINDS[int(kind)]]
            fill, edge = (colour, "#ffffff") if serving else ("#ffffff", colour)
            cx = x0 + k * (2 * r + 1)
            draw.ellipse((cx - r, y0 - r, cx + r, y0 + r), fill=fill, outline=edge, width=1)
        if len(here) > shown:
            draw.text(
                (x0 + shown * (2 * r + 1), y0),
                f"+{len(here) - shown}",
                fill="#212121",
                font=small,
                anchor="lm",
            )


def legend_lines(model, words: Callable[..., str], colour: str) -> list[tuple[str, str]]:
    """The legend's entries as (symbol, words): the grid colour, the dots, hollow dots."""
    out: list[tuple[str, str]] = []
    for _, key, fields in legend_items(model.main, colour, temp_orgs=False):
        kind = key.rpartition(".")[2]
        if key == legend_items(model.main, colour)[0][1]:
            out.append(("heat", words(key, **fields)))
        elif kind in KINDS or kind == "hollow":
            out.append((kind, words(key, **fields)))
    return out


def draw_legend(draw, legend: list[tuple[str, str]], top: int, width: int, font) -> None:
    x, y = 10, top
    for symbol, text in legend:
        need = 22 + draw.textlength(text, font=font) + 14
        if x + need > width and x > 10:
            x, y = 10, y + 22
        if symbol == "heat":
            for k in range(4):
                draw.rectangle((x + 4 * k, y + 3, x + 4 * k + 4, y + 15), fill=_heat(k / 3))
        else:
            colour = ROLE_COLOURS.get(symbol, "#37474f")
            fill = "#ffffff" if symbol == "hollow" else colour
            draw.ellipse((x + 2, y + 3, x + 14, y + 15), fill=fill, outline=colour, width=2)
        draw.text((x + 20, y), text, fill="#212121", font=font)
        x += need


__all__: list[Any] = ["GIF_MAX_FRAMES", "frame", "gif_bytes", "gif_frames"]
