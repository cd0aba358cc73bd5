"""What a seed user's config.ini says at each start: the keys and sections PySEB does not use (the seed's [debug]
simul_prod, its spare [soufflant_a]...) in one warning naming them all, each one's reason at debug level and in
--check; a warning that asks for something (a value that changes what PySEB does, a wrong key) in a line of its own.
The seed's sample gave ten warnings at every start, seven of them for lines that change nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from settings.problems import ConfigError, ConfigProblem, unused_summary
from tests.configs import seed_config
from tests.daemon_process import ROOT, DaemonProcess
from tests.mqtt_probe import MqttProbe

# The keys and sections of the seed's sample PySEB does not use, in the order said, with the start of their reasons.
UNUSED = (
    ("[evaluate] ecs_full_capacity", "ignored: a day that ends with the tank full counts as the two-day threshold"),
    ("[debug] simulation", "false: ignored, PySEB drives the loads; delete the line to silence this"),
    ("[debug] simul_prod", "ignored: use the simulator instead"),
    ("[debug] debug_file", "ignored: use [logging] level = DEBUG"),
    ("[debug] equipment_stdout", "ignored: the log goes to the file [logging] file"),
    ("[debug] regulation_stdout", "ignored: the log goes to the file [logging] file"),
    ("[evaluate] balance_threshold", "ignored with algorithm = closed_loop: it is Hébert's rule's dead band"),
    ("[soufflant_a]", "section ignored: not a PySEB section nor a load listed in [equipments]"),
)
SUMMARY = ("7 keys and 1 section that PySEB does not use, ignored: [evaluate] ecs_full_capacity, balance_threshold; "
           "[debug] simulation, simul_prod, debug_file, equipment_stdout, regulation_stdout; section [soufflant_a]; "
           "delete them to silence this (why, for each: --check, and docs/migrating-from-the-seed.md)")
# The two that ask for something: a value that changes what PySEB does, a forecast that will not come.
OWN_LINES = ("[evaluate] period: 3 s holds the closed loop's decisions further apart",
             "[openweathermap] key: only x's: this looks like the seed sample's placeholder")


def test_the_seed_sample_warns_of_what_asks_for_something_and_names_the_rest_in_one_line(tmp_path: Path) -> None:
    path = seed_config(tmp_path)
    settings = load_settings(path)
    assert len(settings.warnings) == 3, settings.warnings  # (it was 10)
    for said, own in zip(settings.warnings, OWN_LINES, strict=False):
        assert said.startswith(f"{path}: {own}"), said
    assert settings.warnings[2] == f"{path}: {SUMMARY}"


def test_each_unused_key_keeps_its_reason(tmp_path: Path) -> None:
    path = seed_config(tmp_path)
    unused = load_settings(path).unused
    assert len(unused) == len(UNUSED), unused
    for line, (where, reason) in zip(unused, UNUSED, strict=True):
        assert line.startswith(f"{path}: {where}: {reason}"), line


@pytest.mark.parametrize(("edit", "own"), [
    # A misspelt key is no seed key: its own line, with what it may be
    (("simul_prod = 2000\n", "simul_prod = 2000\nsimul_prd = 1\n"), "[debug] simul_prd: unknown key, ignored"),
    # A relay's key put in [evaluate] asks to be moved
    (("period = 3\n", "period = 3\nmin_on_s = 300\n"), "[evaluate] min_on_s: ignored: a relay's key: set it in each"),
    # Coturex's wttr.in forecast: PySEB does not fetch it, the fallback's clouds must come another way
    (("[openweathermap]\n", "[cloudForecast]\nlocation = Chambery\n\n[openweathermap]\n"),
     "[cloudForecast]: section ignored: Coturex's wttr.in forecast is not fetched"),
    # A section close to a listed load's name may be a misspelt one
    (("[soufflant_a]\n", "[resile]\ntopic_set_power = domoticz/in\n\n[soufflant_a]\n"),
     "[resile]: section ignored: not a PySEB section nor a load listed in [equipments] (did you mean [resille]?)"),
    # A load's section with a command topic of its own, not listed: a load added and not listed (or one taken out), not
    # the seed's spare one (its topic_set_power = None): "delete it to silence this" was the wrong advice
    (("[soufflant_a]\n", "[pompe]\nmax_power = 300\ntopic_set_power = cmnd/pompe/POWER\n\n[soufflant_a]\n"),
     "[pompe]: section ignored: not a PySEB section nor a load listed in [equipments]: list it there (pompe = its "
     "type) for PySEB to drive it, or delete the section"),
])
def test_what_asks_for_something_keeps_a_line_of_its_own(tmp_path: Path, edit: tuple[str, str], own: str) -> None:
    path = seed_config(tmp_path, edit)
    settings = load_settings(path)
    assert [w for w in settings.warnings if w.startswith(f"{path}: {own}")], settings.warnings
    assert settings.warnings[-1] == f"{path}: {SUMMARY}"  # (the unused ones said as before, in their one line)
    assert len(settings.warnings) == 4


def test_a_refused_seed_config_names_them_in_one_line_too(tmp_path: Path) -> None:
    path = seed_config(tmp_path)
    (tmp_path / "power_calibration_ecs.csv").unlink()  # (the most usual refusal of a seed's file: its curve left out)
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    report = refused.value.render().splitlines()
    assert report[0] == f"{path}: 1 problem(s) in the configuration:"
    assert report[2] == f"{path}: 3 warning(s) as well:"
    # (its check refuses it as well: the reasons are found there once it passes)
    assert report[-1] == (f"  {path}: {SUMMARY.split(' (why')[0]} (why, for each: docs/migrating-from-the-seed.md, "
                          "or --check once the problems above are fixed)")
    assert len(report) == 6


def test_check_names_them_in_one_warning_and_lists_each_reason(tmp_path: Path) -> None:
    path = seed_config(tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if " WARNING " in line]
    assert len(warned) == 3 and warned[-1].endswith(f"{path}: {SUMMARY}"), warned
    assert ": OK (3 warnings above); loads in priority order:" in result.stdout
    listed = result.stdout.split("  not used:    8 of the file's keys and sections, ignored (delete them to silence "
                                 "the warning that names them):\n")[1].splitlines()
    assert len(listed) == len(UNUSED), result.stdout
    for line, (where, reason) in zip(listed, UNUSED, strict=True):
        assert line.startswith(f"    {where}: {reason}"), line


def test_a_start_warns_in_three_lines_and_gives_each_reason_at_debug_level(tmp_path: Path, broker: PrivateBroker,
                                                                         probe: MqttProbe) -> None:
    path = seed_config(tmp_path, ("broker_ip = 10.3.141.1\n", f"broker_ip = {broker.host}\n"),
                       ("port = 1883 \n", f"port = {broker.port}\n"))
    daemon = DaemonProcess(path)  # (at --log-level DEBUG)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=15)
    finally:
        assert daemon.terminate() == 0
    log = (tmp_path / "pv.log").read_text()  # (the seed's [debug] log_file)
    config_lines = [line for line in log.splitlines() if re.search(r" regulation: \S*config\.ini: ", line)]
    warned = [line for line in config_lines if " WARNING " in line]
    assert len(warned) == 3 and warned[-1].endswith(SUMMARY), warned
    debug = [line for line in config_lines if " DEBUG " in line]
    assert len(debug) == len(UNUSED), debug
    for line, (where, reason) in zip(debug, UNUSED, strict=True):
        assert f"config.ini: {where}: {reason}" in line, line


def test_an_unused_key_said_twice_is_one_key_to_delete() -> None:
    # (the summary names a key once however many warnings it has: "1 key ... delete them" counted the warnings)
    twice = [ConfigProblem("evaluate", "balance_threshold", "ignored with algorithm = closed_loop", unused=True),
             ConfigProblem("evaluate", "balance_threshold", "ignored: another reason", unused=True)]
    assert unused_summary("house.ini", twice).startswith(
        "house.ini: 1 key that PySEB does not use, ignored: [evaluate] balance_threshold; delete it to silence this (")
