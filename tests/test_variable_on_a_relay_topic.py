"""A `variable` load commanded on a relay's own command topic, without json_on: Tasmota's `cmnd/<device>/POWER` (any
case, POWER1..8) or a Shelly gen 1's `shellies/<id>/relay/<n>/command`. Those firmwares take on/off words only, never
a percent, so the load would be sent `37.0` for ever, switching nothing, while PySEB believed the watts given: surely
a bad config (a relay written `variable`), refused before anything is published, saying to write it `constant`. It
had only the "does not end in /cmd" warning. A topic of another shape (a Tasmota dimmer's `cmnd/<device>/Dimmer`,
which takes 0..100) keeps that warning alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calibration.sweep_config import SweepConfigError, load_sweep_target
from settings.config import load_settings
from tests.configs import LINEAR_CSV, problems_of, write_config

ROOT = Path(__file__).resolve().parent.parent
EXIT_CONFIG = 2  # (regulation.py's)
BOILER = "\n[boiler]\ntopic_set_power = {topic}\ncalibration = linear.csv\n"


def _variable_on(tmp_path: Path, topic: str, first: bool = False) -> Path:
    """A config with a variable load `boiler` commanded on `topic`, after the variator ecs (or alone: `first`)."""
    path = write_config(tmp_path, ("radiator",) if first else ("ecs", "radiator"), extra=BOILER.format(topic=topic))
    (tmp_path / "linear.csv").write_text(LINEAR_CSV)
    path.write_text(path.read_text().replace("radiator = constant", "radiator = constant\nboiler = variable"))
    return path


@pytest.mark.parametrize(("topic", "firmware"), [
    ("cmnd/boiler/POWER", "Tasmota"),
    ("cmnd/boiler/Power1", "Tasmota"),  # (Tasmota's commands are of any case)
    ("shellies/boiler/relay/0/command", "Shelly"),
])
@pytest.mark.parametrize("first", [False, True])
def test_a_variable_load_on_a_relays_topic_is_refused(tmp_path: Path, topic: str, firmware: str, first: bool) -> None:
    (problem,) = problems_of(_variable_on(tmp_path, topic, first))
    assert f"[equipments] boiler: listed as variable, but [boiler] topic_set_power = {topic} is a {firmware} " \
           "relay's command topic" in problem
    assert "write boiler = constant in [equipments], with its max_power in [boiler]" in problem
    assert ("json_on = ON" if firmware == "Tasmota" else "json_on = on") in problem
    assert "does not end in /cmd" not in problem
    # (the seed built its first load as a variator: "the seed ran a variable load after the first as a relay" is not
    # why the first one is refused)
    assert ("after the first as a relay" in problem) is not first


def test_check_and_start_refuse_it_before_anything_is_published(tmp_path: Path) -> None:
    path = _variable_on(tmp_path, "cmnd/boiler/POWER")
    for check in (["--check"], []):
        done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), *check],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == EXIT_CONFIG, (check, done.stderr)
        assert "[boiler] topic_set_power = cmnd/boiler/POWER is a Tasmota relay's command topic" in done.stderr


def test_the_sweep_refuses_it_in_the_same_words(tmp_path: Path) -> None:
    path = _variable_on(tmp_path, "cmnd/boiler/POWER")
    (problem,) = problems_of(path)
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(path, "boiler")
    assert problem.split("[equipments] boiler: ", 1)[1] in str(refused.value)


@pytest.mark.parametrize("topic", ["cmnd/boiler/Dimmer", "regul/vload/BOILER/cmd", "tasmota/cmnd/boiler/POWER2x"])
def test_a_percent_taking_or_unknown_topic_still_loads(tmp_path: Path, topic: str) -> None:
    settings = load_settings(_variable_on(tmp_path, topic))
    assert [load.name for load in settings.equipments] == ["ecs", "radiator", "boiler"]
