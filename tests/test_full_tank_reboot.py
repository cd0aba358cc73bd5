"""A water heater with its own meter during the fallback's night force, its variator rebooting (a power glitch, the
ESP8266's watchdog, Wi-Fi lost): the heater draws nothing until the variator is back and PySEB has sent it its
command again. Its meter's 0 W are no thermostat cut (PROTOCOL.md: after a reboot the variator runs at its default)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.field_house import ECS_CMD, ECS_METER, ECS_STATUS, VLOAD, at, field_config
from tests.field_tank import EMPTY_TANK, AnsweringHouse, T, metered, thermostat_cut
from tests.harness import MODE, Harness
from tests.test_fallback_night_force import echo, night_force_made
from tests.test_protocol_quirks import PZEM_READ_ERROR
from tests.test_variator_silent import RebootingHouse

DRAWING = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 2010.00')
BOOT = b'{"type": "vload", "id": "ECS", "fw_version": "1.1b", "PCB": "white", "chip_id": "1234567", ' \
       b'"ip": "10.3.141.20", "OTA": "mqtt"}'
BOOTED = b'{"percent": 0, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}'


@pytest.mark.parametrize("down_s", [12, 40])
def test_a_variator_rebooting_during_the_night_force_is_no_full_tank(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, down_s: int) -> None:
    # The 01:00 force answered at once; at 02:00 the variator reboots, its heater's meter reads 0 W until it is back
    # (`down_s`) and PySEB sent it 100 % again. Five low readings in 10 s made it full: the night's force dropped
    # (credited whole), the heater off until the daily clear at 06:00, the water cold.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    night_force_made(h)
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 0, 31))
    thermostat_cut(h, at(2024, 1, 11, 1, 1), count=30, payload=DRAWING)  # it heats
    reboot_at = at(2024, 1, 11, 2, 0)
    back_at = thermostat_cut(h, reboot_at, count=down_s // 2) + 1
    assert not h.load("ecs").overed and h.load("ecs").forced_by == "seed_rule"
    assert "ecs: its meter reads 0.0 W and the variator has not been heard since these readings began: asked for its " \
        "status" in caplog.text and "status" in h.on(ECS_CMD)
    sent = len(h.on(ECS_CMD))
    h.reg.handle(VLOAD, BOOT, back_at)
    h.reg.handle(ECS_STATUS, BOOTED, back_at + 0.2)
    assert h.on(ECS_CMD)[sent:][-1] == "100"  # its command sent again
    thermostat_cut(h, back_at + 1, count=3)  # (the readings on their way)
    h.reg.handle(ECS_STATUS, echo(100), back_at + 6)
    thermostat_cut(h, back_at + 7, count=30, payload=DRAWING)
    assert not h.load("ecs").overed and h.load("ecs").forced_by == "seed_rule"
    assert "ecs is full" not in caplog.text


def test_a_full_tank_under_the_night_force_is_still_found_full(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The thermostat cuts at 03:00: the variator, alive, answers PySEB's question (`status`) at 100 %: full.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    night_force_made(h)
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 0, 31))
    thermostat_cut(h, at(2024, 1, 11, 1, 1), count=30, payload=DRAWING)
    cut_at = at(2024, 1, 11, 3, 0)
    last = thermostat_cut(h, cut_at, count=5)
    assert "status" in h.on(ECS_CMD)  # asked once
    assert h.on(ECS_CMD).count("status") == 1
    h.reg.handle(ECS_STATUS, b'{"percent": 100, "power": 0, "mode": 0, "state": "ON", "msg": "status"}', last + 0.3)
    thermostat_cut(h, last + 2, count=1)
    assert h.load("ecs").overed and not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
    assert "ecs is full" in caplog.text


@pytest.mark.parametrize("down_s", [20, 150])
def test_a_variator_rebooting_under_a_force_is_no_full_tank_from_the_house_meter(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, down_s: int) -> None:
    # No meter of its own: the house falls by the heater's 2000 W at once when its variator reboots (a cut, as far as
    # the house tells), the heater suspect; the re-probe, 120 s later, is heard and followed once the variator is back,
    # and void while it is not. Checked: it was never taken for full.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("ecs",)))
    house = AnsweringHouse(h, at(2024, 1, 11, 2, 0), production_w=0)
    house.run(10)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 3600}', house.now + 0.5)
    house.run(60)
    assert h.load("ecs").current_power_w == pytest.approx(2000)
    house.full.add("ecs")  # rebooting: its heater draws nothing, it answers nothing
    house.answering = False
    house.run(down_s)
    house.full.discard("ecs")
    house.answering = True
    h.reg.handle(VLOAD, BOOT, house.now + 0.3)
    h.reg.handle(ECS_STATUS, BOOTED, house.now + 0.5)
    house.run(600)
    assert not h.load("ecs").overed and h.load("ecs").forced_by == "user"
    assert "ecs is full" not in caplog.text


def test_a_tank_found_full_by_the_house_meter_is_not_asked_at_each_reading_of_its_own(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The variator silent under the night force: asked for its status at a low reading of the heater's meter. The tank
    # then found full another way (the house meter's inference, while that meter was silent): its meter's readings
    # after it must not ask again (the question left due was sent at every reading until the daily clear).
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    night_force_made(h)
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 0, 31))
    thermostat_cut(h, at(2024, 1, 11, 1, 1), count=30, payload=DRAWING)
    last = thermostat_cut(h, at(2024, 1, 11, 3, 0), count=5)
    assert h.on(ECS_CMD).count("status") == 1
    h.reg.field.tanks.mark_full(h.load("ecs"), last + 1, "inferred from the house meter")
    thermostat_cut(h, last + 2, count=30)
    assert h.load("ecs").overed and h.on(ECS_CMD).count("status") == 1


def _rebooted_at_its_default(tmp_path: Path, caplog: pytest.LogCaptureFixture, boot_at: float) -> Harness:
    """The heater at 84 %, answered, its meter reading it drawing; its variator reboots at `boot_at`, PySEB's re-sends
    of 84 % lost: at its default, 0 %."""
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    h.reg.handle(ECS_STATUS, echo(84), T + 0.3)
    thermostat_cut(h, T + 1, count=2, payload=DRAWING)
    h.reg.handle(VLOAD, BOOT, boot_at)
    h.reg.handle(ECS_STATUS, BOOTED, boot_at + 0.2)
    return h


def test_a_variator_answering_at_its_boot_s_default_is_not_at_our_command(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # After a (re)boot the variator runs at its default (PROTOCOL.md). Its re-sends lost (not subscribed yet), its
    # heater's meter reads 0 W; asked, it answers at 0 % where PySEB's command is 84 %: the command goes again, and the
    # readings before it shows are no cut. The answer was taken for the variator alive at PySEB's command: the next
    # reading, before the command sent again could show, made the tank full for the day with the water cold.
    h = _rebooted_at_its_default(tmp_path, caplog, T + 5)
    last = thermostat_cut(h, T + 6, count=5)
    assert h.last(ECS_CMD) == "status" and not h.load("ecs").overed
    h.reg.handle(ECS_STATUS, b'{"percent": 0, "power": 0, "mode": 0, "state": "ON", "msg": "status"}', last + 0.5)
    assert h.last(ECS_CMD) == "84"
    thermostat_cut(h, last + 1, count=1)  # (read before the command sent again shows)
    assert not h.load("ecs").overed and "ecs is full" not in caplog.text
    # At its command now, its heater still drawing nothing: five low readings make the tank full, as ever.
    h.reg.handle(ECS_STATUS, echo(84), last + 1.2)
    thermostat_cut(h, last + 3, count=5)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"


def test_a_step_probed_while_the_variator_runs_at_its_boot_s_default_is_no_verdict(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # No meter of its own. Off the network for 70 s, its heater at 100 % made suspect by the house's fall; back at its
    # default (0 %, PROTOCOL.md), its re-sends lost (not subscribed yet), as the sun falls: the loop's step down from
    # its 2000 W moved the house by nothing, the heater drawing nothing before it either. Taken for the second failed
    # probe, it made the tank full for the day; it says nothing of the tank, and the re-probe finds the heater drawing.
    caplog.set_level(logging.INFO)
    house = RebootingHouse(tmp_path, pv_w=2500)
    house.run(60)
    assert house.percent == 100.0
    house.online = False
    house.run(70)
    assert "ecs may be full: the house fell by 2000 W at once" in caplog.text
    house.lose_commands = 2
    house.boot()
    house.pv_w = 500
    house.run(20)
    assert not house.reg.loads_by_name["ecs"].overed
    assert "ecs: probe void, the variator was off PySEB's command during it (rebooted" in caplog.text
    house.pv_w = 2500
    house.run(300)
    assert not house.reg.loads_by_name["ecs"].overed and "ecs is full" not in caplog.text
    assert "ecs is not full after all" in caplog.text


def test_a_variator_that_answered_during_the_run_but_not_its_last_command_is_not_judged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Rebooting again and again (its supply failing): back at its default, it answered the 0 % of a moment without
    # sun, then was gone again before PySEB's 84 % reached it; its meter's read error under the 0 % left the run of
    # low readings unbroken. Heard during the run, it was taken for alive at PySEB's command, and the tank found full
    # for the day: its last command unanswered, the heater drawing nothing under it says nothing of the tank.
    h = _rebooted_at_its_default(tmp_path, caplog, T + 4)
    thermostat_cut(h, T + 5, count=2)
    h.meters(2300, 300, T + 7.5)  # no sun: the heater to 0 %, which it answers
    assert h.last(ECS_CMD) == "0"
    h.reg.handle(ECS_STATUS, echo(0), T + 7.6)
    h.reg.handle(ECS_METER, PZEM_READ_ERROR, T + 9)
    h.meters(300, 2000, T + 10)  # the sun back: 84 %, never answered (gone again)
    assert h.last(ECS_CMD) == "84"
    thermostat_cut(h, T + 11, count=3)
    assert not h.load("ecs").overed and "ecs is full" not in caplog.text
    assert "ecs: its meter reads 0.0 W but the variator has not answered its command: not taken for a full tank" \
        in caplog.text
    h.reg.handle(ECS_STATUS, echo(84), T + 15.5)  # (back, at PySEB's command: its tank judged again)
    thermostat_cut(h, T + 17, count=5)
    assert h.load("ecs").overed


def test_an_answer_to_a_command_the_last_one_crossed_is_not_off_our_command(tmp_path: Path) -> None:
    # The closed loop moves the heater at every decision: the variator's answer to 84 % may come after PySEB sent 80 %
    # (crossed on the broker). Taken for the variator off PySEB's command, it restarted its meter's run of low readings
    # and voided the probe of the step it answered.
    h = metered(tmp_path)  # (the heater at 84 %)
    for read_at in (T + 2, T + 4):
        h.meters(300 + 1680 + 300, 2000, read_at)  # (300 W imported: the loop takes the heater down)
    assert h.last(ECS_CMD) == "69"
    h.reg.handle(ECS_STATUS, echo(84), T + 4.05)  # (the answer to 84 %, after the new command)
    assert h.load("ecs").off_command_at is None
    h.reg.handle(ECS_STATUS, echo(30), T + 4.1)  # (a percent not PySEB's of late: off its command)
    assert h.load("ecs").off_command_at == T + 4.1
