"""The two files a seed user brings along, as shipped with the seed (tests/data holds them unchanged): its
config.ini.sample and its status.ini.example.json, read by the daemon's own start (config loading, then the
status file beside the config restored)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.daemon import Daemon
from shell.lock import InstanceLock
from tests.configs import LINEAR_CSV, NO_BROKER_PORT, SEED_SAMPLE, SEED_STATUS, problems_of, seed_sample_text


def test_the_seed_sample_as_shipped_is_refused_for_its_dry_run_alone(tmp_path: Path) -> None:
    # Every key of the sample is taken as the seed meant it; the one refusal is its `simulation = true` (the seed's
    # dry run: PySEB would drive the real loads, docs/migrating-from-the-seed.md).
    shutil.copy(SEED_SAMPLE, tmp_path / "config.ini")
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    (problem,) = problems_of(tmp_path / "config.ini")
    assert "[debug] simulation: true was the seed's dry run" in problem


def test_the_seed_s_status_file_beside_its_config_is_restored_at_the_daemon_s_start(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The seed's [debug] use_persistent = true and no [status]: status.ini beside the config, as the seed kept it.
    text = seed_sample_text().replace("broker_ip = 10.3.141.1", "broker_ip = 127.0.0.1")
    assert "port = 1883 \n" in text
    (tmp_path / "config.ini").write_text(text.replace("port = 1883 \n", f"port = {NO_BROKER_PORT}\n"))  # (never run)
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    shutil.copy(SEED_STATUS, tmp_path / "status.ini")
    settings = load_settings(tmp_path / "config.ini")
    assert settings.status.file == tmp_path / "status.ini" and settings.status.persistent
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    now = json.loads(SEED_STATUS.read_text())["date"] + 60  # the same evening
    with caplog.at_level(logging.WARNING):
        daemon.restore_saved_status(now)
    assert not caplog.records  # nothing in it refused, nothing kept aside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", "power_calibration_ecs.csv", "status.ini"]
    assert (tmp_path / "status.ini").read_text() == SEED_STATUS.read_text()
    doc = daemon.reg.status(now)
    ecs, resille = doc["equipments"]
    assert (ecs["name"], ecs["energy"], ecs["overed"], ecs["energy_yesterday"]) == ("ecs", 5222, True, 11000)
    assert (resille["name"], resille["energy"], resille["overed"]) == ("resille", 0, False)
    assert doc["production_energy"] == 7652 and doc["ECS_energy_yesterday"] == 11000
    assert doc["CLOUD_forecast"] == 99 and doc["forecast"]["used"]["source"] == "seed status file"


def test_the_restore_says_what_it_took_from_the_seed_s_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A seed user's first start said `status restored from 2022-11-05 (today)` and no more: whether the heater's
    # energy and its full tank were taken over, and that the file is now PySEB's, went unsaid.
    text = seed_sample_text().replace("port = 1883 \n", f"port = {NO_BROKER_PORT}\n")
    (tmp_path / "config.ini").write_text(text)
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    shutil.copy(SEED_STATUS, tmp_path / "status.ini")
    daemon = Daemon(load_settings(tmp_path / "config.ini"), InstanceLock(tmp_path / "test.lock"))
    with caplog.at_level(logging.INFO):
        daemon.restore_saved_status(json.loads(SEED_STATUS.read_text())["date"] + 60)
    (said,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("status restored from")]
    assert "(today): ecs 5222 Wh (full for today), resille 0 Wh" in said, said
    assert "the seed's status file: saved as PySEB's document from now on, the seed's fields kept" in said


def daemon_with_status_saved_at(tmp_path: Path, saved: str, seed: bool) -> tuple[Daemon, float]:
    """The seed's sample config (Europe/Paris) and status file, full flag set, saved at `saved` (HH:MM) on 2022-11-05,
    as the seed wrote it (`seed`) or as PySEB does; the daemon not restored yet, and the save's time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    text = seed_sample_text().replace("port = 1883 \n", f"port = {NO_BROKER_PORT}\n")
    (tmp_path / "config.ini").write_text(text.replace("[evaluate]\n", "[evaluate]\ntimezone = Europe/Paris\n"))
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    doc = json.loads(SEED_STATUS.read_text())
    saved_at = datetime.fromisoformat(f"2022-11-05T{saved}:00").replace(tzinfo=ZoneInfo("Europe/Paris")).timestamp()
    doc["date"] = int(saved_at)
    if not seed:
        doc["schema_version"] = 1
    (tmp_path / "status.ini").write_text(json.dumps(doc))
    return Daemon(load_settings(tmp_path / "config.ini"), InstanceLock(tmp_path / "test.lock")), saved_at


@pytest.mark.parametrize(("saved", "seed", "full"), [
    ("07:11", True, False),  # the seed's flag before its 09:00 clear: the night's top-up, cleared as at init_at
    ("10:30", True, True),  # after it: the day's own, kept
    ("07:11", False, True),  # PySEB's own file: a flag set after init_at is the day's
])
def test_a_seed_s_full_flag_saved_before_its_09_00_clear_does_not_keep_the_heater_off_all_day(
        tmp_path: Path, saved: str, seed: bool, full: bool) -> None:
    # The seed cleared its water heater's full flag at 09:00 only ("maybe it has been forced this night"); its file
    # saved at 07:11 with the flag, restored at 07:21, kept the heater out of the allocation until midnight, as a
    # flag PySEB sets after init_at (06:00) is.
    daemon, saved_at = daemon_with_status_saved_at(tmp_path, saved, seed)
    now = saved_at + 600
    daemon.restore_saved_status(now)
    daemon.reg.tick(now + 1)
    assert daemon.reg.loads_by_name["ecs"].overed is full


@pytest.mark.parametrize(("seed", "said"), [
    (True, "daily clear at 06:00 (at 06:00 and midnight), for the seed's status file saved at 07:11, before the "
           "seed's own clear at 09:00: ecs may take power again"),
    (False, "daily clear at 06:00 (at 06:00 and midnight), passed since the status file was saved at 05:50: ecs may "
            "take power again"),
])
def test_a_restored_full_flag_cleared_at_the_start_says_why(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, seed: bool, said: str) -> None:
    # A seed user's first start at 07:21 said `status restored ...: ecs 5222 Wh (full for today)`, then at once
    # `daily clear at 06:00 (at 06:00 and midnight): ecs may take power again`: a clear at 06:00 at 07:21, of a flag
    # saved at 07:11, just said to hold for the day. The clear now says what it clears: the flag the file held.
    daemon, saved_at = daemon_with_status_saved_at(tmp_path, "07:11" if seed else "05:50", seed)
    now = saved_at + 600 if seed else saved_at + 5400  # (07:21 both)
    with caplog.at_level(logging.INFO):
        daemon.restore_saved_status(now)
        daemon.reg.tick(now + 1)
    assert daemon.reg.loads_by_name["ecs"].overed is False
    clears = [r.getMessage() for r in caplog.records if r.getMessage().startswith("daily clear at")]
    assert clears[0] == said, clears


@pytest.mark.parametrize("later_s", [600, 86400], ids=["same day", "next day"])
def test_a_relay_s_energy_in_the_seed_s_file_is_its_count_since_first_saved_and_not_restored(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, later_s: int) -> None:
    # The seed reset only its water heater's energy: a relay's `energy` is its count since the seed first saved it.
    # Restored as today's (or yesterday's), the relay showed 152 kWh drawn, and Home Assistant booked it that day.
    text = seed_sample_text().replace("port = 1883 \n", f"port = {NO_BROKER_PORT}\n")
    (tmp_path / "config.ini").write_text(text)
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    doc = json.loads(SEED_STATUS.read_text())
    doc["equipments"][1]["energy"] = 152340.0
    (tmp_path / "status.ini").write_text(json.dumps(doc))
    daemon = Daemon(load_settings(tmp_path / "config.ini"), InstanceLock(tmp_path / "test.lock"))
    now = doc["date"] + later_s
    with caplog.at_level(logging.WARNING):
        daemon.restore_saved_status(now)
    assert "resille: the seed's status file holds its energy since the seed first saved it (152340 Wh; the seed " \
           "reset only its water heater's), not a day's: counted from 0" in caplog.text
    ecs, resille = daemon.reg.status(now)["equipments"]
    assert (resille["energy"], resille["energy_yesterday"]) == (0, 0)
    assert ecs["energy"] == (5222 if later_s == 600 else 0)
