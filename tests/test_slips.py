"""Slips of the editor or the keyboard in a config file that gave a value other than the one meant, without a
word: an indented key read as the line above's continuation."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import write_config


def problems_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return "\n".join(p.render(str(path)) for p in info.value.problems)


def edited(tmp_path: Path, old: str, new: str) -> Path:
    path = write_config(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("old", "new", "where", "swallowed"), [
    # the relay's commands went to the topic "cmnd/radiator/POWER\njson_on = ON", and its json_on was the default 1
    ("json_on = ON\n", "  json_on = ON\n", "[radiator] topic_set_power", "json_on = ON"),
    # the house meter stayed the default topic, and the client id held a line break
    ("topic_cons = smeter/pzem/CONSOMMATION\n", "\ttopic_cons = smeter/pzem/CONSOMMATION\n", "[mqtt] client_id",
     "topic_cons = smeter/pzem/CONSOMMATION"),
    ("min_power = 150\n", "   min_power: 150\n", "[ecs] calibration", "min_power: 150"),
])
def test_an_indented_key_is_not_swallowed_by_the_line_above(tmp_path: Path, old: str, new: str, where: str,
                                                            swallowed: str) -> None:
    report = problems_of(edited(tmp_path, old, new))
    assert f"{where}: the line {swallowed!r} below it is indented" in report


def test_a_value_over_several_lines_that_holds_no_key_is_read(tmp_path: Path) -> None:
    # (a JSON payload written over lines, a levels list: continuation lines with no key of their own)
    path = edited(tmp_path, "json_on = ON\n",
                  'json_on = {"command": "switchlight",\n  "idx": 359,\n  "switchcmd": "On"}\n')
    assert '"idx": 359' in load_settings(path).equipments[1].options["json_on"]
