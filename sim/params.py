"""Parameter definitions: the one source of truth for configs, the CLI, sweeps and the app.

Each section is a frozen dataclass; each field carries its unit, allowed range or choices,
and where its default comes from (a source, or "assumption"). Config files, ``--set``
overrides, sweep factors and the app's controls are all checked against these definitions.
"""

from __future__ import annotations

import dataclasses
import math
import reprlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import ConfigError


class Structure(StrEnum):
    """Organizational structure: the seed article's three forms, and the street before the
    grid reforms (departments without grid managers, unified intake or deadline
    supervision: docs/ODD.md, Submodels, "The pre-reform street")."""

    SILOED = "siloed"
    INTEGRATED = "integrated"
    INTEGRATED_PARTY = "integrated_party"
    PRE_REFORM = "pre_reform"


class Layout(StrEnum):
    """Where the township comes from: a network generator, or a planner's district file."""

    LATTICE = "lattice"
    RANDOM_GEOMETRIC = "random_geometric"
    DISTRICT = "district"


# The allowed values as plain strings (what configs hold; each equals its enum member).
STRUCTURES = tuple(s.value for s in Structure)
# Reporting mechanisms register themselves (sim/registry.py): their names, as choices.
MECHANISMS: list[str] = []
# The network generators (what random configurations draw); a district is read from its file
# (space.district_file, sim/district.py).
LAYOUTS = (Layout.LATTICE.value, Layout.RANDOM_GEOMETRIC.value)
LAYOUT_CHOICES = (*LAYOUTS, Layout.DISTRICT.value)


def p(
    default: Any,
    unit: str,
    doc: str,
    source: str = "assumption",
    low: float | None = None,
    high: float | None = None,
    choices: tuple | list | None = None,
    plausible: tuple[Any, Any] | None = None,
) -> Any:
    """A parameter field with its unit, documentation, source and allowed values.

    ``low``/``high`` (or ``choices``) are what the model accepts; ``plausible`` is the range
    (low, high) a careful modeller would still believe: what robustness studies and
    calibration sample. ``None`` means the parameter is a policy, a switch or a setting of the
    scenario, not an uncertain assumption.
    """
    if plausible is not None:
        lo, hi = plausible
        if (
            not (lo <= default <= hi)
            or (low is not None and lo < low)
            or (high is not None and hi > high)
        ):
            raise ValueError(
                f"plausible range {plausible} must hold the default {default!r} "
                f"and lie inside the allowed range [{low}, {high}]"
            )
    meta = {
        "unit": unit,
        "doc": doc,
        "source": source,
        "low": low,
        "high": high,
        "choices": choices,
        "plausible": plausible,
    }
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TimeParams:
    peace_days: int = p(
        28,
        "days",
        "Length of the peacetime phase before the first hazard.",
        "issue #2 default scenario",
        0,
        3650,
    )
    war_hours: float = p(
        72.0,
        "hours",
        "Length of the wartime phase (emergency).",
        "issue #2 default scenario",
        1,
        24 * 365,
    )
    war_step_min: float = p(10.0, "min", "Step length in wartime.", "docs/model.md", 1, 240)
    target_response_min: float = p(
        60.0,
        "min",
        "Target time from a need appearing to the first responder arriving.",
        "policy target (default assumed)",
        1,
        10080,
    )


@dataclass(frozen=True)
class PopulationParams:
    n_residents: int = p(
        30_000,
        "residents",
        "Residents of the township (street); grids, communities and staff scale with it.",
        "issue #2",
        100,
        10_000_000,
    )
    residents_per_grid: int = p(
        1000,
        "residents/grid",
        "Residents per grid (300-500 households).",
        "docs/model.md",
        50,
        20_000,
    )
    grids_per_community: int = p(
        6,
        "grids/community",
        "Grids per community (village).",
        "assumption: a community office of 5-9 cadres serves a few thousand residents",
        1,
        100,
        plausible=(3, 12),
    )
    household_size: float = p(
        2.62,
        "persons",
        "Mean household size.",
        "China 7th population census (2020): 2.62",
        1.0,
        10.0,
    )
    share_60plus: float = p(
        0.20, "share", "Share of residents aged 60+.", "docs/model.md; census 2020: 18.7%", 0, 1
    )
    share_vulnerable_60plus: float = p(
        0.30,
        "share",
        "Share of 60+ residents who are vulnerable (alone, disabled, ill).",
        "assumption: elderly living alone or with chronic illness, a large minority",
        0,
        1,
        plausible=(0.15, 0.45),
    )
    share_vulnerable_under60: float = p(
        0.03,
        "share",
        "Share of under-60 residents who are vulnerable.",
        "assumption: disability and serious illness, a few percent",
        0,
        1,
        plausible=(0.01, 0.06),
    )
    share_party_members: float = p(
        0.07,
        "share",
        "Share of residents who are party members.",
        "docs/model.md (~98 million of 1.4 billion)",
        0,
        1,
    )
    initial_trust: float = p(
        0.5,
        "0-1",
        "Mean initial trust in the grassroots organization.",
        "assumption: neither distrust nor full trust",
        0,
        1,
        plausible=(0.3, 0.7),
    )
    initial_preparedness: float = p(
        0.3,
        "0-1",
        "Mean initial preparedness (awareness).",
        "assumption: most households unprepared",
        0,
        1,
        plausible=(0.1, 0.5),
    )
    willingness_mean: float = p(
        0.15,
        "0-1",
        "Mean willingness to help others.",
        "assumption: a minority volunteers in a disaster",
        0,
        1,
        plausible=(0.05, 0.3),
    )
    attitude_concentration: float = p(
        8.0,
        "-",
        "Concentration of the Beta distributions of "
        "trust, preparedness and willingness (higher: residents "
        "closer to the mean).",
        "assumption: moderate spread (sd about 0.15 at mean 0.5)",
        0.1,
        1000,
        plausible=(3.0, 20.0),
    )


@dataclass(frozen=True)
class SpaceParams:
    layout: str = p(
        "lattice",
        "-",
        "Network generator: 'lattice' (urban street blocks) or "
        "'random_geometric' (rural villages); or 'district': the grids, sites and "
        "travel minutes of a real district, read from space.district_file.",
        "docs/model.md",
        choices=LAYOUT_CHOICES,
    )
    district_file: str = p(
        "",
        "path",
        "The district file (district.json, written by "
        "`grassroots district import` or `export`) read with layout "
        "'district'; relative to the scenario file that sets it. Its grids, "
        "residents, communities, sites and travel minutes replace the "
        "generator's (and the other space parameters that shape the "
        "network).",
        "the planner's files",
    )
    edge_minutes: float = p(
        6.0,
        "min",
        "Mean travel minutes along one edge between neighbouring grids.",
        "assumption (urban, on foot/e-bike)",
        0.5,
        240,
        plausible=(3.0, 12.0),
    )
    edge_minutes_spread: float = p(
        0.3,
        "share",
        "Each edge's minutes are the mean times a uniform factor in 1 +- this spread.",
        "assumption: streets differ in length and crowding",
        0,
        0.95,
        plausible=(0.1, 0.5),
    )
    local_travel_min: float = p(
        5.0,
        "min",
        "Travel within a grid to a household.",
        "assumption: a few hundred metres on foot",
        0,
        120,
        plausible=(2.0, 10.0),
    )
    office_access_min: float = p(
        2.0,
        "min",
        "Travel between a community office (or the command post) and the grid it stands in.",
        "assumption: offices stand in their grid",
        0,
        60,
        plausible=(1.0, 5.0),
    )
    site_access_min: float = p(
        3.0,
        "min",
        "Travel between a shelter or co-located unit and the grid it stands in.",
        "assumption: sites stand in their grid",
        0,
        60,
        plausible=(1.0, 8.0),
    )
    shelters_per_community: int = p(
        1,
        "shelters",
        "Shelters per community; evacuees are "
        "escorted to the nearest (none: safe ground in the grid).",
        "assumption: one designated shelter per community",
        0,
        20,
        plausible=(1, 3),
    )
    colocated_units_per_community: int = p(
        2,
        "units",
        "Agencies, enterprises, markets per community.",
        "assumption: a few per community",
        0,
        50,
        plausible=(1, 5),
    )
    lowlying_share: float = p(
        0.3,
        "share",
        "Share of grids that are low-lying (flood-prone).",
        "assumption: a river-side street",
        0,
        1,
        plausible=(0.15, 0.5),
    )
    elevation_noise: float = p(
        0.3,
        "-",
        "Noise of the elevation field that picks low-lying "
        "grids, relative to its slope per grid (higher: low-lying grids "
        "less clustered).",
        "assumption: low ground mostly contiguous",
        0,
        100,
        plausible=(0.1, 1.0),
    )


@dataclass(frozen=True)
class OrganizationParams:
    structure: str = p(
        "integrated_party", "-", "Organizational structure.", "docs/model.md", choices=STRUCTURES
    )
    siloed_lines: int = p(
        6,
        "lines",
        "Separate lines in the siloed structure (party building, "
        "comprehensive management, civil affairs, urban management, letters "
        "and visits, emergency management).",
        "seed article",
        2,
        12,
    )
    handoff_delay_min: float = p(
        45.0,
        "min",
        "Hand-off delay when a need detected by one "
        "line is owned by another (siloed); in the pre-reform street, "
        "each transfer between departments in an emergency.",
        "assumption: a referral between departments by phone or form",
        0,
        1440,
        plausible=(15.0, 120.0),
    )
    community_cadres_per_community: int = p(
        7,
        "cadres",
        "Community (village) team, incl. the first secretary.",
        "assumption (5-9 typical)",
        1,
        100,
        plausible=(5, 9),
    )
    township_cadres_per_1000: float = p(
        1.0,
        "cadres/1000 residents",
        "Township (street) cadres who can be redeployed.",
        "assumption: about "
        "one grid worker per 1,000 residents in Dongcheng, "
        "Beijing, 2015 (handmsg.com/page/2017/0831/15198880"
        ".shtml) and Wuhan, 2020",
        0,
        50,
        plausible=(0.5, 2.0),
    )
    organ_cadres_per_1000: float = p(
        3.0,
        "cadres/1000 residents",
        "Organ cadres living in the township.",
        "assumption: government staff are a few per 1,000 residents",
        0,
        50,
        plausible=(1.0, 6.0),
    )
    organ_registration_ratio: float = p(
        0.6,
        "share",
        "Share of organ cadres who register with "
        "their residential community by the end of peacetime.",
        "policy lever (default assumed); reference: Hubei, "
        "February 2020: 12,920 party members registered with "
        "their home communities while provincial agencies sent "
        "3,228 cadres down (docs/field_data.md F14)",
        0,
        1,
    )
    first_secretary: bool = p(
        True, "bool", "A first secretary is sent to each community.", "seed article"
    )
    service_visits_per_week: float = p(
        2.0,
        "visits/week",
        "First-secretary and team service visits to each grid.",
        "policy lever (default assumed)",
        0,
        14,
    )
    training_coverage: float = p(
        0.5,
        "share",
        "Share of cadres reached by rotation training during peacetime.",
        "policy lever (default assumed)",
        0,
        1,
    )
    dynamic_redeployment: bool = p(
        True,
        "bool",
        "Township cadres are redeployed by need (else fixed to their assigned community).",
        "seed article",
    )
    fault_tolerance: float = p(
        0.5,
        "0-1",
        "Commendation and fault tolerance: raises cadre initiative to act before approval.",
        "policy lever (default assumed)",
        0,
        1,
    )
    fault_tolerance_initiative_gain: float = p(
        0.5,
        "share",
        "Share of the fear of blame that "
        "full fault tolerance removes: it closes this "
        "share of the gap between the base initiative "
        "and certainty, and cuts the chance of holding "
        "back bad news (reporting.withhold_per_level) "
        "by this share.",
        "assumption: tolerance removes part, not all, of the fear of blame",
        0,
        1,
        plausible=(0.2, 0.8),
    )
    blame_for_bad_news: float = p(
        1.0,
        "x",
        "Blame a level bears for bad news (casualties, "
        "severe needs in its area), multiplying the chance that it "
        "holds back a severe need's report: 0 no blame (no "
        "withholding), 1 officials held to account for casualties "
        "as in the field.",
        "policy setting: 1 is the accountability "
        "of the field (docs/field_data.md F11: 89 officials held to "
        "account after Zhengzhou 7.20; promotion-linked 'death "
        "ceilings', Fisman & Wang 2017, AEJ Applied 9(2))",
        0,
        5,
    )
    front_line_inspection: float = p(
        0.5,
        "share",
        "Front-line inspection of cadres (the seed "
        "article's 'front-line inspection and identification'): "
        "the share of the front line that inspection teams see "
        "first-hand, by which a level holds back bad news less "
        "often (0: no inspection in the emergency).",
        "policy lever (default assumed, as fault_tolerance); "
        "Zhengzhou 7.20: concealment went on until inspection "
        "teams came a month later (docs/field_data.md F11)",
        0,
        1,
    )
    commendation: bool = p(
        True,
        "bool",
        "Front-line evaluation and commendation after an emergency raise initiative for the next.",
        "seed article",
    )
    evaluation_trust_change: float = p(
        0.1,
        "share",
        "After an emergency's evaluation, trust of "
        "residents whose need was met within the target moves "
        "this share of the way to 1; of others, towards 0.",
        "assumption: one experience shifts trust noticeably, not wholly",
        0,
        1,
        plausible=(0.02, 0.25),
    )
    open_affairs_platform: bool = p(
        True,
        "bool",
        "Open village-affairs platform ('four discussions and two openness') builds trust.",
        "seed article",
    )
    mutual_aid: bool = p(
        True, "bool", "Mutual-aid organizations: neighbours report and help.", "seed article"
    )
    publicity_per_month: float = p(
        2.0,
        "events/month",
        "Publicity events raising preparedness.",
        "policy lever (default assumed)",
        0,
        60,
    )
    temporary_party_orgs: bool = p(
        True,
        "bool",
        "Temporary party organizations set up at incident sites and shelters.",
        "seed article",
    )
    front_line_command: bool = p(
        True,
        "bool",
        "The joint-meeting committee becomes the front-line command in an emergency.",
        "seed article",
    )
    colocated_units_integrated: bool = p(
        True,
        "bool",
        "Co-located agencies, enterprises and markets are brought into the grid.",
        "seed article",
    )
    staff_per_colocated_unit: int = p(
        4,
        "staff/unit",
        "Staff a co-located unit sends to the grid's response.",
        "assumption: a small team per agency or enterprise",
        0,
        1000,
        plausible=(2, 8),
    )
    party_member_mobilization: float = p(
        0.05,
        "share",
        "Share of party members a grid party organization mobilizes as first responders.",
        "assumption: able, present and reachable members",
        0,
        1,
        plausible=(0.02, 0.15),
    )
    wartime_switch_delay_min: float = p(
        0.0,
        "min",
        "Time from the hazard's first warning "
        "(when wartime begins) to the organization's wartime "
        "switch. Before it the community and township staff "
        "work as in peacetime; organ cadres, volunteers and "
        "units' staff are called up, grid party organizations "
        "mobilize, temporary party organizations form and the "
        "command convenes only after it.",
        "scenario setting: 0 "
        "switches at the first warning; Zhengzhou 7.20 took "
        "about 1,110 (first red warning 21:59 on 19 July 2021, "
        "city Level-I response 16:30 on 20 July; "
        "docs/field_data.md F11)",
        0,
        10080,
    )
    cadre_switch_min: float = p(
        30.0,
        "min",
        "Mode-switch delay of community and township cadres.",
        "assumption: half an hour to gather",
        0,
        1440,
        plausible=(10.0, 90.0),
    )
    switch_factor_no_cohesion: float = p(
        1.5,
        "x",
        "A community team switches mode in "
        "cadre_switch_min x (this - cohesion): 1.5 means a "
        "team without cohesion takes 1.5x, a fully cohesive "
        "one 0.5x.",
        "assumption: cohesion can halve or stretch the switch by half",
        1,
        5,
        plausible=(1.2, 2.0),
    )
    command_convene_min: float = p(
        60.0,
        "min",
        "Time for the joint-meeting committee to convene as the front-line command.",
        "assumption: an hour to gather the member units",
        0,
        1440,
        plausible=(20.0, 180.0),
    )
    organ_mobilization_min: float = p(
        90.0,
        "min",
        "Time for registered organ cadres to reach their community.",
        "assumption: called from their offices across the city",
        0,
        1440,
        plausible=(30.0, 240.0),
    )
    initial_familiarity: float = p(
        0.3,
        "0-1",
        "Grid managers' familiarity with their grids before peacetime service builds it.",
        "assumption: managers know some households",
        0,
        1,
        plausible=(0.1, 0.6),
    )
    initial_cohesion: float = p(
        0.3,
        "0-1",
        "Team cohesion of a community's cadres before peacetime service builds it.",
        "assumption: a team that rarely works together",
        0,
        1,
        plausible=(0.1, 0.6),
    )
    shift_hours: float = p(
        12.0,
        "hours",
        "Working hours before a responder needs rest.",
        "assumption: a long emergency shift",
        1,
        48,
        plausible=(8.0, 16.0),
    )
    rest_hours: float = p(
        6.0,
        "hours",
        "Rest after a shift.",
        "assumption: a short sleep",
        0,
        48,
        plausible=(4.0, 10.0),
    )
    fatigue_after_hours: float = p(
        8.0,
        "hours",
        "Hours of work since the last rest (or "
        "idle spell of rest_hours) after which a responder tires "
        "(fatigue_per_hour).",
        "assumption: the standard working day, the baseline of "
        "the studies of long shifts (Folkard & Tucker 2003, "
        "Occup. Med. 53:95)",
        0,
        48,
        plausible=(6.0, 10.0),
    )
    fatigue_per_hour: float = p(
        0.07,
        "1/hour",
        "A responder's effort on a need grows by "
        "this share per hour of work since its last rest beyond "
        "fatigue_after_hours (0: no fatigue).",
        "assumption: effort grows as the risk of errors and "
        "incidents does with hours on duty: +13-15 % at 10 h and "
        "+27-38 % at 12 h against 8-h days (Folkard & Tucker 2003, "
        "Occup. Med. 53:95; Salminen 2016, Ergonomics Open J. 9:15), "
        "about 7-10 % an hour past the 8th; call-centre agents' "
        "handling time rises with hours worked (Collewet & "
        "Sauermann 2017, Labour Econ. 47:96)",
        0,
        2,
        plausible=(0.02, 0.15),
    )
    sent_down_cadres_per_1000: float = p(
        0.0,
        "cadres/1000 residents",
        "Cadres sent down from agencies above the street to the "
        "communities in an emergency (the communities in turn). They join the community's "
        "team without local familiarity: they serve only that community, at an organ cadre's "
        "skill and without the team's cohesion.",
        "policy lever; references: Sikoutang community, Xishui, Hubei, February 2020: 104 for "
        "6,540 residents (15.9 per 1,000, about 9x its 12 staff); Wuhan, February 2020: "
        "34,000 officials and party members into 1,100 communities (about 3.1 per 1,000) "
        "(docs/field_data.md F14, F7)",
        0,
        200,
    )
    sent_down_after_hours: float = p(
        72.0,
        "hours",
        "Time from the organization's wartime switch until the sent-down cadres "
        "arrive in their communities.",
        "assumption: days for agencies to pick, brief and send their "
        "staff; Wuhan's were reported on 14 February 2020, three weeks after the city's "
        "lockdown of 23 January (docs/field_data.md F7), the upper end",
        0,
        1e5,
        plausible=(12.0, 528.0),
    )
    transfer_misroute_share: float = p(
        0.25,
        "share",
        "Pre-reform street: chance that a department passing a case (or an "
        "emergency need) on to the department it takes for the owner sends it to another wrong "
        "one (a resident's first contact is a department drawn at random among the "
        "siloed_lines).",
        "assumption: departments know each other's remits better than "
        "residents do, but had no catalogue of responsibilities (Dongcheng before 2004: "
        "'duties crossing and unclear', docs/field_data.md F19); dispatchers with a "
        "catalogue err on 2-6% of orders (F4, F21), self-media claims of 25-60% errors for "
        "keyword dispatch bound it above (F22)",
        0,
        1,
        plausible=(0.1, 0.5),
    )
    ownerless_stall_share: float = p(
        0.2,
        "share",
        "Pre-reform street: chance that a wrong department neither passes a case "
        "on nor answers (no one tracks it to closure): it stalls until the resident "
        "complains again.",
        "assumption: with deadline supervision about 10% of hotline "
        "orders are repeat complaints (Daying county 12345, March 2017: 239 of 2,495; "
        "docs/field_data.md F23); without it (F19), a case that no department owns is "
        "dropped more often, up to half the time",
        0,
        1,
        plausible=(0.05, 0.5),
    )


@dataclass(frozen=True)
class PeacetimeParams:
    """Effect sizes of peacetime work (per event), and the drift without it."""

    visit_familiarity_gain: float = p(
        0.05,
        "share/visit",
        "A service visit moves the grid manager's familiarity this share of the way to 1.",
        "assumption: twenty visits make a grid well known",
        0,
        1,
        plausible=(0.02, 0.15),
    )
    visit_trust_gain: float = p(
        0.004,
        "share/visit",
        "A service visit moves the trust of the grid's residents this share of the way to 1.",
        "assumption: a visit reaches a few households of hundreds",
        0,
        1,
        plausible=(0.001, 0.02),
    )
    visit_cohesion_gain: float = p(
        0.01,
        "share/visit",
        "Each team visit moves the community team's cohesion this share of the way to 1.",
        "assumption: cohesion grows over months of joint work",
        0,
        1,
        plausible=(0.003, 0.03),
    )
    training_skill_gain: float = p(
        0.3,
        "share",
        "A rotation training moves a cadre's skill this share of the way to 1 (once per cadre).",
        "assumption: one course of days to weeks",
        0,
        1,
        plausible=(0.1, 0.5),
    )
    holiday_familiarity_gain: float = p(
        0.002,
        "share/cadre-day",
        "Each registered organ cadre "
        "serving on a holiday moves its community's grid "
        "familiarity this share of the way to 1.",
        "assumption: a weekend's service, much less than a manager's visit",
        0,
        1,
        plausible=(0.0005, 0.01),
    )
    platform_trust_gain: float = p(
        0.02,
        "share/week",
        "The open affairs platform moves every "
        "resident's trust this share of the way to 1 each week.",
        "assumption: open accounts slowly build trust",
        0,
        1,
        plausible=(0.005, 0.05),
    )
    publicity_preparedness_gain: float = p(
        0.03,
        "share/event",
        "A publicity event moves preparedness this share of the way to 1.",
        "assumption: one campaign reaches a few percent",
        0,
        1,
        plausible=(0.01, 0.08),
    )
    daily_decay: float = p(
        0.003,
        "share/day",
        "Trust, preparedness and familiarity drift this share towards 0 each peacetime day.",
        "assumption: half-life of about seven months",
        0,
        1,
        plausible=(0.001, 0.01),
    )
    visits_without_first_secretary: float = p(
        0.5,
        "x",
        "Service visits made without a first secretary, relative to with one.",
        "assumption: the first secretary leads half the visits",
        0,
        1,
        plausible=(0.3, 0.8),
    )


@dataclass(frozen=True)
class SkillParams:
    """Skill levels (0-1) of each kind of responder at the start of peacetime."""

    community_cadre_low: float = p(
        0.3,
        "0-1",
        "Lowest skill of a community cadre (uniform between low and high).",
        "assumption: generalists, some experience",
        0,
        1,
        plausible=(0.2, 0.4),
    )
    community_cadre_high: float = p(
        0.6,
        "0-1",
        "Highest skill of a community cadre.",
        "assumption: generalists, some experience",
        0,
        1,
        plausible=(0.5, 0.7),
    )
    township_cadre_low: float = p(
        0.4,
        "0-1",
        "Lowest skill of a township cadre (uniform between low and high).",
        "assumption: more emergency work than community cadres",
        0,
        1,
        plausible=(0.3, 0.5),
    )
    township_cadre_high: float = p(
        0.7,
        "0-1",
        "Highest skill of a township cadre.",
        "assumption: more emergency work than community cadres",
        0,
        1,
        plausible=(0.6, 0.8),
    )
    organ_cadre: float = p(
        0.5,
        "0-1",
        "Skill of an organ cadre.",
        "assumption: office staff, average",
        0,
        1,
        plausible=(0.3, 0.7),
    )
    unit_staff: float = p(
        0.5,
        "0-1",
        "Skill of a co-located unit's staff (logistics).",
        "assumption: average",
        0,
        1,
        plausible=(0.3, 0.7),
    )
    professional_volunteer: float = p(
        0.8,
        "0-1",
        "Skill of a professional volunteer (rescue, medical, logistics).",
        "assumption: trained specialists",
        0,
        1,
        plausible=(0.6, 0.95),
    )
    standing_volunteer: float = p(
        0.4,
        "0-1",
        "Skill of a standing-team volunteer.",
        "assumption: briefly trained residents",
        0,
        1,
        plausible=(0.2, 0.6),
    )


@dataclass(frozen=True)
class NeedParams:
    """What each type of need asks: mean effort and, in the siloed structure, the owning line
    (0 party building, 1 comprehensive management, 2 civil affairs, 3 urban management,
    4 letters and visits, 5 emergency management)."""

    evacuation_effort_min: float = p(
        90.0,
        "person-min",
        "Mean effort of an evacuation (before the escort to a shelter).",
        "assumption: gather a household and its belongings",
        1,
        10080,
        plausible=(45.0, 180.0),
    )
    rescue_effort_min: float = p(
        180.0,
        "person-min",
        "Mean effort of a rescue.",
        "assumption: boats or ropes, several helpers' hours",
        1,
        10080,
        plausible=(90.0, 360.0),
    )
    supply_effort_min: float = p(
        45.0,
        "person-min",
        "Mean effort of a supply delivery.",
        "assumption: one delivery round",
        1,
        10080,
        plausible=(20.0, 90.0),
    )
    testing_effort_min: float = p(
        15.0,
        "person-min",
        "Mean effort of a test at home.",
        "assumption: one home visit with a swab",
        1,
        10080,
        plausible=(5.0, 30.0),
    )
    medical_transport_effort_min: float = p(
        60.0,
        "person-min",
        "Mean effort of a medical transport.",
        "assumption: to a clinic and back",
        1,
        10080,
        plausible=(30.0, 120.0),
    )
    fire_rescue_effort_min: float = p(
        90.0,
        "person-min",
        "Mean effort of a fire or accident rescue.",
        "assumption: until the fire brigade takes over",
        1,
        10080,
        plausible=(45.0, 180.0),
    )
    effort_spread: float = p(
        0.4,
        "share",
        "A need's effort is its type's mean times a uniform "
        "factor in 1 +- this spread (effort_distribution = uniform).",
        "assumption: households differ",
        0,
        0.99,
        plausible=(0.2, 0.6),
    )
    evacuation_line: int = p(
        5,
        "line",
        "Line that owns evacuations (siloed).",
        "seed article (emergency management)",
        0,
        11,
    )
    rescue_line: int = p(
        5, "line", "Line that owns rescues (siloed).", "seed article (emergency management)", 0, 11
    )
    supply_line: int = p(
        2,
        "line",
        "Line that owns supply deliveries (siloed).",
        "seed article (civil affairs)",
        0,
        11,
    )
    testing_line: int = p(
        1,
        "line",
        "Line that owns testing (siloed).",
        "seed article (comprehensive management)",
        0,
        11,
    )
    medical_transport_line: int = p(
        1,
        "line",
        "Line that owns medical transports (siloed).",
        "seed article (comprehensive management)",
        0,
        11,
    )
    fire_rescue_line: int = p(
        3,
        "line",
        "Line that owns fire and accident rescues (siloed).",
        "seed article (urban management)",
        0,
        11,
    )


@dataclass(frozen=True)
class ReportingParams:
    mechanism: str = p("direct", "-", "Reporting mechanism.", "docs/model.md", choices=MECHANISMS)
    levels: int = p(
        2,
        "levels",
        "Offices a report climbs above the grid manager in the "
        "hierarchical mechanism, the last of which decides: 1 community; 2 + "
        "township (street); 3 + district; 4 + city; 5 + province.",
        "seed article (community -> street -> district chain); 2 is the street-level default",
        1,
        5,
    )
    grid_delay_min: float = p(
        2.0,
        "min",
        "Grid manager's processing of a report.",
        "assumption: logged and forwarded on a phone app in minutes",
        0,
        1440,
        plausible=(0.5, 10.0),
    )
    community_delay_min: float = p(
        10.0,
        "min",
        "Community office processing per report.",
        "assumption: a duty cadre reads, logs and forwards a report",
        0,
        1440,
        plausible=(3.0, 30.0),
    )
    township_delay_min: float = p(
        10.0,
        "min",
        "Township (street) office processing per report.",
        "assumption: as a community office",
        0,
        1440,
        plausible=(3.0, 30.0),
    )
    upper_delay_min: float = p(
        15.0,
        "min",
        "Processing per report at each office above the "
        "township (district, city, province: levels 3-5).",
        "assumption: larger offices with more formal logging",
        0,
        1440,
        plausible=(5.0, 60.0),
    )
    command_delay_min: float = p(
        5.0,
        "min",
        "Front-line command processing per report.",
        "assumption: all units in one room decide at once",
        0,
        1440,
        plausible=(2.0, 15.0),
    )
    community_handlers_per_10k: float = p(
        5.0,
        "handlers/10,000 residents",
        "Parallel report handlers of a community office per "
        "10,000 residents of the community (at least one).",
        "assumption: 3 of a community's ~7 cadres on the duty phone for ~6,000 residents "
        "(6 grids of 1,000) = 5 per 10,000, the 3 handlers of earlier versions",
        0.01,
        10_000,
        plausible=(2.0, 10.0),
    )
    township_handlers_per_10k: float = p(
        2.7,
        "handlers/10,000 residents",
        "Parallel report handlers of the township (street) "
        "office per 10,000 residents (at least one).",
        "assumption: a street office's duty room of ~8 staff for the default 30,000 "
        "residents (8 handlers in earlier versions)",
        0.01,
        10_000,
        plausible=(1.0, 6.0),
    )
    upper_handlers_per_10k: float = p(
        2.7,
        "handlers/10,000 residents",
        "Handlers an office above the township (district, "
        "city, province) gives this township's reports, per 10,000 of its residents (at "
        "least one).",
        "assumption: the township office's staffing ratio",
        0.01,
        10_000,
        plausible=(0.5, 6.0),
    )
    command_handlers_per_10k: float = p(
        2.7,
        "handlers/10,000 residents",
        "Span of control of the front-line command: "
        "parallel handlers per 10,000 residents (at least one).",
        "assumption: the township office's duty room moves into the command (8 handlers for "
        "30,000 residents in earlier versions)",
        0.01,
        10_000,
        plausible=(1.0, 6.0),
    )
    loss_per_level: float = p(
        0.02,
        "probability",
        "Chance a report is lost at each level above the grid (it is re-sent later).",
        "assumption",
        0,
        1,
        plausible=(0.0, 0.1),
    )
    resend_after_min: float = p(
        60.0,
        "min",
        "Time until a lost report is re-sent.",
        "assumption: the reporter follows up within the hour",
        0,
        1440,
        plausible=(15.0, 180.0),
    )
    max_resends: int = p(
        3,
        "re-sends",
        "Re-sends of a lost report; after that it is lost for "
        "good and the need waits for local action.",
        "assumption: a reporter gives up after a few follow-ups",
        0,
        100,
        plausible=(1, 6),
    )
    severe_threshold: float = p(
        0.6,
        "0-1",
        "Starting severity at or above which a need is "
        "severe: bad news a level may hold back, and what the severe "
        "counts of the time series and outcomes count.",
        "assumption: "
        "the lowest starting severity of the life-threatening needs "
        "(flood rescue 0.6, epidemic medical transport 0.6, fire rescue "
        "0.7); evacuations and supplies start below",
        0,
        1,
        plausible=(0.5, 0.8),
    )
    withhold_per_level: float = p(
        0.1,
        "probability",
        "Chance that an office above the grid "
        "holds back the report of a severe need it would pass on to "
        "another office, at blame 1 without fault tolerance or "
        "front-line inspection (the deciding office does not: it "
        "acts on what it knows).",
        "assumption: omission of bad "
        "news is systematic but a minority practice at any one "
        "hand-over (omission rather than falsification: Pan & Chen "
        "2018, APSR 112(3); reported deaths bunch below "
        "promotion-linked ceilings: Fisman & Wang 2017, AEJ Applied "
        "9(2)); Zhengzhou's 139 of 380 (F11) is held out for "
        "validation",
        0,
        1,
        plausible=(0.02, 0.3),
    )
    withhold_mean_min: float = p(
        720.0,
        "min",
        "Mean time (exponential) a held-back report waits before the office passes it on.",
        "assumption: "
        "casualties are reported level by level every day until the "
        "situation is stable (State Council investigation report on "
        "Zhengzhou 7.20, citing the flood-control regulations); a "
        "report held back goes with a later daily round: half a day "
        "on average",
        0,
        10080,
        plausible=(120.0, 2880.0),
    )
    joint_meeting_interval_min: float = p(
        120.0,
        "min",
        "Interval of joint meetings before the front-line command is active.",
        "assumption",
        10,
        10080,
        plausible=(60.0, 240.0),
    )
    local_news_delay_min: float = p(
        15.0,
        "min",
        "Time before a local response (party "
        "members, neighbours, a cadre on initiative, a local "
        "action) is told to the grid manager; the news then "
        "passes each level's handling minutes without queueing. "
        "A report decided before the news arrives is dispatched "
        "again (a duplicate); joint meetings and grid autonomy "
        "decide where the local response is known.",
        "assumption: a helper reports back once at the household",
        0,
        1440,
        plausible=(5.0, 60.0),
    )
    autonomy_escalate_min: float = p(
        20.0,
        "min",
        "Grid autonomy: time the grid party organization tries local resources before escalating.",
        "assumption",
        0,
        1440,
        plausible=(10.0, 60.0),
    )
    street_calls_per_1000_per_day: float = p(
        0.92,
        "calls/1000 residents/day",
        "Residents' calls to the street's hotline and duty "
        "room that are not needs of the emergency (questions, complaints, requests), per "
        "1,000 residents a day in normal times; in wartime they reach the street office on "
        "the route in force (the township office, the front-line command once it convenes) "
        "and take its handlers. 0: none.",
        "Shanghai 12345 hotline: about 23,000 calls a day "
        "for about 25 M residents in normal times (F12, docs/field_data.md)",
        0,
        1000,
        plausible=(0.5, 2.0),
    )
    community_calls_per_1000_per_day: float = p(
        21.87,
        "calls/1000 residents/day",
        "Residents' calls and visits to their community "
        "office that are not needs of the emergency, per 1,000 residents a day in normal "
        "times; in wartime they take the community office's handlers. 0: none.",
        "calibrated against F15's 100+ calls a day per residents' committee secretary in "
        "the 2022 lockdown (docs/ODD.md section 10); no figure for normal times: residents "
        "bring everyday business to their committee more often than to the city hotline "
        "(0.92 per 1,000 a day, F12); plausible from about the hotline's rate to some 240 "
        "calls and visits a day for a community of 6,000 (40 per 1,000)",
        0,
        1000,
        plausible=(1.0, 40.0),
    )
    call_surge_factor: float = p(
        2.0,
        "x",
        "Calls to the offices in an emergency, relative to normal times.",
        "Shanghai 12345, 2022 lockdown: 23,000 -> 45,000 calls a day on average (1.96x), "
        "peaks near 80,000 (3.5x); 27 January 2020 was 6.76x the same day a year before "
        "(F12); Beijing 12345, 2021: epidemic requests 36-40 % of calls, 1.6-1.7x if all "
        "were added (F13)",
        1,
        50,
        plausible=(1.5, 7.0),
    )
    call_handling_min: float = p(
        6.0,
        "min",
        "Handler minutes an answered call takes (a need's report takes its office's *_delay_min).",
        "Shanghai 12345: an operator took 100+ calls per 12-hour "
        "shift, at most about 7 minutes a call (F12)",
        0.5,
        120,
        plausible=(3.0, 10.0),
    )
    call_patience_min: float = p(
        5.0,
        "min",
        "Mean patience of a caller (exponential): a caller not answered within "
        "it hangs up and the call is unanswered. Reports of needs do not hang up: grid "
        "managers' reports wait in the office's queue.",
        "assumption: callers in telephone "
        "queues wait minutes, not hours, with roughly exponential patience (Brown et al. "
        "2005, JASA 100:36; Zohar, Mandelbaum & Shimkin 2002, Manage. Sci. 48:566)",
        0.1,
        1440,
        plausible=(1.0, 15.0),
    )
    dispatch_accuracy: float = p(
        0.98,
        "share",
        "Share of dispatches the deciding unit sends "
        "to the right unit at once (unified intake: every structure "
        "but the pre-reform street, whose intake is its departments'); "
        "a misrouted one is sent back and dispatched again.",
        "Dongcheng, Beijing, from October 2004: dispatch accuracy 98% "
        "(docs/field_data.md F4); 12345 hotlines 2021-23: 4-6% of "
        "orders returned or re-routed (F21)",
        0.5,
        1,
        plausible=(0.94, 0.99),
    )
    redispatch_min: float = p(
        30.0,
        "min",
        "In an emergency, time a misrouted dispatch costs: "
        "the wrong unit reports back and the need is dispatched again.",
        "assumption: a phone call back and a second order, half an hour",
        0,
        1440,
        plausible=(10.0, 90.0),
    )


@dataclass(frozen=True)
class DetectionParams:
    self_report_per_hour: float = p(
        1.0,
        "1/hour",
        "Rate at which an affected resident with "
        "full trust and preparedness reports a need (scaled by "
        "the mean of the two).",
        "assumption: within an hour when willing and aware",
        0,
        60,
        plausible=(0.3, 3.0),
    )
    neighbour_report_per_hour: float = p(
        0.4,
        "1/hour",
        "Rate at which neighbours report (with mutual-aid organizations).",
        "assumption: slower than the household itself",
        0,
        60,
        plausible=(0.1, 1.0),
    )
    neighbour_factor_without_mutual_aid: float = p(
        0.3,
        "x",
        "Neighbours' reporting rate without mutual-aid organizations, relative to with them.",
        "assumption: unorganized neighbours seldom report",
        0,
        1,
        plausible=(0.1, 0.6),
    )
    grid_manager_per_hour: float = p(
        0.5,
        "1/hour",
        "Rate at which a fully familiar grid manager finds a need on patrol.",
        "assumption: a patrol passes each household every few hours",
        0,
        60,
        plausible=(0.2, 1.5),
    )


@dataclass(frozen=True)
class VolunteerParams:
    team_size_per_1000: float = p(
        10.0,
        "volunteers/1000 residents",
        "Standing (normalized) volunteer team size.",
        "assumption (a policy)",
        0,
        200,
    )
    professional_share: float = p(
        0.2,
        "share",
        "Share of the team who are professional (medical, rescue, logistics).",
        "assumption",
        0,
        1,
        plausible=(0.1, 0.4),
    )
    coordinated: bool = p(
        True,
        "bool",
        "Volunteers are dispatched by the command (else they self-direct to needs they see).",
        "docs/model.md",
    )
    recruitment_per_week: float = p(
        0.01,
        "share/week",
        "Peacetime growth of the team through publicity.",
        "assumption",
        0,
        1,
        plausible=(0.0, 0.03),
    )
    spontaneous_share: float = p(
        0.1,
        "share",
        "Share of willing residents of an affected grid who volunteer spontaneously.",
        "assumption",
        0,
        1,
        plausible=(0.03, 0.3),
    )
    willing_threshold: float = p(
        0.5,
        "0-1",
        "Willingness to help above which a resident who "
        "is not vulnerable may volunteer spontaneously.",
        "assumption: the more willing part of the population",
        0,
        1,
        plausible=(0.3, 0.7),
    )
    mutual_aid_factor: float = p(
        1.5,
        "x",
        "Mutual-aid organizations multiply the share of willing residents who step forward.",
        "assumption: organized neighbours are asked, not only seen",
        1,
        10,
        plausible=(1.0, 2.5),
    )
    callup_min: float = p(
        45.0,
        "min",
        "Time to call up the standing team.",
        "assumption",
        0,
        1440,
        plausible=(20.0, 120.0),
    )


@dataclass(frozen=True)
class ResponseParams:
    deterioration_per_hour: float = p(
        0.15,
        "severity/hour",
        "Growth of an unmet need's severity.",
        "assumption",
        0,
        10,
        plausible=(0.05, 0.3),
    )
    vulnerable_harm_factor: float = p(
        3.0,
        "x",
        "Harm multiplier for vulnerable residents.",
        "assumption",
        1,
        100,
        plausible=(1.5, 5.0),
    )
    lethality_per_severe_hour: float = p(
        0.002,
        "1/hour",
        "Casualty-proxy hazard per hour of "
        "fully severe unmet need, for needs that are not "
        "life-threatening (evacuation, supply, testing; the "
        "others follow the survival curve, survival_*).",
        "assumption",
        0,
        1,
        plausible=(0.0005, 0.01),
    )
    survival_30min: float = p(
        0.99,
        "share",
        "Share of the people of a life-threatening need "
        "(rescue, fire rescue, medical transport) who survive when a "
        "responder reaches them 30 minutes after it arose (survival "
        "curve: the cumulative hazard -ln S is linear between 0 and "
        "the three knots, sim/survival.py).",
        "Tangshan earthquake, "
        "1976: about 99% of trapped people freed within 30 minutes "
        "survived (CRED 1989; docs/field_data.md F18)",
        0.001,
        1,
        plausible=(0.97, 0.995),
    )
    survival_24h: float = p(
        0.81,
        "share",
        "Share of the people of a life-threatening need "
        "who survive when reached 24 hours after it arose (survival "
        "curve, as survival_30min).",
        "Tangshan 1976: 81% of those freed within 24 hours "
        "survived (CRED 1989; F18), read as survival at 24 h; read as the "
        "mean over the first day (survival at 12 h), the curve gives 0.66 "
        "at 24 h, the low end",
        0.001,
        1,
        plausible=(0.65, 0.88),
    )
    survival_48h: float = p(
        0.37,
        "share",
        "Share of the people of a life-threatening need "
        "who survive when reached 48 hours after it arose (survival "
        "curve, as survival_30min; beyond 48 h the death rate of 24-48 h "
        "continues).",
        "Tangshan 1976: 37% of those freed on the second day survived "
        "(CRED 1989; F18), read as survival at 48 h; read as the day's "
        "mean (at 36 h), 0.17-0.21 at 48 h, the low end; 26% on the "
        "second day quoted after the Lushan earthquake, 2013 (The Irish "
        "Times)",
        0.001,
        1,
        plausible=(0.17, 0.45),
    )
    skill_mismatch_factor: float = p(
        1.6,
        "x",
        "Effort multiplier when the responder's skill does not match.",
        "assumption",
        1,
        10,
        plausible=(1.2, 2.5),
    )
    initiative_base: float = p(
        0.1,
        "probability",
        "Chance an idle cadre acts on a need it sees before approval, without fault tolerance.",
        "assumption",
        0,
        1,
        plausible=(0.02, 0.3),
    )
    local_action_after_min: float = p(
        60.0,
        "min",
        "Time after a need is found after which "
        "idle responders of its community who heard of it from "
        "the grid manager act on it without waiting for the "
        "reporting chain, whatever the mechanism.",
        "assumption: an hour without word from above",
        0,
        10080,
        plausible=(15.0, 180.0),
    )
    duplicate_visit_min: float = p(
        15.0,
        "min",
        "Time a duplicated dispatch wastes on site.",
        "assumption",
        0,
        600,
        plausible=(5.0, 30.0),
    )
    urgency_per_travel_min: float = p(
        1e-4,
        "priority/min",
        "Priority a free responder gives "
        "up per minute of travel when it picks a waiting need "
        "(priority: severity x harm weight, about 0.1-3).",
        "assumption: urgency first, distance breaks near-ties",
        0,
        1,
        plausible=(0.0, 0.005),
    )
    temp_org_min_needs: int = p(
        3,
        "needs",
        "Open needs in a grid that make it an incident site with a temporary party organization.",
        "assumption",
        1,
        1000,
        plausible=(2, 6),
    )
    temp_org_party_share: float = p(
        0.1,
        "share",
        "Share of the party members living at an "
        "incident site whom its temporary party organization "
        "mobilizes.",
        "assumption: twice the grid party organization's standing mobilization",
        0,
        1,
        plausible=(0.05, 0.3),
    )
    commendation_gain: float = p(
        0.2,
        "probability",
        "Initiative gained by commended cadres after an emergency.",
        "assumption",
        0,
        1,
        plausible=(0.05, 0.4),
    )
    cohesion_effort_gain: float = p(
        0.25,
        "share",
        "Effort saved by a fully cohesive community team.",
        "assumption",
        0,
        0.9,
        plausible=(0.1, 0.4),
    )
    effort_distribution: str = p(
        "uniform",
        "-",
        "Distribution of a need's effort around its "
        "type's mean: uniform (0.6-1.4x) or exponential.",
        "assumption",
        choices=("uniform", "exponential"),
    )
    skill_effort_gain: float = p(
        0.4,
        "share",
        "Effort saved by a fully skilled responder over an unskilled one.",
        "assumption",
        0,
        0.9,
        plausible=(0.2, 0.6),
    )


@dataclass(frozen=True)
class RoutineParams:
    """Routine cases in peacetime: the daily work of the grid system (see sim/routine.py)."""

    cases_per_1000_per_day: float = p(
        1.5,
        "cases/1000 residents/day",
        "Routine cases "
        "(repairs, disputes, welfare, sanitation) residents "
        "raise per peacetime day; 0 turns routine work off.",
        "Dongcheng, Beijing, 2015: about 40,000 cases a month "
        "for about 0.9 M residents (handmsg.com/page/2017/0831/"
        "15198880.shtml)",
        0,
        100,
        plausible=(0.5, 3.0),
    )
    raised_from_hour: float = p(
        7.0,
        "hour of day",
        "Residents raise problems from this hour.",
        "assumption: waking hours",
        0,
        24,
        plausible=(6.0, 9.0),
    )
    raised_until_hour: float = p(
        22.0,
        "hour of day",
        "... until this hour (uniformly between).",
        "assumption: waking hours",
        0,
        24,
        plausible=(20.0, 23.0),
    )
    duty_start_hour: float = p(
        8.5,
        "hour of day",
        "Community and township staff go on duty for routine work.",
        "assumption: office hours",
        0,
        23,
        plausible=(8.0, 9.0),
    )
    duty_hours: float = p(
        9.0,
        "hours",
        "Length of the duty day; cases filed after it wait for the next morning.",
        "assumption: office hours with a lunch break",
        1,
        24,
        plausible=(8.0, 12.0),
    )
    effort_min: float = p(
        60.0,
        "person-min",
        "Mean work on a routine case on site (visit, "
        "coordination, confirmation with the resident).",
        "assumption: about an hour for a repair or a mediation visit",
        1,
        1440,
        plausible=(20.0, 180.0),
    )
    party_service_share: float = p(
        0.01,
        "share",
        "Share of a grid's party members who take "
        "routine cases at the grid in peacetime (integrated_party).",
        "assumption: a member or so per grid on duty; most routine work needs staff",
        0,
        1,
        plausible=(0.0, 0.05),
    )
    closure_deadline_h: float = p(
        48.0,
        "hours",
        "A case not closed within this time of being filed counts as unclosed.",
        "assumption: grid systems set deadlines of one to a few working days",
        1,
        8760,
        plausible=(24.0, 120.0),
    )
    satisfied_within_h: float = p(
        24.0,
        "hours",
        "Residents whose case closes within this "
        "time of filing trust the organization more; later, less.",
        "assumption: same or next day",
        0.5,
        8760,
        plausible=(8.0, 48.0),
    )
    trust_gain: float = p(
        0.05,
        "share",
        "Trust a satisfied household gains per closed case (toward 1).",
        "assumption: one good experience moves trust a little",
        0,
        1,
        plausible=(0.01, 0.15),
    )
    trust_loss: float = p(
        0.05,
        "share",
        "Trust an unsatisfied household loses per case closed late or not at all (toward 0).",
        "assumption: symmetric with the gain",
        0,
        1,
        plausible=(0.01, 0.15),
    )
    trust_spillover: float = p(
        0.01,
        "x",
        "Each other resident of the grid feels this share "
        "of a household's trust change (word of mouth).",
        "assumption: neighbours hear of a case, a small share of what the household feels",
        0,
        1,
        plausible=(0.0, 0.05),
    )
    familiarity_gain: float = p(
        0.02,
        "share",
        "Familiarity of the grid manager and cadres "
        "with a grid gained per case closed there (toward 1).",
        "assumption: smaller than a service visit's 0.05",
        0,
        1,
        plausible=(0.005, 0.05),
    )
    skill_gain: float = p(
        0.01,
        "share",
        "Skill a handler gains per case (learning by doing, toward the cap).",
        "assumption: a few dozen cases teach about what one training round does",
        0,
        1,
        plausible=(0.002, 0.03),
    )
    skill_cap: float = p(
        0.8,
        "0-1",
        "Skill that learning by doing alone can reach.",
        "assumption: routine work teaches less than training",
        0,
        1,
        plausible=(0.6, 0.95),
    )
    beyond_grid_share: float = p(
        0.05,
        "share",
        "Share of routine cases beyond the grid "
        "system's reach: after the staff's visit they are referred up "
        "the chain to a department above the street (township or "
        "district) and close only after a referral delay.",
        "Dongcheng, Beijing: 93.3% of cases closed 2004-2015, 96.5% "
        "of problems handled in 2004-05 (docs/field_data.md F2, F4): "
        "some 3-7% are not closed by the grid system",
        0,
        1,
        plausible=(0.02, 0.15),
    )
    referral_delay_h: float = p(
        48.0,
        "hours",
        "Mean delay (exponential) before a department above the street closes a referred case.",
        "assumption: days rather than hours; a district department works to its own deadlines",
        0,
        8760,
        plausible=(12.0, 240.0),
    )
    patrol_find_per_hour: float = p(
        0.5,
        "1/hour",
        "Rate at which a fully familiar grid "
        "manager finds a routine problem on patrol (replaces "
        "detection.grid_manager_per_hour for routine cases; "
        "emergency detection is unchanged).",
        "assumption; F4: "
        "90% of problems found by grid staff on patrol, Dongcheng "
        "2004-05 (docs/field_data.md)",
        0,
        60,
        plausible=(0.2, 5.0),
    )
    resident_report_factor: float = p(
        1.0,
        "x",
        "Residents and neighbours report a routine "
        "problem at this multiple of their detection rates "
        "for emergency needs.",
        "assumption; most routine "
        "cases are public-space problems (facilities, "
        "sanitation, disorder) that no household owns, and "
        "grid staff found 90% of them (docs/field_data.md F4)",
        0,
        10,
        plausible=(0.02, 1.0),
    )
    cohesion_gain: float = p(
        0.005,
        "share",
        "Cohesion a community team gains per case one of its cadres closes (toward 1).",
        "assumption: a fifth of a team service visit day",
        0,
        1,
        plausible=(0.001, 0.02),
    )
    redispatch_h: float = p(
        24.0,
        "hours",
        "Time a misrouted routine dispatch costs: the "
        "wrong unit returns the order and it is dispatched again "
        "(reporting.dispatch_accuracy).",
        "assumption: rules allow up to 2 "
        "working days to return a misrouted order (Shandong, 2020; "
        "docs/field_data.md F24), typically the next day",
        0,
        8760,
        plausible=(4.0, 48.0),
    )
    department_days_per_week: int = p(
        5,
        "days/week",
        "Pre-reform street: working days a week "
        "of the departments (days 0-4 of each week of peacetime "
        "are weekdays); cases filed on other days wait.",
        "State Council regulation on working hours (1995): a "
        "five-day, 40-hour week (docs/field_data.md F25)",
        1,
        7,
        plausible=(5, 6),
    )
    department_hours: float = p(
        8.0,
        "hours",
        "Pre-reform street: office hours a working day "
        "of the departments, from duty_start_hour (intake, transfers "
        "and their staff on duty); cases filed outside wait.",
        "State Council regulation on working hours (1995): 8 hours a "
        "day; government windows open 8:30-12:00 and 14:00-17:00 "
        "(docs/field_data.md F25)",
        1,
        24,
        plausible=(6.5, 9.0),
    )
    transfer_working_days: int = p(
        1,
        "working days",
        "Pre-reform street: a case a wrong "
        "department passes on is picked up by the next department "
        "in its batch at the opening of office hours this many "
        "working days later.",
        "1: the 12345 rules give a unit one "
        "working day to sign for an order; up to 15 days to forward "
        "a petition (Regulation on letters and visits, 2005; "
        "docs/field_data.md F24, F26)",
        1,
        30,
        plausible=(1, 5),
    )
    recomplaint_days: float = p(
        7.0,
        "days",
        "Pre-reform street: mean time (exponential) "
        "after which a resident whose case stalled complains again "
        "(reaching a department at random again).",
        "assumption: "
        "residents wait for the answer period, 5 working days for a "
        "12345 order (Shandong, 2020) to 15 days for a petition "
        "(Regulation on letters and visits, 2005); docs/field_data.md "
        "F24, F26",
        0,
        365,
        plausible=(2.0, 15.0),
    )


# The sections of every configuration, in order; hazards register theirs (sim/registry.py).
SECTIONS: dict[str, type] = {
    "time": TimeParams,
    "population": PopulationParams,
    "space": SpaceParams,
    "organization": OrganizationParams,
    "peacetime": PeacetimeParams,
    "skills": SkillParams,
    "needs": NeedParams,
    "reporting": ReportingParams,
    "detection": DetectionParams,
    "volunteers": VolunteerParams,
    "response": ResponseParams,
    "routine": RoutineParams,
}
CORE_SECTIONS = tuple(SECTIONS)


def register_section(name: str, cls: type) -> None:
    """Add a registered component's parameter section (a hazard's: ``[flood]``)."""
    if SECTIONS.get(name, cls) is not cls or name in ("name", "plugins", "extra"):
        raise ValueError(f"parameter section {name!r} is already taken")
    SECTIONS[name] = cls


@dataclass(frozen=True)
class Config:
    """A whole resolved configuration: one instance of each section.

    The core sections are fields; registered sections (hazards) are read as attributes too
    (``config.flood``) and kept in ``extra`` where they differ from their defaults.
    ``plugins`` names the modules outside the package that registered them (files or
    module names, ``sim/plugins.py``): a copy of the configuration in another process loads
    them again.
    """

    time: TimeParams = field(default_factory=TimeParams)
    population: PopulationParams = field(default_factory=PopulationParams)
    space: SpaceParams = field(default_factory=SpaceParams)
    organization: OrganizationParams = field(default_factory=OrganizationParams)
    peacetime: PeacetimeParams = field(default_factory=PeacetimeParams)
    skills: SkillParams = field(default_factory=SkillParams)
    needs: NeedParams = field(default_factory=NeedParams)
    reporting: ReportingParams = field(default_factory=ReportingParams)
    detection: DetectionParams = field(default_factory=DetectionParams)
    volunteers: VolunteerParams = field(default_factory=VolunteerParams)
    response: ResponseParams = field(default_factory=ResponseParams)
    routine: RoutineParams = field(default_factory=RoutineParams)
    extra: tuple[tuple[str, Any], ...] = ()
    plugins: tuple[str, ...] = ()
    name: str = "default"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in SECTIONS:
            raise AttributeError(name)
        return dict(object.__getattribute__(self, "extra")).get(name) or SECTIONS[name]()

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self.plugins, self.to_dict(), self.name)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {s: dataclasses.asdict(getattr(self, s)) for s in SECTIONS}

    def flat(self) -> dict[str, Any]:
        return {f"{s}.{k}": v for s, d in self.to_dict().items() for k, v in d.items()}

    def renamed(self, name: str) -> Config:
        return dataclasses.replace(self, name=name)

    def with_overrides(self, overrides: dict[str, Any], source: str = "override") -> Config:
        """A copy with ``{"section.key": value}`` overrides applied and checked."""
        changes: dict[str, dict[str, Any]] = {}
        for raw_key, value in overrides.items():
            section, key = split_key(raw_key, source)
            changes.setdefault(section, {})[key] = check_value(section, key, value, source)
        replaced = {s: dataclasses.replace(getattr(self, s), **kv) for s, kv in changes.items()}
        core = {s: v for s, v in replaced.items() if s in CORE_SECTIONS}
        extra = {**dict(self.extra), **{s: v for s, v in replaced.items() if s not in core}}
        kept = tuple((s, extra[s]) for s in SECTIONS if s in extra and extra[s] != SECTIONS[s]())
        return dataclasses.replace(self, **core, extra=kept)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], source: str = "config", base: Config | None = None
    ) -> Config:
        """Build from nested ``{section: {key: value}}`` data, refusing unknown keys."""
        flat: dict[str, Any] = {}
        name = (base or cls()).name
        for section, values in data.items():
            if section == "name":
                name = str(values)
                continue
            if section not in SECTIONS:
                raise ConfigError(
                    section, f"unknown section; allowed: {', '.join(SECTIONS)}", source
                )
            if not isinstance(values, dict):
                raise ConfigError(section, "must be a table of key = value", source)
            for key, value in values.items():
                flat[f"{section}.{key}"] = value
        cfg = (base or cls()).with_overrides(flat, source)
        return dataclasses.replace(cfg, name=name)


def _rebuild(plugins: tuple[str, ...], data: dict[str, Any], name: str) -> Config:
    """A configuration from ``Config.__reduce__``: its plugins loaded first."""
    from .plugins import load_all

    load_all(plugins)
    config = Config.from_dict({s: v for s, v in data.items() if s in SECTIONS})
    return dataclasses.replace(config, plugins=plugins, name=name)


def split_key(raw_key: str, source: str = "") -> tuple[str, str]:
    """Split ``section.key`` (or ``section__key``) and check that it names a parameter."""
    key = raw_key.replace("__", ".")
    if "." not in key:
        raise ConfigError(raw_key, "expected section.key, e.g. reporting.mechanism", source)
    section, name = key.split(".", 1)
    if section not in SECTIONS:
        raise ConfigError(
            raw_key, f"unknown section '{section}'; allowed: {', '.join(SECTIONS)}", source
        )
    names = [f.name for f in dataclasses.fields(SECTIONS[section])]
    if name not in names:
        raise ConfigError(
            raw_key, f"unknown key; allowed in [{section}]: {', '.join(names)}", source
        )
    return section, name


def param_field(section: str, key: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == key)


def check_value(section: str, key: str, value: Any, source: str = "") -> Any:
    """Check one value against its definition; raise ConfigError if it is not allowed.

    Parsing is strict: a boolean is ``true`` or ``false`` (a Python or TOML bool), never a
    string such as ``"TRUE"`` or ``"yes"``; a number is an int or float, never a string such
    as ``" 12 "`` (``--set`` values are parsed as TOML before they reach here, so
    ``--set time.war_hours=12`` is a number). An int parameter takes a whole float
    (``3.0`` -> 3). Numbers are compared with their range exactly, whatever their size.
    """
    f = param_field(section, key)
    meta = f.metadata
    full = f"{section}.{key}"
    kind = type(f.default)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(full, f"must be true or false, got {show_value(value)}", source)
    elif kind in (int, float):
        value = _check_number(full, kind, value, meta, source)
    elif kind is str:
        if not isinstance(value, str):
            raise ConfigError(full, f"must be a string, got {show_value(value)}", source)
        if meta["choices"] and value not in meta["choices"]:
            raise ConfigError(
                full,
                f"must be one of {', '.join(meta['choices'])}, got {show_value(value)}",
                source,
            )
    return value


def _check_number(full: str, kind: type, value: Any, meta: Any, source: str) -> int | float:
    """An int or float in range, converted to the parameter's kind (no overflow for huge ints)."""
    unit = meta["unit"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = " (text, not a number)" if isinstance(value, str) else ""
        raise ConfigError(
            full, f"must be a finite number ({unit}), got {show_value(value)}{hint}", source
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(full, f"must be a finite number ({unit}), got {value!r}", source)
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ConfigError(full, f"must be a whole number, got {value!r}", source)
    low, high = meta["low"], meta["high"]
    # int and float compare exactly in Python, so a 400-digit int is simply out of range
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(
            full, f"must be between {low} and {high} {unit}, got {show_value(value)}", source
        )
    return int(value) if kind is int else float(value)


def show_value(value: Any, width: int = 60) -> str:
    """A value for an error message: short, and safe for huge ints and deeply nested data."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 100:
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"a{' negative' if value < 0 else ''} number of about {digits} digits"
    try:
        text = _REPR.repr(value)
    except ValueError:  # an int inside a list or table too long for str()
        return f"a {type(value).__name__} holding a number too long to show"
    return text if len(text) <= width else text[: width - 3] + "..."


_REPR = reprlib.Repr(maxlevel=2, maxstring=50, maxother=50, maxlist=4, maxdict=4, maxlong=40)


def describe(shipped_only: bool = False) -> list[dict[str, Any]]:
    """Every parameter with its definition: for docs, the app's controls and sweep checks
    (``shipped_only``: without the sections plugins registered in this process)."""
    rows = []
    for section, cls in SECTIONS.items():
        if shipped_only and not cls.__module__.startswith("sim."):
            continue
        for f in dataclasses.fields(cls):
            rows.append(
                {
                    "key": f"{section}.{f.name}",
                    "section": section,
                    "name": f.name,
                    "type": type(f.default).__name__,
                    "default": f.default,
                    **f.metadata,
                }
            )
    return rows


def describe_json(config: Config | None = None) -> list[dict[str, Any]]:
    """Every parameter as JSON-ready data, for ``grassroots config --json``.

    Each entry: ``key``, ``value`` (the default, or the value in ``config``), ``type``,
    ``unit``, ``allowed`` (a list of choices, ``[true, false]``, ``[low, high]`` with ``null``
    for an open end, or ``null`` for any text: a file name), ``plausible``
    (``[low, high]``, or ``null`` for policies, switches and scenario settings), ``source`` and
    ``description``.
    """
    values = config.flat() if config is not None else {}
    out = []
    for r in describe():
        if r["choices"]:
            allowed: list[Any] | None = list(r["choices"])
        elif r["type"] == "bool":
            allowed = [True, False]
        elif r["type"] == "str":
            allowed = None
        else:
            allowed = [r["low"], r["high"]]
        out.append(
            {
                "key": r["key"],
                "value": values.get(r["key"], r["default"]),
                "type": r["type"],
                "unit": r["unit"],
                "allowed": allowed,
                "plausible": list(r["plausible"]) if r["plausible"] is not None else None,
                "source": r["source"],
                "description": r["doc"],
            }
        )
    return out
