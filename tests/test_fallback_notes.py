"""The fallback rules said in words at --check and at start: the seed's rule is on by default and forces the
water heater from the grid; the line names the load, the hour, the most a night and the key that turns it off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from field.fallback_notes import fallback_notes
from settings.config import load_settings
from tests.configs import write_config

ROOT = Path(__file__).resolve().parent.parent


def notes_of(path: Path) -> tuple[str, ...]:
    settings = load_settings(path)
    return fallback_notes(settings.field, settings.equipments)


def test_the_seed_rule_is_said_with_its_load_hour_and_most_a_night(tmp_path: Path) -> None:
    (note,) = notes_of(write_config(tmp_path))  # the test heater: 2000 W; the seed's 7000 Wh a day
    assert note.startswith("low-energy fallback (the seed's rule, on by default): at 01:00 every day, when ecs ")
    assert "forced from the grid at 2000 W" in note
    assert "at most 7000 Wh (3 h 30 min) a night" in note
    assert note.endswith("to turn it off: [fallback] seed_rule = false")


def test_the_most_is_the_largest_season_or_the_cloudy_top_up(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra="\n[fallback]\nlow_nrj_today_winter = 9000\nlow_nrj_today_summer = 0\n")
    assert "at most 9000 Wh" in notes_of(path)[0]
    path = write_config(tmp_path, extra="\n[fallback]\ncloudy_min_today_wh = 8000\n")
    assert "at most 8000 Wh" in notes_of(path)[0]


def test_an_evening_check_is_a_day(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("[evaluate]\n", "[evaluate]\ncheck_at = 14\n"))
    assert "at 14:00 every day" in notes_of(path)[0] and "a day;" in notes_of(path)[0]


def test_off_nothing_is_said(tmp_path: Path) -> None:
    assert notes_of(write_config(tmp_path, extra="\n[fallback]\nseed_rule = false\n")) == ()
    assert notes_of(write_config(tmp_path, loads=("radiator",), extra="\n[fallback]\nseed_rule = false\n")) == ()


def test_without_a_heater_the_seed_rule_is_said_off_and_how_to_name_one(tmp_path: Path) -> None:
    # (a seed user told to list a relay heater as constant lost the rule, on by default, without a word)
    (note,) = notes_of(write_config(tmp_path, loads=("radiator",)))
    assert note == ("low-energy fallback (the seed's rule, on by default): off: no water heater to force (no variable "
                    "load); for a water heater on a relay: [fallback] water_heater = <its load's name>")


def test_the_deadline_rule_is_said_too(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra="\n[fallback]\nseed_rule = false\nmin_energy_wh = 6000\n"
                                        "offpeak = 22:00-06:00\n")
    (note,) = notes_of(path)
    assert note == ("deadline rule: ecs must get 6000 Wh by 07:00 every day; what the sun has not given is forced "
                    "from the grid at 2000 W inside 22:00-06:00: at most 6000 Wh (3 h 00 min) before each "
                    "deadline; to turn it off: [fallback] min_energy_wh = 0")


BOTH_RULES = "\n[fallback]\nmin_energy_wh = 6000\n"


@pytest.mark.parametrize(("mode", "held", "verb"), [("off", "held at 0 W", "never forces"),
                                                    ("solar", "surplus only", "never forces"),
                                                    ("forced", "held at 2000 W", "adds no force of its own to")])
def test_a_default_mode_nothing_changes_that_excludes_the_fallback_never_forces(tmp_path: Path, mode: str,
                                                                                 held: str, verb: str) -> None:
    # Both rules force only in the mode solar+fallback: "forced from the grid every day" under a mode off for good had
    # the owner turn a rule off for nothing (or fear a night's 7 kWh that never comes).
    path = write_config(tmp_path, extra=f"\n[domoticz]\necs_mode_default = {mode}\n{BOTH_RULES}")
    seed, deadline = notes_of(path)
    why = (f"{verb} ecs: its mode is {mode} for good ({held}; [domoticz] ecs_mode_default = {mode}, and no "
           "Domoticz idx_ecs_mode nor Home Assistant discovery to change it)")
    assert seed == f"low-energy fallback (the seed's rule, on by default): {why}"
    assert deadline == f"deadline rule: {why}"


@pytest.mark.parametrize(("setter", "said"), [
    ("\n[domoticz]\nidx_ecs_mode = 20\necs_mode_default = solar\n", "Domoticz's selector idx 20"),
    ("\n[domoticz]\necs_mode_default = solar\n[homeassistant]\ndiscovery = true\n",
     "Home Assistant's water heater mode"),
], ids=["Domoticz", "Home Assistant"])
def test_a_default_mode_that_may_change_says_when_the_rules_force(tmp_path: Path, setter: str, said: str) -> None:
    seed, deadline = notes_of(write_config(tmp_path, extra=setter + BOTH_RULES))
    when = (f"only while ecs's mode is solar+fallback, as {said} may set it ([domoticz] ecs_mode_default = solar until "
            "then: surplus only): ")
    assert seed == f"low-energy fallback (the seed's rule, on by default): {when}at 01:00 every day, when ecs " \
                   "got less than its day's threshold, it is forced from the grid at 2000 W for what it missed: at " \
                   "most 7000 Wh (3 h 30 min) a night; to turn it off: [fallback] seed_rule = false"
    assert deadline.startswith(f"deadline rule: {when}ecs must get 6000 Wh by 07:00 every day; ")


def test_the_default_mode_solar_fallback_is_said_as_before(tmp_path: Path) -> None:
    written = notes_of(write_config(tmp_path, extra=BOTH_RULES + "\n[domoticz]\necs_mode_default = solar+fallback\n"))
    assert written == notes_of(write_config(tmp_path, extra=BOTH_RULES))
    assert written[0].startswith("low-energy fallback (the seed's rule, on by default): at 01:00 every day")


def test_check_prints_the_fallback(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(write_config(tmp_path)),
                             "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "  low-energy fallback (the seed's rule, on by default): at 01:00 every day" in result.stdout
    assert "[fallback] seed_rule = false" in result.stdout


def test_check_says_a_mode_off_for_good_forces_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra="\n[domoticz]\necs_mode_default = off\n")
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(config), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "  low-energy fallback (the seed's rule, on by default): never forces ecs: its mode is off for good" \
        in result.stdout
    assert "forced from the grid" not in result.stdout


def test_the_deadline_rule_s_most_is_what_its_span_allows(tmp_path: Path) -> None:
    # 7000 Wh asked inside one hour of a 2000 W heater: "at most 7000 Wh (3 h 30 min)" was said, a force the span
    # cannot hold (the config's check warns of the target).
    path = write_config(tmp_path,
                        extra="\n[fallback]\nseed_rule = false\nmin_energy_wh = 7000\noffpeak = 02:00-03:00\n")
    (note,) = notes_of(path)
    assert "inside 02:00-03:00: at most 2000 Wh (1 h 00 min) before each deadline" in note
    path = write_config(tmp_path, extra="\n[fallback]\nseed_rule = false\nmin_energy_wh = 7000\n")
    assert "at most 7000 Wh (3 h 30 min) before each deadline" in notes_of(path)[0]
