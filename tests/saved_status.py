"""Shared set-up of the status-restore tests (test_status_restore and its _daemon and _cycle files): times in
December 2026 in Paris, a status file of a day with energies and a forced radiator, and the energies a restore gave."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.configs import write_config
from tests.harness import MODE, Harness

PARIS = ZoneInfo("Europe/Paris")
REPORT = "regul/report"


def at(day: int, hour: int, minute: int = 0) -> float:
    """A time in December 2026, Paris."""
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS).timestamp()


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


def energies(h: Harness, now: float) -> tuple[float, float, float, float]:
    status = h.reg.status(now)
    ecs = status["equipments"][0]
    return ecs["energy"], ecs["energy_yesterday"], status["production_energy"], status["production_energy_yesterday"]
