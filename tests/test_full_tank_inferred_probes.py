"""Full-tank detection inferred from the house meter by probes (a step of the command, then the house's answer),
and with the clock stepped back (NTP setting a Pi's clock). Readings are real PZEM bytes (tests/full_tank_house)."""

from __future__ import annotations

import logging

import pytest

from field.full_tank import InferenceRule
from field.full_tank_inferred import InferredFullTank
from tests.full_tank_house import House, at, house_for


def test_a_working_heater_raises_no_suspicion() -> None:
    tank, house = house_for()
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is None and not tank.full


def test_full_heater_is_suspected_then_confirmed_by_the_reprobe() -> None:
    tank, house = house_for(heater_draws=False)
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is not None and not tank.full  # one failed probe is not enough
    house.run(60)
    assert not tank.reprobe_due(house.command_w, house.now)  # 120 s not yet passed
    house.run(60)
    assert tank.reprobe_due(house.command_w, house.now)
    assert tank.holding(house.now) and not tank.holding(house.now + 15)
    house.command(0)  # the regulator holds it at 0: the step down is the confirming probe
    house.run(14)
    assert house.verdicts.count(True) == 1 and tank.full


def test_a_probe_the_variator_did_not_answer_is_void(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.full_tank")
    answered_at = [at(2024, 6, 1, 11)]  # the variator's last answer on its status topic
    tank, house = house_for(heater_draws=False, heard_after=lambda t: answered_at[0] >= t)
    house.run(20)
    house.command(1500)  # no answer to this one
    house.run(20)
    assert tank.suspect_since is None and not tank.full
    assert "ecs: probe void, a 1500 W step moved the house by 0 W at most" in caplog.text
    house.command(0)
    answered_at[0] = house.now + 0.1  # it answers again
    house.run(20)
    assert tank.suspect_since is not None  # a probe it heard counts


def test_re_probes_the_variator_does_not_answer_back_off(caplog: pytest.LogCaptureFixture) -> None:
    # A variator off the network (its heater at 0 W) voids every re-probe: the heater was held at 0 W every two
    # minutes for as long as it was away (14 re-probes in 30 minutes, a bug hunt). Each void probe doubles the wait,
    # up to ten times; a probe that decides brings it back to two minutes.
    caplog.set_level(logging.INFO, logger="field.full_tank")
    answered_at = [at(2024, 6, 1, 11)]
    tank, house = house_for(heater_draws=False, heard_after=lambda t: answered_at[0] >= t)
    tank.suspect_since = house.now
    house.run(20)
    house.command(1500)  # (unanswered)
    reprobes: list[float] = []
    for _ in range(900):  # 30 minutes
        house.run(2)
        if tank.reprobe_due(house.command_w, house.now):
            reprobes.append(house.now)
            house.command(0)
            house.run(15)
            house.command(1500)
    # (a re-probe's step down and its step back up are two probes, each void: 240 s, then 960 s, then 20 minutes)
    assert len(reprobes) == 2 and reprobes[1] - reprobes[0] >= 960
    assert "(next re-probe in 240 s at the earliest)" in caplog.text


def _after_void_re_probes() -> tuple[InferredFullTank, House, list[float], float]:
    """A suspected heater whose variator does not answer: its first probe void, then a re-probe 240 s later whose step
    down and back up are void too (the wait now 960 s). The tank, the house, the variator's last answer (to move) and
    when the re-probe was asked."""
    answered_at = [at(2024, 6, 1, 11)]
    tank, house = house_for(heater_draws=False, heard_after=lambda t: answered_at[0] >= t)
    tank.suspect_since = house.now
    house.run(20)
    house.command(1500)  # (unanswered: void)
    house.run(20)
    while not tank.reprobe_due(house.command_w, house.now):  # (240 s after the first void probe)
        house.run(2)
    asked_at = house.now
    house.command(0)
    house.run(16)
    house.command(1500)
    house.run(40)
    return tank, house, answered_at, asked_at


def test_the_re_probes_wait_comes_back_once_the_variator_is_heard_again() -> None:
    # Back from its absence, the variator answers again: the wait doubled by its void probes stayed at up to 20 minutes
    # until a probe decided, and a tank really full was found 14 minutes late (a review's find).
    tank, house, answered_at, asked_at = _after_void_re_probes()
    answered_at[0] = house.now  # it answers again (a status), the command unchanged: no probe to decide
    first = house.now
    while not tank.reprobe_due(house.command_w, house.now):
        house.run(2)
    assert house.now - asked_at <= 122 and house.now - first <= 70


def test_a_probe_that_moved_the_house_needs_no_answer() -> None:
    # The house following the step is the answer: it clears a suspicion whatever the status topic says.
    tank, house = house_for(heard_after=lambda t: False)
    tank.suspect_since = house.now
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is None and not tank.full


def test_growing_steps_extend_one_probe() -> None:
    tank, house = house_for(heater_draws=False)
    house.run(10)
    house.command(800)
    house.run(2)
    house.command(2300)  # the next decision adds the surplus still unused
    house.run(14)
    assert tank.suspect_since is not None


def test_a_step_undone_at_once_is_abandoned() -> None:
    tank, house = house_for(heater_draws=False)
    house.run(10)
    house.command(1500)
    house.run(2)
    house.command(100)  # back under min_power above the start: nothing left to measure
    house.run(20)
    assert tank.suspect_since is None


def test_an_appliance_stopping_during_the_step_is_inconclusive() -> None:
    tank, house = house_for()
    house.run(10, appliance_w=2000)  # a kettle
    house.command(1500)
    house.run(20, appliance_w=0)  # ...stops at the same moment: the house drops 500 W
    assert tank.suspect_since is None and not tank.full


def test_an_unsteady_house_gives_no_probe() -> None:
    tank, house = house_for(heater_draws=False)
    house.run(2, appliance_w=0)
    house.run(2, appliance_w=900)  # the two readings before the step differ by 900 W
    house.command(1500)
    house.run(20, appliance_w=900)
    assert tank.suspect_since is None


def test_an_exact_coincidence_is_undone_by_the_confirming_probe() -> None:
    tank, house = house_for()
    house.run(10, appliance_w=1500)
    house.command(1500)
    house.run(20, appliance_w=0)  # heater +1500, kettle -1500: looks exactly like a full tank
    assert tank.suspect_since is not None
    house.run(120)
    assert tank.reprobe_due(house.command_w, house.now)
    house.command(0)
    house.run(14)
    assert tank.suspect_since is None and not tank.full  # the step down showed the heater drawing


def test_other_regulated_loads_changing_at_the_same_time_are_subtracted() -> None:
    tank, house = house_for()
    house.others_w = 1500  # a relay load the regulator believes at 1500 W
    house.run(10)
    house.command(1500)
    house.others_w = 0  # the regulator switched the relay off in the same decision
    house.run(20)
    assert tank.suspect_since is None  # the flat house reading is the heater replacing the relay


def test_a_probe_without_settled_readings_times_out() -> None:
    tank, house = house_for(heater_draws=False, rule=InferenceRule(probe_timeout_s=5))
    house.run(10)
    house.command(1500)
    house.now += 30  # the meter went silent
    house.run(20)
    assert tank.suspect_since is None


def test_inference_logs_its_numbers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.full_tank")
    tank, house = house_for(heater_draws=False)
    house.run(10)
    house.command(1500)
    house.run(20)
    assert "ecs may be full: a 1500 W step moved the house by 0 W at most (< 375 W)" in caplog.text


def test_clear_drops_full_and_suspicion() -> None:
    tank, house = house_for(heater_draws=False)
    house.run(10)
    house.command(1500)
    house.run(20)
    tank.clear()
    assert tank.suspect_since is None and not tank.full
    assert not tank.reprobe_due(1500, house.now + 1000)


# --- the clock stepped back (NTP setting a Pi's clock): the times kept start again at the new time ----------

def test_a_probe_started_before_the_clock_stepped_back_still_concludes() -> None:
    # The step's readings, taken an hour "before" it began, never settled (they were "3 s after the command" only
    # an hour later): the probe, its timeout, the cut check and the re-probe waited for the step's length.
    tank, house = house_for(heater_draws=False)
    house.run(10)
    house.command(1500)
    house.run(2)
    house.now -= 3600
    tank.follow_clock(house.now)  # (the full-tank watch, at each tick)
    house.run(20)
    assert tank.suspect_since is not None


def test_a_cut_after_the_clock_stepped_back_is_seen() -> None:
    # The heater saturated (its command held), the last change before the step: no reading "showed" it for an
    # hour, so the thermostat's cut went unseen, 2300 W believed drawing.
    tank, house = house_for()
    house.command(2300)
    house.run(2)
    house.now -= 3600
    tank.follow_clock(house.now)
    house.run(60)
    house.heater_draws = False
    house.run(2)
    assert tank.suspect_since == house.now


def test_a_probe_started_before_the_clock_stepped_back_is_no_confirming_one() -> None:
    # A second probe started seconds after the first failed, then the clock stepped back an hour: the suspicion starts
    # again at the new time, and the probe's start, left an hour ahead, made it one started an hour after the first
    # failure: two probes seconds apart (the same passing coincidence, maybe) concluded the tank full.
    tank, house = house_for(heater_draws=False)
    house.run(10)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is not None
    house.command(0)  # a probe down, well within confirm_gap_s (60 s) of the suspicion
    house.run(2)  # (a reading not settled yet)
    house.now -= 3600
    tank.follow_clock(house.now)
    house.run(3700)  # (past the hour: a probe whose times stayed ahead concludes then)
    assert not tank.full


def test_a_new_suspicion_waits_its_own_time_for_the_re_probe() -> None:
    # A re-probe cleared the first suspicion; a second one, raised more than reprobe_after_s after that re-probe, was
    # re-probed at once (timed from the old one): the heater held at 0 W for a re-probe that could not conclude.
    tank, house = house_for(heater_draws=False)
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is not None
    house.heater_draws = True  # the thermostat closed again: the re-probe's step down moves the house
    house.run(120)
    assert tank.reprobe_due(house.command_w, house.now)
    house.command(0)
    house.run(14)
    assert tank.suspect_since is None and not tank.full
    house.command(1500)
    house.run(150)
    house.heater_draws = False  # cut again: the house falls by its watts at once
    house.run(20)
    assert tank.suspect_since is not None
    assert not tank.reprobe_due(house.command_w, house.now)
    house.run(80)
    assert not tank.reprobe_due(house.command_w, house.now)
    house.run(120)
    assert tank.reprobe_due(house.command_w, house.now)


def test_the_re_probes_wait_comes_back_after_a_clock_stepped_back() -> None:
    # The void probe's command time, an hour ahead of a clock NTP stepped back, took no answer on the new clock for
    # that hour: the wait stayed doubled (a review's find). It starts again at the step, as the other times do.
    tank, house, answered_at, _ = _after_void_re_probes()
    house.now -= 3600.0
    tank.follow_clock(house.now)
    answered_at[0] = house.now  # it answers again, on the new clock
    first = house.now
    while not tank.reprobe_due(house.command_w, house.now):
        house.run(2)
    assert house.now - first <= 130
