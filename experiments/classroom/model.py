"""The classroom app's model side: controls from ``sim.params.describe()``, scenario presets,
sweep replay, and a Mesa model that steps one or two simulations (side by side) and keeps
what the page shows (time series, an event feed in words).

Nothing here imports Solara: the page itself is ``experiments/classroom/app.py``, served by
``grassroots demo`` (``experiments/cli/demo.py``), which passes its arguments to the page in
the environment variable ``GRASSROOTS_DEMO``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from experiments.i18n import text
from experiments.sweeps.store import SweepStore
from sim import GrassrootsModel, describe
from sim.codes import RESOLVED, ROLES
from sim.outcomes import OUTCOMES
from sim.params import Config, ConfigError
from sim.registry import HAZARDS, NEED_TYPES, hazard_label, label, mechanism
from sim.scenario import CONFIG_DIR, SCENARIO_DIR, apply_overrides, load_scenario, shipped_or_path

ENV = "GRASSROOTS_DEMO"
APP_FILE = Path(__file__).with_name("app.py")

# What a trainer changes in class: the policies planners compare, then every on/off toggle
# of the organization and the volunteers (docs/model.md, "Structures, toggles and levels").
# Each control is generated from the parameter's definition in sim/params.py.
POLICY_KEYS = ("organization.structure", "reporting.mechanism", "volunteers.team_size_per_1000")
TOGGLE_SECTIONS = ("organization", "volunteers")
SLIDER_MAX_STEPS = 1000  # a wider numeric range gets a text box instead of a slider


def classroom_keys() -> list[str]:
    """The parameters the app shows: the policies, then every bool toggle of TOGGLE_SECTIONS."""
    toggles = [
        row["key"]
        for row in describe()
        if row["type"] == "bool" and row["section"] in TOGGLE_SECTIONS
    ]
    return [*POLICY_KEYS, *[k for k in toggles if k not in POLICY_KEYS]]


def control_name(key: str, prefix: str = "") -> str:
    """The keyword a control sends to :class:`ClassroomModel`: ``reporting__mechanism``."""
    return prefix + key.replace(".", "__")


def control_label(row: dict[str, Any], prefix: str = "") -> str:
    unit = row["unit"] if row["unit"] not in ("-", "bool") and len(row["unit"]) <= 12 else ""
    text = f"{row['section'].capitalize()}: {row['name'].replace('_', ' ')}"
    return f"{prefix}{text}" + (f" ({unit})" if unit else "")


def control_for(row: dict[str, Any], value: Any, prefix: str = "") -> dict[str, Any]:
    """A control spec for one ``describe()`` row: choices give a drop-down,
    a bool a checkbox, a number with a modest range a slider, any other value a text box."""
    label = control_label(row, prefix)
    spec = _control_type(row, value, label)
    return {
        **spec,
        "key": row["key"],
        "prefix": prefix,
        "doc": row["doc"],
        "unit": row["unit"],
        "low": row["low"],
        "high": row["high"],
    }


def _control_type(row: dict[str, Any], value: Any, label: str) -> dict[str, Any]:
    if row["choices"]:
        return {"type": "Select", "value": value, "values": list(row["choices"]), "label": label}
    if row["type"] == "bool":
        return {"type": "Checkbox", "value": bool(value), "label": label}
    low, high = row["low"], row["high"]
    if row["type"] in ("int", "float") and low is not None and high is not None:
        if row["type"] == "int" and high - low <= SLIDER_MAX_STEPS:
            return {
                "type": "SliderInt",
                "value": int(value),
                "min": int(low),
                "max": int(high),
                "step": 1,
                "label": label,
            }
        if row["type"] == "float":
            step = _nice_step((high - low) / 200)
            if (high - low) / step <= SLIDER_MAX_STEPS:
                return {
                    "type": "SliderFloat",
                    "value": float(value),
                    "min": float(low),
                    "max": float(high),
                    "step": step,
                    "label": label,
                }
    return {"type": "InputText", "value": str(value), "label": label}


def _nice_step(x: float) -> float:
    """1, 2 or 5 times a power of ten, at most ``x``."""
    power = 10.0 ** math.floor(math.log10(x))
    return max(m * power for m in (1, 2, 5) if m * power <= x)


@dataclass
class Startup:
    """What ``grassroots demo`` was asked to show: the first preset, its seed, the mode."""

    config: Config
    seed: int = 1
    preset: str = "street_flood"
    side_by_side: bool = False
    presets: dict[str, Config] = field(default_factory=dict)
    lang: str = "en"

    def preset_config(self, name: str) -> Config:
        if name in self.presets:
            return self.presets[name]
        return load_scenario(SCENARIO_DIR / f"{name}.toml")

    def preset_description(self, name: str) -> str:
        """The ``description`` line of a shipped scenario file ("" for others)."""
        path = SCENARIO_DIR / f"{self.preset_config(name).name}.toml"
        if not path.is_file():
            return ""
        with open(path, "rb") as f:
            return str(tomllib.load(f).get("description", ""))


def shipped_presets() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def make_startup(
    config_arg: str | None = None,
    side_by_side: bool = False,
    replay: tuple[str, str] | None = None,
    lang: str = "en",
    overrides: dict[str, Any] | None = None,
) -> Startup:
    """Resolve the demo's arguments; raises ConfigError (or ValueError) on bad input.
    ``overrides`` (``--set KEY=VALUE``) apply to the scenario and to every preset."""
    if replay is not None:
        config, seed = replay_run(*replay)
        name = f"replay {replay[1]}"
        return Startup(config, seed, name, side_by_side, {name: config}, lang)
    if overrides:
        base = load_scenario(
            None if config_arg is None else shipped_or_path(config_arg, SCENARIO_DIR)
        )
        config = apply_overrides(base, overrides, source="--set")
        name = f"{config.name} (--set)"
        return Startup(config, 1, name, side_by_side, {name: config}, lang)
    if config_arg is None:
        config = load_scenario(None)
    else:
        config = load_scenario(shipped_or_path(config_arg, SCENARIO_DIR))
    path = SCENARIO_DIR / f"{config.name}.toml"
    if config_arg is None or (path.is_file() and load_scenario(path) == config):
        return Startup(config, 1, config.name, side_by_side, lang=lang)
    name = f"file: {Path(config_arg).name}"
    return Startup(config, 1, name, side_by_side, {name: config}, lang)


def startup_to_env(
    config_arg: str | None,
    side_by_side: bool,
    replay: tuple[str, str] | None,
    lang: str = "en",
    overrides: dict[str, Any] | None = None,
) -> str:
    return json.dumps(
        {
            "config": config_arg,
            "side_by_side": side_by_side,
            "replay": list(replay) if replay else None,
            "lang": lang,
            "overrides": overrides or {},
        }
    )


def startup_from_env() -> Startup:
    data = json.loads(os.environ.get(ENV) or "{}")
    replay = tuple(data["replay"]) if data.get("replay") else None
    return make_startup(
        data.get("config"),
        bool(data.get("side_by_side")),
        replay,
        data.get("lang") or "en",
        data.get("overrides") or None,
    )


# --- sweep replay -------------------------------------------------------------------------


def replay_run(folder: str | Path, run_id: str) -> tuple[Config, int]:
    """Re-create one run of a sweep: the sweep's base scenario and fixed values, then the
    run's factor values from ``runs.parquet``, and the run's seed (a run is deterministic)."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root}: no such folder: {how_to_make(root)}")
    store = SweepStore(root)
    runs = store.read_runs()  # an unfinished sweep: its finished runs
    if runs is None:
        raise ValueError(
            f"{root}: not a sweep results folder (no runs.parquet or parts/): {how_to_make(root)}"
        )
    rows = runs[runs["run_id"] == run_id]
    if rows.empty:
        ids = ", ".join(sorted(runs["run_id"].astype(str))[:5])
        raise ValueError(f"{root}: no run '{run_id}' (run ids look like {ids}, ...)")
    row = {k: _plain(v) for k, v in rows.iloc[0].to_dict().items()}
    manifest = store.read_manifest() or {}
    keys = {r["key"] for r in describe()}
    factors = list(manifest.get("factors") or [c for c in row if c in keys])
    overrides = {**manifest.get("fixed", {}), **{k: row[k] for k in factors}}
    config = load_scenario(manifest.get("base"), overrides=overrides)
    return config, int(row["seed"])


def how_to_make(root: Path) -> str:
    """The command that makes a sweep results folder at ``root``: the sweep its name was
    made from (``results/sweep-<name>-<time>``) when that is a shipped one, else an example."""
    match = re.fullmatch(r"sweep-(.+)-\d{8}-\d{6}", root.name)
    name = (
        match.group(1)
        if match and (CONFIG_DIR / "sweeps" / f"{match.group(1)}.toml").is_file()
        else "reporting_structure"
    )
    command = shlex.join(["grassroots", "sweep", name, "--out", str(root)])
    return (
        f"make it with a sweep first, e.g. {command}, then give one of its run ids "
        "(p0000-r000, ...)"
    )


def _plain(value: Any) -> Any:
    """A numpy scalar from parquet as the Python value the parameter checks expect."""
    return value.item() if isinstance(value, np.generic) else value


# --- the model behind the page ------------------------------------------------------------

CHANNEL_KEYS = ("resident", "neighbour", "grid_manager")
FEED_KEEP = 300
SUMMARY_EVERY_MIN = 360.0
BACKLOG_PEAK_MIN = 10  # a backlog peak is worth a pause from this many open needs
BACKLOG_PEAK_DROP = 0.75  # ... once the backlog has fallen to this share of its peak


def hazard_word(name: str, lang: str) -> str:
    return hazard_label(name, lang)


def need_word(kind: int, lang: str) -> str:
    return label(NEED_TYPES[kind].label, lang)


def clock(model: GrassrootsModel, minute: float, lang: str) -> str:
    """The model's clock (day of the whole run, hh:mm) in words of ``lang``."""
    total = minute + model.peace_steps * 1440
    day, rem = divmod(total, 1440)
    return text("app.clock", lang, day=int(day) + 1, hm=f"{int(rem // 60):02d}:{int(rem % 60):02d}")


class Pane:
    """One simulation in the app, with the series and the event feed the page draws.

    The feed holds ``(minute, text, notable)``: notable lines (the model's own log, a hazard
    reaching a grid, the six-hourly summary) are the ones shown while playing."""

    def __init__(self, label: str, config: Config, seed: int, lang: str = "en") -> None:
        self.label = label
        self.config = config
        self.seed = seed
        self.lang = lang
        self.model = GrassrootsModel(config, rng=seed)
        self.hours: list[float] = []
        self.backlog: list[int] = []
        self.response_min: list[float] = []
        self.cum_harm: list[float] = []
        self.feed: list[tuple[float, str, bool]] = []
        self._seen_events = 0
        self._future: list[tuple[float, str]] = []
        self._seen_needs = 0
        self._first_need: set[tuple[int, int, int]] = set()  # (hazard, grid, 6-h block)
        self._tracked: list[int] = []
        self._next_summary = 0.0
        self.record()

    @property
    def title(self) -> str:
        c, lang = self.config, self.lang
        return (
            f"{self.label}{text('mechanism.' + c.reporting.mechanism, lang)} · "
            f"{text('app.choice.' + c.organization.structure, lang)} · "
            + text("app.volunteers_per_1000", lang, n=f"{c.volunteers.team_size_per_1000:g}")
        )

    def step(self) -> None:
        m = self.model
        if not m.running:
            return
        t0 = m.minute
        m.step()
        if m.phase == "war":
            self._feed(t0 if m.step_count > m.peace_steps else 0.0, m.minute)
        self.record()

    def record(self) -> None:
        m = self.model
        if m.phase != "war":
            return
        needs = m.needs
        n = needs.n
        reached = needs.reached[:n]
        done = ~np.isnan(reached)
        self.hours.append(m.minute / 60.0)
        self.backlog.append(int(m.backlog))
        self.response_min.append(
            float(np.mean(reached[done] - needs.created[:n][done])) if done.any() else math.nan
        )
        self.cum_harm.append(float(m.cum_harm))

    def outcomes(self) -> dict[str, float]:
        """The run's outcomes (``sim.outcomes.summarize``), for the finished panel."""
        from sim.outcomes import summarize

        ts = self.model.datacollector.get_model_vars_dataframe()
        return summarize(self.model, ts)

    def _feed(self, t0: float, t1: float) -> None:
        """Words for what happened in [t0, t1): the model's own log; the first need of each
        hazard in each grid in each six hours, followed through every stage; a summary
        every six hours."""
        m, needs, lang = self.model, self.model.needs, self.lang
        lines: list[tuple[float, str, bool]] = []
        self._future += m.events[self._seen_events :]  # some are logged ahead of time
        self._seen_events = len(m.events)
        lines += [(e.minute, m.sentence(e, lang), True) for e in self._future if e.minute < t1]
        self._future = [e for e in self._future if e.minute >= t1]
        for i in range(self._seen_needs, needs.n):
            hazard, grid = int(needs.hazard[i]), int(needs.grid[i])
            block = int(needs.created[i] // SUMMARY_EVERY_MIN)
            if (hazard, grid, block) in self._first_need:
                continue
            fields = {"grid": m.grid_label(grid), "what": need_word(needs.kind[i], lang)}
            first = (hazard, grid, -1) not in self._first_need
            line = (
                text(
                    "app.feed.reaches",
                    lang,
                    hazard=hazard_word(list(HAZARDS)[hazard], lang),
                    **fields,
                )
                if first
                else text("app.feed.new_need", lang, **fields)
            )
            self._first_need |= {(hazard, grid, -1), (hazard, grid, block)}
            self._tracked.append(i)
            lines.append((float(needs.created[i]), line, first))
        self._seen_needs = needs.n
        still = []
        for i in self._tracked:
            lines += [(t, x, False) for t, x in self._stages(i, t0, t1)]
            if needs.state[i] != RESOLVED:
                still.append(i)
        self._tracked = still
        while self._next_summary < t1:
            if self._next_summary >= t0 and self._next_summary > 0:
                lines.append(
                    (
                        self._next_summary,
                        text(
                            "app.feed.summary",
                            lang,
                            n=needs.n,
                            open=m.backlog,
                            busy=m.responders_busy,
                            harm=f"{m.cum_harm:.0f}",
                        ),
                        True,
                    )
                )
            self._next_summary += SUMMARY_EVERY_MIN
        lines.sort(key=lambda x: x[0])
        self.feed += [(t, f"{clock(m, t, lang)}  {x}", notable) for t, x, notable in lines]
        del self.feed[:-FEED_KEEP]

    def _stages(self, i: int, t0: float, t1: float) -> list[tuple[float, str]]:
        m, needs, lang = self.model, self.model.needs, self.lang
        grid = m.grid_label(int(needs.grid[i]))
        out = []

        def due(times: np.ndarray) -> float | None:
            t = float(times[i])
            return t if t0 <= t < t1 else None

        if (t := due(needs.detected)) is not None:
            ch = int(needs.channel[i])
            who = (
                text(f"app.who.{CHANNEL_KEYS[ch]}", lang)
                if 0 <= ch < len(CHANNEL_KEYS)
                else text("app.who.someone", lang)
            )
            out.append((t, text("app.feed.alarm", lang, grid=grid, who=who)))
        if (t := due(needs.reported)) is not None:
            out.append((t, text("app.feed.report", lang, grid=grid, unit=self._decider(t))))
        if (t := due(needs.dispatched)) is not None:
            early = not float(needs.reported[i]) <= t  # before any report was decided
            out.append(
                (t, text("app.feed.local" if early else "app.feed.dispatched", lang, grid=grid))
            )
        if (t := due(needs.reached)) is not None:
            out.append((t, text("app.feed.arrives", lang, grid=grid, who=self._who(i))))
        if (t := due(needs.resolved)) is not None:
            out.append(
                (t, text("app.feed.done", lang, grid=grid, what=need_word(needs.kind[i], lang)))
            )
        return out

    def _decider(self, t: float) -> str:
        """The unit a report reaches under the mechanism (``Mechanism.decider``)."""
        m = self.model
        office = mechanism(m.config.reporting.mechanism).decider(
            m.config, m.engine is not None and t >= m.engine.command_active
        )
        key = {-1: "joint_meeting", 0: "grid_autonomy", 6: "direct"}.get(office, "hierarchical")
        return text(f"app.decider.{key}", self.lang)

    def _who(self, i: int) -> str:
        ro, lang = self.model.roster, self.lang
        serving = np.flatnonzero(ro.need == i)
        if len(serving):
            r = int(serving[0])
            if ro.professional[r]:
                return text("app.who.professional", lang)
            return text(f"app.who.{ROLES[int(ro.role[r])]}", lang)
        return text("app.who.first_responder", lang)


class Moments:
    """The key moments of a run, found once each as the model steps: a hazard starts, the
    first road is cut, the front-line command convenes, the backlog has peaked (it fell to
    ``BACKLOG_PEAK_DROP`` of a peak of at least ``BACKLOG_PEAK_MIN``), a hazard ends.
    ``check`` returns ``(key, fields)`` for each moment of the last step."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.peak = 0
        self.peak_minute = 0.0

    def check(self, m: GrassrootsModel) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        if m.phase != "war":
            return out

        def once(tag: str, key: str, **fields: Any) -> None:
            if tag not in self.seen:
                self.seen.add(tag)
                out.append((key, fields))

        for hz in m.hazards:
            if hz.started:
                if f"start {hz.name}" not in self.seen:
                    self.peak = 0  # a new emergency: a new backlog peak to look for
                once(f"start {hz.name}", "hazard_start", hazard=hz.name)
            if hz.ended:
                once(f"end {hz.name}", "hazard_end", hazard=hz.name)
        if len(m.township.cut_edges):
            once("road cut", "road_cut", n=len(m.township.cut_edges))
        eng = m.engine
        if eng is not None and math.isfinite(eng.command_active) and m.minute >= eng.command_active:
            once("command", "command")
        if m.backlog > self.peak:
            self.peak, self.peak_minute = int(m.backlog), m.minute
        elif self.peak >= BACKLOG_PEAK_MIN and m.backlog <= BACKLOG_PEAK_DROP * self.peak:
            once(f"peak {self.peak_minute}", "backlog_peak", n=self.peak, minute=self.peak_minute)
        return out


class ClassroomModel(mesa.Model):
    """One or two simulations that step together; what the page plays, steps and resets.

    Args:
        preset: a scenario preset (a shipped scenario, the demo's CONFIG file or a replay).
        seed: the seed of both simulations (text from the seed box, or a number).
        side_by_side: run a second copy (B) with its own policies on the same seed.
        scenario: unused (kept for callers that pass Mesa's scenario argument).
        **controls: ``section__key`` values for A, ``b__section__key`` for B.

    After each step, ``moments`` lists the key moments of that step (see :class:`Moments`)
    of the main copy (A), ``pane_moments`` those of each copy (B's map notes B's own), and
    ``quiet`` says whether nothing is happening (peacetime, or no hazard under way and no
    unmet need), which the page fast-forwards.
    """

    startup: Startup | None = None  # set by the page

    def __init__(
        self,
        preset: str | None = None,
        seed: Any = None,
        side_by_side: bool | None = None,
        scenario: Any = None,
        **controls: Any,
    ) -> None:
        seed_value, preset, configs = self.resolve(preset, seed, side_by_side, controls)
        super().__init__(rng=seed_value)
        self.seed = seed_value
        self.preset = preset
        self.lang = (self.startup or Startup(configs[0])).lang
        labels = ["A: ", "B: "] if len(configs) > 1 else [""]
        self.panes = [
            Pane(label, config, seed_value, self.lang) for label, config in zip(labels, configs)
        ]
        self._moments = [Moments() for _ in self.panes]  # each copy's own
        self.pane_moments: list[list[tuple[str, dict[str, Any]]]] = [[] for _ in self.panes]
        self.moments: list[tuple[str, dict[str, Any]]] = []
        self.running = True

    @classmethod
    def resolve(
        cls, preset: str | None, seed: Any, side_by_side: bool | None, controls: dict[str, Any]
    ) -> tuple[int, str, list[Config]]:
        """The seed, the preset and the config of each copy; raises ConfigError."""
        start = cls.startup or make_startup()
        seed_value = parse_seed(start.seed if seed is None else seed)
        preset = preset or start.preset
        side = start.side_by_side if side_by_side is None else bool(side_by_side)
        base = start.preset_config(preset)
        a = {k: v for k, v in controls.items() if not k.startswith("b__")}
        b = {k[3:]: v for k, v in controls.items() if k.startswith("b__")}
        config_a = apply_overrides(base, coerce(a), source="app controls")
        if not side:
            return seed_value, preset, [config_a]
        config_b = apply_overrides(config_a, coerce(b), source="app controls (B)")
        return seed_value, preset, [config_a, config_b]

    def step(self) -> None:
        for pane in self.panes:
            pane.step()
        self.pane_moments = [
            found.check(pane.model) for found, pane in zip(self._moments, self.panes)
        ]
        self.moments = self.pane_moments[0]  # the main copy's: the page pauses at these
        self.running = any(p.model.running for p in self.panes)

    @property
    def quiet(self) -> bool:
        m = self.main
        if m.phase != "war":
            return True
        active = any(
            hz.started and not hz.ended for pane in self.panes for hz in pane.model.hazards
        )
        return not active and all(p.model.unmet == 0 for p in self.panes)

    @property
    def main(self) -> GrassrootsModel:
        return self.panes[0].model

    def infections(self) -> bool:
        return bool(self.main.config.epidemic.enabled)


def parse_seed(value: Any) -> int:
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ConfigError("seed", f"must be a whole number, got {value!r}", "app") from None
    if seed < 0:
        raise ConfigError("seed", f"must be 0 or more, got {seed}", "app")
    return seed


def coerce(controls: dict[str, Any]) -> dict[str, Any]:
    """Control values as parameter values: text boxes give strings, sliders may give floats
    for int parameters; everything else is checked by ``Config.with_overrides``."""
    rows = {r["key"]: r for r in describe()}
    out = {}
    for name, value in controls.items():
        key = name.replace("__", ".")
        row = rows.get(key)
        if row and isinstance(value, str) and row["type"] in ("int", "float"):
            try:
                value = float(value)
            except ValueError:
                pass  # refused with the parameter's range by the checks
        if row and row["type"] == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        out[key] = value
    return out


def model_params(start: Startup, preset: str | None = None) -> dict[str, Any]:
    """The page's controls: preset and seed, then one control per classroom parameter
    generated from its definition (and the B copies of the policies in side-by-side mode),
    each holding the value of ``preset`` (default: the first preset)."""
    presets = list(dict.fromkeys([start.preset, *start.presets, *shipped_presets()]))
    preset = preset or start.preset
    params: dict[str, Any] = {
        "preset": {
            "type": "Select",
            "value": preset,
            "values": presets,
            "label": "Scenario preset",
        },
        "seed": {"type": "InputText", "value": str(start.seed), "label": "Seed"},
        "side_by_side": start.side_by_side,
    }
    rows = {r["key"]: r for r in describe()}
    flat = start.preset_config(preset).flat()
    side = start.side_by_side
    for key in classroom_keys():
        prefix = "A: " if side and key in POLICY_KEYS else ""
        params[control_name(key)] = control_for(rows[key], flat[key], prefix)
    if side:
        for key in POLICY_KEYS:
            value = flat[key]
            choices = rows[key]["choices"]
            if key == "reporting.mechanism" and choices:
                value = next(c for c in choices if c != value)  # B differs from A at start
            params[control_name(key, "b__")] = control_for(rows[key], value, "B: ")
    return params


def control_values(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :class:`ClassroomModel` that ``params`` holds."""
    return {k: v["value"] if isinstance(v, dict) else v for k, v in params.items()}


CHECK_SEEDS = 10
CHECK_OUTCOME = "total_harm"


def check_on_seeds(
    config_a: Config, config_b: Config, seeds: list[int], progress: Any = None
) -> Any:
    """Both policies on each seed (common random numbers): the paired difference B - A of
    total harm with its bootstrap interval (``experiments.report.stats``, as the report)."""
    from experiments.report.stats import paired_difference
    from sim import simulate

    a, b = [], []
    for k, seed in enumerate(seeds):
        a.append(simulate(config_a, seed=seed).summary()[CHECK_OUTCOME])
        b.append(simulate(config_b, seed=seed).summary()[CHECK_OUTCOME])
        if progress is not None:
            progress(k + 1, len(seeds))
    return paired_difference(np.array(b), np.array(a))


# The finished panel's outcomes, by name (``sim.outcomes.OUTCOMES``), with their units.
FINISHED_OUTCOMES = (
    "total_harm",
    "mean_response_min",
    "share_reached",
    "share_met_within_target",
    "needs_total",
    "peak_backlog",
)
OUTCOME_ROWS = tuple((k, OUTCOMES[k].unit) for k in FINISHED_OUTCOMES if k in OUTCOMES)
