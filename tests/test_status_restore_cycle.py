"""The day's energies restored from the status file resume counted since the file's cycle start
(energy_counted_since), kept by a partial restore; without the day's figures, or after a file far ahead, counted
since the start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.configs import write_config
from tests.harness import Harness
from tests.saved_status import REPORT, at, energies, saved_day

MISSING = object()  # a file without energy_counted_since: saved before 2026-12-02, or the seed's status.ini


@pytest.mark.parametrize(("saved", "restored", "warned"), [
    ("2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00+01:00", False),  # started at 10:00 without a file
    ("2026-12-01T09:00:00Z", "2026-12-01T10:00:00+01:00", False),  # the same instant at another offset
    (MISSING, "2026-12-01T00:00:00+01:00", False),
    ("2026-11-30T10:00:00+01:00", "2026-12-01T00:00:00+01:00", True),  # not the day of the file's figures
    ("2026-12-02T00:00:00+01:00", "2026-12-01T00:00:00+01:00", True),
    ("2026-12-01T10:00:00", "2026-12-01T00:00:00+01:00", True),  # no offset: no instant
    ("10:00", "2026-12-01T00:00:00+01:00", True),
    (1_764_579_600, "2026-12-01T00:00:00+01:00", True),  # a number: not what PySEB writes
])
def test_the_day_s_energies_resume_counted_since_the_file_s_cycle_start(tmp_path: Path, saved: Any, restored: str,
                                                                        warned: bool) -> None:
    # Home Assistant's last_reset for the day's energies (energy_last_reset): a restore of the day's figures is the
    # same cycle, not a new one that HA would count again from 0.
    doc = saved_day(tmp_path, at(1, 11, 45))
    if saved is MISSING:
        del doc["energy_counted_since"]
    else:
        doc["energy_counted_since"] = saved
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    warnings = h.reg.restore(doc, at(1, 12, 1))
    h.reg.start(at(1, 12, 1))
    assert h.reg.status(at(1, 12, 2))["energy_counted_since"] == restored
    assert energies(h, at(1, 12, 2))[0] == 1500.0
    said = [w for w in warnings if "energy_counted_since" in w]
    assert bool(said) == warned
    if warned:
        assert "counted since its midnight" in said[0]


def test_a_partial_restore_keeps_the_file_s_cycle_start(tmp_path: Path) -> None:
    # The radiator missing from the file (a load added since): it starts from 0, the others resume. One cycle start
    # for all: the file's, so that the resumed energies are not counted twice by HA (the new load has no past).
    doc = saved_day(tmp_path, at(1, 11, 45))
    doc["energy_counted_since"] = "2026-12-01T10:00:00+01:00"
    doc["equipments"] = doc["equipments"][:1]
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    assert h.reg.restore(doc, at(1, 12, 1)) == ["no saved state for radiator: starting from zero"]
    h.reg.start(at(1, 12, 1))
    assert h.reg.status(at(1, 12, 2))["energy_counted_since"] == "2026-12-01T10:00:00+01:00"


@pytest.mark.parametrize(("restored_at", "since"), [
    (at(2, 8), "2026-12-02T08:00:00+01:00"),  # the day before's figures: today's start from 0 at the start
    (at(1, 12, 1) + 13 * 3600, "2026-12-02T01:01:00+01:00"),
])
def test_a_start_without_the_day_s_figures_counts_since_the_start(tmp_path: Path, restored_at: float,
                                                                  since: str) -> None:
    doc = saved_day(tmp_path, at(1, 11, 45))
    doc["energy_counted_since"] = "2026-12-01T10:00:00+01:00"
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, restored_at)
    h.reg.start(restored_at)
    assert h.reg.status(restored_at + 60)["energy_counted_since"] == since
    assert energies(h, restored_at + 60)[:2] == (0.0, 1500.0)


def test_a_clean_start_after_a_file_far_ahead_counts_since_the_start(tmp_path: Path) -> None:
    doc = saved_day(tmp_path, at(3, 11, 45))
    doc["energy_counted_since"] = "2026-12-03T10:00:00+01:00"
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, at(1, 12, 1))
    h.reg.start(at(1, 12, 1))
    assert h.reg.status(at(1, 12, 2))["energy_counted_since"] == "2026-12-01T12:01:00+01:00"


@pytest.mark.parametrize("start_at", [at(2, 0, 30), at(3, 9)])
def test_a_midnight_between_the_restore_and_the_start_is_that_day_s_roll(tmp_path: Path, start_at: float) -> None:
    # Restarted at 23:45 from the file of 23:40, the broker answering only after midnight (the daemon starts the
    # regulator at its first connection): the file's figures were sorted into Dec 1's at the restore. Started from
    # the connection's day, they were counted as Dec 2's, and Dec 1's report was never sent.
    doc = saved_day(tmp_path, at(1, 23, 40))
    doc["report_today"]["covered_h"], doc["report_today"]["pv_wh"] = 10.0, 3000.0
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, at(1, 23, 45))
    h.reg.start(start_at)
    h.reg.tick(start_at)
    reports = [json.loads(r) for r in h.on(REPORT)]
    assert [(r["date"], r["covered_h"], r["pv_wh"]) for r in reports] == [("2026-12-01", 10.0, 3000.0)]
    status = h.reg.status(start_at + 1)
    heater = status["equipments"][0]
    assert (heater["energy"], heater["energy_yesterday"]) == (0.0, 1500.0)
    assert (status["production_energy"], status["production_energy_yesterday"]) == (0.0, 3000.0)
    assert h.reg.counted_day == ("2026-12-02" if start_at < at(3, 0) else "2026-12-03")


def test_a_restore_and_a_start_the_same_day_roll_nothing(tmp_path: Path) -> None:
    doc = saved_day(tmp_path, at(1, 23, 40))
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, at(1, 23, 45))
    h.reg.start(at(1, 23, 50))
    h.reg.tick(at(1, 23, 51))
    assert not h.on(REPORT) and energies(h, at(1, 23, 52))[:2] == (1500.0, 4000.0)
    assert h.reg.status(at(1, 23, 52))["energy_counted_since"] == doc["energy_counted_since"]
