"""The seed's first load, its water heater behind a variator, with a leftover json_on/json_off: the seed's
regulation.py built its first load (a water_heater) as a variator and read json_on/json_off for its relays only, so it
ignored them there. The rule that refuses a relay listed as `variable` (tests/test_seed_relay_as_variable.py) refused
it too, advising `constant` for a heater behind a variator. Now they are said ignored, by the daemon's --check and start
and by the calibration sweep alike (one rule); a relay's topic on that first load is still refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calibration.sweep_config import SweepConfigError, load_sweep_target
from settings.config import load_settings
from tests.configs import problems_of, seed_config

ROOT = Path(__file__).resolve().parent.parent
LEFTOVER = ("json_read_power = power\n", 'json_read_power = power\njson_on = {"command": "switchlight", "idx": 12, '
            '"switchcmd": "On" }\njson_off = 0\n')


def _heater_with_leftovers(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    return seed_config(tmp_path, LEFTOVER, *edits)


def test_the_daemon_loads_it_and_says_each_key_ignored(tmp_path: Path) -> None:
    settings = load_settings(_heater_with_leftovers(tmp_path))
    assert [load.name for load in settings.equipments][:1] == ["ecs"]
    warned = [w for w in settings.warnings if "[ecs] json_" in w]
    assert len(warned) == 2, settings.warnings
    assert all("ignored: a relay's on/off payload, which the seed ignored on its first load" in w for w in warned)
    assert not [w for w in settings.warnings if "unknown key" in w and "json_" in w]


def test_check_says_it_and_exits_ok(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(_heater_with_leftovers(tmp_path)),
                           "--check"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "[ecs] json_on: ignored: a relay's on/off payload, which the seed ignored" in done.stdout + done.stderr


def test_the_sweep_takes_it_with_the_same_warning(tmp_path: Path) -> None:
    target = load_sweep_target(_heater_with_leftovers(tmp_path), "ecs")
    assert target.topic_set_power == "regul/vload/ECS/cmd"
    warned = [w for w in target.config_warnings if "[ecs] json_" in w]
    assert len(warned) == 2 and all("which the seed ignored on its first load" in w for w in warned), warned


@pytest.mark.parametrize("topic", ["domoticz/in", "cmnd/ecs/POWER", "shellies/ecs/relay/0/command"])
def test_a_relay_s_topic_on_the_first_variable_load_is_still_refused_by_both(tmp_path: Path, topic: str) -> None:
    path = _heater_with_leftovers(tmp_path, ("topic_set_power = regul/vload/ECS/cmd\n", f"topic_set_power = {topic}\n"))
    problems = [p for p in problems_of(path) if "[equipments] ecs:" in p]
    assert len(problems) == 1, problems
    assert "write ecs = constant" in problems[0]
    assert "if it is a heater behind a variator, give topic_set_power the variator's command topic" in problems[0]
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(path, "ecs")
    assert problems[0].split("[equipments] ecs: ", 1)[1] in str(refused.value)


def test_a_second_variable_load_with_them_is_still_refused(tmp_path: Path) -> None:
    # (the seed's resille listed as variable after its ecs: the seed ran it as a relay)
    path = _heater_with_leftovers(tmp_path, ("resille = constant\n", "resille = variable\n"))
    problems = problems_of(path)
    assert len(problems) == 1 and "[equipments] resille: listed as variable" in problems[0], problems
    assert "heater behind a variator" not in problems[0]


@pytest.mark.parametrize("topic", ["cmnd/tasmota_ABC/Power1", "cmnd/x/power", "cmnd/home/x/POWER",
                                   "tasmota/x/cmnd/POWER", "shellyplus1-abc/command/switch:0", "shellyplus1-abc/rpc",
                                   "esphome/switch/ecs/command", "zigbee2mqtt/plug/set", "Domoticz/in",
                                   "regul/vload/ECS"])
def test_leftovers_are_ignored_on_a_variator_s_command_topic_only(tmp_path: Path, topic: str) -> None:
    # (found by a review: a list of relays' shapes let through a Tasmota command in another case or under another
    # FullTopic, a Shelly gen 2's, ESPHome's, Zigbee2MQTT's: the relay, its json_on said "ignored ... delete it",
    # was sent percents; refused before the rule's change. The leftovers are said ignored on the variator firmware's
    # command topic, <topic>/<name>/cmd, alone.)
    path = _heater_with_leftovers(tmp_path, ("topic_set_power = regul/vload/ECS/cmd\n", f"topic_set_power = {topic}\n"))
    problems = [p for p in problems_of(path) if "[equipments] ecs:" in p]
    assert len(problems) == 1 and "if it is a heater behind a variator" in problems[0], problems
    with pytest.raises(SweepConfigError):
        load_sweep_target(path, "ecs")
