"""Shared set-up of the status-restore tests (test_status_restore and its _daemon and _cycle files, the removed
loads' counters and report tests): times in December 2026 in Paris, a status file of a day with energies and a
forced radiator, the energies a restore gave, a run restored from a status file."""

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


def run_restored(tmp_path: Path, loads: tuple[str, ...], doc: dict[str, Any] | None, start_s: float, end_s: float,
                 force_radiator: bool = False, production_w: float = 0) -> tuple[Harness, dict[str, Any]]:
    """A run from `start_s` to `end_s` with `loads`, restored from `doc`, its meters read every 5 s (no sun unless
    `production_w`: nothing but a force draws): its harness and the status file it saves at its end (through JSON)."""
    folder = tmp_path / f"run{int(start_s)}"
    folder.mkdir()
    h = Harness(write_config(folder, loads))
    if doc is not None:
        h.reg.restore(doc, start_s)
    h.reg.start(start_s)
    if force_radiator:
        h.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000}', start_s)
    now = start_s
    while now < end_s:
        h.meters(1500, production_w, now)
        now += 5
    return h, json.loads(json.dumps(h.reg.status(end_s)))
