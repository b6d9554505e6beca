"""SVG pictures for the classroom app: the township map and the live line charts.

Plain strings, drawn from the model's arrays in a millisecond or two (matplotlib frames are
what makes Mesa apps slow, mesa#1806). Sized for a projector: large labels, few colours.
The map uses the fixed grid positions of ``township.grid_pos``; the command post, shelters
and community offices sit on the corners of the grid they are attached to.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from sim.needs import DISPATCHED, HAZARDS
from sim.roster import UNIT_STAFF, VOLUNTEER
from sim.township import COMMAND, SHELTER

WIDTH = 640
UNMET_CAP = 12  # unmet needs at which a grid is drawn fully red
ROLE_COLOURS = {"cadre": "#c62828", "volunteer": "#1565c0", "other": "#6d4c41"}
SERIES_COLOURS = ("#1565c0", "#e65100")
MAX_DOTS = 10


def _heat(x: float) -> str:
    """White (0) through yellow to red (1)."""
    x = min(max(x, 0.0), 1.0)
    if x < 0.5:
        r, g, b = 255, 255, int(255 * (1 - 2 * x) + 120 * 2 * x)
        g = int(255 - 40 * 2 * x)
    else:
        y = 2 * (x - 0.5)
        r, g, b = int(255 - 50 * y), int(215 * (1 - y) + 40 * y), int(120 * (1 - y) + 40 * y)
    return f"#{r:02x}{g:02x}{b:02x}"


class MapLayout:
    """Screen positions of a township's grids, computed once per model."""

    def __init__(self, township) -> None:
        pos = np.asarray(township.grid_pos, dtype=float)
        n = len(pos)
        if n > 1:
            d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
            d[np.arange(n), np.arange(n)] = np.inf
            spacing = float(np.median(d.min(1)))
        else:
            spacing = 1.0
        lo, hi = pos.min(0), pos.max(0)
        span = np.maximum(hi - lo, 1e-9) + spacing
        self.scale = WIDTH / span[0]
        self.height = int(math.ceil(span[1] * self.scale))
        self.xy = (pos - lo + spacing / 2) * self.scale
        self.xy[:, 1] = self.height - self.xy[:, 1]  # north up
        self.cell = 0.86 * spacing * self.scale
        self.small = n > 120  # too many grids for words: colours and dots only
        g = township.graph
        self.edges = [(a, b) for a, b in g.edges() if a < n and b < n]
        host = {}
        for v in range(n, township.n_nodes):
            host[v] = next(u for u in g.neighbors(v) if u < n) if any(
                u < n for u in g.neighbors(v)) else 0
        self.host = host
        self.kind = {v: g.nodes[v]["kind"] for v in range(township.n_nodes)}

    def node_xy(self, v: int) -> tuple[float, float]:
        g = v if v < len(self.xy) else self.host.get(v, 0)
        return float(self.xy[g, 0]), float(self.xy[g, 1])


def map_svg(model, layout: MapLayout, colour_by: str = "unmet", title: str = "") -> str:
    """The township now: grids coloured by unmet needs (or harm so far), busy responders as
    dots where they are (hollow: on the way), the command post, shelters, temporary party
    organizations, cut roads, flooded grids and fires."""
    tw, needs = model.township, model.needs
    n, ng = needs.n, tw.n_grids
    open_ = needs.state[:n] <= DISPATCHED
    unmet = np.bincount(needs.grid[:n][open_], minlength=ng)
    harm = np.bincount(needs.grid[:n], weights=needs.harm[:n], minlength=ng)
    if colour_by == "harm":
        top = max(float(harm.max()), 1e-9)
        level, shown = harm / top, [f"{h:.0f}" for h in harm]
        legend = f"harm so far (red = {top:.0f})"
    else:
        level, shown = unmet / UNMET_CAP, [str(u) for u in unmet]
        legend = f"unmet needs (red = {UNMET_CAP}+)"
    flooded = _flooded(model)
    fires = _fires(model)
    c, h = layout.cell, layout.height
    pad_top = 34
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="grassroots-map" '
           f'data-step="{model.step_count}" data-unmet="{int(unmet.sum())}" '
           f'data-harm="{float(harm.sum()):.3f}" viewBox="-6 -{pad_top} {WIDTH + 12} '
           f'{h + pad_top + 62}" style="width:100%;max-width:{WIDTH + 12}px;'
           f'font-family:sans-serif">']
    label = title or f"{model.clock_label(model.minute)}  ({model.phase})"
    out.append(f'<text x="0" y="-12" font-size="20" font-weight="bold">'
               f'{escape(label)}</text>')
    cut = {tuple(sorted(e)) for e in tw.cut_edges}
    for a, b in layout.edges:
        (x1, y1), (x2, y2) = layout.xy[a], layout.xy[b]
        style = 'stroke="#d32f2f" stroke-width="4" stroke-dasharray="6 4"' \
            if (min(a, b), max(a, b)) in cut else 'stroke="#b0bec5" stroke-width="2"'
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>')
    big = not layout.small
    for g in range(ng):
        x, y = layout.xy[g]
        x0, y0 = x - c / 2, y - c / 2
        stroke = ('#0277bd', 5) if flooded[g] else (('#455a64', 1.5) if tw.lowlying[g]
                                                     else ('#90a4ae', 1))
        out.append(f'<rect class="grid" data-grid="{g}" data-unmet="{unmet[g]}" x="{x0:.1f}" '
                   f'y="{y0:.1f}" width="{c:.1f}" height="{c:.1f}" rx="6" '
                   f'fill="{_heat(level[g])}" stroke="{stroke[0]}" stroke-width="{stroke[1]}">'
                   f'<title>grid {model.grid_label(g)}: {unmet[g]} unmet needs, harm '
                   f'{harm[g]:.1f}</title></rect>')
        if big:
            out.append(f'<text x="{x0 + 5:.1f}" y="{y0 + 15:.1f}" font-size="13" '
                       f'fill="#37474f">{model.grid_label(g)}</text>')
            out.append(f'<text x="{x:.1f}" y="{y + 9:.1f}" font-size="{min(30, c / 3):.0f}" '
                       f'font-weight="bold" text-anchor="middle" fill="#212121">'
                       f'{shown[g]}</text>')
    if model.response is not None:
        for g in model.response.temp_orgs:
            x, y = layout.xy[g]
            out.append(f'<path d="M{x + c / 2 - 16:.1f},{y + c / 2 - 4:.1f} v-22 h12 l-4,4 '
                       f'l4,4 h-12" fill="#d50000" stroke="#b71c1c" stroke-width="1.5">'
                       f'<title>temporary party organization</title></path>')
    for g in fires:
        x, y = layout.xy[g]
        out.append(f'<polygon points="{x - c / 2 + 4:.1f},{y + c / 2 - 4:.1f} '
                   f'{x - c / 2 + 14:.1f},{y + c / 2 - 26:.1f} {x - c / 2 + 24:.1f},'
                   f'{y + c / 2 - 4:.1f}" fill="#ff6d00"><title>fire</title></polygon>')
    for v, kind in layout.kind.items():
        if kind == COMMAND:
            x, y = layout.node_xy(v)
            out.append(_star(x + c / 2 - 12, y - c / 2 + 12, 13) +
                       '<title>front-line command post</title></polygon>')
        elif kind == SHELTER:
            x, y = layout.node_xy(v)
            sx, sy = x + c / 2 - 11, y - c / 2 + 32
            out.append(f'<path d="M{sx - 8:.1f},{sy:.1f} l8,-9 l8,9 v8 h-16 z" '
                       f'fill="#2e7d32"><title>shelter</title></path>')
    out += _responder_dots(model, layout)
    ly = h + 22
    out.append(f'<rect x="0" y="{ly - 12}" width="14" height="14" fill="{_heat(1)}"/>'
               f'<text x="20" y="{ly}" font-size="14">{escape(legend)}</text>')
    out.append(f'<circle cx="250" cy="{ly - 5}" r="6" fill="{ROLE_COLOURS["cadre"]}"/>'
               f'<text x="260" y="{ly}" font-size="14">cadre</text>'
               f'<circle cx="315" cy="{ly - 5}" r="6" fill="{ROLE_COLOURS["volunteer"]}"/>'
               f'<text x="325" y="{ly}" font-size="14">volunteer (hollow: on the way)</text>'
               + _star(545, ly - 5, 8) + '</polygon>'
               f'<text x="556" y="{ly}" font-size="14">command</text>')
    ly += 22
    out.append(f'<rect x="0" y="{ly - 12}" width="14" height="14" fill="white" '
               f'stroke="#0277bd" stroke-width="4"/><text x="20" y="{ly}" font-size="14">'
               f'flooded</text>'
               f'<line x1="85" x2="115" y1="{ly - 5}" y2="{ly - 5}" stroke="#d32f2f" '
               f'stroke-width="4" stroke-dasharray="6 4"/><text x="121" y="{ly}" '
               f'font-size="14">road cut</text>'
               f'<path d="M200,{ly - 12} l8,-9 l8,9 v8 h-16 z" transform="translate(0,9)" '
               f'fill="#2e7d32"/><text x="222" y="{ly}" font-size="14">shelter</text>'
               f'<path d="M285,{ly + 2} v-16 h12 l-4,4 l4,4 h-12" fill="#d50000"/>'
               f'<text x="302" y="{ly}" font-size="14">temporary party organization</text>'
               f'<polygon points="510,{ly + 2} 520,{ly - 14} 530,{ly + 2}" fill="#ff6d00"/>'
               f'<text x="536" y="{ly}" font-size="14">fire</text>')
    out.append("</svg>")
    return "".join(out)


def _star(x: float, y: float, r: float) -> str:
    pts = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * 0.45
        a = math.pi / 2 + k * math.pi / 5
        pts.append(f"{x + rr * math.cos(a):.1f},{y - rr * math.sin(a):.1f}")
    return f'<polygon points="{" ".join(pts)}" fill="#ffb300" stroke="#e65100" ' \
        f'stroke-width="1.5">'


def _flooded(model) -> np.ndarray:
    """Low-lying grids while a flood is under way."""
    tw = model.township
    for hz in getattr(model, "hazards", []):
        if hz.name == HAZARDS[0] and hz.started and not hz.ended:
            return tw.lowlying.copy()
    return np.zeros(tw.n_grids, dtype=bool)


def _fires(model) -> list[int]:
    """Grids of fires that have broken out while the fire hazard lasts."""
    out = []
    for hz in getattr(model, "hazards", []):
        if hz.name == HAZARDS[1] and hz.started and not hz.ended:
            out += [int(g) for t, g in zip(hz.times, hz.grids) if t <= model.minute]
    return out


def _responder_dots(model, layout: MapLayout) -> list[str]:
    """Busy responders as dots in a row along the bottom of their grid: serving ones where
    they are, travelling ones (hollow) at the grid they are heading to."""
    ro = model.roster
    if ro is None:
        return []
    busy = np.flatnonzero((ro.status == 1) | (ro.status == 2))
    if len(busy) == 0:
        return []
    needs = model.needs
    dest = np.where(ro.need[busy] >= 0, needs.grid[np.maximum(ro.need[busy], 0)],
                    ro.node[busy])
    ng = len(layout.xy)
    where = np.where(dest < ng, dest, [layout.host.get(int(v), 0) for v in dest])
    out = []
    c = layout.cell
    r = max(3.0, min(6.0, c / 22))
    for g in np.unique(where):
        here = busy[where == g]
        x, y = layout.xy[g]
        x0, y0 = x - c / 2 + r + 4, y + c / 2 - r - 4
        for k, i in enumerate(here[:MAX_DOTS]):
            role = int(ro.role[i])
            colour = ROLE_COLOURS["volunteer" if role == VOLUNTEER else
                                  "other" if role == UNIT_STAFF else "cadre"]
            fill = colour if ro.status[i] == 2 else "white"
            out.append(f'<circle class="responder" cx="{x0 + k * (2 * r + 1.5):.1f}" '
                       f'cy="{y0:.1f}" r="{r:.1f}" fill="{fill}" stroke="{colour}" '
                       f'stroke-width="2"/>')
        if len(here) > MAX_DOTS and not layout.small:
            out.append(f'<text x="{x + c / 2 - 3:.1f}" y="{y0 - r - 2:.1f}" font-size="12" '
                       f'text-anchor="end">+{len(here) - MAX_DOTS}</text>')
    return out


def chart_svg(title: str, series: list[tuple[str, list[float], list[float]]],
              x_max: float, chart_id: str, width: int = 560, height: int = 190) -> str:
    """A line chart of one or more (label, hours, values) series, hours on the x axis."""
    left, right, top, bottom = 56, 26, 30, 30
    pw, ph = width - left - right, height - top - bottom
    values = [v for _, _, ys in series for v in ys if v == v]
    y_max = _nice_max(max(values) if values else 1.0)
    x_max = max(x_max, 1e-9)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" '
           f'data-points="{sum(len(xs) for _, xs, _ in series)}" viewBox="0 0 {width} '
           f'{height}" style="width:100%;max-width:{width}px;font-family:sans-serif">',
           f'<text x="{left}" y="20" font-size="17" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" '
           f'stroke="#90a4ae"/>']
    for k in range(5):
        yv = y_max * k / 4
        yy = top + ph - ph * k / 4
        out.append(f'<text x="{left - 6}" y="{yy + 5:.1f}" font-size="13" text-anchor="end">'
                   f'{_fmt(yv)}</text>')
        if 0 < k < 4:
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" '
                       f'stroke="#eceff1"/>')
    for k in range(5):
        xv = x_max * k / 4
        out.append(f'<text x="{left + pw * k / 4:.1f}" y="{height - 10}" font-size="13" '
                   f'text-anchor="middle">{xv:.0f} h</text>')
    for s, (label, xs, ys) in enumerate(series):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        pts = " ".join(f"{left + pw * x / x_max:.1f},{top + ph - ph * y / y_max:.1f}"
                       for x, y in zip(xs, ys) if y == y)
        if pts:
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                       f'stroke-width="3"/>')
        if label:
            last = next((y for y in reversed(ys) if y == y), None)
            text = f"{label}: {_fmt(last)}" if last is not None else label
            out.append(f'<text x="{left + 8}" y="{top + 18 + 17 * s}" font-size="14" '
                       f'fill="{colour}" font-weight="bold">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(v))
    return next(m * power for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * power >= v)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.1f}"
