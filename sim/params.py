"""Parameter definitions: the one source of truth for configs, the CLI, sweeps and the app.

Each section is a frozen dataclass; each field carries its unit, allowed range or choices,
and where its default comes from (a source, or "assumption"). Config files, ``--set``
overrides, sweep factors and the app's controls are all checked against these definitions.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

STRUCTURES = ("siloed", "integrated", "integrated_party")
MECHANISMS = ("hierarchical", "direct", "joint_meeting", "grid_autonomy")
LAYOUTS = ("lattice", "random_geometric")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""

    def __init__(self, key: str, message: str, source: str = "") -> None:
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {message}")


def p(default: Any, unit: str, doc: str, source: str = "assumption", low: float | None = None,
      high: float | None = None, choices: tuple | None = None,
      plausible: tuple[Any, Any] | None = None) -> Any:
    """A parameter field with its unit, documentation, source and allowed values.

    ``low``/``high`` (or ``choices``) are what the model accepts; ``plausible`` is the range
    (low, high) a careful modeller would still believe: what robustness studies and
    calibration sample. ``None`` means the parameter is a policy, a switch or a setting of the
    scenario, not an uncertain assumption.
    """
    if plausible is not None:
        lo, hi = plausible
        if not (lo <= default <= hi) or (low is not None and lo < low) \
                or (high is not None and hi > high):
            raise ValueError(f"plausible range {plausible} must hold the default {default!r} "
                             f"and lie inside the allowed range [{low}, {high}]")
    meta = {"unit": unit, "doc": doc, "source": source, "low": low, "high": high,
            "choices": choices, "plausible": plausible}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TimeParams:
    peace_days: int = p(28, "days", "Length of the peacetime phase before the first hazard.",
                        "issue #2 default scenario", 0, 3650)
    war_hours: float = p(72.0, "hours", "Length of the wartime phase (emergency).",
                         "issue #2 default scenario", 1, 24 * 365)
    war_step_min: float = p(10.0, "min", "Step length in wartime.", "docs/model.md", 1, 240)
    target_response_min: float = p(60.0, "min",
                                   "Target time from a need appearing to the first responder "
                                   "arriving.", "assumption", 1, 10080)


@dataclass(frozen=True)
class PopulationParams:
    n_residents: int = p(30_000, "residents", "Residents of the township (street); grids, "
                         "communities and staff scale with it.", "issue #2", 100, 10_000_000)
    residents_per_grid: int = p(1000, "residents/grid", "Residents per grid (300-500 "
                                "households).", "docs/model.md", 50, 20_000)
    grids_per_community: int = p(6, "grids/community", "Grids per community (village).",
                                 "assumption", 1, 100)
    household_size: float = p(2.62, "persons", "Mean household size.",
                              "China 7th population census (2020): 2.62", 1.0, 10.0)
    share_60plus: float = p(0.20, "share", "Share of residents aged 60+.",
                            "docs/model.md; census 2020: 18.7%", 0, 1)
    share_vulnerable_60plus: float = p(0.30, "share", "Share of 60+ residents who are "
                                       "vulnerable (alone, disabled, ill).", "assumption", 0, 1)
    share_vulnerable_under60: float = p(0.03, "share", "Share of under-60 residents who are "
                                        "vulnerable.", "assumption", 0, 1)
    share_party_members: float = p(0.07, "share", "Share of residents who are party members.",
                                   "docs/model.md (~98 million of 1.4 billion)", 0, 1)
    initial_trust: float = p(0.5, "0-1", "Mean initial trust in the grassroots organization.",
                             "assumption", 0, 1)
    initial_preparedness: float = p(0.3, "0-1", "Mean initial preparedness (awareness).",
                                    "assumption", 0, 1)
    willingness_mean: float = p(0.15, "0-1", "Mean willingness to help others.",
                                "assumption", 0, 1)


@dataclass(frozen=True)
class SpaceParams:
    layout: str = p("lattice", "-", "Network generator: 'lattice' (urban street blocks) or "
                    "'random_geometric' (rural villages).", "docs/model.md", choices=LAYOUTS)
    edge_minutes: float = p(6.0, "min", "Mean travel minutes along one edge between "
                            "neighbouring grids.", "assumption (urban, on foot/e-bike)", 0.5, 240)
    local_travel_min: float = p(5.0, "min", "Travel within a grid to a household.",
                                "assumption", 0, 120)
    shelters_per_community: int = p(1, "shelters", "Shelters per community; evacuees are "
                                    "escorted to the nearest (none: safe ground in the grid).",
                                    "assumption", 0, 20)
    colocated_units_per_community: int = p(2, "units", "Agencies, enterprises, markets per "
                                           "community.", "assumption", 0, 50)
    lowlying_share: float = p(0.3, "share", "Share of grids that are low-lying (flood-prone).",
                              "assumption", 0, 1)


@dataclass(frozen=True)
class OrganizationParams:
    structure: str = p("integrated_party", "-", "Organizational structure.", "docs/model.md",
                       choices=STRUCTURES)
    siloed_lines: int = p(6, "lines", "Separate lines in the siloed structure (party building, "
                          "comprehensive management, civil affairs, urban management, letters "
                          "and visits, emergency management).", "seed article", 2, 12)
    handoff_delay_min: float = p(45.0, "min", "Hand-off delay when a need detected by one "
                                 "line is owned by another (siloed).", "assumption", 0, 1440)
    community_cadres_per_community: int = p(7, "cadres", "Community (village) team, incl. the "
                                            "first secretary.", "assumption (5-9 typical)",
                                            1, 100)
    township_cadres_per_1000: float = p(1.0, "cadres/1000 residents", "Township (street) "
                                        "cadres who can be redeployed.", "assumption", 0, 50)
    organ_cadres_per_1000: float = p(3.0, "cadres/1000 residents", "Organ cadres living in "
                                     "the township.", "assumption", 0, 50)
    organ_registration_ratio: float = p(0.6, "share", "Share of organ cadres who register with "
                                        "their residential community by the end of peacetime.",
                                        "assumption", 0, 1)
    first_secretary: bool = p(True, "bool", "A first secretary is sent to each community.",
                              "seed article")
    service_visits_per_week: float = p(2.0, "visits/week", "First-secretary and team service "
                                       "visits to each grid.", "assumption", 0, 14)
    training_coverage: float = p(0.5, "share", "Share of cadres reached by rotation training "
                                 "during peacetime.", "assumption", 0, 1)
    dynamic_redeployment: bool = p(True, "bool", "Township cadres are redeployed by need "
                                   "(else fixed to their assigned community).", "seed article")
    fault_tolerance: float = p(0.5, "0-1", "Commendation and fault tolerance: raises cadre "
                               "initiative to act before approval.", "assumption", 0, 1)
    commendation: bool = p(True, "bool", "Front-line evaluation and commendation after an "
                           "emergency raise initiative for the next.", "seed article")
    open_affairs_platform: bool = p(True, "bool", "Open village-affairs platform ('four "
                                    "discussions and two openness') builds trust.",
                                    "seed article")
    mutual_aid: bool = p(True, "bool", "Mutual-aid organizations: neighbours report and help.",
                         "seed article")
    publicity_per_month: float = p(2.0, "events/month", "Publicity events raising "
                                   "preparedness.", "assumption", 0, 60)
    temporary_party_orgs: bool = p(True, "bool", "Temporary party organizations set up at "
                                   "incident sites and shelters.", "seed article")
    front_line_command: bool = p(True, "bool", "The joint-meeting committee becomes the "
                                 "front-line command in an emergency.", "seed article")
    colocated_units_integrated: bool = p(True, "bool", "Co-located agencies, enterprises and "
                                         "markets are brought into the grid.", "seed article")
    party_member_mobilization: float = p(0.05, "share", "Share of party members a grid party "
                                         "organization mobilizes as first responders.",
                                         "assumption", 0, 1)
    cadre_switch_min: float = p(30.0, "min", "Mode-switch delay of community and township "
                                "cadres.", "assumption", 0, 1440)
    command_convene_min: float = p(60.0, "min", "Time for the joint-meeting committee to "
                                   "convene as the front-line command.", "assumption", 0, 1440)
    organ_mobilization_min: float = p(90.0, "min", "Time for registered organ cadres to reach "
                                      "their community.", "assumption", 0, 1440)
    initial_cohesion: float = p(0.3, "0-1", "Team cohesion of a community's cadres before "
                                "peacetime service builds it.", "assumption", 0, 1)
    shift_hours: float = p(12.0, "hours", "Working hours before a responder needs rest.",
                           "assumption", 1, 48)
    rest_hours: float = p(6.0, "hours", "Rest after a shift.", "assumption", 0, 48)


@dataclass(frozen=True)
class ReportingParams:
    mechanism: str = p("direct", "-", "Reporting mechanism.", "docs/model.md",
                       choices=MECHANISMS)
    levels: int = p(2, "levels", "Offices a report climbs above the grid manager in the "
                    "hierarchical mechanism, the last of which decides: 1 community; 2 + "
                    "township (street); 3 + district; 4 + city; 5 + province.",
                    "seed article (community -> street -> district chain); 2 is the "
                    "street-level default", 1, 5)
    grid_delay_min: float = p(2.0, "min", "Grid manager's processing of a report.",
                              "assumption: logged and forwarded on a phone app in minutes",
                              0, 1440, plausible=(0.5, 10.0))
    community_delay_min: float = p(10.0, "min", "Community office processing per report.",
                                   "assumption: a duty cadre reads, logs and forwards a report",
                                   0, 1440, plausible=(3.0, 30.0))
    township_delay_min: float = p(10.0, "min", "Township (street) office processing per "
                                  "report.", "assumption: as a community office", 0, 1440,
                                  plausible=(3.0, 30.0))
    upper_delay_min: float = p(15.0, "min", "Processing per report at each office above the "
                               "township (district, city, province: levels 3-5).",
                               "assumption: larger offices with more formal logging", 0, 1440,
                               plausible=(5.0, 60.0))
    command_delay_min: float = p(5.0, "min", "Front-line command processing per report.",
                                 "assumption: all units in one room decide at once", 0, 1440,
                                 plausible=(2.0, 15.0))
    community_handlers_per_10k: float = p(
        5.0, "handlers/10,000 residents", "Parallel report handlers of a community office per "
        "10,000 residents of the community (at least one).",
        "assumption: 3 of a community's ~7 cadres on the duty phone for ~6,000 residents "
        "(6 grids of 1,000) = 5 per 10,000, the 3 handlers of earlier versions", 0.01, 10_000,
        plausible=(2.0, 10.0))
    township_handlers_per_10k: float = p(
        2.7, "handlers/10,000 residents", "Parallel report handlers of the township (street) "
        "office per 10,000 residents (at least one).",
        "assumption: a street office's duty room of ~8 staff for the default 30,000 "
        "residents (8 handlers in earlier versions)", 0.01, 10_000, plausible=(1.0, 6.0))
    upper_handlers_per_10k: float = p(
        2.7, "handlers/10,000 residents", "Handlers an office above the township (district, "
        "city, province) gives this township's reports, per 10,000 of its residents (at "
        "least one).", "assumption: the township office's staffing ratio", 0.01, 10_000,
        plausible=(0.5, 6.0))
    command_handlers_per_10k: float = p(
        2.7, "handlers/10,000 residents", "Span of control of the front-line command: "
        "parallel handlers per 10,000 residents (at least one).",
        "assumption: the township office's duty room moves into the command (8 handlers for "
        "30,000 residents in earlier versions)", 0.01, 10_000, plausible=(1.0, 6.0))
    loss_per_level: float = p(0.02, "probability", "Chance a report is lost at each level "
                              "above the grid (it is re-sent later).", "assumption", 0, 1,
                              plausible=(0.0, 0.1))
    resend_after_min: float = p(60.0, "min", "Time until a lost report is re-sent.",
                                "assumption: the reporter follows up within the hour", 0, 1440,
                                plausible=(15.0, 180.0))
    max_resends: int = p(3, "re-sends", "Re-sends of a lost report; after that it is lost for "
                         "good and the need waits for local action.",
                         "assumption: a reporter gives up after a few follow-ups", 0, 100,
                         plausible=(1, 6))
    joint_meeting_interval_min: float = p(120.0, "min", "Interval of joint meetings before the "
                                          "front-line command is active.", "assumption",
                                          10, 10080, plausible=(60.0, 240.0))
    local_news_delay_min: float = p(15.0, "min", "Time before a local response (party "
                                    "members, neighbours, a cadre on initiative, a local "
                                    "action) is told to the grid manager; the news then "
                                    "passes each level's handling minutes without queueing. "
                                    "A report decided before the news arrives is dispatched "
                                    "again (a duplicate); joint meetings and grid autonomy "
                                    "decide where the local response is known.",
                                    "assumption: a helper reports back once at the household",
                                    0, 1440, plausible=(5.0, 60.0))
    autonomy_escalate_min: float = p(20.0, "min", "Grid autonomy: time the grid party "
                                     "organization tries local resources before escalating.",
                                     "assumption", 0, 1440, plausible=(10.0, 60.0))


@dataclass(frozen=True)
class DetectionParams:
    self_report_per_hour: float = p(1.0, "1/hour", "Rate at which an affected resident with "
                                    "full trust and preparedness reports a need.",
                                    "assumption", 0, 60)
    neighbour_report_per_hour: float = p(0.4, "1/hour", "Rate at which neighbours report (with "
                                         "mutual-aid organizations).", "assumption", 0, 60)
    grid_manager_per_hour: float = p(0.5, "1/hour", "Rate at which a fully familiar grid "
                                     "manager finds a need on patrol.", "assumption", 0, 60)


@dataclass(frozen=True)
class VolunteerParams:
    team_size_per_1000: float = p(10.0, "volunteers/1000 residents", "Standing (normalized) "
                                  "volunteer team size.", "assumption (a policy)", 0, 200)
    professional_share: float = p(0.2, "share", "Share of the team who are professional "
                                  "(medical, rescue, logistics).", "assumption", 0, 1,
                                  plausible=(0.1, 0.4))
    coordinated: bool = p(True, "bool", "Volunteers are dispatched by the command (else they "
                          "self-direct to needs they see).", "docs/model.md")
    recruitment_per_week: float = p(0.01, "share/week", "Peacetime growth of the team "
                                    "through publicity.", "assumption", 0, 1,
                                    plausible=(0.0, 0.03))
    spontaneous_share: float = p(0.1, "share", "Share of willing residents of an affected grid "
                                 "who volunteer spontaneously.", "assumption", 0, 1,
                                 plausible=(0.03, 0.3))
    willing_threshold: float = p(0.5, "0-1", "Willingness to help above which a resident who "
                                 "is not vulnerable may volunteer spontaneously.",
                                 "assumption: the more willing part of the population", 0, 1,
                                 plausible=(0.3, 0.7))
    mutual_aid_factor: float = p(1.5, "x", "Mutual-aid organizations multiply the share of "
                                 "willing residents who step forward.",
                                 "assumption: organized neighbours are asked, not only seen",
                                 1, 10, plausible=(1.0, 2.5))
    callup_min: float = p(45.0, "min", "Time to call up the standing team.", "assumption",
                          0, 1440, plausible=(20.0, 120.0))


@dataclass(frozen=True)
class ResponseParams:
    deterioration_per_hour: float = p(0.15, "severity/hour", "Growth of an unmet need's "
                                      "severity.", "assumption", 0, 10, plausible=(0.05, 0.3))
    vulnerable_harm_factor: float = p(3.0, "x", "Harm multiplier for vulnerable residents.",
                                      "assumption", 1, 100, plausible=(1.5, 5.0))
    lethality_per_severe_hour: float = p(0.002, "1/hour", "Casualty-proxy hazard per hour of "
                                         "fully severe unmet need.", "assumption", 0, 1,
                                         plausible=(0.0005, 0.01))
    skill_mismatch_factor: float = p(1.6, "x", "Effort multiplier when the responder's skill "
                                     "does not match.", "assumption", 1, 10,
                                     plausible=(1.2, 2.5))
    initiative_base: float = p(0.1, "probability", "Chance an idle cadre acts on a need it "
                               "sees before approval, without fault tolerance.", "assumption",
                               0, 1, plausible=(0.02, 0.3))
    local_action_after_min: float = p(60.0, "min", "Time after a need is found after which "
                                      "idle responders of its community who heard of it from "
                                      "the grid manager act on it without waiting for the "
                                      "reporting chain, whatever the mechanism.",
                                      "assumption: an hour without word from above", 0, 10080,
                                      plausible=(15.0, 180.0))
    duplicate_visit_min: float = p(15.0, "min", "Time a duplicated dispatch wastes on site.",
                                   "assumption", 0, 600, plausible=(5.0, 30.0))
    urgency_per_travel_min: float = p(1e-4, "priority/min", "Priority a free responder gives "
                                      "up per minute of travel when it picks a waiting need "
                                      "(priority: severity x harm weight, about 0.1-3).",
                                      "assumption: urgency first, distance breaks near-ties",
                                      0, 1, plausible=(0.0, 0.005))
    temp_org_min_needs: int = p(3, "needs", "Open needs in a grid that make it an incident "
                                "site with a temporary party organization.", "assumption",
                                1, 1000, plausible=(2, 6))
    temp_org_party_share: float = p(0.1, "share", "Share of the party members living at an "
                                    "incident site whom its temporary party organization "
                                    "mobilizes.", "assumption: twice the grid party "
                                    "organization's standing mobilization", 0, 1,
                                    plausible=(0.05, 0.3))
    commendation_gain: float = p(0.2, "probability", "Initiative gained by commended cadres "
                                 "after an emergency.", "assumption", 0, 1,
                                 plausible=(0.05, 0.4))
    cohesion_effort_gain: float = p(0.25, "share", "Effort saved by a fully cohesive "
                                    "community team.", "assumption", 0, 0.9,
                                    plausible=(0.1, 0.4))
    effort_distribution: str = p("uniform", "-", "Distribution of a need's effort around its "
                                 "type's mean: uniform (0.6-1.4x) or exponential.",
                                 "assumption", choices=("uniform", "exponential"))
    skill_effort_gain: float = p(0.4, "share", "Effort saved by a fully skilled responder "
                                 "over an unskilled one.", "assumption", 0, 0.9,
                                 plausible=(0.2, 0.6))


@dataclass(frozen=True)
class FloodParams:
    enabled: bool = p(True, "bool", "A flood or typhoon occurs.")
    onset_hour: float = p(0.0, "hours", "Onset after wartime begins.", "assumption", 0, 1e5)
    duration_hours: float = p(48.0, "hours", "Duration of the rain/surge.", "assumption",
                              0.1, 1e4)
    needs_per_1000_per_hour: float = p(8.0, "needs/1000 residents/hour", "Peak rate of new "
                                       "needs in a low-lying grid.", "assumption", 0, 100)
    upland_factor: float = p(0.15, "x", "Need rate in other grids relative to low-lying ones.",
                             "assumption", 0, 1)
    road_cut_share: float = p(0.1, "share", "Share of edges at low-lying grids cut at peak.",
                              "assumption", 0, 1)
    travel_time_factor: float = p(2.0, "x", "Travel-time multiplier on flooded edges.",
                                  "assumption", 1, 20)
    severe_share: float = p(0.2, "share", "Share of needs that start severe (rescue).",
                            "assumption", 0, 1)
    supply_share: float = p(0.2, "share", "Share of needs that are supply deliveries to "
                            "stranded households.", "assumption", 0, 1)
    profile: str = p("triangular", "-", "Time profile of the need rate: 'triangular' (rises "
                     "to a peak a third of the way, then recedes) or 'steady' (constant: a "
                     "Poisson stream, for verification).", "assumption",
                     choices=("triangular", "steady"))


@dataclass(frozen=True)
class FireParams:
    enabled: bool = p(False, "bool", "Fires or accidents occur.")
    onset_hour: float = p(0.0, "hours", "Onset after wartime begins.", "assumption", 0, 1e5)
    duration_hours: float = p(24.0, "hours", "Period over which incidents occur.",
                              "assumption", 0.1, 1e4)
    incidents: int = p(3, "incidents", "Number of incidents.", "assumption", 0, 1000)
    needs_per_incident: float = p(6.0, "needs", "Mean needs per incident.", "assumption",
                                  0, 1000)


@dataclass(frozen=True)
class EpidemicParams:
    enabled: bool = p(False, "bool", "An epidemic spreads among residents.")
    onset_hour: float = p(0.0, "hours", "Onset after wartime begins.", "assumption", 0, 1e5)
    r0: float = p(2.5, "-", "Basic reproduction number.", "assumption (COVID-19 ancestral "
                  "strain estimates 2-3)", 0, 20)
    infectious_days: float = p(7.0, "days", "Mean infectious period.", "assumption", 0.1, 100)
    initial_infected: int = p(10, "residents", "Infected residents at onset.", "assumption",
                              0, 1_000_000)
    symptom_onset_days: float = p(3.0, "days", "Mean time from infection to symptoms, when "
                                  "the case's needs appear.", "assumption", 0, 30)
    household_share: float = p(0.4, "share", "Share of transmission within households.",
                               "assumption", 0, 1)
    grid_share: float = p(0.4, "share", "Share of transmission within the grid (the rest "
                          "mixes across the township).", "assumption", 0, 1)
    test_need_share: float = p(0.5, "share", "Share of new infections that create a testing "
                               "need.", "assumption", 0, 1)
    supply_need_share: float = p(0.3, "share", "Share of new infections whose quarantined "
                                 "household needs supply delivery.", "assumption", 0, 1)
    severe_share_60plus: float = p(0.1, "share", "Share of infected 60+ residents who need "
                                   "medical transport.", "assumption", 0, 1)
    isolation: bool = p(True, "bool", "Cases found through served testing needs isolate.",
                        "assumption")
    isolation_effect: float = p(0.8, "share", "Reduction of an isolated case's transmission.",
                                "assumption", 0, 1)


SECTIONS: dict[str, type] = {
    "time": TimeParams,
    "population": PopulationParams,
    "space": SpaceParams,
    "organization": OrganizationParams,
    "reporting": ReportingParams,
    "detection": DetectionParams,
    "volunteers": VolunteerParams,
    "response": ResponseParams,
    "flood": FloodParams,
    "fire": FireParams,
    "epidemic": EpidemicParams,
}


@dataclass(frozen=True)
class Config:
    """A whole resolved configuration: one instance of each section."""

    time: TimeParams = field(default_factory=TimeParams)
    population: PopulationParams = field(default_factory=PopulationParams)
    space: SpaceParams = field(default_factory=SpaceParams)
    organization: OrganizationParams = field(default_factory=OrganizationParams)
    reporting: ReportingParams = field(default_factory=ReportingParams)
    detection: DetectionParams = field(default_factory=DetectionParams)
    volunteers: VolunteerParams = field(default_factory=VolunteerParams)
    response: ResponseParams = field(default_factory=ResponseParams)
    flood: FloodParams = field(default_factory=FloodParams)
    fire: FireParams = field(default_factory=FireParams)
    epidemic: EpidemicParams = field(default_factory=EpidemicParams)
    name: str = "default"

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {s: dataclasses.asdict(getattr(self, s)) for s in SECTIONS}

    def flat(self) -> dict[str, Any]:
        return {f"{s}.{k}": v for s, d in self.to_dict().items() for k, v in d.items()}

    def with_overrides(self, overrides: dict[str, Any], source: str = "override") -> "Config":
        """A copy with ``{"section.key": value}`` overrides applied and checked."""
        changes: dict[str, dict[str, Any]] = {}
        for raw_key, value in overrides.items():
            section, key = split_key(raw_key, source)
            changes.setdefault(section, {})[key] = check_value(section, key, value, source)
        replaced = {s: dataclasses.replace(getattr(self, s), **kv) for s, kv in changes.items()}
        return dataclasses.replace(self, **replaced)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config",
                  base: "Config | None" = None) -> "Config":
        """Build from nested ``{section: {key: value}}`` data, refusing unknown keys."""
        flat: dict[str, Any] = {}
        name = (base or cls()).name
        for section, values in data.items():
            if section == "name":
                name = str(values)
                continue
            if section not in SECTIONS:
                raise ConfigError(section, f"unknown section; allowed: {', '.join(SECTIONS)}",
                                  source)
            if not isinstance(values, dict):
                raise ConfigError(section, "must be a table of key = value", source)
            for key, value in values.items():
                flat[f"{section}.{key}"] = value
        cfg = (base or cls()).with_overrides(flat, source)
        return dataclasses.replace(cfg, name=name)


def split_key(raw_key: str, source: str = "") -> tuple[str, str]:
    """Split ``section.key`` (or ``section__key``) and check that it names a parameter."""
    key = raw_key.replace("__", ".")
    if "." not in key:
        raise ConfigError(raw_key, "expected section.key, e.g. reporting.mechanism", source)
    section, name = key.split(".", 1)
    if section not in SECTIONS:
        raise ConfigError(raw_key, f"unknown section '{section}'; allowed: "
                          f"{', '.join(SECTIONS)}", source)
    names = [f.name for f in dataclasses.fields(SECTIONS[section])]
    if name not in names:
        raise ConfigError(raw_key, f"unknown key; allowed in [{section}]: {', '.join(names)}",
                          source)
    return section, name


def param_field(section: str, key: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == key)


def check_value(section: str, key: str, value: Any, source: str = "") -> Any:
    """Coerce and check one value against its definition; raise ConfigError if not allowed."""
    f = param_field(section, key)
    meta = f.metadata
    full = f"{section}.{key}"
    kind = type(f.default)
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            raise ConfigError(full, f"must be true or false, got {value!r}", source)
    elif kind in (int, float):
        if isinstance(value, str):
            try:
                value = float(value) if kind is float else int(value)
            except ValueError:
                raise ConfigError(full, f"must be a number ({meta['unit']}), got {value!r}",
                                  source) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise ConfigError(full, f"must be a finite number ({meta['unit']}), got {value!r}",
                              source)
        if kind is int:
            if float(value) != int(value):
                raise ConfigError(full, f"must be a whole number, got {value!r}", source)
            value = int(value)
        else:
            value = float(value)
        low, high = meta["low"], meta["high"]
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(full, f"must be between {low} and {high} {meta['unit']}, "
                              f"got {value!r}", source)
    elif kind is str:
        if not isinstance(value, str):
            raise ConfigError(full, f"must be a string, got {value!r}", source)
        if meta["choices"] and value not in meta["choices"]:
            raise ConfigError(full, f"must be one of {', '.join(meta['choices'])}, "
                              f"got {value!r}", source)
    return value


def describe() -> list[dict[str, Any]]:
    """Every parameter with its definition: for docs, the app's controls and sweep checks."""
    rows = []
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            rows.append({"key": f"{section}.{f.name}", "section": section, "name": f.name,
                         "type": type(f.default).__name__, "default": f.default, **f.metadata})
    return rows
