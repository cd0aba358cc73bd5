"""What the demo shows of the daemon's log beside its minute table: the load's changes, the lines that explain them,
and every warning (found by a bug hunt: "towel: 0 W -> 271 W (..., power to be measured)" then "towel: 600 W -> 0 W",
the measure of 600 W between them hidden, and the warnings too)."""

from __future__ import annotations

from pathlib import Path

from simulation.demo_log import DEMO_CONFIG_NOTE, MAX_LINES_PER_MINUTE, DecisionLines

LINES = """\
2026-12-05 12:13:01,000 INFO    equipments.base: towel: 0 W -> 271 W (surplus 271 W, power to be measured)
2026-12-05 12:13:03,000 INFO    equipments.unknown: towel: measured 600 W after switching on
2026-12-05 12:13:03,000 DEBUG   core.controller: grid -3 W (export setpoint 0 W): loads 2898 W -> 2898 W
2026-12-05 12:13:05,000 INFO    core.relay_learning: radiator: measured 1050 W when switching on; now believed at 1050 W
2026-12-05 12:13:07,000 INFO    field.full_tank: ecs may be full: the house fell by 1069 W at once; waiting
2026-12-05 12:13:09,000 WARNING core.regulator: production meter silent for 12 s: every unforced load to 0 W
2026-12-05 12:13:11,000 INFO    core.regulator: regulation: closed loop (export setpoint 0 W)
"""


def test_the_demo_shows_changes_what_explains_them_and_warnings(tmp_path: Path) -> None:
    log = tmp_path / "pyseb.log"
    log.write_text(LINES)
    shown = DecisionLines(log).new()
    assert MAX_LINES_PER_MINUTE == 4
    assert shown == [
        "towel: 0 W -> 271 W (surplus 271 W, power to be measured)",
        "towel: measured 600 W after switching on",
        "radiator: measured 1050 W when switching on; now believed at 1050 W",
        "ecs may be full: the house fell by 1069 W at once; waiting",
        "WARNING: production meter silent for 12 s: every unforced load to 0 W",
    ]


def test_a_busy_minute_is_cut_but_not_its_warnings(tmp_path: Path) -> None:
    log = tmp_path / "pyseb.log"
    changes = "".join(f"2026-12-05 12:13:{i:02d},000 INFO    equipments.base: ecs: {i} W -> {i + 1} W (grid)\n"
                      for i in range(10))
    log.write_text(changes + "2026-12-05 12:13:59,000 ERROR   shell.daemon: status not saved\n")
    shown = DecisionLines(log).new()
    assert shown[:3] == ["ecs: 0 W -> 1 W (grid)", "ecs: 1 W -> 2 W (grid)", "ecs: 2 W -> 3 W (grid)"]
    assert shown[3] == "(+7 more lines in the daemon's log)"
    assert shown[4:] == ["ERROR: status not saved"]
    assert DecisionLines(log).new() == shown and (d := DecisionLines(log)).new() and d.new() == []


def test_a_relay_whose_switch_did_not_move_the_house_is_shown(tmp_path: Path) -> None:
    log = tmp_path / "pyseb.log"
    log.write_text("2026-12-05 12:13:01,000 INFO    core.relay_learning: radiator: switching off did not move the "
                   "house: did it draw its 1000 W? (its own thermostat cut, or the house moved at that reading)\n")
    assert DecisionLines(log).new() == ["radiator: switching off did not move the house: did it draw its 1000 W? (its "
                                        "own thermostat cut, or the house moved at that reading)"]


def test_a_warning_with_a_command_on_the_demo_s_config_is_noted(tmp_path: Path) -> None:
    # h6's walkthrough: a first `make demo` showed the example curve's warning, "run the sweep with -c
    # /tmp/pyseb-demo-.../demo.ini", a file the demo removes at its end: an action a new user could not take
    config = tmp_path / "demo.ini"
    warning = (f"{config}: [ecs] calibration: /x/power_calibration_ECS-04.csv is an example PySEB ships, the sweep of "
               f"another heater: measure this load's own (python -m calibration sweep -c {config} --equipment ecs)")
    log = tmp_path / "pyseb.log"
    log.write_text(f"2026-12-05 12:11:01,000 WARNING settings.config: {warning}\n"
                   "2026-12-05 12:11:02,000 WARNING core.regulator: production meter silent for 12 s\n")
    assert DecisionLines(log, config).new() == [f"WARNING: {warning}", DEMO_CONFIG_NOTE,
                                                "WARNING: production meter silent for 12 s"]
    assert DecisionLines(log).new() == [f"WARNING: {warning}", "WARNING: production meter silent for 12 s"]
