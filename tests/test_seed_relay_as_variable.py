"""A seed config's relay listed as `variable`: Coturex's regulation.py ran every `variable` load after its first (the
water_heater) as a relay, so a seed config lists a relay as `variable` while its section is a
relay's (json_on/json_off, or commanded through domoticz/in). The daemon refuses it at --check and at its start, before
anything is published, with the calibration sweep's words: write it constant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calibration.sweep_config import SweepConfigError, load_sweep_target
from tests.configs import LINEAR_CSV, problems_of, seed_config

ROOT = Path(__file__).resolve().parent.parent
EXIT_CONFIG = 2  # (regulation.py's)
NO_PAYLOADS = (('json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On" }\n', ""),
               ('json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Off" }\n', ""))


def _relay_as(tmp_path: Path, kind: str, *edits: tuple[str, str]) -> Path:
    """The seed's sample with its relay resille listed as `kind`, a curve beside it for resille too (with none, the
    missing file was the refusal: this is the case that was let through)."""
    path = seed_config(tmp_path, ("resille = constant\n", f"resille = {kind}\n"), *edits)
    (tmp_path / "power_calibration_resille.csv").write_text(LINEAR_CSV)
    return path


@pytest.mark.parametrize(("kind", "edits", "said"), [
    # The seed's resille as the seed ran it: its json_on/json_off sent to domoticz/in
    ("variable", (), "[resille] json_on is a relay's on/off payload"),
    # (listed as a second water_heater, the seed skipped it: tests/test_seed_second_water_heater.py)
    # Its payloads left out: Domoticz's input still tells a relay (the check advised domoticz/in/cmd)
    ("variable", NO_PAYLOADS, "[resille] topic_set_power = domoticz/in is Domoticz's input"),
    # A Tasmota relay with the seed's `json_on = None` (its default payload, 1, not "no relay"): sent "37.0"
    ("variable", (('topic_set_power = domoticz/in\n', 'topic_set_power = cmnd/resille/POWER\n'),
                  ('json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On" }\n', "json_on = None\n"),
                  NO_PAYLOADS[1]), "[resille] json_on is a relay's on/off payload"),
])
def test_a_relay_listed_as_variable_is_refused_with_its_curve_there(tmp_path: Path, kind: str,
                                                                    edits: tuple[tuple[str, str], ...],
                                                                    said: str) -> None:
    # It loaded, with "unknown key, ignored" for json_on/json_off, and drove the relay with percents.
    problems = problems_of(_relay_as(tmp_path, kind, *edits))
    assert len(problems) == 1, problems
    assert f"[equipments] resille: listed as {kind}, but {said}" in problems[0]
    assert "write resille = constant in [equipments], with its max_power (596 W" in problems[0]
    assert "/cmd" not in problems[0]


def test_a_relay_listed_as_variable_without_max_power_is_told_to_add_it(tmp_path: Path) -> None:
    # A constant load needs its max_power (a variable one takes its curve's): the advice says so, not a second refusal.
    (problem,) = problems_of(_relay_as(tmp_path, "variable", ("max_power = 596\n", "")))
    assert "write resille = constant in [equipments], with its max_power in [resille] (the watts it draws" in problem


def test_check_and_start_refuse_it_before_anything_is_published(tmp_path: Path) -> None:
    # Both exit on the config's problems before the broker is connected (port 9: none there to connect to anyway).
    path = _relay_as(tmp_path, "variable", NO_PAYLOADS[0], NO_PAYLOADS[1])
    for check in (["--check"], []):
        done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), *check],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == EXIT_CONFIG, (check, done.stderr)
        assert "listed as variable, but [resille] topic_set_power = domoticz/in" in done.stderr
        assert "write resille = constant in [equipments]" in done.stderr
        # (not the variator's advice: Domoticz's input has no /cmd)
        assert "domoticz/in/cmd" not in done.stderr + done.stdout


def test_the_daemon_and_the_sweep_say_it_alike(tmp_path: Path) -> None:
    path = _relay_as(tmp_path, "variable")
    (problem,) = problems_of(path)
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(path, "resille")
    reason = problem.split("[equipments] resille: ", 1)[1]
    assert f"[equipments] resille: {reason}" in str(refused.value)
