"""Engines: who runs the response's events, the Python reference or the compiled loop.

``python``: the handlers of ``response.py`` and its mixins run one by one from
``events.EventQueue``; readable, and the specification. ``compiled`` (the default): the
same handlers, compiled with numba in ``kernel.py``, run a whole step's events per call.
The two give bit-identical runs (``tests/test_engine.py``); the compiled one is about 2.7
times faster, which large studies need (``benchmarks/bench_model.py`` compares them).

``CompiledResponse`` is a ``Response`` whose event queue hands events to the kernel: the
rest of the model schedules events, reads counters and changes resident pools exactly as
with the Python engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import kernel as K
from .needs import TYPE_SKILL
from .response import Response

if TYPE_CHECKING:
    from .world import World

ENGINES = ("compiled", "python")
DEFAULT_ENGINE = "compiled"

# The Python handler each event kind stands for (by name: bound methods of the response,
# its reporting chain and the routine work).
EVENT_CODES = {"_pick": K.PICK, "detected": K.DETECT, "_local_wait_over": K.LOCAL_WAIT_OVER,
               "report": K.REPORT, "send": K.SEND, "_escalate": K.ESCALATE,
               "_escalation_arrives": K.ESCALATION_ARRIVES,
               "_joint_meeting": K.JOINT_MEETING, "_command_convened": K.COMMAND_CONVENED,
               "_arrive": K.ARRIVE, "_done": K.DONE, "_became_free": K.BECAME_FREE,
               "_rested": K.RESTED, "_pool_arrive": K.POOL_ARRIVE, "_pool_done": K.POOL_DONE,
               "_pool_free": K.POOL_FREE, "_on_duty_start": K.ON_DUTY_START,
               "_off_duty": K.OFF_DUTY}


def response_class(engine: str) -> type[Response]:
    """The response class of an engine (an unknown name is refused with the choices)."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: must be one of {', '.join(ENGINES)}")
    return CompiledResponse if engine == "compiled" else Response


_ENTRY: dict[Any, Callable[..., Any]] = {}


def _call(kernel_fn: Any, *args: Any) -> Any:
    """Call a kernel function; after its first call, through its compiled entry point,
    which skips numba's dispatch (typing each argument anew: about 25 us a call, a tenth of
    a run over its ~500 calls). This module passes every kernel function arguments of the
    same types on every call (arrays of fixed dtype and layout), which the entry point
    relies on (every array is built with an explicit dtype, contiguous); a function that
    was compiled for more than one signature keeps dispatch."""
    entry = _ENTRY.get(kernel_fn)
    if entry is not None:
        return entry(*args)
    result = kernel_fn(*args)
    if len(kernel_fn.overloads) == 1:
        _ENTRY[kernel_fn] = next(iter(kernel_fn.overloads.values())).entry_point
    return result


def _csr(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Index lists per community as (pointers, indices)."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, np.int64)
    return ptr, idx


def _grown(a: np.ndarray, size: int, fill: Any) -> np.ndarray:
    """`a` copied into a larger array (the rest filled), along the last axis."""
    new = np.full(a.shape[:-1] + (size,), fill, dtype=a.dtype)
    new[..., :a.shape[-1]] = a
    return new


class CompiledQueue:
    """The event queue of a ``CompiledResponse``: ``at``, ``at_each`` and ``run_until`` as
    ``EventQueue``'s, on the kernel's arrays."""

    def __init__(self, response: CompiledResponse, n_communities: int) -> None:
        self.response = response
        cap = 1024
        self.loop = K.Loop(
            t=np.zeros(cap), seq=np.zeros(cap, np.int64), kind=np.zeros(cap, np.int64),
            a=np.zeros(cap, np.int64), b=np.zeros(cap, np.int64), c=np.zeros(cap, np.int64),
            counts=np.zeros(len(K.COUNTS), np.int64), sums=np.zeros(len(K.SUMS)),
            pending2d=np.zeros((1, 256), np.int64), inbox=np.zeros(256, np.int64),
            batch=np.zeros(256, np.int64), urgency=np.zeros(256),
            local=np.zeros((n_communities, 64), np.int64),
            local_n=np.zeros(n_communities, np.int64),
            overdue=np.zeros((n_communities, 64), np.int64),
            overdue_n=np.zeros(n_communities, np.int64))
        self.loop.sums[K.S_NOW] = -math.inf

    @property
    def now(self) -> float:
        return float(self.loop.sums[K.S_NOW])

    @now.setter
    def now(self, t: float) -> None:
        self.loop.sums[K.S_NOW] = t

    def __len__(self) -> int:
        return int(self.loop.counts[K.C_HEAP])

    def at(self, t: float, fn: Callable[..., Any], *args: int) -> None:
        t = float(t)
        if t < self.now:
            raise ValueError(f"event at minute {t} is before now ({self.now})")
        self._make_room(1)
        a, b, c = (*map(int, args), 0, 0, 0)[:3]
        _call(K.push, self.loop, t, EVENT_CODES[fn.__name__], a, b, c)

    def at_each(self, times: np.ndarray, fn: Callable[..., Any], *columns: np.ndarray
                ) -> None:
        """``at(times[k], fn, columns[0][k], columns[1][k])`` for each k, in order."""
        times = np.ascontiguousarray(times, dtype=float)
        if len(times) == 0:
            return
        if times.min() < self.now:
            raise ValueError(f"event at minute {times.min()} is before now ({self.now})")
        self._make_room(len(times))
        a, b = (*(np.ascontiguousarray(c, dtype=np.int64) for c in columns),
                np.zeros(len(times), np.int64), np.zeros(len(times), np.int64))[:2]
        _call(K.push_many, self.loop, times, EVENT_CODES[fn.__name__], a, b)

    def run_until(self, t_end: float) -> None:
        q = self.loop
        if q.counts[K.C_HEAP] == 0 or q.t[0] >= t_end:  # nothing due: no call needed
            q.sums[K.S_NOW] = max(q.sums[K.S_NOW], t_end)
            return
        rp = self.response
        state = rp.kernel_state()
        self._make_room(0)
        while _call(K.run_until, *state, self.loop, rp.params, rp.rng,
                    float(t_end)) == K.GROW:
            self._make_room(0)
        rp.read_counters()

    def _make_room(self, extra: int) -> None:
        """Grow the heap and the waiting lists, where needed, so that `extra` more events
        fit and one more event of any kind can run (with wider margins than the kernel's
        ``_room``, so that its GROW is always answered)."""
        q = self.loop
        counts = q.counts
        inbox = int(counts[K.C_INBOX])
        heap_need = int(counts[K.C_HEAP]) + extra + 16 + K.R_MAX_PUSH + inbox
        list_need = int(counts[K.C_PENDING]) + inbox + 8
        row_need = int(max(q.local_n.max(initial=0), q.overdue_n.max(initial=0))) + 8
        if heap_need <= len(q.t) and list_need <= q.pending2d.shape[1] and \
                list_need <= len(q.inbox) and row_need <= q.local.shape[1]:
            return
        fields = q._asdict()
        if heap_need > len(q.t):
            size = max(2 * len(q.t), heap_need)
            for name in ("t", "seq", "kind", "a", "b", "c"):
                fields[name] = _grown(fields[name], size, 0)
        if list_need > q.pending2d.shape[1]:
            size = max(2 * q.pending2d.shape[1], list_need)
            fields["pending2d"] = _grown(fields["pending2d"], size, 0)
        if list_need > len(q.inbox):
            size = max(2 * len(q.inbox), list_need)
            for name in ("inbox", "batch", "urgency"):
                fields[name] = _grown(fields[name], size, 0)
        if row_need > q.local.shape[1]:
            size = max(2 * q.local.shape[1], row_need)
            fields["local"] = _grown(fields["local"], size, 0)
            fields["overdue"] = _grown(fields["overdue"], size, 0)
        self.loop = K.Loop(**fields)


def _counter(index: int, sums: bool = False) -> property:
    """A counter of the kernel's loop (``Loop.counts``, or ``Loop.sums`` for float sums)."""
    def get(self: CompiledResponse) -> float | int:
        return float(self.q.loop.sums[index]) if sums else int(self.q.loop.counts[index])

    def set(self: CompiledResponse, value: float) -> None:
        (self.q.loop.sums if sums else self.q.loop.counts)[index] = value

    return property(get, set)


class CompiledResponse(Response):
    """A ``Response`` whose events run in the compiled kernel (``kernel.py``)."""

    def __init__(self, model: World, start_min: float, peace: bool = False) -> None:
        self._state: tuple = ()
        self._state_for: tuple | None = None  # (need states, roster, travel) it is on
        self._finders_key: tuple | None = None
        self.news_at = np.zeros(0)
        self.resends = np.zeros(0, dtype=np.int64)
        self._p_hit = self._when = np.zeros(0)  # scratch of a step: detection, harm, sites
        self._hit = np.zeros(0, dtype=bool)
        self._waiting = np.zeros(0, dtype=np.int64)
        self._harm_inc, self._harmed = np.zeros(0), np.zeros(0, dtype=np.int64)
        self._out = np.zeros(3, dtype=np.int64)
        super().__init__(model, start_min, peace=peace)
        self._sites = np.zeros(model.township.n_grids, dtype=np.int64)
        self._site_count = np.zeros(model.township.n_grids, dtype=np.int64)
        self.params = self._params()

    # The counters the outcomes and indicators read, on the kernel's arrays (the reference
    # keeps them as attributes, which Response.__init__ sets to zero).
    n_duplicates = _counter(K.C_DUPLICATES)
    n_handoffs = _counter(K.C_HANDOFFS)
    n_initiative = _counter(K.C_INITIATIVE)
    n_local_actions = _counter(K.C_LOCAL_ACTIONS)
    n_party_responses = _counter(K.C_PARTY)
    n_spontaneous_responses = _counter(K.C_SPONTANEOUS)
    n_sheltered = _counter(K.S_SHELTERED, sums=True)
    pool_minutes = _counter(K.S_POOL_MINUTES, sums=True)

    def _make_queue(self) -> CompiledQueue:
        return CompiledQueue(self, self.m.township.n_communities)

    def _params(self) -> np.ndarray:
        cfg, rep, org, resp = self.cfg, self.cfg.reporting, self.cfg.organization, \
            self.cfg.response
        vol = cfg.volunteers
        values = {
            "local_wait": self.local_wait_min, "siloed": self.siloed,
            "siloed_lines": org.siloed_lines, "handoff_delay": org.handoff_delay_min,
            "local_travel": cfg.space.local_travel_min, "grid_delay": rep.grid_delay_min,
            "party_active_from": self.party_active_from, "peace": self.peace,
            "mutual_aid": org.mutual_aid, "mutual_aid_factor": vol.mutual_aid_factor,
            "spontaneous_share": vol.spontaneous_share,
            "mechanism": K.MECHANISM_CODES[self.mechanism],
            "command_active": self.command_active,
            "autonomy_escalate": rep.autonomy_escalate_min, "levels": rep.levels,
            "loss": rep.loss_per_level, "max_resends": rep.max_resends,
            "resend_after": rep.resend_after_min,
            "local_news_delay": rep.local_news_delay_min,
            "deterioration": resp.deterioration_per_hour,
            "mismatch_factor": resp.skill_mismatch_factor,
            "urgency_per_travel": resp.urgency_per_travel_min,
            "duplicate_visit": resp.duplicate_visit_min,
            "skill_effort_gain": resp.skill_effort_gain,
            "cohesion_effort_gain": resp.cohesion_effort_gain,
            "shift_min": org.shift_hours * 60, "rest_min": org.rest_hours * 60,
            "isolation": cfg.epidemic.isolation,
            "temp_orgs": org.temporary_party_orgs,
            "temp_org_min_needs": resp.temp_org_min_needs}
        return np.array([float(values[name]) for name in K.PARAMS])

    # --- state handed to the kernel ------------------------------------------------------

    def kernel_state(self) -> tuple:
        """(needs, roster, world) as the kernel's named tuples, on the model's arrays now:
        rebuilt when the need table has grown or changed (routine work swaps tables), the
        roster changed or a flood changed travel; the communities' cohesion is read anew."""
        m = self.m
        nd, ro, tw = m.needs, m.roster, m.township
        arrays = (nd.state, ro, tw.travel)
        if self._state_for is None or any(a is not b for a, b in zip(arrays,
                                                                      self._state_for)):
            self._state, self._state_for = self._build_state(), arrays
        elif self._state[0].n != nd.n:  # new needs in the same table
            self._state = (self._state[0]._replace(n=nd.n), *self._state[1:])
        needs, roster, world = self._state
        for c, cpo in enumerate(m.community_orgs):
            world.cohesion[c] = cpo.cohesion
        return needs, roster, world

    def _build_state(self) -> tuple:
        m = self.m
        nd, ro, tw, res = m.needs, m.roster, m.township, m.residents
        cap = len(nd.state)
        if len(self.news_at) < cap:
            self.news_at = _grown(self.news_at, cap, np.nan)
            self.resends = _grown(self.resends, cap, 0)
        needs = K.Needs(nd.n, nd.state, nd.grid, nd.kind, nd.resident, nd.created,
                        nd.detected, nd.reported, nd.dispatched, nd.reached, nd.resolved,
                        nd.channel, nd.n_dispatches, nd.effort, nd.severity0, nd.weight,
                        nd.line, nd.persons, nd.harm, self.news_at, self.resends)
        roster = K.Roster(ro.n, ro.status, ro.active_from, ro.need, ro.node, ro.busy_min,
                          ro.busy_since, ro.shift_min, ro.served, ro.served_since_eval,
                          ro.initiative, ro.skill, ro.skill_level, ro.line, ro.role,
                          ro.community, ro.anywhere, ro.self_directed, ro.dispatchable,
                          *self._static_roster(ro))
        lines = self.lines if self.lines is not None else np.full((1, 1), -1, np.int64)
        world = K.World(tw.travel, tw.node_community, tw.grid_community, self.shelters,
                        lines, TYPE_SKILL, res.need_state, res.isolated, res.epi,
                        np.zeros(tw.n_communities), self.willing, self.party_free,
                        self.spont_free, self.spont_opened, self.temp_org_at,
                        self._site_count, self.q_free, self.q_delay, self.level_delay,
                        tw.n_grids, tw.n_communities)
        return needs, roster, world

    @staticmethod
    def _static_roster(ro) -> tuple:
        return (*_csr(ro.cadres_in_community), *_csr(ro.candidate_pool),
                *_csr(ro.in_community), *_csr(ro.dispatchable_in_community))

    @property
    def q_free(self) -> np.ndarray:
        if not hasattr(self, "_q_free"):
            self._build_offices()
        return self._q_free

    def _build_offices(self) -> None:
        """The offices' handlers as one table (kernel._queue's rows), from the chain's
        queues as built: grids, communities, township, command, district, city, province."""
        ch, rep = self.chain, self.cfg.reporting
        queues = [*ch.grid_queue, *ch.community_queue, ch.office["township"],
                  ch.office["command"]]
        for level in ("district", "city", "province"):  # rows of levels not in the chain
            queues.append(ch.office.get(level, ch.office["township"]))  # are never used
        width = max(len(q.free_at) for q in queues)
        self._q_free = np.full((len(queues), width), np.inf)
        for k, q in enumerate(queues):
            self._q_free[k, :len(q.free_at)] = q.free_at
        self.q_delay = np.array([q.delay_min for q in queues], dtype=float)
        self.level_delay = np.array([rep.grid_delay_min, rep.community_delay_min,
                                     rep.township_delay_min, rep.upper_delay_min,
                                     rep.upper_delay_min, rep.upper_delay_min,
                                     rep.command_delay_min], dtype=float)

    def read_counters(self) -> None:
        """What the kernel changed that Python objects show: the front-line command's mode
        (the response's counters are properties on the kernel's arrays), and the reporting
        chain's counters."""
        counts = self.q.loop.counts
        self.chain.n_lost = int(counts[K.C_LOST])
        self.chain.n_lost_for_good = int(counts[K.C_LOST_FOR_GOOD])
        if self.q.now >= self.command_active:
            self.m.joint_committee.mode = "war"

    # --- a step --------------------------------------------------------------------------

    def _finders(self, patrol_per_hour: float | None, resident_factor: float) -> K.Finders:
        """Who finds needs, with scratch as long as the need table (kept between steps)."""
        m, cap = self.m, len(self.m.needs.state)
        key = (patrol_per_hour, resident_factor, cap)
        if self._finders_key != key:
            det = self.cfg.detection
            if len(self._when) < cap:
                self._p_hit, self._when = np.zeros(cap), np.zeros(cap)
                self._hit = np.zeros(cap, dtype=bool)
                self._waiting = np.zeros(cap, dtype=np.int64)
            neighbour = det.neighbour_report_per_hour * \
                (1.0 if self.cfg.organization.mutual_aid
                 else det.neighbour_factor_without_mutual_aid)
            rates = np.array([det.self_report_per_hour, neighbour,
                              det.grid_manager_per_hour if patrol_per_hour is None
                              else patrol_per_hour, resident_factor], dtype=float)
            res = m.residents
            self._finders_cache = K.Finders(res.trust, res.preparedness, m.familiarity, rates,
                                            self._p_hit, self._hit, self._when, self._waiting)
            self._finders_key = key
        return self._finders_cache

    def detect(self, t0: float, t1: float, patrol_per_hour: float | None = None,
               resident_factor: float = 1.0) -> None:
        finders = self._finders(patrol_per_hour, resident_factor)
        self.q._make_room(self.m.needs.n)
        _call(K.detect, self.kernel_state()[0], self.q.loop, self.rng, finders, float(t0),
              float(t1))

    def war_step(self, t0: float, t1: float) -> None:
        m, q = self.m, self.q
        finders = self._finders(None, 1.0)
        n = m.needs.n
        if len(self._harm_inc) < n:
            self._harm_inc = np.zeros(2 * n)
            self._harmed = np.zeros(2 * n, dtype=np.int64)
        q._make_room(n)
        state = self.kernel_state()
        out, found = self._out, False
        while True:
            _call(K.war_step, *state, q.loop, self.params, self.rng, finders, float(t0),
                  float(t1), found, self._harm_inc, self._harmed, self._sites, out)
            if out[K.O_STATUS] != K.GROW:
                break
            found = True
            q._make_room(0)
        self.read_counters()
        m.cum_harm += float(self._harm_inc[:out[K.O_HARMED]].sum())  # as numpy sums
        for g in self._sites[:out[K.O_SITES]].tolist():
            self.open_site(g, t1)

    def compact_known(self) -> None:
        """Nothing to do: the kernel finds known needs from their states."""
