"""Outcomes every run reports: declared with units, computed from the need log and roster.

Hazards add their own (``HazardSpec.outcomes``): ``outcomes()`` lists them all.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, MutableMapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .codes import ARRIVALS, BUSY, CHANNELS, COMMUNITY_CADRE, GRID, OFFICES, STATE_NAMES, TRAVELLING
from .engine import Count, Sum
from .engine.state import Level
from .needs import NeedTable
from .registry import HAZARDS, Outcome, type_names
from .routine import routine_outcomes
from .survival import life_threatening, need_deaths

if TYPE_CHECKING:
    from .view import ModelView

_LOWER, _HIGHER, _NEITHER = False, True, None
# Who reached a need first (sim.codes.ARRIVALS), as the outcomes' labels name them.
ARRIVAL_LABELS = {
    "community_cadre": "a community cadre",
    "township_cadre": "a township cadre",
    "organ_cadre": "an organ cadre",
    "team_volunteer": "a standing-team volunteer",
    "unit_staff": "a co-located unit's staff",
    "sent_down_cadre": "a cadre sent down to the community",
    "party_member": "a party member of the grid",
    "spontaneous_volunteer": "a spontaneous volunteer (neighbour)",
}
CORE_OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome("needs_total", "needs", "Needs created", _NEITHER),
        Outcome("needs_resolved", "needs", "Needs resolved", _HIGHER),
        Outcome("needs_reached", "needs", "Needs reached by a responder", _HIGHER),
        Outcome(
            "share_reached",
            "share",
            "Share of needs reached by a responder",
            _HIGHER,
            "needs_reached",
        ),
        Outcome("mean_detection_delay_min", "min", "Need appears -> known", _LOWER),
        Outcome(
            "mean_reporting_delay_min", "min", "Known -> report reaches the deciding unit", _LOWER
        ),
        Outcome(
            "mean_dispatch_delay_min", "min", "Known -> first responder sent (any path)", _LOWER
        ),
        Outcome("mean_travel_min", "min", "Responder sent -> arrives", _LOWER),
        Outcome(
            "mean_response_min",
            "min",
            "Need appears -> first responder arrives (a need "
            "never reached counts as reached at the end)",
            _LOWER,
        ),
        Outcome(
            "mean_response_reached_min",
            "min",
            "Need appears -> first responder arrives, over the needs reached only",
            _LOWER,
        ),
        Outcome(
            "p90_response_min",
            "min",
            "90th percentile of response time (a need never reached counts as reached at the end)",
            _LOWER,
        ),
        Outcome("mean_resolution_min", "min", "Need appears -> resolved (needs resolved)", _LOWER),
        Outcome(
            "share_met_within_target", "share", "Needs reached within the target time", _HIGHER
        ),
        Outcome(
            "share_handled_locally",
            "share",
            "Needs met before their report reached the unit",
            _HIGHER,
        ),
        Outcome(
            "total_harm", "person-hours", "Severity-weighted person-hours of unmet need", _LOWER
        ),
        Outcome(
            "casualty_proxy",
            "persons",
            "Expected deaths: of life-threatening needs by "
            "survival against the time until reached (Tangshan 1976), of the others by the "
            "lethality of their harm (proxy)",
            _LOWER,
        ),
        Outcome(
            "expected_deaths_life_threatening",
            "persons",
            "Expected deaths of "
            "life-threatening needs (rescue, fire rescue, medical transport): persons x (1 - "
            "survival at the time until reached; never reached: at the end)",
            _LOWER,
        ),
        Outcome("peak_backlog", "needs", "Most needs open at once", _LOWER),
        Outcome(
            "responder_utilization", "share", "Busy share of active responders' time", _NEITHER
        ),
        Outcome("workload_gini", "0-1", "Inequality of cadres' workload", _LOWER),
        Outcome(
            "community_workload_gini",
            "0-1",
            "Inequality of workload per responder across communities",
            _LOWER,
        ),
        Outcome(
            "duplicate_dispatches",
            "dispatches",
            "Responders sent to a need already covered",
            _LOWER,
        ),
        Outcome("lost_reports", "reports", "Reports lost on the way (re-sent)", _LOWER),
        Outcome(
            "handoffs",
            "reports",
            "Reports handed between lines (siloed structure; in the "
            "pre-reform street, passed on by a department that does not own the need)",
            _LOWER,
        ),
        Outcome(
            "redispatches",
            "dispatches",
            "Misrouted dispatches sent back and dispatched again (reporting.dispatch_accuracy)",
            _LOWER,
        ),
        Outcome(
            "stalled_reports",
            "reports",
            "Reports a department dropped until the resident called again (pre-reform street)",
            _LOWER,
        ),
        Outcome(
            "reports_lost_for_good",
            "reports",
            "Reports lost after the last re-send (the need waits for local action)",
            _LOWER,
        ),
        # What each level of the chain knew, lost and held back (sim/engine/distortion.py).
        Outcome(
            "severe_needs",
            "needs",
            "Needs severe from the start (starting severity at least reporting.severe_threshold)",
            _NEITHER,
        ),
        Outcome(
            "severe_withheld_share",
            "share",
            "Severe needs whose report some level held back",
            _LOWER,
        ),
        Outcome(
            "casualty_withheld_share",
            "share",
            "Share of expected casualties in needs whose "
            "report some level held back (docs/field_data.md F11: 139 of 380 dead or missing "
            "concealed or reported late)",
            _LOWER,
        ),
        Outcome(
            "severe_unreported_share",
            "share",
            "Severe needs found whose report had not reached the deciding unit at the end",
            _LOWER,
        ),
        *(
            Outcome(
                f"severe_lag_{o}_min",
                "min",
                f"Severe need appears -> its report reaches the "
                f"{o} office (severe needs whose report did)",
                _LOWER,
            )
            for o in OFFICES
        ),
        *(
            Outcome(
                f"lost_reports_{o}",
                "reports",
                f"Reports lost on the way into the {o} office (re-sent)",
                _LOWER,
            )
            for o in OFFICES[GRID + 1 :]
        ),
        *(
            Outcome(
                f"withheld_reports_{o}",
                "reports",
                f"Severe needs' reports the {o} office held back",
                _LOWER,
            )
            for o in OFFICES[GRID + 1 :]
        ),
        *(
            Outcome(
                f"mean_delay_{o}_min",
                "min",
                f"Minutes a report spends at the {o} office: "
                "queue, handling and any holding back (reports it passed on)",
                _LOWER,
            )
            for o in OFFICES
        ),
        Outcome("initiative_actions", "actions", "Cadres acting before approval", _NEITHER),
        Outcome(
            "local_actions",
            "actions",
            "Needs taken by an idle local responder after waiting on the chain",
            _NEITHER,
        ),
        Outcome(
            "party_member_responses", "responses", "Needs met by mobilized party members", _NEITHER
        ),
        Outcome(
            "spontaneous_responses", "responses", "Needs met by spontaneous volunteers", _NEITHER
        ),
        *(
            Outcome(
                f"first_by_{name}",
                "needs",
                f"Needs first reached by {ARRIVAL_LABELS.get(name, name.replace('_', ' '))}",
                _NEITHER,
            )
            for name in ARRIVALS
        ),
        Outcome(
            "temporary_party_orgs",
            "organizations",
            "Temporary party organizations set up",
            _NEITHER,
        ),
        Outcome(
            "person_hours", "person-hours", "Responders' and residents' hours on needs", _NEITHER
        ),
        Outcome("residents_sheltered", "persons", "Residents escorted to a shelter", _HIGHER),
        Outcome("trust_before", "0-1", "Mean trust when the emergency began", _HIGHER),
        Outcome("trust_after", "0-1", "Mean trust at the end", _HIGHER),
        Outcome(
            "preparedness_before", "0-1", "Mean preparedness when the emergency began", _HIGHER
        ),
        # The surge at the hotline and the office, and fatigue (sim/engine/chain.py calls_until,
        # sim/engine/service.py fatigue).
        Outcome(
            "calls_received",
            "calls",
            "Residents' calls to the street's duty room and the "
            "community offices in the emergency, besides the needs' reports",
            _NEITHER,
        ),
        Outcome(
            "share_calls_answered",
            "share",
            "Share of those calls answered before the caller hung up",
            _HIGHER,
        ),
        Outcome(
            "share_hotline_calls_answered",
            "share",
            "Share of the calls to the street's duty room (the hotline) answered",
            _HIGHER,
        ),
        Outcome(
            "worst_day_hotline_answered",
            "share",
            "The street duty room's answered share on its worst day of the emergency",
            _HIGHER,
        ),
        Outcome(
            "calls_per_handler_per_day",
            "calls/handler/day",
            "Calls answered per community office handler per day of the emergency",
            _NEITHER,
        ),
        Outcome(
            "mean_fatigue_factor",
            "x",
            "Mean effort multiplier of fatigue over the services responders began",
            _LOWER,
        ),
        Outcome(
            "cadre_hours_per_day",
            "hours/day",
            "Hours community cadres worked (travelling "
            "or serving) per cadre per day of the emergency",
            _NEITHER,
        ),
        # Routine cases of the peacetime phase (sim/routine.py); not part of the emergency's.
        Outcome(
            "routine_mean_handling_h",
            "hours",
            "Routine case filed -> closed (peacetime; cases closed within the deadline)",
            _LOWER,
        ),
        Outcome(
            "routine_closure_share", "share", "Routine cases closed within the deadline", _HIGHER
        ),
        Outcome(
            "routine_cases_per_1000_per_day",
            "cases/1000/day",
            "Routine cases filed per 1,000 residents per peacetime day",
            _NEITHER,
        ),
        Outcome(
            "routine_share_found_by_grid",
            "share",
            "Routine cases found by grid managers on "
            "patrol (the rest raised by residents and neighbours)",
            _NEITHER,
        ),
        Outcome(
            "routine_mean_handling_all_h",
            "hours",
            "Routine case filed -> closed (peacetime; "
            "every case filed, whatever the deadline; one still open when peacetime ends "
            "counts as closed then)",
            _LOWER,
        ),
    )
}


class _Outcomes(MutableMapping[str, Outcome]):
    """Every declared outcome by name: the core ones, then each registered hazard's (a view
    that follows the registry; setting an item declares a core outcome)."""

    def _all(self) -> dict[str, Outcome]:
        return {**CORE_OUTCOMES, **{o.name: o for spec in HAZARDS.values() for o in spec.outcomes}}

    def __getitem__(self, key: str) -> Outcome:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __setitem__(self, key: str, value: Outcome) -> None:
        CORE_OUTCOMES[key] = value

    def __delitem__(self, key: str) -> None:
        del CORE_OUTCOMES[key]


OUTCOMES = _Outcomes()


def higher_is_better(name: str) -> bool | None:
    """Whether more of an outcome is better (None: it ranks no policy, or is not declared)."""
    o = OUTCOMES.get(name)
    return None if o is None else o.higher_is_better


def taking_part(m: ModelView) -> list[str]:
    """The hazards a run's tables show: the shipped ones, and a plugin's where it runs (so a
    plugin loaded in the process changes no other run's tables)."""
    running = {hz.name for hz in m.hazards}
    return [
        name
        for name, spec in HAZARDS.items()
        if name in running or spec.model.__module__.startswith("sim.")
    ]


def types_shown(m: ModelView) -> list[str]:
    """The need types a run's need table shows: all but those only a plugin's hazard that
    is not running creates."""
    shown = taking_part(m)
    own = {t.name for name in shown for t in HAZARDS[name].need_types}
    hidden = {
        t.name for name, spec in HAZARDS.items() if name not in shown for t in spec.need_types
    } - own
    return [t for t in type_names() if t not in hidden]


def need_log(m: ModelView) -> pd.DataFrame:
    """One row per need with the time of each stage (minutes since wartime began)."""
    return need_table(*need_log_inputs(m))


def need_log_inputs(m: ModelView) -> tuple[NeedTable, np.ndarray, list[str], list[str], np.ndarray]:
    """What the need log is made from, apart from the model (which may then be freed)."""
    return m.needs, m.township.grid_community, taking_part(m), types_shown(m), deaths(m)


def need_table(
    nd: NeedTable,
    grid_community: np.ndarray,
    hazards: list[str],
    types: list[str],
    expected_deaths: np.ndarray,
) -> pd.DataFrame:
    n = nd.n
    return pd.DataFrame(
        {
            "need_id": np.arange(n),
            "hazard": _categorical(nd.hazard[:n], list(HAZARDS), hazards),
            "type": _categorical(nd.kind[:n], type_names(), types),
            "grid": nd.grid[:n],
            "community": grid_community[nd.grid[:n]],
            "vulnerable": nd.vulnerable[:n],
            "persons": nd.persons[:n],
            "severity": nd.severity0[:n],
            "effort_min": nd.effort[:n],
            "created_min": nd.created[:n],
            "detected_min": nd.detected[:n],
            "reported_min": nd.reported[:n],
            "dispatched_min": nd.dispatched[:n],
            "reached_min": nd.reached[:n],
            "resolved_min": nd.resolved[:n],
            "detected_by": pd.Categorical.from_codes(nd.channel[:n], CHANNELS),
            "first_by": pd.Categorical.from_codes(nd.first_by[:n], ARRIVALS),
            "dispatches": nd.n_dispatches[:n],
            "state": pd.Categorical.from_codes(nd.state[:n], STATE_NAMES),
            "harm": nd.harm[:n],
            "life_threatening": life_threatening(nd.kind[:n]),
            "expected_deaths": expected_deaths,
        }
    )


def _categorical(codes: np.ndarray, names: Sequence[str], shown: list[str]) -> pd.Categorical:
    """``pd.Categorical(np.array(names)[codes], categories=shown)`` (a name not shown is
    missing) from the codes, without making and hashing a string per row."""
    position = {name: k for k, name in enumerate(shown)}
    recode = np.array([position.get(name, -1) for name in names], dtype=np.int64)
    return pd.Categorical.from_codes(recode[codes], categories=shown)


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 equal, towards 1 concentrated)."""
    v = np.sort(np.asarray(values, dtype=float))
    if len(v) == 0 or v.sum() <= 0:
        return 0.0
    n = len(v)
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * v) / (n * v.sum()))


def deaths(m: ModelView) -> np.ndarray:
    """The expected deaths of each need (``sim/survival.py``): a need never reached counts
    as reached at the end of the emergency."""
    nd, n = m.needs, m.needs.n
    return need_deaths(
        nd.created[:n],
        nd.reached[:n],
        max(m.minute, 0.0),
        nd.persons[:n],
        nd.kind[:n],
        nd.harm[:n],
        m.config.response,
    )


def handled_locally(dispatched: np.ndarray, reported: np.ndarray) -> float:
    """Share of needs someone was sent to before their report reached the deciding unit
    (or whose report never did)."""
    if len(dispatched) == 0:
        return math.nan
    return float(
        np.count_nonzero(np.isfinite(dispatched) & ~(dispatched >= reported)) / len(dispatched)
    )


def _ratio(a: float | np.integer, b: float | np.integer) -> float:
    return float(a / b) if b > 0 else math.nan


def chain_outcomes(m: ModelView, casualty: np.ndarray) -> dict[str, float]:
    """What each level of the reporting chain knew, lost and held back (`casualty`: the
    expected casualties of each need)."""
    nd, eng = m.needs, m.engine
    n = nd.n
    levels = eng.Q.levels if eng is not None else np.zeros((len(OFFICES), len(Level)))
    severe = nd.severity0[:n] >= m.config.reporting.severe_threshold
    withheld = nd.levels_withheld[:n] != 0
    found = severe & np.isfinite(nd.detected[:n])
    out = {
        "severe_needs": float(np.count_nonzero(severe)),
        "severe_withheld_share": _ratio(
            np.count_nonzero(severe & withheld), np.count_nonzero(severe)
        ),
        "casualty_withheld_share": _ratio(casualty[withheld].sum(), casualty.sum()),
        "severe_unreported_share": _ratio(
            np.count_nonzero(found & np.isnan(nd.reported[:n])), np.count_nonzero(found)
        ),
    }
    out.update(
        {
            f"severe_lag_{o}_min": _ratio(levels[k, Level.KNOWN_LAG], levels[k, Level.KNOWN])
            for k, o in enumerate(OFFICES)
        }
    )
    out.update(
        {
            f"lost_reports_{o}": float(levels[k, Level.LOST])
            for k, o in enumerate(OFFICES)
            if k > GRID
        }
    )
    out.update(
        {
            f"withheld_reports_{o}": float(levels[k, Level.WITHHELD])
            for k, o in enumerate(OFFICES)
            if k > GRID
        }
    )
    out.update(
        {
            f"mean_delay_{o}_min": _ratio(levels[k, Level.PASSED_MIN], levels[k, Level.PASSED])
            for k, o in enumerate(OFFICES)
        }
    )
    return out


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else math.nan


def summarize(m: ModelView, timeseries: pd.DataFrame) -> dict[str, float]:
    cfg, nd, ro, eng, res = m.config, m.needs, m.roster, m.engine, m.residents
    n = nd.n
    created, detected, reported = nd.created[:n], nd.detected[:n], nd.reported[:n]
    dispatched, reached, resolved = nd.dispatched[:n], nd.reached[:n], nd.resolved[:n]
    end = max(m.minute, 0.0)  # the end of the emergency (the wartime clock's end)
    response = reached - created
    # The censored response: a need never reached counts as reached at the end, so a policy
    # cannot look faster by reaching fewer needs.
    censored = np.where(np.isnan(reached), end, reached) - created
    casualty = deaths(m)
    first_by = np.bincount(nd.first_by[:n][nd.first_by[:n] >= 0], minlength=len(ARRIVALS))
    war = timeseries[timeseries["phase_code"] == 1]
    called = ro.on_roster
    if eng is not None and called.any():
        # Work still under way at the end counts up to the end.
        busy = ro.busy_min + np.where(
            (ro.status == TRAVELLING) | (ro.status == BUSY), end - ro.busy_since, 0.0
        )
        busy = np.where(called, busy, 0.0)
        active_min = np.clip(end - ro.active_from, 0, None)
        utilization = float(busy.sum() / max(active_min[called].sum(), 1e-9))
        per_c = np.bincount(ro.community, weights=busy)
        staff_c = np.bincount(ro.community, weights=called)
        community_gini = gini(per_c[staff_c > 0] / staff_c[staff_c > 0])
        busy_hours = float(busy.sum() / 60)
        workload = gini(ro.busy_min[ro.is_cadre & called])
        community = called & (ro.role == COMMUNITY_CADRE)
        cadre_hours = (
            float(busy[community].sum() / 60 / community.sum() / (end / 1440))
            if community.any() and end > 0
            else math.nan
        )
    else:
        utilization = community_gini = busy_hours = workload = 0.0
        cadre_hours = math.nan
    calls = eng.calls() if eng is not None else {}
    received = calls.get("street_received", 0.0) + calls.get("community_received", 0.0)
    answered = calls.get("street_answered", 0.0) + calls.get("community_answered", 0.0)

    def count(which: Count) -> float:
        return float(eng.count(which)) if eng is not None else 0.0

    def total(which: Sum) -> float:
        return eng.total(which) if eng is not None else 0.0

    out = {
        "needs_total": float(n),
        "needs_resolved": float(np.count_nonzero(np.isfinite(resolved))),
        "needs_reached": float(np.count_nonzero(np.isfinite(reached))),
        "share_reached": float(np.count_nonzero(np.isfinite(reached)) / n) if n else math.nan,
        "mean_detection_delay_min": _mean(detected - created),
        "mean_reporting_delay_min": _mean(reported - detected),
        # Every need dispatched by any path: the first dispatch minus detection.
        "mean_dispatch_delay_min": _mean(dispatched - detected),
        "mean_travel_min": _mean(reached - dispatched),
        "mean_response_min": _mean(censored),
        "mean_response_reached_min": _mean(response),
        "p90_response_min": float(np.percentile(censored, 90)) if n else math.nan,
        "mean_resolution_min": _mean(resolved - created),
        "share_met_within_target": float(
            np.count_nonzero(response <= cfg.time.target_response_min) / n
        )
        if n
        else math.nan,
        "share_handled_locally": handled_locally(dispatched, reported),
        "total_harm": float(nd.harm[:n].sum()),
        "casualty_proxy": float(casualty.sum()),
        "expected_deaths_life_threatening": float(casualty[life_threatening(nd.kind[:n])].sum()),
        "peak_backlog": float(war["backlog"].max()) if len(war) else 0.0,
        "responder_utilization": utilization,
        "workload_gini": workload,
        "community_workload_gini": community_gini,
        "duplicate_dispatches": count(Count.DUPLICATES),
        "lost_reports": count(Count.LOST),
        "handoffs": count(Count.HANDOFFS),
        "redispatches": count(Count.REDISPATCHES),
        "stalled_reports": count(Count.STALLS),
        "reports_lost_for_good": count(Count.LOST_FOR_GOOD),
        **chain_outcomes(m, casualty),
        "initiative_actions": count(Count.INITIATIVE),
        "local_actions": count(Count.LOCAL_ACTIONS),
        "party_member_responses": count(Count.PARTY),
        "spontaneous_responses": count(Count.SPONTANEOUS),
        **{f"first_by_{name}": float(first_by[k]) for k, name in enumerate(ARRIVALS)},
        "temporary_party_orgs": count(Count.TEMP_ORGS),
        "person_hours": busy_hours + total(Sum.POOL_MINUTES) / 60,
        "residents_sheltered": total(Sum.SHELTERED),
        "trust_before": m.trust_before,
        "trust_after": float(res.trust.mean()),
        "preparedness_before": m.preparedness_before,
        "calls_received": received,
        "share_calls_answered": answered / received if received else math.nan,
        "share_hotline_calls_answered": calls["street_answered"] / calls["street_received"]
        if calls.get("street_received")
        else math.nan,
        "worst_day_hotline_answered": calls.get("street_worst_day", math.nan),
        "calls_per_handler_per_day": calls.get("per_community_handler_day", math.nan),
        "mean_fatigue_factor": total(Sum.FATIGUE) / count(Count.SERVICES)
        if count(Count.SERVICES)
        else math.nan,
        "cadre_hours_per_day": cadre_hours,
        **routine_outcomes(m),
    }
    running = {hz.name: hz for hz in m.hazards}
    # A hazard's outcomes: NaN where a shipped hazard is not enabled.
    for name in taking_part(m):
        spec = HAZARDS[name]
        values = running[name].outcomes() if name in running else {}
        out.update({o.name: float(values.get(o.name, math.nan)) for o in spec.outcomes})
    return out
