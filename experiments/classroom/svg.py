"""SVG pictures for the classroom app: the township map and the live line charts.

Plain strings, drawn from the model's arrays in a millisecond or two (matplotlib frames are
what makes Mesa apps slow, mesa#1806). Sized for a projector: large labels, few colours.
The map uses the fixed grid positions of ``township.grid_pos`` (cells around them), or a
district's own grid outlines and names (``space.layout = "district"``); the command post,
shelters and community offices sit on the corners of the grid they are attached to.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from sim.codes import BUSY as SERVING
from sim.codes import DISPATCHED, INFECTED, TRAVELLING, UNIT_STAFF, VOLUNTEER
from sim.township import COMMAND, SHELTER

WIDTH = 640
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
    """Screen positions of a township's grids, computed once per model: cells around the
    grid positions, or a district's own grid outlines (``rings``, with ``paths`` for SVG)."""

    def __init__(self, township) -> None:
        pos = np.asarray(township.grid_pos, dtype=float)
        n = len(pos)
        polygons = getattr(township, "grid_polygons", None)
        self.rings: list[list[np.ndarray]] | None = None
        self.paths: list[str] | None = None
        if polygons is not None:
            self._outlines(pos, polygons)
        else:
            if n > 1:
                d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
                d[np.arange(n), np.arange(n)] = np.inf
                spacing = float(np.median(d.min(1)))
            else:
                spacing = 1.0
            pos = _spread(pos, spacing)  # grids closer than a cell (villages) pushed apart
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
            host[v] = (
                next(u for u in g.neighbors(v) if u < n)
                if any(u < n for u in g.neighbors(v))
                else 0
            )
        self.host = host
        self.kind = {v: g.nodes[v]["kind"] for v in range(township.n_nodes)}

    def _outlines(self, pos: np.ndarray, polygons: tuple) -> None:
        """A district: its outlines scaled to the map's width, north up; ``cell`` is the
        size of a typical grid (for labels, symbols and dots)."""
        every = np.concatenate(
            [np.asarray(r, dtype=float) for p in polygons for poly in p for r in poly]
        )
        lo, hi = every.min(0), every.max(0)
        span = np.maximum(hi - lo, 1e-9)
        self.scale = WIDTH / span[0]
        self.height = int(math.ceil(span[1] * self.scale))

        def screen(xy: np.ndarray) -> np.ndarray:
            out = (np.asarray(xy, dtype=float) - lo) * self.scale
            out[..., 1] = self.height - out[..., 1]
            return out

        self.xy = screen(pos)
        self.rings = [[screen(ring) for poly in p for ring in poly] for p in polygons]
        self.paths = [
            " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z" for ring in rings)
            for rings in self.rings
        ]
        areas = [sum(abs(_area(ring)) for ring in rings[:1]) for rings in self.rings]
        self.cell = 0.6 * math.sqrt(float(np.median(areas)))

    def node_xy(self, v: int) -> tuple[float, float]:
        g = v if v < len(self.xy) else self.host.get(v, 0)
        return float(self.xy[g, 0]), float(self.xy[g, 1])


def _area(ring: np.ndarray) -> float:
    """The shoelace area of a ring."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


UNMET_CAP = 12  # unmet needs at which a grid is drawn fully red
INFECTED_CAP = 20  # residents infected now at which a grid is drawn fully red
MODES = ("unmet", "harm", "infected")


def grid_levels(model, colour_by: str = "unmet") -> tuple[np.ndarray, list[str], str, dict]:
    """Per grid: the colour level (0-1), the number written in the cell, and the legend's
    catalogue key with its fields, for ``colour_by`` in MODES."""
    tw, needs = model.township, model.needs
    n, ng = needs.n, tw.n_grids
    if colour_by == "harm":
        harm = np.bincount(needs.grid[:n], weights=needs.harm[:n], minlength=ng)
        top = max(float(harm.max()), 1e-9)
        return harm / top, [f"{h:.0f}" for h in harm], "app.legend.harm", {"top": f"{top:.0f}"}
    if colour_by == "infected":
        res = model.residents
        infected = np.bincount(res.grid[res.epi == INFECTED], minlength=ng)
        return (
            infected / INFECTED_CAP,
            [str(k) for k in infected],
            "app.legend.infected",
            {"top": INFECTED_CAP},
        )
    open_ = needs.state[:n] <= DISPATCHED
    unmet = np.bincount(needs.grid[:n][open_], minlength=ng)
    return unmet / UNMET_CAP, [str(u) for u in unmet], "app.legend.unmet", {"cap": UNMET_CAP}


def _spread(pos: np.ndarray, spacing: float, rounds: int = 60) -> np.ndarray:
    """Positions moved apart until no two are closer than ``spacing`` (on a lattice nothing
    moves): on a random network two villages can sit on top of each other."""
    pos = pos.copy()
    n = len(pos)
    for _ in range(rounds):
        d = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((d**2).sum(-1))
        dist[np.arange(n), np.arange(n)] = np.inf
        short = dist < spacing * 0.999
        if not short.any():
            break
        gap = np.where(short, dist, spacing)
        push = np.where(short, (spacing - gap) / 2 / np.maximum(gap, 1e-9), 0.0)
        pos += (d * push[:, :, None]).sum(1)
    return pos


def map_svg(model, layout: MapLayout, colour_by: str = "unmet", title: str = "") -> str:
    """The township now: grids coloured by unmet needs, harm so far or infections, busy
    responders as dots where they are (hollow: on the way), the command post, shelters,
    temporary party organizations, cut roads, flooded grids and fires. The legend is drawn
    by the page (``legend_items``), in the page's language and at a readable size."""
    tw, needs = model.township, model.needs
    n, ng = needs.n, tw.n_grids
    open_ = needs.state[:n] <= DISPATCHED
    unmet = np.bincount(needs.grid[:n][open_], minlength=ng)
    harm = np.bincount(needs.grid[:n], weights=needs.harm[:n], minlength=ng)
    level, shown, _, _ = grid_levels(model, colour_by)
    flooded = _flooded(model)
    fires = _fires(model)
    c, h = layout.cell, layout.height
    pad_top = 34
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grassroots-map-svg" '
        f'data-step="{model.step_count}" data-unmet="{int(unmet.sum())}" '
        f'data-harm="{float(harm.sum()):.3f}" viewBox="-6 -{pad_top} {WIDTH + 12} '
        f'{h + pad_top + 8}" style="font-family:sans-serif;background:#ffffff">'
    ]
    label = title or model.clock_label(model.minute)
    out.append(
        f'<text x="0" y="-10" font-size="24" font-weight="bold" fill="#212121">'
        f"{escape(label)}</text>"
    )
    cut = {tuple(sorted(e)) for e in tw.cut_edges}
    cut_style = 'stroke="#d32f2f" stroke-width="4" stroke-dasharray="6 4"'
    roads = []
    for a, b in layout.edges:
        (x1, y1), (x2, y2) = layout.xy[a], layout.xy[b]
        is_cut = (min(a, b), max(a, b)) in cut
        if layout.paths is not None and not is_cut:
            continue  # a district's outlines show its neighbours; only cut roads drawn
        style = cut_style if is_cut else 'stroke="#b0bec5" stroke-width="2"'
        roads.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>')
    if layout.paths is None:
        out += roads  # under the cells
    big = not layout.small
    label_size = max(12.0, min(22.0, c / 4.2))
    number_size = max(14.0, min(30.0, c / 3.2))
    for g in range(ng):
        x, y = layout.xy[g]
        x0, y0 = x - c / 2, y - c / 2
        stroke = (
            ("#0277bd", 5)
            if flooded[g]
            else (("#455a64", 1.5) if tw.lowlying[g] else ("#90a4ae", 1))
        )
        title = (
            f"<title>grid {escape(model.grid_label(g))}: {unmet[g]} unmet needs, harm "
            f"{harm[g]:.1f}</title>"
        )
        if layout.paths is not None:
            out.append(
                f'<path class="grid" data-grid="{g}" data-unmet="{unmet[g]}" '
                f'd="{layout.paths[g]}" fill-rule="evenodd" fill="{_heat(level[g])}" '
                f'stroke="{stroke[0]}" stroke-width="{stroke[1]}">{title}</path>'
            )
        else:
            out.append(
                f'<rect class="grid" data-grid="{g}" data-unmet="{unmet[g]}" '
                f'x="{x0:.1f}" y="{y0:.1f}" width="{c:.1f}" height="{c:.1f}" rx="6" '
                f'fill="{_heat(level[g])}" stroke="{stroke[0]}" '
                f'stroke-width="{stroke[1]}">{title}</rect>'
            )
    for g in range(ng) if big else ():  # white halo: readable on every fill
        x, y = layout.xy[g]
        name = escape(model.grid_label(g))
        if layout.paths is not None:  # a district's name, centred above the number
            size = max(10.0, min(16.0, c / 6.5))
            out.append(
                f'<text x="{x:.1f}" y="{y - number_size / 2:.1f}" '
                f'font-size="{size:.0f}" text-anchor="middle" fill="#263238" '
                f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{name}</text>'
            )
        else:
            out.append(
                f'<text x="{x - c / 2 + 4:.1f}" y="{y - c / 2 + label_size + 1:.1f}" '
                f'font-size="{label_size:.0f}" fill="#263238" stroke="#ffffff" '
                f'stroke-width="3" paint-order="stroke">{name}</text>'
            )
        out.append(
            f'<text x="{x:.1f}" y="{y + number_size / 3:.1f}" '
            f'font-size="{number_size:.0f}" font-weight="bold" text-anchor="middle" '
            f'fill="#212121" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke">{shown[g]}</text>'
        )
    if layout.paths is not None:
        out += roads  # cut roads over the outlines
    s = max(8.0, min(14.0, c / 6))  # symbol size, kept inside the cell's corners
    if model.engine is not None:
        for g in np.flatnonzero(model.engine.Q.temp_org_at).tolist():
            x, y = layout.xy[g]
            fx, fy = x + c / 2 - 4 - s, y + c / 2 - 4
            out.append(
                f'<path d="M{fx:.1f},{fy:.1f} v-{1.6 * s:.1f} h{s:.1f} l-{s / 3:.1f},'
                f'{s / 3:.1f} l{s / 3:.1f},{s / 3:.1f} h-{s:.1f}" fill="#d50000" '
                f'stroke="#ffffff" stroke-width="1">'
                f"<title>temporary party organization</title></path>"
            )
    for g in fires:
        x, y = layout.xy[g]
        fx, fy = x - c / 2 + 3, y - c / 2 + label_size + 6
        out.append(
            f'<polygon points="{fx:.1f},{fy + 1.4 * s:.1f} {fx + s * 0.7:.1f},{fy:.1f} '
            f'{fx + 1.4 * s:.1f},{fy + 1.4 * s:.1f}" fill="#ff6d00" stroke="#ffffff" '
            f'stroke-width="1"><title>fire</title></polygon>'
        )
    for v, kind in layout.kind.items():
        if kind == COMMAND:
            x, y = layout.node_xy(v)
            out.append(
                _star(x + c / 2 - s - 2, y - c / 2 + s + 2, s)
                + "<title>front-line command post</title></polygon>"
            )
        elif kind == SHELTER:
            x, y = layout.node_xy(v)
            sx, sy = x + c / 2 - s - 2, y - c / 2 + 2.6 * s + 4
            out.append(
                f'<path d="M{sx - s * 0.6:.1f},{sy:.1f} l{s * 0.6:.1f},-{s * 0.7:.1f} '
                f'l{s * 0.6:.1f},{s * 0.7:.1f} v{s * 0.6:.1f} h-{s * 1.2:.1f} z" '
                f'fill="#2e7d32" stroke="#ffffff" stroke-width="1">'
                f"<title>shelter</title></path>"
            )
    out += _responder_dots(model, layout)
    out.append("</svg>")
    return "".join(out)


def legend_items(model, colour_by: str, temp_orgs: bool = True) -> list[tuple[str, str, dict]]:
    """The map's legend for this run: ``(symbol svg, catalogue key, fields)``, only what the
    run can show (flooded grids and cut roads with a flood, fires with a fire, ...)."""
    _, _, key, fields = grid_levels(model, colour_by)
    cfg = model.config
    sym = '<svg width="22" height="18" viewBox="0 0 22 18">{}</svg>'
    items = [
        (
            sym.format(f'<rect x="1" y="1" width="20" height="16" rx="3" fill="{_heat(1)}"/>'),
            key,
            fields,
        )
    ]
    dots = [("cadre", "app.legend.cadre"), ("volunteer", "app.legend.volunteer")]
    if cfg.organization.colocated_units_integrated:
        dots.append(("other", "app.legend.other"))
    for role, k in dots:
        items.append(
            (sym.format(f'<circle cx="11" cy="9" r="7" fill="{ROLE_COLOURS[role]}"/>'), k, {})
        )
    items.append(
        (
            sym.format(
                '<circle cx="11" cy="9" r="6" fill="white" stroke="#37474f" stroke-width="2"/>'
            ),
            "app.legend.hollow",
            {},
        )
    )
    items.append(("<b>+n</b>", "app.legend.more", {}))
    if cfg.organization.front_line_command:
        items.append((sym.format(_star(11, 9, 8) + "</polygon>"), "app.legend.command", {}))
    if cfg.flood.enabled:
        items.append(
            (
                sym.format(
                    '<rect x="2" y="2" width="18" height="14" fill="white" '
                    'stroke="#0277bd" stroke-width="4"/>'
                ),
                "app.legend.flooded",
                {},
            )
        )
        items.append(
            (
                sym.format(
                    '<line x1="0" x2="22" y1="9" y2="9" stroke="#d32f2f" '
                    'stroke-width="4" stroke-dasharray="6 4"/>'
                ),
                "app.legend.road_cut",
                {},
            )
        )
    if any(kind == SHELTER for _, kind in model.township.graph.nodes(data="kind")):
        items.append(
            (
                sym.format('<path d="M3,10 l8,-8 l8,8 v7 h-16 z" fill="#2e7d32"/>'),
                "app.legend.shelter",
                {},
            )
        )
    if temp_orgs and cfg.organization.temporary_party_orgs:
        items.append(
            (
                sym.format('<path d="M5,17 v-16 h12 l-4,4 l4,4 h-12" fill="#d50000"/>'),
                "app.legend.temp_org",
                {},
            )
        )
    if cfg.fire.enabled:
        items.append(
            (
                sym.format('<polygon points="3,17 11,1 19,17" fill="#ff6d00"/>'),
                "app.legend.fire",
                {},
            )
        )
    return items


def _star(x: float, y: float, r: float) -> str:
    pts = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * 0.45
        a = math.pi / 2 + k * math.pi / 5
        pts.append(f"{x + rr * math.cos(a):.1f},{y - rr * math.sin(a):.1f}")
    return f'<polygon points="{" ".join(pts)}" fill="#ffb300" stroke="#e65100" stroke-width="1.5">'


def _flooded(model) -> np.ndarray:
    """Low-lying grids while a flood is under way."""
    tw = model.township
    for hz in getattr(model, "hazards", []):
        if hz.name == "flood" and hz.started and not hz.ended:
            return tw.lowlying.copy()
    return np.zeros(tw.n_grids, dtype=bool)


def _fires(model) -> list[int]:
    """Grids of fires that have broken out while the fire hazard lasts."""
    out = []
    for hz in getattr(model, "hazards", []):
        if hz.name == "fire" and hz.started and not hz.ended:
            out += [int(g) for t, g in zip(hz.times, hz.grids) if t <= model.minute]
    return out


def busy_responders(model, layout: MapLayout) -> tuple[np.ndarray, np.ndarray]:
    """The busy responders (travelling or serving) and the grid each is drawn in: where it
    serves, or the grid it is heading to."""
    ro = model.roster
    busy = np.flatnonzero((ro.status == TRAVELLING) | (ro.status == SERVING))
    if len(busy) == 0:
        return busy, busy
    needs = model.needs
    dest = np.where(ro.need[busy] >= 0, needs.grid[np.maximum(ro.need[busy], 0)], ro.node[busy])
    ng = len(layout.xy)
    where = np.where(dest < ng, dest, [layout.host.get(int(v), 0) for v in dest])
    return busy, where


def role_kind(role: int) -> str:
    """A responder's dot colour's name (``ROLE_COLOURS``)."""
    return "volunteer" if role == VOLUNTEER else "other" if role == UNIT_STAFF else "cadre"


def _responder_dots(model, layout: MapLayout) -> list[str]:
    """Busy responders as dots in a row along the bottom of their grid: serving ones where
    they are, travelling ones (hollow) at the grid they are heading to."""
    ro = model.roster
    busy, where = busy_responders(model, layout)
    if len(busy) == 0:
        return []
    out = []
    c = layout.cell
    r = max(3.0, min(6.0, c / 22))
    # as many dots as fit in the cell's width; the rest as "+n"
    fit = max(1, min(MAX_DOTS, int((c - 8) // (2 * r + 1.5))))
    for g in np.unique(where):
        here = busy[where == g]
        x, y = layout.xy[g]
        x0, y0 = x - c / 2 + r + 4, y + c / 2 - r - 4
        more = len(here) - fit
        shown = fit - 1 if more > 0 and fit > 1 else fit  # room for the "+n" label
        for k, i in enumerate(here[:shown]):
            role = int(ro.role[i])
            colour = ROLE_COLOURS[role_kind(role)]
            serving = ro.status[i] == SERVING  # filled: serving; hollow: on the way
            fill, edge = (colour, "#ffffff") if serving else ("#ffffff", colour)
            out.append(
                f'<circle class="responder" cx="{x0 + k * (2 * r + 1.5):.1f}" '
                f'cy="{y0:.1f}" r="{r:.1f}" fill="{fill}" stroke="{edge}" '
                f'stroke-width="1.5"/>'
            )
        if len(here) > shown and not layout.small:
            out.append(
                f'<text x="{x + c / 2 - 3:.1f}" y="{y0 + r:.1f}" font-size="{2.4 * r:.0f}" '
                f'font-weight="bold" text-anchor="end" fill="#212121" stroke="#ffffff" '
                f'stroke-width="2.5" paint-order="stroke">+{len(here) - shown}</text>'
            )
    return out


def chart_svg(
    title: str,
    series: list[tuple[str, list[float], list[float]]],
    x_max: float,
    chart_id: str,
    width: int = 720,
    height: int = 180,
) -> str:
    """A line chart of one or more (label, hours, values) series, hours on the x axis.
    Large type (ticks 26, title 28): the page draws it about two thirds size at 1280x720
    (17 px ticks), larger on a projector."""
    left, right, top, bottom = 84, 38, 36, 34
    pw, ph = width - left - right, height - top - bottom
    values = [v for _, _, ys in series for v in ys if v == v]
    y_max = _nice_max(max(values) if values else 1.0)
    x_max = max(x_max, 1e-9)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" '
        f'data-points="{sum(len(xs) for _, xs, _ in series)}" viewBox="0 0 {width} '
        f'{height}" style="font-family:sans-serif;background:#ffffff" '
        f'fill="#212121">',
        f'<text x="{left}" y="27" font-size="28" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#90a4ae"/>',
    ]
    for k in range(5):
        yv = y_max * k / 4
        yy = top + ph - ph * k / 4
        out.append(
            f'<text x="{left - 6}" y="{yy + 9:.1f}" font-size="26" text-anchor="end">'
            f"{_fmt(yv)}</text>"
        )
        if 0 < k < 4:
            out.append(
                f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eceff1"/>'
            )
    for k in range(5):
        xv = x_max * k / 4
        out.append(
            f'<text x="{left + pw * k / 4:.1f}" y="{height - 5}" font-size="26" '
            f'text-anchor="middle">{xv:.3g} h</text>'
        )
    for s, (label, xs, ys) in enumerate(series):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        pts = " ".join(
            f"{left + pw * x / x_max:.1f},{top + ph - ph * y / y_max:.1f}"
            for x, y in zip(xs, ys)
            if y == y
        )
        if pts:
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="3"/>')
        if label:
            last = next((y for y in reversed(ys) if y == y), None)
            text = f"{label}: {_fmt(last)}" if last is not None else label
            out.append(
                f'<text x="{left + 8}" y="{top + 26 + 26 * s}" font-size="26" '
                f'fill="{colour}" font-weight="bold">{escape(text)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(v))
    return next(m * power for m in (1, 2, 4, 6, 8, 10) if m * power >= v)  # quarters: round


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.3g}"
