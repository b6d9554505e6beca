"""The reporting chain: the offices a need's report climbs to the unit that decides.

Each office is a queue of parallel handlers, each report taking a fixed number of minutes
(``ReportQueue``). Handlers scale with the residents an office serves (per 10,000), so a
large district is not run through one small office by accident. Which offices a report
passes depends on the mechanism:

- hierarchical: grid manager -> community -> township -> district -> city -> province, as
  deep as ``reporting.levels``; the last office decides;
- direct: grid manager -> front-line command (the township office until it convenes);
- joint meeting: grid manager -> the next joint meeting (the command once it convenes);
- grid autonomy: the grid decides, and escalates to the command what it cannot meet.

Above the grid a report may be lost at each level; it is re-sent a few times, then lost for
good (the need then waits for local action).
"""

from __future__ import annotations

import math

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .agents import ReportQueue
from .events import EventQueue

if TYPE_CHECKING:
    from .world import World

# Offices above the grid in the hierarchical mechanism, lowest first.
LEVELS = ("community", "township", "district", "city", "province")
GRID, COMMAND = "grid", "command"


def handlers(per_10k: float, residents: float) -> int:
    """Parallel handlers of an office serving `residents` (at least one)."""
    return max(1, round(per_10k * residents / 10_000))


class ReportingChain:
    """The queues of every office and the route of each report through them."""

    def __init__(self, model: World, events: EventQueue, rng: np.random.Generator,
                 start_min: float, command_active: float,
                 decide: Callable[[float, int], None], peace: bool = False) -> None:
        """`decide(t, i)` runs when the report of need i reaches the unit that decides;
        `command_active`: the minute the front-line command convenes (inf: never); in
        `peace` (routine cases) the offices are open from the start."""
        self.m, self.q, self.rng, self.decide = model, events, rng, decide
        self.command_active = command_active
        m = model
        rep, org = m.config.reporting, m.config.organization
        self.mechanism = rep.mechanism
        tw, res = m.township, m.residents
        self.rep = rep
        self.grid_community = tw.grid_community
        n = m.config.population.n_residents
        per_community = np.bincount(tw.grid_community, weights=res.grid_size,
                                    minlength=tw.n_communities)
        self.grid_queue = [ReportQueue(1, rep.grid_delay_min) for _ in range(tw.n_grids)]
        self.community_queue = [ReportQueue(handlers(rep.community_handlers_per_10k, k),
                                            rep.community_delay_min) for k in per_community]
        # Offices are staffed once cadres switch mode (in peace: always).
        opens = -math.inf if peace else start_min + org.cadre_switch_min
        self.hierarchy = (GRID, *LEVELS[:rep.levels])
        self.office: dict[str, ReportQueue] = {
            "township": ReportQueue(handlers(rep.township_handlers_per_10k, n),
                                    rep.township_delay_min, opens_at=opens),
            COMMAND: ReportQueue(handlers(rep.command_handlers_per_10k, n),
                                 rep.command_delay_min, opens_at=command_active)}
        for level in self.hierarchy[3:]:
            self.office[level] = ReportQueue(handlers(rep.upper_handlers_per_10k, n),
                                             rep.upper_delay_min, opens_at=opens)
        self.delay = {GRID: rep.grid_delay_min, "community": rep.community_delay_min,
                      "township": rep.township_delay_min, COMMAND: rep.command_delay_min,
                      **{level: rep.upper_delay_min for level in LEVELS[2:]}}
        self.resends: dict[int, int] = {}
        self.n_lost = 0  # losses on the way, each followed by a re-send while any are left
        self.n_lost_for_good = 0

    def route(self, stage: int, t: float) -> str | None:
        """The office of hop `stage` for a report there at minute t (None: it has arrived)."""
        mech = self.mechanism
        if mech == "hierarchical":
            return self.hierarchy[stage] if stage < len(self.hierarchy) else None
        if mech == "grid_autonomy":
            return GRID if stage == 0 else None
        if stage == 0:
            return GRID
        if stage == 1:
            if t >= self.command_active:
                return COMMAND
            return "township" if mech == "direct" else None
        return None

    def news_minutes(self, t: float) -> float:
        """Minutes a short notice sent from a grid at minute t takes to reach the unit that
        decides: each office's handling time, without queueing."""
        total, stage = 0.0, 0
        while (level := self.route(stage, t)) is not None:
            total += self.delay[level]
            stage += 1
        return total

    def send(self, t: float, i: int, stage: int = 0) -> None:
        """The report of need i enters hop `stage` at minute t."""
        level = self.route(stage, t)
        if level is None:
            self.decide(t, i)
            return
        rep = self.rep
        if stage > 0 and rep.loss_per_level > 0 and self.rng.random() < rep.loss_per_level:
            self.n_lost += 1
            sent = self.resends.get(i, 0)
            if sent >= rep.max_resends:
                self.n_lost_for_good += 1  # the need waits for local action
                return
            self.resends[i] = sent + 1
            self.q.at(t + rep.resend_after_min, self.send, i, stage)
            return
        self.q.at(self._queue(level, i).admit(t), self.send, i, stage + 1)

    def escalate(self, t: float, i: int, on_arrival: Callable[[float, int], None]) -> None:
        """Grid autonomy: one hop from the grid to the command (or the township office
        before the command convenes); `on_arrival(t, i)` runs when it gets there."""
        level = COMMAND if t >= self.command_active else "township"
        self.q.at(self._queue(level, i).admit(t), on_arrival, i)

    def _queue(self, level: str, i: int) -> ReportQueue:
        g = int(self.m.needs.grid[i])
        if level == GRID:
            return self.grid_queue[g]
        if level == "community":
            return self.community_queue[int(self.grid_community[g])]
        return self.office[level]
