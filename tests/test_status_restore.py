"""The start's restore of the status file: one the restore itself fails on (a bug, not a bad file) is kept aside,
not replaced by the first save: nothing the file holds is lost."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import status.restore
from settings.config import load_settings
from shell.daemon import Daemon
from shell.lock import InstanceLock
from status.store import save_status
from tests.configs import write_config
from tests.harness import MODE, NOON, Harness


def saved_day(tmp_path: Path, saved_at: float) -> dict[str, Any]:
    """A status file saved at `saved_at`: the heater drew 1500 Wh that day (4000 Wh the day before), the PV made
    3000 Wh, the radiator is forced on until unforced; as the regulator saves it (through JSON)."""
    first = Harness(write_config(tmp_path, ("ecs", "radiator")))
    first.meters(300, 2000, saved_at - 120)
    first.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000}', saved_at - 60)
    doc = json.loads(json.dumps(first.reg.status(saved_at)))
    doc["equipments"][0].update(energy=1500.0, energy_yesterday=4000.0)
    doc["production_energy"], doc["production_energy_yesterday"] = 3000.0, 9000.0
    return doc


@pytest.fixture
def daemon(tmp_path: Path) -> Daemon:
    # (a port no broker listens on: the daemon is never run, only its start's restore, and nothing connects)
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9))
    return Daemon(settings, InstanceLock(tmp_path / "test.lock"))


def test_an_unexpected_restore_error_keeps_the_file_aside_with_its_traceback(
        tmp_path: Path, daemon: Daemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A bug in the restore, not a bad file: the clean start was right, then the first save replaced the file and
    # the user's day was gone, with no trace of the error but at DEBUG.
    path = tmp_path / "status.json"
    save_status(path, saved_day(tmp_path, NOON - 60))
    content = path.read_text()

    def broken_report(*args: Any) -> list[str]:
        raise AttributeError("'NoneType' object has no attribute 'date'")

    monkeypatch.setattr(status.restore, "_restore_report", broken_report)
    with caplog.at_level(logging.WARNING):
        daemon.restore_saved_status(NOON)
    kept = list(tmp_path.glob("status.json.bad-*"))
    assert len(kept) == 1 and kept[0].read_text() == content and not path.exists()
    assert f"could not be restored (AttributeError: 'NoneType' object has no attribute 'date'): kept aside as " \
           f"{kept[0].name}" in caplog.text
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert len(tracebacks) == 1 and tracebacks[0].levelno == logging.ERROR and "broken_report" in caplog.text
    assert energies_of(daemon) == (0, 0)  # a clean start: nothing half restored
    assert not daemon.reg.loads_by_name["radiator"].is_forced()


def energies_of(daemon: Daemon) -> tuple[float, float]:
    ecs = daemon.reg.loads_by_name["ecs"]
    return ecs.energy_wh, daemon.reg.production_energy.energy_wh


def test_the_daemon_restores_a_good_file_and_leaves_it_in_place(tmp_path: Path, daemon: Daemon) -> None:
    path = tmp_path / "status.json"
    save_status(path, saved_day(tmp_path, NOON - 60))
    daemon.restore_saved_status(NOON)
    assert path.exists() and list(tmp_path.glob("status.json.bad-*")) == []
    assert energies_of(daemon) == (1500, 3000)
