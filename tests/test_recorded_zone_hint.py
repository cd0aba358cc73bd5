"""A day the daemon recorded at its machine's zone (a Pi left at UTC, the config without a timezone), replayed with
the house's zone set: the refusal said to set [evaluate] timezone to the house's zone, the one already set."""

from __future__ import annotations

import gzip
from datetime import timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recording.format import format_rows, header_text
from simulation.recorded import trace_from_record
from simulation.trace import TraceError
from tests.day_files import PARIS, paris, rec

NOON = paris("2026-06-01", "12:00:00")


def recorded_at(path: Path, zone: timezone | ZoneInfo) -> Path:
    rows = format_rows([rec(NOON + 4 * i, 500, 2000) for i in range(10)], zone)
    path.write_bytes(gzip.compress((header_text(("ecs", "radiator"), (False, True), 10) + rows).encode()))
    return path


def test_a_day_recorded_at_utc_replayed_in_the_house_s_zone_says_both_ways_out(tmp_path: Path) -> None:
    path = recorded_at(tmp_path / "pyseb-2026-06-01.csv.gz", timezone.utc)
    with pytest.raises(TraceError) as caught:
        trace_from_record(path, PARIS)
    message = str(caught.value)
    assert message.startswith(f"{path}: recorded at UTC+00:00 (the recording daemon's clock), replayed at UTC+02:00 "
                              "([evaluate] timezone = Europe/Paris)")
    assert "if Europe/Paris is not the house's zone, set [evaluate] timezone to it; if it is, the daemon recorded " \
           "this day at its machine's zone (its config set no timezone: set it there), and the day replays with " \
           "one at UTC+00:00 (timezone = UTC, in a copy of this config)" in message


def test_a_day_recorded_at_another_offset_names_no_zone_it_cannot_know(tmp_path: Path) -> None:
    path = recorded_at(tmp_path / "pyseb-2026-06-01.csv.gz", ZoneInfo("Europe/Lisbon"))
    with pytest.raises(TraceError) as caught:
        trace_from_record(path, PARIS)
    assert "the day replays with one at UTC+01:00 (the zone of the machine that recorded it, in a copy of this " \
           "config)" in str(caught.value)
