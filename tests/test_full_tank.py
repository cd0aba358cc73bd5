"""Full-tank detection: with the load's own meter (the seed's rule), inferred from the house meter, and the
daily clear at init_at and midnight (Europe/Paris, DST days included). Readings are real PZEM bytes."""

from __future__ import annotations

import logging
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from field.full_tank import InferenceRule, InferredFullTank, MeteredFullTank, daily_clear_due
from values.readings import MeterReading, parse_meter_payload

PARIS = ZoneInfo("Europe/Paris")


def at(y: int, m: int, d: int, h: int, mi: int = 0, s: int = 0, fold: int = 0) -> float:
    return datetime(y, m, d, h, mi, s, tzinfo=PARIS, fold=fold).timestamp()


def pzem(power_w: float) -> bytes:
    """A reading exactly as the Wifi MQTT Energy Smartmeter sends it."""
    return (b'{ "voltage": 231.40, "current": 1.23, "power": %.2f, "energy": 1234.00, "frequency": 50.00, '
            b'"powerfactor": 0.98, "ppm_err": 0}' % power_w)


def watts(payload: bytes) -> float:
    reading = parse_meter_payload(payload, "power", 0.0, 30000.0)
    assert isinstance(reading, MeterReading)
    return reading.power_w


# --- with the load's own meter --------------------------------------------------------------------------

def test_five_low_readings_in_a_row_make_it_full() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    verdicts = [tank.on_reading(watts(pzem(p)), 1500, t0 + 2 * i) for i, p in enumerate([0, 3.2, 0, 4.99, 0])]
    assert verdicts == [False, False, False, False, True]
    assert tank.full
    assert not tank.on_reading(0.0, 1500, t0 + 10)  # says it once


def test_a_reading_of_5_w_or_more_restarts_the_count() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    for i, p in enumerate([0, 0, 0, 0, 5.0, 0, 0, 0, 0]):
        assert not tank.on_reading(watts(pzem(p)), 1500, t0 + 2 * i)
    assert tank.on_reading(0.0, 1500, t0 + 18)


def test_readings_10_s_apart_do_not_chain() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    for i in range(8):
        assert not tank.on_reading(0.0, 1500, t0 + 10 * i)  # the meter dropped out between each
    assert not tank.full
    assert [tank.on_reading(0.0, 1500, t0 + 100 + 9.9 * i) for i in range(5)][-1] is True


def test_a_command_below_min_power_is_no_evidence() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    for i in range(10):
        assert not tank.on_reading(0.0, 149, t0 + 2 * i)  # the triac misfires down there anyway
    for i in range(4):
        tank.on_reading(0.0, 150, t0 + 30 + 2 * i)
    assert not tank.full  # the low-command readings did not count towards the five


def test_clear_lets_the_load_take_power_again() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    for i in range(5):
        tank.on_reading(0.0, 2000, 100.0 + i)
    assert tank.full
    tank.clear()
    assert not tank.full
    assert not any(tank.on_reading(0.0, 2000, 200.0 + i) for i in range(4))


# --- the daily clear ------------------------------------------------------------------------------------

@pytest.mark.parametrize("since, now, due", [
    (at(2024, 6, 1, 5, 59), at(2024, 6, 1, 6, 0, 1), True),  # init_at passed
    (at(2024, 6, 1, 6, 0, 1), at(2024, 6, 1, 23, 59), False),
    (at(2024, 6, 1, 23, 59), at(2024, 6, 2, 0, 0, 30), True),  # midnight
    (at(2024, 6, 2, 0, 0, 30), at(2024, 6, 2, 5, 59, 59), False),
    (at(2024, 6, 1, 6, 0, 0), at(2024, 6, 1, 6, 0, 0), False),  # exactly at it, already checked
    (at(2024, 5, 31, 20), at(2024, 6, 1, 8), True),  # restart: saved status time as `since`
])
def test_clear_at_init_at_and_midnight(since: float, now: float, due: bool) -> None:
    assert daily_clear_due(since, now, PARIS, init_at_hour=6) is due


def test_clear_on_the_spring_forward_day_when_init_at_does_not_exist() -> None:
    # 2024-03-31: 02:00 CET jumps to 03:00 CEST; an init_at of 2 happens at the jump.
    assert not daily_clear_due(at(2024, 3, 31, 0, 30), at(2024, 3, 31, 1, 59), PARIS, init_at_hour=2)
    assert daily_clear_due(at(2024, 3, 31, 1, 59), at(2024, 3, 31, 3, 0, 1), PARIS, init_at_hour=2)


def test_clear_once_on_the_fall_back_day_when_init_at_happens_twice() -> None:
    # 2024-10-27: 03:00 CEST falls back to 02:00 CET; 02:00 is lived twice, cleared the first time only.
    first_0230 = at(2024, 10, 27, 2, 30, fold=0)
    second_0230 = at(2024, 10, 27, 2, 30, fold=1)
    assert second_0230 - first_0230 == 3600
    assert daily_clear_due(at(2024, 10, 27, 1, 59), first_0230, PARIS, init_at_hour=2)
    assert not daily_clear_due(first_0230, second_0230, PARIS, init_at_hour=2)


def test_clear_with_the_system_time_zone() -> None:
    t = at(2024, 6, 1, 12)
    assert daily_clear_due(t - 2 * 86400, t, None, init_at_hour=6)  # two days: both passed, whatever the zone
    assert not daily_clear_due(t, t, None, init_at_hour=6)


# --- inferred from the house meter ----------------------------------------------------------------------

class House:
    """Drives an InferredFullTank like the regulator would: a reading every 2 s, commands in between."""

    def __init__(self, tank: InferredFullTank, start: float, base_w: float = 300.0) -> None:
        self.tank, self.now, self.base_w = tank, start, base_w
        self.heater_draws = True  # False: the thermostat has cut
        self.command_w = 0.0
        self.others_w = 0.0  # believed power of the other regulated loads (they draw it too)
        self.verdicts: list[bool] = []
        tank.on_command(0.0, start)

    def command(self, watts_: float) -> None:
        self.command_w = watts_
        self.tank.on_command(watts_, self.now)

    def run(self, seconds: float, appliance_w: float = 0.0) -> None:
        """Readings every 2 s for `seconds`; `appliance_w` is an unregulated appliance's draw."""
        for _ in range(int(seconds // 2)):
            self.now += 2.0
            drawn = self.command_w if self.heater_draws else 0.0
            payload = pzem(self.base_w + appliance_w + drawn + self.others_w)
            self.verdicts.append(self.tank.on_consumption(watts(payload), self.now, self.others_w))


def test_a_working_heater_raises_no_suspicion() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is None and not tank.full


def test_full_heater_is_suspected_then_confirmed_by_the_reprobe() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
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
    tank = InferredFullTank("ecs", min_power_w=150, heard_after=lambda t: answered_at[0] >= t)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(20)
    house.command(1500)  # no answer to this one
    house.run(20)
    assert tank.suspect_since is None and not tank.full
    assert "ecs: probe void, a 1500 W step moved the house by 0 W at most" in caplog.text
    house.command(0)
    answered_at[0] = house.now + 0.1  # it answers again
    house.run(20)
    assert tank.suspect_since is not None  # a probe it heard counts


def test_a_probe_that_moved_the_house_needs_no_answer() -> None:
    # The house following the step is the answer: it clears a suspicion whatever the status topic says.
    tank = InferredFullTank("ecs", min_power_w=150, heard_after=lambda t: False)
    house = House(tank, at(2024, 6, 1, 11))
    tank.suspect_since = house.now
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is None and not tank.full


def test_growing_steps_extend_one_probe() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(10)
    house.command(800)
    house.run(2)
    house.command(2300)  # the next decision adds the surplus still unused
    house.run(14)
    assert tank.suspect_since is not None


def test_a_step_undone_at_once_is_abandoned() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(10)
    house.command(1500)
    house.run(2)
    house.command(100)  # back under min_power above the start: nothing left to measure
    house.run(20)
    assert tank.suspect_since is None


def test_an_appliance_stopping_during_the_step_is_inconclusive() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.run(10, appliance_w=2000)  # a kettle
    house.command(1500)
    house.run(20, appliance_w=0)  # ...stops at the same moment: the house drops 500 W
    assert tank.suspect_since is None and not tank.full


def test_an_unsteady_house_gives_no_probe() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(2, appliance_w=0)
    house.run(2, appliance_w=900)  # the two readings before the step differ by 900 W
    house.command(1500)
    house.run(20, appliance_w=900)
    assert tank.suspect_since is None


def test_an_exact_coincidence_is_undone_by_the_confirming_probe() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
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
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.others_w = 1500  # a relay load the regulator believes at 1500 W
    house.run(10)
    house.command(1500)
    house.others_w = 0  # the regulator switched the relay off in the same decision
    house.run(20)
    assert tank.suspect_since is None  # the flat house reading is the heater replacing the relay


def test_a_probe_without_settled_readings_times_out() -> None:
    tank = InferredFullTank("ecs", min_power_w=150, rule=InferenceRule(probe_timeout_s=5))
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(10)
    house.command(1500)
    house.now += 30  # the meter went silent
    house.run(20)
    assert tank.suspect_since is None


def test_inference_logs_its_numbers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.full_tank")
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(10)
    house.command(1500)
    house.run(20)
    assert "ecs may be full: a 1500 W step moved the house by 0 W at most (< 375 W)" in caplog.text


def test_clear_drops_full_and_suspicion() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(10)
    house.command(1500)
    house.run(20)
    tank.clear()
    assert tank.suspect_since is None and not tank.full
    assert not tank.reprobe_due(1500, house.now + 1000)


# --- the closed loop's moves as evidence (it moves the command at every reading: no step settles) -------

def loop(house: House, commands_w: list[float], appliance_w: float = 0.0) -> None:
    """The closed loop's pace: a new command after each house reading."""
    for command_w in commands_w:
        house.command(command_w)
        house.run(2, appliance_w)


def test_the_loops_moves_reveal_a_full_tank_found_at_saturation(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.full_tank")
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.command(2300)
    house.run(60)  # saturated: the thermostat cuts at 100 % as a 1500 W appliance starts, no fall to see
    house.heater_draws = False
    house.run(60, appliance_w=1500)
    assert tank.suspect_since is None
    house.run(2, appliance_w=2700)  # another: the grid imports...
    # ...and the loop takes the heater down a reading at a time; the house meter does not move.
    loop(house, [1700, 1300, 1250], appliance_w=2700)
    assert tank.suspect_since is not None and not tank.full
    assert "ecs may be full: 723 W of command moves were followed at 0% (< 25%)" in caplog.text
    loop(house, [1280, 1240] * 30, appliance_w=2700)  # the sigma-delta's moves: they only suspect
    assert not tank.full
    assert tank.reprobe_due(house.command_w, house.now)  # 120 s on: the deliberate step decides
    house.command(0)
    house.run(14, appliance_w=2700)
    assert tank.full and house.verdicts.count(True) == 1
    assert "ecs is full: a second probe, a 1240 W step moved the house by 0 W at most (< 310 W)" in caplog.text


def test_a_sudden_fall_by_a_steady_commands_watts_is_a_suspicion() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.command(2300)
    house.run(60)
    house.heater_draws = False  # the thermostat cuts at 100 %: the house falls by 2300 W, nothing moved
    house.run(2)
    assert tank.suspect_since == house.now
    house.run(120)
    assert tank.reprobe_due(house.command_w, house.now)  # the re-probe decides
    house.command(0)
    house.run(14)
    assert tank.full


def test_a_cut_split_over_two_readings_is_seen() -> None:
    # A meter averaging over its period: the reading during the cut shows half of it, the next the rest.
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.command(2300)
    house.run(60)
    house.run(2, appliance_w=-1200)  # (the heater drew half the period: 1200 W less, no cut by itself)
    assert tank.suspect_since is None
    house.heater_draws = False
    house.run(2)
    assert tank.suspect_since == house.now


def test_a_cut_split_over_two_readings_with_a_relay_switched_between_them_is_seen() -> None:
    # The serf-east replay, demo house: a 600 W relay switched on at the reading that showed the first half
    # of the cut, and off again at the next. The others' believed watts are subtracted at each reading, so
    # the heater's own fall still shows (before: "the other loads moved", and the cut went unseen for 1.5 h).
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.command(2300)
    house.run(60)
    house.others_w = 600.0  # the relay on...
    house.run(2, appliance_w=-1150)  # ...as the heater drew half the period
    assert tank.suspect_since is None
    house.others_w = 0.0  # the relay off again, the heater cut
    house.heater_draws = False
    house.run(2)
    assert tank.suspect_since == house.now


@pytest.mark.parametrize("fell_w", [1600, 3000])
def test_a_fall_unlike_the_commands_watts_is_no_suspicion(fell_w: float) -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.command(2300)
    house.run(60, appliance_w=3000)
    house.run(2, appliance_w=3000 - fell_w)  # (more than 25 % off the heater's 2300 W)
    assert tank.suspect_since is None


def test_a_fall_with_the_command_moving_a_little_is_a_cut() -> None:
    # A working heater moved from 2300 to 2200 W moves the house by 100 W; it fell by all the 2300 W
    # (before 2026-12-01 only a steady command was weighed, and this cut waited for the loop's moves).
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.command(2300)
    house.run(60)
    house.heater_draws = False
    house.command(2200)
    house.run(2)
    assert tank.suspect_since is not None


def test_a_working_heater_moved_at_every_reading_in_a_noisy_house_stays_trusted() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.base_w = 3000.0
    rng = random.Random(8)
    wander_w = 0.0
    for _ in range(1800):  # an hour of sigma-delta moves of one or two percents, a few larger
        wander_w += rng.uniform(-60, 60)  # a restless house: +-60 W from one reading to the next
        house.command(rng.choice([1000.0, 1035.0, 1070.0, 1105.0, 800.0, 1300.0]))
        house.run(2, appliance_w=wander_w)
    assert tank.suspect_since is None and not tank.full


def test_a_cut_heater_moved_at_every_reading_in_a_noisy_house_is_suspected() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    rng = random.Random(8)
    for _ in range(300):  # the same moves, the house +-20 W around its base
        house.command(rng.choice([1000.0, 1035.0, 1070.0, 1105.0, 800.0, 1300.0]))
        house.run(2, appliance_w=rng.uniform(-20, 20))
    assert tank.suspect_since is not None and not tank.full  # suspected only: the re-probe decides


def test_one_big_coincidence_among_small_moves_makes_no_verdict() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.run(10, appliance_w=600)
    house.command(1100)
    house.run(2)  # a 600 W kettle stops as the heater goes up 600 W...
    loop(house, [1130, 1100])  # ...then two small moves: the window is that one coincidence
    assert tank.suspect_since is None


def test_a_suspicion_from_a_coincidence_is_cleared_by_the_loops_next_moves() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.run(10)
    loop(house, [1500, 1000, 500], appliance_w=0)
    loop(house, [400], appliance_w=0)
    tank.suspect_since = house.now  # as if a probe had failed on a coincidence
    loop(house, [900, 1300, 800, 1200])
    assert tank.suspect_since is None


def test_moves_while_another_regulated_load_switches_are_no_evidence() -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(10)
    for step, command_w in enumerate([1500.0, 1000.0, 1600.0, 900.0, 1700.0, 800.0]):
        house.others_w = 600.0 * (step % 2)  # a relay the regulator switches at each of the heater's moves
        house.command(command_w)
        house.run(2)
    assert tank.suspect_since is None


@pytest.mark.parametrize(("low_w", "suspected"), [(0.0, True), (100.0, False)])
def test_moves_under_min_power_are_no_evidence(low_w: float, suspected: bool) -> None:
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(10)
    # From 0 W the moves count (off is no misfire); from 100 W, under min_power, they do not.
    loop(house, [low_w, 600.0] * 6)
    assert (tank.suspect_since is not None) is suspected


# --- the clock stepped back (NTP setting a Pi's clock): the times kept start again at the new time ----------

def test_a_probe_started_before_the_clock_stepped_back_still_concludes() -> None:
    # The step's readings, taken an hour "before" it began, never settled (they were "3 s after the command" only
    # an hour later): the probe, its timeout, the cut check and the re-probe waited for the step's length.
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
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
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
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
    tank = InferredFullTank("ecs", min_power_w=150)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
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
