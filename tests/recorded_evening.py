"""Shared set-up of the recorded-day tests (test_simulation_recorded and its _checks and _writes files): an evening
of sun and house to replay, a config in Paris time, and a 'live' run of the real regulator on it, recorded as the
daemon records."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from simulation.recorded import RecordingFactory
from simulation.replay import real_regulator, replay
from tests.replay_days import write_config


def write_evening(directory: Path) -> Path:
    """21:00 to 00:10 (Paris), one row a minute: a sun that rises and falls, a house that steps."""
    lines = ["time,production_w,house_w"]
    for minute in range(190):
        hour, mins = divmod(21 * 60 + minute, 60)
        day = "2026-06-01" if hour < 24 else "2026-06-02"
        pv = 2000 + 1500 * math.sin(minute / 20)
        house = 300 if (minute // 7) % 2 else 700
        lines.append(f"{day}T{hour % 24:02d}:{mins:02d}:00,{pv:.0f},{house}")
    path = directory / "evening.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def config_paris(directory: Path) -> Path:
    path = write_config(directory, "ecs = variable\nradiator = constant")
    path.write_text(path.read_text().replace("meter_timeout = 10", "meter_timeout = 10\ntimezone = Europe/Paris"))
    return path


def record_live(work: Path) -> dict[str, Any]:
    """A 'live' run in `work`: the real regulator on the evening, recorded as the daemon records, its report kept.
    (Each test file keeps it in a module-scoped fixture: one run per file.)"""
    config = config_paris(work)
    reports: list[dict[str, Any]] = []

    def make(path: str, publish: Any) -> Any:
        def spy(topic: str, payload: str | bytes, retain: bool = False) -> None:
            if topic == "regul/report":
                reports.append(json.loads(payload))
            publish(topic, payload, retain)
        return real_regulator(path, spy)

    recording = RecordingFactory(work / "records", make)
    result = replay(config, write_evening(work), make_regulator=recording)
    files = recording.finish()
    return {"config": config, "reports": reports, "files": files, "result": result}
