"""A load's own energy counters (the status's `energy` and `energy_yesterday`, which Home Assistant's and Domoticz's
sensors read) across a restart that takes it out of the config: they were dropped with its entry, and a load put back
under its name later the same day started from 0 (its sensor's morning lost), though the day's report kept its figures
by name (removed_loads). Kept in the status's `removed_equipments` while they hold a day's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.saved_status import at, run_restored


def _counters(doc: dict[str, Any], name: str) -> tuple[float, float]:
    entry = next(entry for entry in doc["equipments"] if entry["name"] == name)
    return entry["energy"], entry["energy_yesterday"]


@pytest.fixture
def morning(tmp_path: Path) -> dict[str, Any]:
    """08:00-09:00 with the radiator forced on (1000 W: ~1 kWh), 700 Wh the day before."""
    _, doc = run_restored(tmp_path, ("ecs", "radiator"), None, at(1, 8), at(1, 9), force_radiator=True)
    next(entry for entry in doc["equipments"] if entry["name"] == "radiator")["energy_yesterday"] = 700.0
    return doc


def test_a_load_put_back_the_same_day_resumes_its_counters(tmp_path: Path, morning: dict[str, Any]) -> None:
    radiator_wh = _counters(morning, "radiator")[0]
    assert radiator_wh == pytest.approx(1000, rel=0.01)
    _, without = run_restored(tmp_path, ("ecs",), morning, at(1, 9, 1), at(1, 10))
    assert without["removed_equipments"] == [{"name": "radiator", "energy": radiator_wh, "energy_yesterday": 700.0}]
    _, back = run_restored(tmp_path, ("ecs", "radiator"), without, at(1, 10, 1), at(1, 10, 30))
    assert _counters(back, "radiator") == (radiator_wh, 700.0)  # (was 0, 0: its sensor's day started again)
    assert "removed_equipments" not in back  # (the document of every other run is as it was)


def test_kept_counters_roll_at_midnight_and_are_forgotten_after_the_next(tmp_path: Path,
                                                                          morning: dict[str, Any]) -> None:
    radiator_wh = _counters(morning, "radiator")[0]
    h, _ = run_restored(tmp_path, ("ecs",), morning, at(1, 9, 1), at(1, 10))
    h.reg.tick(at(2, 0) + 1)
    assert h.reg.status(at(2, 0) + 2)["removed_equipments"] == [
        {"name": "radiator", "energy": 0.0, "energy_yesterday": radiator_wh}]
    h.reg.tick(at(3, 0) + 1)
    assert "removed_equipments" not in h.reg.status(at(3, 0) + 2)


def test_a_restart_the_next_day_keeps_them_as_yesterday_s(tmp_path: Path, morning: dict[str, Any]) -> None:
    radiator_wh = _counters(morning, "radiator")[0]
    _, without = run_restored(tmp_path, ("ecs",), morning, at(1, 9, 1), at(1, 10))
    _, back = run_restored(tmp_path, ("ecs", "radiator"), without, at(2, 8), at(2, 8, 1))
    assert _counters(back, "radiator") == (0.0, radiator_wh)
    # Removed one day, the file read the next with the load still out: yesterday's, then forgotten.
    _, still_out = run_restored(tmp_path, ("ecs",), morning, at(2, 9), at(2, 9, 1))
    assert still_out["removed_equipments"] == [{"name": "radiator", "energy": 0.0, "energy_yesterday": radiator_wh}]
    _, later = run_restored(tmp_path, ("ecs",), still_out, at(3, 9), at(3, 9, 1))
    assert "removed_equipments" not in later


def test_a_file_two_days_old_keeps_nothing(tmp_path: Path, morning: dict[str, Any]) -> None:
    _, later = run_restored(tmp_path, ("ecs",), morning, at(3, 9), at(3, 9, 1))
    assert "removed_equipments" not in later
