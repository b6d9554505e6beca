"""Outcomes every run reports: declared with units, computed from the need log and roster."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .agents import SERVING, TRAVELLING, gini
from .needs import CHANNELS, HAZARDS, STATE_NAMES, TYPE_NAMES
from .routine import routine_outcomes

if TYPE_CHECKING:
    from .model import GrassrootsModel

# name -> (unit, label)
OUTCOMES: dict[str, tuple[str, str]] = {
    "needs_total": ("needs", "Needs created"),
    "needs_resolved": ("needs", "Needs resolved"),
    "needs_reached": ("needs", "Needs reached by a responder"),
    "mean_detection_delay_min": ("min", "Need appears -> known"),
    "mean_reporting_delay_min": ("min", "Known -> report reaches the deciding unit"),
    "mean_dispatch_delay_min": ("min", "Report reaches the unit -> responder sent"),
    "mean_travel_min": ("min", "Responder sent -> arrives"),
    "mean_response_min": ("min", "Need appears -> first responder arrives"),
    "p90_response_min": ("min", "90th percentile of response time"),
    "mean_response_censored_min": ("min", "Mean response counting unreached needs as reached "
                                   "at the end (a lower bound)"),
    "mean_resolution_min": ("min", "Need appears -> resolved"),
    "share_met_within_target": ("share", "Needs reached within the target time"),
    "share_handled_locally": ("share", "Needs met before their report reached the unit"),
    "total_harm": ("person-hours", "Severity-weighted person-hours of unmet need"),
    "casualty_proxy": ("persons", "Expected casualties (proxy)"),
    "peak_backlog": ("needs", "Most needs open at once"),
    "responder_utilization": ("share", "Busy share of active responders' time"),
    "workload_gini": ("0-1", "Inequality of cadres' workload"),
    "community_workload_gini": ("0-1", "Inequality of workload per responder across "
                                "communities"),
    "duplicate_dispatches": ("dispatches", "Responders sent to a need already covered"),
    "lost_reports": ("reports", "Reports lost on the way (re-sent)"),
    "handoffs": ("reports", "Reports handed between lines (siloed structure)"),
    "initiative_actions": ("actions", "Cadres acting before approval"),
    "party_member_responses": ("responses", "Needs met by mobilized party members"),
    "spontaneous_responses": ("responses", "Needs met by spontaneous volunteers"),
    "temporary_party_orgs": ("organizations", "Temporary party organizations set up"),
    "person_hours": ("person-hours", "Responders' and residents' hours on needs"),
    "residents_sheltered": ("persons", "Residents escorted to a shelter"),
    "trust_before": ("0-1", "Mean trust when the emergency began"),
    "trust_after": ("0-1", "Mean trust at the end"),
    "preparedness_before": ("0-1", "Mean preparedness when the emergency began"),
    "preparedness_after": ("0-1", "Mean preparedness at the end"),
    "attack_rate": ("share", "Residents ever infected (epidemic)"),
    # Routine cases of the peacetime phase (sim/routine.py); not part of the emergency's.
    "routine_mean_handling_h": ("hours", "Routine case filed -> closed (peacetime)"),
    "routine_closure_share": ("share", "Routine cases closed within the deadline"),
    "routine_cases_per_1000_per_day": ("cases/1000/day", "Routine cases filed per 1,000 "
                                       "residents per peacetime day"),
    "routine_share_found_by_grid": ("share", "Routine cases found by grid managers on patrol "
                                    "(the rest raised by residents and neighbours)"),
    "evacuated_share_lowlying": ("share", "Residents escorted to a shelter per resident of the "
                                 "low-lying (flood-prone) grids"),
}


def need_log(m: GrassrootsModel) -> pd.DataFrame:
    """One row per need with the time of each stage (minutes since wartime began)."""
    nd = m.needs
    n = nd.n
    return pd.DataFrame({
        "need_id": np.arange(n),
        "hazard": pd.Categorical.from_codes(nd.hazard[:n], HAZARDS),
        "type": pd.Categorical.from_codes(nd.kind[:n], TYPE_NAMES),
        "grid": nd.grid[:n],
        "community": m.township.grid_community[nd.grid[:n]],
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
        "dispatches": nd.n_dispatches[:n],
        "state": pd.Categorical.from_codes(nd.state[:n], STATE_NAMES),
        "harm": nd.harm[:n],
    })


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def _routine_found_by_grid(m: GrassrootsModel) -> float:
    """Share of the routine cases filed in peacetime that grid managers found (channel)."""
    rw = getattr(m, "routine", None)
    if rw is None:
        return float("nan")
    c = rw.cases
    filed = np.isfinite(c.detected[:c.n])
    if not filed.any():
        return float("nan")
    return float(np.mean(c.channel[:c.n][filed] == CHANNELS.index("grid_manager")))


def summarize(m: GrassrootsModel, timeseries: pd.DataFrame) -> dict[str, float]:
    cfg, nd, ro, rp, res = m.config, m.needs, m.roster, m.response, m.residents
    n = nd.n
    created, detected, reported = nd.created[:n], nd.detected[:n], nd.reported[:n]
    dispatched, reached, resolved = nd.dispatched[:n], nd.reached[:n], nd.resolved[:n]
    response = reached - created
    decided = dispatched >= reported
    persons = np.maximum(nd.persons[:n], 1)
    casualty = persons * -np.expm1(-cfg.response.lethality_per_severe_hour * nd.harm[:n] /
                                   persons)
    war = timeseries[timeseries["phase_code"] == 1]
    if ro is not None and ro.n:
        war_min = max(m.minute, 0.0)  # the clock's end (whole steps)
        # Work still under way at the end counts up to the end.
        busy = ro.busy_min + np.where((ro.status == TRAVELLING) | (ro.status == SERVING),
                                      war_min - ro.busy_since, 0.0)
        active_min = np.clip(war_min - ro.active_from, 0, None)
        utilization = float(busy.sum() / max(active_min.sum(), 1e-9))
        per_c = np.bincount(ro.community, weights=busy)
        staff_c = np.bincount(ro.community)
        community_gini = gini(per_c[staff_c > 0] / staff_c[staff_c > 0])
        busy_hours = float(busy.sum() / 60)
    else:
        utilization, community_gini, busy_hours = 0.0, 0.0, 0.0
    s, i, r = res.counts()
    out = {
        "needs_total": float(n),
        "needs_resolved": float(np.count_nonzero(np.isfinite(resolved))),
        "needs_reached": float(np.count_nonzero(np.isfinite(reached))),
        "mean_detection_delay_min": _mean(detected - created),
        "mean_reporting_delay_min": _mean(reported - detected),
        "mean_dispatch_delay_min": _mean(np.where(decided, dispatched - reported, np.nan)),
        "mean_travel_min": _mean(reached - dispatched),
        "mean_response_min": _mean(response),
        "p90_response_min": float(np.nanpercentile(response, 90))
        if np.isfinite(response).any() else float("nan"),
        "mean_response_censored_min": _mean(np.where(np.isnan(reached), m.minute, reached)
                                            - created),
        "mean_resolution_min": _mean(resolved - created),
        "share_met_within_target": float(np.count_nonzero(
            response <= cfg.time.target_response_min) / n) if n else float("nan"),
        "share_handled_locally": float(np.count_nonzero(
            np.isfinite(dispatched) & ~(dispatched >= reported)) / n) if n else float("nan"),
        "total_harm": float(nd.harm[:n].sum()),
        "casualty_proxy": float(casualty.sum()),
        "peak_backlog": float(war["backlog"].max()) if len(war) else 0.0,
        "responder_utilization": utilization,
        "workload_gini": m.workload_gini(),
        "community_workload_gini": community_gini,
        "duplicate_dispatches": float(rp.n_duplicates if rp else 0),
        "lost_reports": float(rp.n_lost_reports if rp else 0),
        "handoffs": float(rp.n_handoffs if rp else 0),
        "initiative_actions": float(rp.n_initiative if rp else 0),
        "party_member_responses": float(rp.n_party_responses if rp else 0),
        "spontaneous_responses": float(rp.n_spontaneous_responses if rp else 0),
        "temporary_party_orgs": float(len(rp.temp_orgs) if rp else 0),
        "person_hours": busy_hours + float(rp.pool_minutes / 60 if rp else 0),
        "residents_sheltered": float(rp.n_sheltered if rp else 0),
        "trust_before": m.trust_before,
        "trust_after": float(res.trust.mean()),
        "preparedness_before": m.preparedness_before,
        "preparedness_after": float(res.preparedness.mean()),
        "attack_rate": float((i + r) / res.n),
        **routine_outcomes(m),
        "routine_share_found_by_grid": _routine_found_by_grid(m),
        "evacuated_share_lowlying": float(rp.n_sheltered if rp else 0) / max(
            float(res.grid_size[m.township.lowlying].sum()), 1.0),
    }
    return out
