"""A tank found full is re-checked an hour later while the house exports: its thermostat closes again after showers
or as the water cools (FullTankProbes.tick, field/full_tank_probe.py). Until 2026-12-06 it was left out
until the daily clear, and a tank losing heat got none of the afternoon's sun; then it was given back to
the allocation only when the house exported its whole max_power (relays after it kept the surplus): later that
day probed at its floor instead."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from field.full_tank_recheck import PROBE_RETRY_S, PROBE_TIMEOUT_S
from integrations.domoticz_control import EcsMode
from simulation.replay import replay
from tests.field_house import ECS_CMD, ECS_METER, ECS_STATUS, RADIATOR, field_config
from tests.field_tank import EMPTY_TANK, FOUND, METERED, T, full_an_hour, live, metered, sun, thermostat_cut
from tests.harness import MODE, Harness
from tests.replay_days import write_config


def test_a_tank_that_takes_power_again_is_given_the_surplus(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    full_an_hour(h)
    ecs = h.load("ecs")
    sun(h, FOUND + 3600, FOUND + 3600)  # (the radiator on: 2200 W exported)
    assert ecs.overed and 0 < ecs.current_power_w <= 200  # (its floor, out of the allocation yet)
    assert ("ecs: found full at 11:00, and the house exports 2200 W: commanded 140 W for a moment, to see whether its "
            "tank takes power again (its thermostat closes after showers, or as the water cools)") in caplog.messages
    sun(h, FOUND + 3605, FOUND + 3615, tank_takes=True)  # (showers since: the house draws its 140 W)
    assert not ecs.overed
    assert ("ecs: draws at its re-check (the house less the other loads moved by +140 W at 140 W commanded): its tank "
            "takes power again, given the surplus by its priority") in caplog.messages
    sun(h, FOUND + 3620, FOUND + 3630, tank_takes=True)
    assert ecs.current_power_w > 1000  # (the allocation's again)


def test_a_tank_still_full_is_left_out_another_hour_its_relays_untouched(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    full_an_hour(h)
    radiator_commands = len(h.on(RADIATOR))
    sun(h, FOUND + 3600, FOUND + 3615)  # (the house does not move)
    ecs = h.load("ecs")
    assert ecs.overed and h.last(ECS_CMD) == "0"
    assert ("ecs: still full at its re-check (the house less the other loads moved by +0 W at 140 W commanded): 0 W, "
            "re-checked again in 60 min") in caplog.messages
    again = FOUND + 3610  # (found so at the second reading of the probe)
    sun(h, FOUND + 3620, again + 3590)
    assert ecs.overed and h.last(ECS_CMD) == "0"  # (its next re-check an hour from then)
    assert len(h.on(RADIATOR)) == radiator_commands and h.last(RADIATOR) == "ON"  # (the relay kept on all along)
    sun(h, again + 3600, again + 3600)
    assert ecs.current_power_w > 0  # (probed again)


def test_its_floor_of_export_is_enough_to_probe(tmp_path: Path) -> None:
    # 1800 W of sun: the radiator on, 500 W exported, not the heater's 2000 W (before, no re-check until the clear)
    h = metered(tmp_path)
    full_an_hour(h, 1800.0)
    sun(h, FOUND + 3600, FOUND + 3600, 1800.0)
    assert h.load("ecs").current_power_w > 0
    sun(h, FOUND + 3605, FOUND + 3615, 1800.0, tank_takes=True)
    assert not h.load("ecs").overed


def test_the_own_meter_decides_a_probe_while_it_reads(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    now = FOUND + 1
    while now < FOUND + 3605:  # (its meter reads on, the tank full: 0 W)
        h.reg.handle(ECS_METER, live(EMPTY_TANK), now)
        h.meters(1300 if h.last(RADIATOR) == "ON" else 300, 3500, now + 0.5)
        h.reg.tick(now + 1)
        now += 5
    assert h.load("ecs").overed and h.load("ecs").current_power_w > 0  # (probing)
    drawing = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 139.00')
    for i in range(3):  # (the house meter silent: its own meter alone decides)
        h.reg.handle(ECS_METER, live(drawing), now + 2 * i)
    assert not h.load("ecs").overed


def test_a_house_stepping_gives_no_baseline_the_probe_waits(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 3575)
    now = FOUND + 3580
    for i in range(12):  # (a hob pulsing 600 W at each reading: no two readings alike to measure a step from)
        h.meters(1300 + 600 * (i % 2), 3500, now)
        h.reg.tick(now + 1)
        now += 5
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    sun(h, now, now + 10)  # (steady again: probed)
    assert h.load("ecs").current_power_w > 0


def test_a_hob_pulsing_through_a_probe_decides_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    full_an_hour(h)
    sun(h, FOUND + 3600, FOUND + 3600)  # (probed on a steady house)
    now = FOUND + 3605
    for i in range(14):  # (then a hob pulsing 600 W at each reading: drawn, not, drawn...)
        h.meters(1300 + 600 * ((i + 1) % 2), 3500, now)
        h.reg.tick(now + 1)
        now += 5
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    assert any(m.startswith("ecs: no verdict at its re-check (140 W commanded for 65 s: no two readings in a row "
                            "alike)") for m in caplog.messages)
    assert not any("still full" in m for m in caplog.messages)  # (until 2026-12-07: re-checked an hour later)


def test_a_variator_gated_off_during_its_probe_is_put_back_at_0_w(tmp_path: Path) -> None:
    h = metered(tmp_path)
    full_an_hour(h)
    sun(h, FOUND + 3600, FOUND + 3600)
    assert h.load("ecs").current_power_w > 0
    h.reg.handle(ECS_STATUS, b'{"percent": 7.00, "power": 0, "mode": 0, "state": "OFF", "msg": "setstate"}',
                 FOUND + 3602)
    h.reg.tick(FOUND + 3603)
    assert h.load("ecs").overed and h.load("ecs").current_power_w == 0 and h.last(ECS_CMD) == "0"


@pytest.mark.parametrize("production_w", [1400.0, 200.0])  # (100 W exported, the radiator on; 100 W imported)
def test_no_probe_without_its_floor_exported(tmp_path: Path, production_w: float) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    sent = len(h.on(ECS_CMD))  # (its 0 % when found full, and the variator's status asked)
    sun(h, FOUND + 1, FOUND + 4000, production_w)
    assert h.load("ecs").overed
    assert not [c for c in h.on(ECS_CMD)[sent:] if c not in ("0", "status")]


def test_a_probe_no_reading_decides_is_given_up_and_tried_again_soon(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # The meters silent through the probe: it told nothing of the tank. Taken for a tank still full, it was re-checked
    # an hour later, and a tank that took power again lost that hour of sun. (Under a meter_timeout longer than the
    # probe's: under a shorter one the silence suspends the regulation first, which gives the probe up,
    # test_field_tank_recheck_suspended.)
    caplog.set_level(logging.INFO)
    config = field_config(tmp_path, ecs=METERED)
    config.write_text(config.read_text().replace("meter_timeout = 10\n", "meter_timeout = 120\n"))
    h = Harness(config)
    h.meters(300, 2000, T)
    full_an_hour(h)
    sun(h, FOUND + 3600, FOUND + 3600)
    assert h.load("ecs").current_power_w > 0
    h.reg.tick(FOUND + 3600 + PROBE_TIMEOUT_S + 2)  # (the meters silent since)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    assert any(m.startswith("ecs: no verdict at its re-check (140 W commanded for 61 s: no reading of the meter that "
                            "judges it): 0 W, re-checked again in 5 min") for m in caplog.messages)
    retry_at = FOUND + 3600 + PROBE_TIMEOUT_S + 2 + PROBE_RETRY_S
    sun(h, FOUND + 3700, retry_at - 5)  # (the meters back, the tank taking power: not probed before its retry)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    sun(h, retry_at, retry_at + 20, tank_takes=True)
    assert not h.load("ecs").overed  # (not an hour later)


def test_no_recheck_of_an_export_seen_long_ago(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 100)  # (the meters silent since)
    h.reg.tick(FOUND + 3700)
    assert h.load("ecs").overed


def test_no_recheck_under_a_users_force(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 0}', FOUND + 60)
    sun(h, FOUND + 61, FOUND + 3700)
    assert h.load("ecs").overed  # (the user's word holds; the re-check may come once it ends)


def test_a_replayed_tank_that_cools_takes_the_sun_again(tmp_path: Path) -> None:
    # The 2000 W heater, its tank full after 500 Wh, losing 600 W and closing again 200 Wh below its cut (20 minutes
    # after it), under steady sun: found full from the house meter (no meter of its own), it reheats at its re-check.
    config = write_config(tmp_path, "ecs = variable", "ecs.tank_wh = 500\necs.loss_w = 600\necs.band_wh = 200")
    trace = tmp_path / "trace.csv"
    trace.write_text("time,production_w,house_w\n" + "".join(
        f"2022-03-19T{10 + i // 60:02d}:{i % 60:02d}:00,3000,500\n" for i in range(150)))
    result = replay(config, trace)
    drawn = [row.real_w[0] for row in result.rows]
    half_hour = len(drawn) * 30 // 150
    assert max(drawn[:half_hour]) > 1500  # (it fills, cuts, and is found full)
    # The last hour and a half: it was left out until midnight; now it reheats at each re-check.
    assert sum(drawn[-3 * half_hour:]) * 2.0 / 3600.0 >= 150.0


def test_a_house_meter_every_40_s_decides_a_probe(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Two readings after `settle` take up to three of its gaps: at a house meter every 40 s, over the minute a probe
    # waited, every probe was given up ("no reading told") and a tank that took power again waited for the clear.
    caplog.set_level(logging.INFO)
    config = field_config(tmp_path, ecs=METERED)
    config.write_text(config.read_text().replace("meter_timeout = 10", "meter_timeout = 300"))
    h = Harness(config)
    h.meters(300, 2000, T)
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 3601, step_s=40.0)
    ecs = h.load("ecs")
    assert ecs.overed and ecs.current_power_w > 0  # (probing since 3602: its tank takes power again)
    for now in range(int(FOUND) + 3603, int(FOUND) + 3800):  # (the daemon ticks every second, the meter every 40 s)
        if (now - FOUND) % 40 == 1:
            h.meters(300 + (1000 if h.last(RADIATOR) == "ON" else 0) + ecs.current_power_w, 3500, now)
        h.reg.tick(now + 0.5)
    assert not ecs.overed
    assert not any("no verdict at its re-check" in m for m in caplog.messages)


def test_a_relay_switched_during_a_probe_decides_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # 700 W exported, the radiator off: the probe begins. The sun rises and the radiator comes on, drawing 1100 W for
    # its label's 1000 W (at 240 V): the house less the other loads rose by its 100 W, taken for the probe's 140 W,
    # and a tank still full was given back to the allocation (its re-probe, and the relays after it, to pay).
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)

    def run(start: float, end: float, production_w: float) -> None:
        now = start
        while now <= end:  # (the tank full: the heater draws nothing)
            h.meters(300 + (1100 if h.last(RADIATOR) == "ON" else 0), production_w, now)
            h.reg.tick(now + 1)
            now += 5

    run(FOUND + 1, FOUND + 3601, 1000.0)
    assert h.load("ecs").current_power_w > 0 and h.last(RADIATOR) != "ON"  # (probing)
    run(FOUND + 3606, FOUND + 3606 + PROBE_TIMEOUT_S, 2600.0)
    assert h.last(RADIATOR) == "ON"
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    assert not any(m.startswith("ecs: draws at its re-check") for m in caplog.messages)


def test_no_recheck_while_the_water_heater_s_mode_is_off(tmp_path: Path) -> None:
    # The mode off (away, or the owner's choice): the heater is out of the allocation, commanded 0 W. Its probe was
    # commanded all the same, put back at 0 W by the mode in the same tick, every hour (a 7 % and a 0 sent each time).
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    heater = h.reg.field.heater
    assert heater is not None
    heater.set_mode(EcsMode.OFF, FOUND + 10, "test")
    sent = len(h.on(ECS_CMD))
    sun(h, FOUND + 11, FOUND + 3700)
    assert not [c for c in h.on(ECS_CMD)[sent:] if c not in ("0", "status")]
    heater.set_mode(EcsMode.SOLAR, FOUND + 3701, "test")
    sun(h, FOUND + 3705, FOUND + 3710)
    assert h.load("ecs").current_power_w > 0  # (probed once the mode lets it take the sun)


def test_the_demo_re_checks_at_its_own_speed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The live demo runs the house 10 times faster than the daemon's clock (demo_speed = 10): the re-check's hour is
    # 6 minutes of the daemon's, as the full-tank inference's waits are divided. At 3600 s it came 10 simulated hours
    # after the tank was found full: never within a demo.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path, evaluate="demo_speed = 10\n")
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 355)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    sun(h, FOUND + 360, FOUND + 360)
    assert h.load("ecs").current_power_w > 0  # (probed)
    sun(h, FOUND + 365, FOUND + 375)  # (still full)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    assert any(m.startswith("ecs: still full at its re-check") and m.endswith("re-checked again in 6 min")
               for m in caplog.messages)


def test_a_probe_whose_command_is_not_published_is_no_probe(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A full paho queue, say: the heater still at 0 W, its probe was judged at 0 W commanded, every reading "drew" at
    # least half of nothing, and a tank still full was said to take power again and given back to the allocation.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    full_an_hour(h)
    ecs = h.load("ecs")

    def refused(topic: str, payload: str | bytes, retain: bool = False) -> None:
        raise RuntimeError("the queue is full")

    ecs.bind(refused)
    sun(h, FOUND + 3600, FOUND + 3700)  # (the tank still full: the house does not move)
    assert ecs.overed and ecs.current_power_w == 0
    assert not [m for m in caplog.messages if "for a moment" in m or "at its re-check" in m]
    ecs.bind(h.publish)
    sun(h, FOUND + 3705, FOUND + 3705)
    assert ecs.overed and ecs.current_power_w > 0  # (probed once its command goes out)


def test_a_probe_not_published_is_not_judged_drawing_by_its_own_meter(tmp_path: Path) -> None:
    # Judged at 0 W commanded, its meter's 0 W was 'drawn' (half of nothing), and a full tank was given back.
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    ecs = h.load("ecs")

    def refused(topic: str, payload: str | bytes, retain: bool = False) -> None:
        raise RuntimeError("the queue is full")

    now = FOUND + 1
    while now < FOUND + 3700:  # (its meter reads on, the tank full: 0 W)
        if now >= FOUND + 3590:
            ecs.bind(refused)
        h.reg.handle(ECS_METER, live(EMPTY_TANK), now)
        h.meters(1300 if h.last(RADIATOR) == "ON" else 300, 3500, now + 0.5)
        h.reg.tick(now + 1)
        now += 5
    assert ecs.overed and ecs.current_power_w == 0


def test_a_re_check_s_wait_under_a_minute_is_said_in_seconds() -> None:
    # The live demo divides the waits by its speed: at x30 the 5 min retry is 10 s, which the log said "0 min".
    from field.full_tank_probe import minutes
    assert minutes(300.0 / 30) == "10 s"
    assert minutes(3600.0 / 10) == "6 min"
    assert minutes(300.0) == "5 min"


def test_a_clock_stepped_back_keeps_the_re_check_s_wait(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Half an hour after the tank was found full, the clock steps back an hour (NTP correcting a Pi's clock): the
    # re-check keeps the half hour it had left. On the old clock's due time it came an hour and a half later.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 1800)
    back = FOUND + 1805 - 3600  # (the next reading, an hour earlier by the clock)
    sun(h, back, back + 1795)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"  # (29 min 55 s of the hour's wait left, not yet)
    sun(h, back + 1800, back + 1820)
    assert any(m.startswith("ecs: found full at") and "for a moment" in m for m in caplog.messages)
