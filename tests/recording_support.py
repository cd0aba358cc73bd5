"""Shared set-up of the day recorder's tests (test_recording and its _days and _limits files,
test_recording_swap, test_recording_leftovers): a decision a step, a recorder of the heater and the radiator in
Paris, and a day file written in batches."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.decisions import DecisionRecord
from recording.writer import DayRecorder

ROOT = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=PARIS).timestamp()


def record(i: int, start: float = NOON) -> DecisionRecord:
    return DecisionRecord(start + 4 * i, 1000.0 + i, float(i), (42.0, 1.0), (812.4, 1000.0), (1187.6, 0.0),
                          (812.4, 1000.0))


def recorder(directory: Path, **kwargs: object) -> DayRecorder:
    return DayRecorder(directory, ["ecs", "radiator"], [False, True], PARIS, 10.0, threaded=False,
                       **kwargs)  # type: ignore[arg-type]


def recorded_in_batches(directory: Path, batches: int) -> Path:
    """The day file of `batches` batches of 10 decisions, each flushed (one gzip member each)."""
    rec = recorder(directory)
    for batch in range(batches):
        for i in range(batch * 10, batch * 10 + 10):
            rec.add(record(i))
        rec.flush()
    return directory / "pyseb-2026-06-01.csv.gz"
