"""Orders a stranger on the broker can repeat, as the daemon's log shows them (its FloodLimiter: 5 lines of a kind a
minute): a Domoticz force switch flipped On and Off, the mode selector flipped between two levels, Home Assistant's
mode select flipped between two modes. Each flip acts, as a user's does; their lines were marked with no kind of their
own, and all went through (docs/security.md: the log stays bounded), where a burst of forces and unforces on regul/mode
already logged 5 a minute per load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.field_domoticz import DOMOTICZ, DZ_OUT, RADIATOR_SWITCH, selector, switch
from tests.field_homeassistant import HA, command, harness
from tests.field_house import field_config
from tests.harness import NOON, Harness
from tests.log_flood import lines_let_through

FLIPS = 200


def test_a_force_switch_flipped_on_and_off_logs_a_bounded_number_of_lines(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)  # Domoticz's answer

    def send() -> None:
        for i in range(FLIPS):
            h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, i % 2 == 0), NOON + 30 + i * 0.1)

    passed = lines_let_through(caplog, send)
    assert not h.load("radiator").is_forced()  # (every flip acted: the last was an Off)
    assert len([line for line in passed if "by its Domoticz switch idx 360" in line]) == 10, passed


def test_the_mode_selector_flipped_between_two_levels_logs_a_bounded_number_of_lines(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, selector(20), NOON + 0.1)  # Domoticz's answer

    def send() -> None:
        for i in range(FLIPS):
            h.reg.handle(DZ_OUT, selector(30 if i % 2 == 0 else 0), NOON + 30 + i * 0.1)

    passed = lines_let_through(caplog, send)
    assert h.reg.field.heater is not None and h.reg.field.heater.mode.value == "off"
    assert len([line for line in passed if line.startswith("water-heater mode: ")]) == 5, passed
    assert len([line for line in passed if line.startswith("water-heater mode forced: ")]) <= 5, passed


def test_home_assistants_mode_select_flipped_logs_a_bounded_number_of_lines(tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    h = harness(tmp_path)

    def send() -> None:
        for i in range(FLIPS):
            command(h, "water_heater_mode", "forced" if i % 2 == 0 else "off", NOON + 2 + i * 0.1)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if line.startswith("water-heater mode: ")]) == 5, passed
    assert len([line for line in passed if line.startswith("water-heater mode forced: ")]) <= 5, passed


def test_a_mode_no_selector_level_shows_chosen_over_and_over_logs_a_bounded_number_of_lines(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = harness(tmp_path, extra=f"{HA}{DOMOTICZ}ecs_mode_levels = 0:off, 10:solar, 20:solar+fallback\n")

    def send() -> None:
        for i in range(FLIPS):
            command(h, "water_heater_mode", "forced" if i % 2 == 0 else "off", NOON + 2 + i * 0.1)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if "maps to it" in line]) == 5, passed
