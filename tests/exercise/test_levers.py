"""Each choice of each role is a lever on the running model: on the same seed, the run with
the choice differs from the default run (in the expected direction where there is one), and
the default choice changes nothing."""

import numpy as np
import pytest

from experiments.exercise.effects import harm_effects
from experiments.exercise.levers import (
    CHOICES,
    DEFAULT,
    EVACUATED_SHARE,
    apply_choice,
    choices_for,
    resolve_role,
)
from experiments.exercise.plan import load_plan
from experiments.exercise.play import Decision, play
from sim import GrassrootsModel
from sim.codes import DETECTED, TOWNSHIP_CADRE
from sim.outcomes import summarize
from sim.registry import need_code
from sim.scenario import SCENARIO_DIR, load_scenario

CONFIG = load_scenario(SCENARIO_DIR / "street_flood.toml").with_overrides(
    {"organization.command_convene_min": 600.0, "organization.dynamic_redeployment": False},
    "test",
)
SEED = 1
STEP = CONFIG.time.peace_days + 48  # eight hours into the emergency
STEP_MINUTE = 480.0
ROLE_OF = {
    "grid_manager": "grid_manager:B-1",
    "party_secretary": "party_secretary:B",
    "command": "command",
    "volunteers": "volunteers",
}


def detection_delay(player, grids):
    """Mean minutes from a need appearing to its being found, over the needs of these grids
    that were there, not yet found, at the decision (the same needs in both runs: the hazard
    draws from its own stream)."""
    nd = player.model.needs
    n = nd.n
    mine = (
        np.isin(nd.grid[:n], grids)
        & (nd.created[:n] <= STEP_MINUTE)
        & ~(nd.detected[:n] <= STEP_MINUTE)
    )
    return float(np.mean(nd.detected[:n][mine] - nd.created[:n][mine]))


def later_flood_needs(player, grids):
    """Needs created after the decision in the low-lying grids among these."""
    nd, low = player.model.needs, player.model.township.lowlying
    n = nd.n
    mine = np.isin(nd.grid[:n], [g for g in grids if low[g]]) & (nd.created[:n] > STEP_MINUTE)
    return int(np.count_nonzero(mine))


def outcome(name):
    return lambda player, role: summarize(player.model, player.model.timeseries())[name]


# What each lever must move on this seed, and which way (-1: down, +1: up); a lever's effect
# on total harm may go either way on one seed (its random numbers diverge after it).
EXPECTED = {
    ("grid_manager", "door_to_door"): (lambda p, r: detection_delay(p, r.grids), -1),
    ("grid_manager", "call_party_members"): (outcome("party_member_responses"), +1),
    ("party_secretary", "call_party_members"): (outcome("party_member_responses"), +1),
    ("party_secretary", "cadre_visits"): (lambda p, r: detection_delay(p, r.grids), -1),
    ("command", "convene_now"): (outcome("mean_reporting_delay_min"), 0),
    ("command", "act_locally"): (outcome("total_harm"), -1),
    ("command", "fast_track_reports"): (outcome("mean_reporting_delay_min"), -1),
    ("party_secretary", "evacuate_now"): (lambda p, r: later_flood_needs(p, r.grids), -1),
    ("command", "evacuate_now"): (lambda p, r: later_flood_needs(p, r.grids), -1),
    ("command", "redeploy_cadres"): (outcome("total_harm"), 0),
    ("volunteers", "call_standby"): (outcome("spontaneous_responses"), +1),
    ("volunteers", "hold_shift"): (outcome("total_harm"), 0),
}


@pytest.fixture(scope="module")
def default_run():
    return play(CONFIG, SEED, [])


def test_every_choice_is_tested():
    assert set(EXPECTED) == {
        (k, c.key) for k, cs in CHOICES.items() for c in cs if c.key != DEFAULT
    }


@pytest.mark.parametrize("kind,choice", list(EXPECTED))
def test_every_choice_changes_the_run(kind, choice, default_run):
    player = play(CONFIG, SEED, [Decision(STEP, STEP_MINUTE, ROLE_OF[kind], choice)])
    assert player.outcomes()["total_harm"] != default_run.outcomes()["total_harm"]
    measure, sign = EXPECTED[(kind, choice)]
    role = resolve_role(player.model, ROLE_OF[kind])
    moved = measure(player, role) - measure(default_run, role)
    assert moved != 0
    if sign:
        assert np.sign(moved) == sign


@pytest.mark.parametrize("kind", list(CHOICES))
def test_the_default_choice_is_the_default_run(kind, default_run):
    assert (
        play(CONFIG, SEED, [Decision(STEP, STEP_MINUTE, ROLE_OF[kind], DEFAULT)]).outcomes()
        == default_run.outcomes()
    )


def test_a_one_time_lever_is_offered_until_pulled():
    m = GrassrootsModel(CONFIG, rng=SEED)
    while m.step_count < STEP:
        m.step()
    command = resolve_role(m, "command")
    assert "fast_track_reports" in choices_for(m, command)
    apply_choice(m, command, "fast_track_reports")
    assert "fast_track_reports" not in choices_for(m, command)
    with pytest.raises(ValueError, match="no choice"):
        apply_choice(m, command, "fast_track_reports")


def test_no_choice_but_the_default_in_peacetime():
    m = GrassrootsModel(CONFIG, rng=SEED)
    assert choices_for(m, resolve_role(m, "volunteers")) == [DEFAULT]


@pytest.mark.parametrize("key", ["grid_manager:Z-9", "party_secretary:ZZ", "mayor"])
def test_unknown_roles_are_refused(key):
    m = GrassrootsModel(CONFIG.with_overrides({"time.peace_days": 0}, "test"), rng=SEED)
    with pytest.raises(ValueError, match="role"):
        resolve_role(m, key)


def test_roles_name_their_grids():
    m = GrassrootsModel(CONFIG.with_overrides({"time.peace_days": 0}, "test"), rng=SEED)
    assert [m.grid_label(g) for g in resolve_role(m, "party_secretary:B").grids][:2] == [
        "B-1",
        "B-2",
    ]
    assert resolve_role(m, "grid_manager:C-3").grids == (
        [m.grid_label(g) for g in range(m.township.n_grids)].index("C-3"),
    )


def model_at_step() -> GrassrootsModel:
    m = GrassrootsModel(CONFIG, rng=SEED)
    while m.step_count < STEP:
        m.step()
    return m


def test_evacuating_now_escorts_each_vulnerable_household_and_cuts_the_floods_needs():
    m = model_at_step()
    role = resolve_role(m, "party_secretary:B")
    flood = next(h for h in m.hazards if h.name == "flood")
    low = [g for g in role.grids if m.township.lowlying[g]]
    assert low and len(low) < len(role.grids)  # the community has grids above the water too
    res = m.residents
    households = {  # households with a vulnerable member, in the low-lying grids
        int(res.household[r])
        for g in low
        for r in range(res.grid_start[g], res.grid_start[g] + res.grid_size[g])
        if res.vulnerable[r]
    }
    rate = flood.rate.copy()
    first, now = m.needs.n, m.minute
    apply_choice(m, role, "evacuate_now")
    nd = m.needs
    made = np.arange(first, nd.n)
    assert len(made) == len(households)
    assert {int(res.household[r]) for r in nd.resident[made]} == households
    assert (nd.kind[made] == need_code("evacuation")).all() and (nd.created[made] == now).all()
    expected = rate.copy()
    expected[low] *= 1 - EVACUATED_SHARE
    np.testing.assert_array_equal(flood.rate, expected)  # the grids above the water: as before
    m.step()  # found at once: the cadres know who needs an escort
    assert (nd.detected[made] == now).all() and (nd.state[made] >= DETECTED).all()
    assert "evacuate_now" not in choices_for(m, role)  # done once
    assert "evacuate_now" in choices_for(m, resolve_role(m, "command"))  # other communities


def test_no_evacuation_to_order_without_a_flood():
    m = GrassrootsModel(
        load_scenario(SCENARIO_DIR / "street_epidemic.toml").with_overrides(
            {"time.peace_days": 0}, "test"
        ),
        rng=SEED,
    )
    m.step()
    for key in ("command", "party_secretary:B"):
        assert "evacuate_now" not in choices_for(m, resolve_role(m, key))


def test_redeploying_puts_the_township_cadres_in_the_dispatchers_reach():
    m = model_at_step()
    command = resolve_role(m, "command")
    R = m.engine.R
    cadres = np.flatnonzero(R.on_roster & (R.role == TOWNSHIP_CADRE))
    assert len(cadres) and not R.anywhere[cadres].any()
    assert np.isin(cadres, R.fixed_idx).all()  # each serves only its community
    apply_choice(m, command, "redeploy_cadres")
    R = m.engine.R
    assert R.anywhere[cadres].all() and not np.isin(cadres, R.fixed_idx).any()
    idle = cadres[R.status[cadres] == 0]
    assert len(idle) and (R.any_bucket[idle] >= 0).all()  # free ones wait in the any-lists
    assert m.roster is R and "redeploy_cadres" not in choices_for(m, command)


def test_evacuating_every_low_lying_grid_at_once_costs_more_harm_than_it_saves():
    """The trade-off the choice teaches (street flood plan, hour 2, common random numbers):
    escorts for every vulnerable household at once take the responders the rescues need."""
    found = harm_effects(load_plan("street_flood"), 2.0, [1, 2, 3], [("command", "evacuate_now")])
    assert len(found[("command", "evacuate_now")]) == 3
    assert all(d > 0 for d in found[("command", "evacuate_now")])
