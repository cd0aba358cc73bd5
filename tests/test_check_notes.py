"""`regulation.py --check` says, for each link beyond the broker, whether it is on and what it uses: a
migrated config's Domoticz idx, Home Assistant discovery, the forecast, where the day recorder writes."""

from __future__ import annotations

from pathlib import Path

from settings.check_notes import link_notes
from settings.config import load_settings
from tests.configs import write_config
from tests.test_domoticz_config_idx import config as relay_config
from tests.test_regulation_cli import run

ROOT = Path(__file__).resolve().parent.parent

DOMOTICZ = """
[domoticz]
idx_grid = 12
idx_injection = 13
keepalive_s = 300
idx_ecs_mode = 20
"""
FORECAST = """
[openweathermap]
key = 0a1b2c3d4e
location = Chambery,FR
[forecast]
topic = forecast/pv
"""


def notes(tmp_path: Path, extra: str = "", radiator: str = "") -> dict[str, str]:
    config = write_config(tmp_path, extra=extra)
    if radiator:
        config.write_text(config.read_text().replace("[radiator]\n", f"[radiator]\n{radiator}"))
    return {line.split(":")[0]: line for line in link_notes(load_settings(config))}


def test_every_link_off_says_how_to_turn_it_on(tmp_path: Path) -> None:
    said = notes(tmp_path, "\n[record]\nenabled = false\n")
    assert said["Domoticz"] == "Domoticz:    off (no idx set in [domoticz] or on a load)"
    assert said["Home Assistant discovery"] == ("Home Assistant discovery: off ([homeassistant] discovery = true "
                                                "to announce PySEB)")
    assert said["forecast"] == "forecast:    none"
    assert said["recording"] == "recording:   off ([record] enabled = true keeps each day's decisions, to replay them)"


def test_a_seed_domoticz_config_shows_its_idx(tmp_path: Path) -> None:
    said = notes(tmp_path, DOMOTICZ, radiator="domoticz_idx_force = 31\n")
    assert said["Domoticz"] == (
        "Domoticz:    grid import to idx 12 and injection to idx 13 on domoticz/in (0 again every 300 s while a "
        "flow stays at 0); ecs's mode from selector idx 20 on domoticz/out; force switches radiator idx 31 on "
        "domoticz/out")


def test_a_node_id_that_is_its_own_text_names_nothing_more(tmp_path: Path) -> None:
    config = write_config(tmp_path, client_id="pyseb", extra="[homeassistant]\ndiscovery = true\n")
    said = {line.split(":")[0]: line for line in link_notes(load_settings(config))}
    assert said["Home Assistant discovery"] == "Home Assistant discovery: on, under homeassistant/ as node 'pyseb'"
    config = write_config(tmp_path, client_id="pyseb", extra="[homeassistant]\ndiscovery = true\nnode_id = Garage 2\n")
    said = {line.split(":")[0]: line for line in link_notes(load_settings(config))}
    assert said["Home Assistant discovery"].endswith("as node 'garage_2' (made of [homeassistant] node_id 'Garage 2')")


def test_a_flow_turned_off_is_not_said(tmp_path: Path) -> None:
    said = notes(tmp_path, DOMOTICZ.replace("idx_ecs_mode = 20\n", "send_injection = false\n"))
    assert said["Domoticz"] == ("Domoticz:    grid import to idx 12 on domoticz/in (0 again every 300 s while a "
                                "flow stays at 0)")


def test_discovery_forecast_and_recording_on(tmp_path: Path) -> None:
    said = notes(tmp_path, FORECAST + "\n[homeassistant]\ndiscovery = true\n"
                 "\n[record]\ndir = days\nkeep_days = 7\nmax_day_mb = 5\n")
    # (the client id it was made of: two instances whose ids make one node id, pyseb-test and pyseb_test, collide)
    assert said["Home Assistant discovery"] == ("Home Assistant discovery: on, under homeassistant/ as node "
                                                "'pyseb_test' (made of [mqtt] client_id 'pyseb-test')")
    assert said["forecast"] == "forecast:    OpenWeatherMap for Chambery,FR and MQTT topic forecast/pv"
    assert said["recording"].startswith(f"recording:   each decision into {tmp_path / 'days'}, written every ")
    assert said["recording"].endswith(" s, 7 days kept, at most 5 MB a day")


def test_a_forecast_no_rule_reads_is_said_unused_and_why(tmp_path: Path) -> None:
    # Listed as a source, it had the owner count on a forecast nothing reads, and that the daemon no longer fetches.
    said = notes(tmp_path, FORECAST + "\n[fallback]\nseed_rule = false\n")
    assert said["forecast"] == ("forecast:    MQTT topic forecast/pv (OpenWeatherMap for Chambery,FR is configured but "
                                "not used, nor fetched: its one reader is the seed rule, and [fallback] seed_rule = "
                                "false)")
    config = write_config(tmp_path, ("radiator",), extra=FORECAST.replace("[forecast]\ntopic = forecast/pv\n", ""))
    (line,) = [note for note in link_notes(load_settings(config)) if note.startswith("forecast:")]
    assert line == ("forecast:    none (OpenWeatherMap for Chambery,FR is configured but not used, nor fetched: its "
                    "one reader is the seed rule, and there is no water heater for it (no variable load, no "
                    "[fallback] water_heater))")
    # A mode that excludes the fallback for good (nothing changes it): the seed rule never forces, nor reads it.
    said = notes(tmp_path, FORECAST + "\n[domoticz]\necs_mode_default = solar\n")
    assert said["forecast"].endswith("nor fetched: its one reader is the seed rule, which never forces: the water "
                                     "heater's mode is solar for good ([domoticz] ecs_mode_default = solar, and no "
                                     "Domoticz idx_ecs_mode nor Home Assistant discovery to change it))")
    # Something that may set solar+fallback: read, and fetched.
    said = notes(tmp_path, FORECAST + "\n[domoticz]\necs_mode_default = solar\n\n[homeassistant]\ndiscovery = true\n")
    assert said["forecast"] == "forecast:    OpenWeatherMap for Chambery,FR and MQTT topic forecast/pv"


def test_check_prints_them(tmp_path: Path) -> None:
    result = run("-c", str(write_config(tmp_path, extra=DOMOTICZ)), "--check")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  Domoticz:    grid import to idx 12 and injection to idx 13 on domoticz/in" in result.stdout
    # (after the log file, before the loads' full-tank lines: the links, then what each load does)
    order = [next(i for i, line in enumerate(lines) if line.startswith(f"  {label}"))
             for label in ("log file:", "Domoticz:", "Home Assistant discovery:", "forecast:", "recording:",
                           "full tank (ecs)")]
    assert order == sorted(order)


def test_idx_turned_off_are_not_said_to_be_missing(tmp_path: Path) -> None:
    # A seed config with send_domoticz = False was told "no idx set", its idx there.
    said = notes(tmp_path, DOMOTICZ.replace("idx_ecs_mode = 20\n", "send_domoticz = false\n"))
    assert said["Domoticz"] == ("Domoticz:    off ([domoticz] idx_grid 12 and idx_injection 13 set, but "
                                "send_domoticz = false)")
    said = notes(tmp_path, "\n[domoticz]\nidx_grid = 12\nsend_grid = false\n")
    assert said["Domoticz"] == ("Domoticz:    off ([domoticz] idx_grid 12 set, but send_grid and send_injection "
                                "turn those flows off)")


def test_relays_switched_through_domoticz_are_listed(tmp_path: Path) -> None:
    # The seed's relays are Domoticz switches (json_on a switchlight to domoticz/in): the line said "off (no idx set in
    # [domoticz] or on a load)" while PySEB switched them through Domoticz, their idx never shown.
    path = relay_config(tmp_path, radiator_idx=359, plug_idx=361)
    said = {line.split(":")[0]: line for line in link_notes(load_settings(path))}
    assert said["Domoticz"] == "Domoticz:    relays radiator idx 359, plug idx 361 switched through domoticz/in"
    path.write_text(path.read_text() + DOMOTICZ)
    said = {line.split(":")[0]: line for line in link_notes(load_settings(path))}
    assert said["Domoticz"].endswith("; ecs's mode from selector idx 20 on domoticz/out; relays radiator idx 359, "
                                     "plug idx 361 switched through domoticz/in")


def test_a_switchlight_sent_elsewhere_is_no_relay_through_domoticz(tmp_path: Path) -> None:
    # (a payload naming an idx, sent to the device itself or a bridge of its own: Domoticz never reads it)
    path = relay_config(tmp_path, radiator_idx=359, plug_idx=361)
    path.write_text(path.read_text().replace("[plug]\ntopic_set_power = domoticz/in\n",
                                             "[plug]\ntopic_set_power = shellies/plug/relay/0/command\n"))
    said = {line.split(":")[0]: line for line in link_notes(load_settings(path))}
    assert said["Domoticz"] == "Domoticz:    relays radiator idx 359 switched through domoticz/in"


def test_the_check_s_lines_are_stamped_in_the_config_s_zone(tmp_path: Path) -> None:
    # Found by a bug hunt: --check stamped its lines in the machine's zone while its summary said the time in
    # [evaluate] timezone ("now 21:29 there" under lines stamped 20:29), as the daemon's lines no longer are.
    import subprocess
    import sys
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    path = write_config(tmp_path, extra="\n[fallback]\nmin_energy_wh = 50\n")  # (a warning to stamp)
    path.write_text(path.read_text().replace("timezone = Europe/Paris", "timezone = Pacific/Kiritimati"))
    before = datetime.now(ZoneInfo("Pacific/Kiritimati")).replace(microsecond=0)
    done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "--check", "-c", str(path)],
                          capture_output=True, text=True, check=False, timeout=60)
    after = datetime.now(ZoneInfo("Pacific/Kiritimati"))
    line = next(line for line in done.stderr.splitlines() if "WARNING" in line and "min_energy_wh" in line)
    stamped = datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Pacific/Kiritimati"))
    assert before - timedelta(seconds=1) <= stamped <= after, line
