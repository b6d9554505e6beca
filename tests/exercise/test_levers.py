"""Each choice of each role is a lever on the running model: on the same seed, the run with
the choice differs from the default run (in the expected direction where there is one), and
the default choice changes nothing."""

import numpy as np
import pytest

from experiments.exercise.levers import CHOICES, DEFAULT, apply_choice, choices_for, resolve_role
from experiments.exercise.play import Decision, play
from sim import GrassrootsModel
from sim.outcomes import summarize
from sim.scenario import SCENARIO_DIR, load_scenario

CONFIG = load_scenario(SCENARIO_DIR / "street_flood.toml").with_overrides(
    {"organization.command_convene_min": 600.0}, "test"
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
