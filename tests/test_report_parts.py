"""`python3 -m simulation report DATE` of a day recorded in parts (the loads, meter_timeout or the file format changed
at a restart: `pyseb-DAY-2.csv.gz`...): it reported the first part alone, the afternoon's left out but for a note. Each
part is reported, where it begins and what changed said, then the day in total, as the daemon's own report of that
day counts it (the loads by name across the restart)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.decisions import DecisionRecord
from recording.format import format_rows, header_text
from recording.store import append_batch
from simulation.__main__ import main
from tests.replay_days import PARIS, write_config

DAY = "2026-06-01"


def _part(path: Path, hour: int, minutes: int, loads: tuple[str, ...], relays: tuple[bool, ...]) -> Path:
    """`minutes` of decisions from `hour`:00 (Paris), one every 4 s, exporting 1000 W with every load off."""
    start = datetime.fromisoformat(f"{DAY}T{hour:02d}:00:00").replace(tzinfo=ZoneInfo(PARIS)).timestamp()
    zeros = (0.0,) * len(loads)
    records = [DecisionRecord(start + 4.0 * i, 500.0, 1500.0, zeros, zeros, (1000.0,) * len(loads), zeros)
               for i in range(minutes * 15)]
    append_batch(path, format_rows(records, ZoneInfo(PARIS)), header_text(list(loads), list(relays), 10.0))
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path, "ecs = variable")
    path.write_text(path.read_text() + "\n[record]\ndir = records\n")
    records = tmp_path / "records"
    records.mkdir()
    _part(records / f"pyseb-{DAY}.csv.gz", 12, 10, ("ecs",), (False,))
    _part(records / f"pyseb-{DAY}-2.csv.gz", 13, 20, ("ecs", "radiator"), (False, True))  # (a relay added at 13:00)
    return path


def test_a_date_reports_every_part_and_the_day_in_total(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = config.parent / "records"
    assert main(["report", DAY, "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"Report of {records / f'pyseb-{DAY}.csv.gz'}" in out
    assert f"Report of {records / f'pyseb-{DAY}-2.csv.gz'}" in out  # (was: its first part alone, and a note)
    assert "covers" not in out
    assert f"part 1 of 2 of {DAY}, from 12:00:00\n" in out
    assert f"part 2 of 2 of {DAY}, from 13:00:00: its loads changed (ecs, now ecs, radiator)\n" in out
    total = out.split(f"{DAY} in total, its 2 parts:\n", 1)[1]
    assert "PV production           0.75 kWh" in total  # (1500 W for 10 and 20 minutes)
    assert "exported                 498 Wh" in total and "0.50 h covered" in total
    assert "radiator" in total and out.count("log line: ") == 1  # (the day's one line, the daemon's)
    assert total.count("log line: day 2026-06-01 (0.5 h covered): PV 0.75 kWh") == 1


def test_a_part_given_alone_is_reported_alone(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = config.parent / "records" / f"pyseb-{DAY}-2.csv.gz"
    assert main(["report", str(second)]) == 0
    out = capsys.readouterr().out
    assert f"covers {second.name} only; the other(s): " in out and "in total" not in out
    assert out.count("log line: ") == 1


def test_a_total_of_some_parts_says_so(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (a third part that cannot be read, left out of the folder: the total is the two parts', said not the day's)
    records = config.parent / "records"
    (records / f"pyseb-{DAY}-3.csv.gz").write_bytes(b"\x1f\x8b")
    assert main(["report", str(records)]) == 0
    out = capsys.readouterr().out
    assert f"{DAY} in total, the 2 parts above, of its 3 (not pyseb-{DAY}-3.csv.gz):\n" in out


def test_a_date_with_a_part_that_cannot_be_read_is_reported_as_its_folder(config: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # A part a full disk left empty between two others (the loads changed at each restart): `report DATE` said its
    # error, gave no total and exited 2 where `report records` left it out and totalled the others.
    records = config.parent / "records"
    (records / f"pyseb-{DAY}-2.csv.gz").rename(records / f"pyseb-{DAY}-3.csv.gz")
    (records / f"pyseb-{DAY}-2.csv.gz").write_bytes(b"")
    assert main(["report", DAY, "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"{DAY}: recorded in 3 files, 2 of them read; left out: pyseb-{DAY}-2.csv.gz (empty: " in out
    assert f"part 3 of 3 of {DAY}, from 13:00:00: its loads changed since part 1 (ecs, now ecs, radiator)\n" in out
    assert f"{DAY} in total, the 2 parts above, of its 3 (not pyseb-{DAY}-2.csv.gz):\n" in out
    assert "covers" not in out  # (each part was said "this report covers ... only", above their total)


def test_a_part_after_one_not_reported_of_the_same_loads_is_not_said_an_update(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = config.parent / "records"
    _part(records / f"pyseb-{DAY}-3.csv.gz", 15, 5, ("ecs",), (False,))  # (back to the first part's loads)
    assert main(["report", str(records / f"pyseb-{DAY}.csv.gz"), str(records / f"pyseb-{DAY}-3.csv.gz")]) == 0
    out = capsys.readouterr().out
    assert f"part 3 of 3 of {DAY}, from 15:00:00: after part 1 (the part(s) between not reported)\n" in out
    assert "file format changed" not in out
    assert f"{DAY} in total, the 2 parts above, of its 3 (not pyseb-{DAY}-2.csv.gz):\n" in out


def test_a_load_taken_out_at_a_restart_is_in_the_total_s_removed_loads_as_the_daemon_has_it(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The radiator of the second part is out of the third (its config's loads back to ecs alone): the daemon's report
    # of the day lists it under removed_loads, the total listed it among the loads of that midnight.
    records = config.parent / "records"
    _part(records / f"pyseb-{DAY}-3.csv.gz", 15, 5, ("ecs",), (False,))
    assert main(["report", DAY, "-c", str(config)]) == 0
    total = capsys.readouterr().out.split(f"{DAY} in total, its 3 parts:\n", 1)[1]
    table, removed = total.split("removed from the config during the day (its energy in diverted):\n")
    assert "radiator" not in table.split("switches\n")[1]
    assert removed.splitlines()[0].split() == ["radiator", "relay", "0.00", "0"]
    assert "removed from the config during the day: radiator (0.00 kWh, 0 switches)" in total.split("log line: ")[1]
