"""Numbers in config.ini are ASCII digits: Python's int() and float() also read "1_000" as 1000 and full-width or
Arabic-Indic digits, so a typo (`max_power = 1_000`, `margin = 2_0`) was taken as a number nobody wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.domoticz_control import parse_levels
from settings.options import Option
from tests.configs import problems_of, with_mqtt_lines, write_config
from values.local_time import parse_hhmm


@pytest.mark.parametrize("kind", [int, float, "float?"])
@pytest.mark.parametrize("text", ["1_000", "2_0", "_5", "\uff11\uff12", "\u0661\u0662"])
def test_a_number_that_is_not_ascii_digits_is_refused_naming_it(kind: type | str, text: str) -> None:
    with pytest.raises(ValueError) as refused:
        Option("x", kind, 0, "").parse(text)
    assert repr(text.strip()) in str(refused.value)


@pytest.mark.parametrize("kind", [int, float])
def test_an_underscore_is_said_to_be_the_problem(kind: type) -> None:
    with pytest.raises(ValueError, match=r"'1_000'.*no '_'"):
        Option("max_power", kind, 0, "").parse("1_000")


@pytest.mark.parametrize(("kind", "text", "value"), [(int, " 12 ", 12), (int, "+3", 3), (int, "-2", -2),
                                                     (float, "1e3", 1000.0), (float, ".5", 0.5), (float, "7.", 7.0),
                                                     ("float?", "None", None), ("float?", "", None)])
def test_the_numbers_a_config_writes_are_still_read(kind: type | str, text: str, value: float | None) -> None:
    assert Option("x", kind, 0, "").parse(text) == value


def test_the_daemons_check_refuses_an_underscore_in_a_number(tmp_path: Path) -> None:
    config = with_mqtt_lines(write_config(tmp_path), "keepalive = 6_0")
    assert any("[mqtt] keepalive" in problem and "'6_0'" in problem for problem in problems_of(config))


@pytest.mark.parametrize("text", ["\u0660\u0667:00", "07:\uff10\uff10"])
def test_a_time_of_day_is_ascii_digits_too(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


@pytest.mark.parametrize("levels", ["0:off, 1_0:solar", "0:off, \uff11\uff10:solar"])
def test_a_selector_level_is_ascii_digits_too(levels: str) -> None:
    # ([domoticz] ecs_mode_levels: "1_0" was level 10)
    with pytest.raises(ValueError, match="level:mode pairs"):
        parse_levels(levels)
