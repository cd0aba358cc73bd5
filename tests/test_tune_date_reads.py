"""`tune DATE` reads each part of the date once: the date's check of its parts (one that cannot be read is left out)
read them with a reader of its own, then the tune's read them again (0.4 s a day at 2 s on a PC, each). The tune's
reader leaves out a day of fewer than two decisions (a replay needs two); a part of one decision is the date's all the
same, replayed with the others, as before."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import simulation.tune_days
from core.decisions import DecisionRecord
from simulation.__main__ import main
from tests.day_files import write_day
from tests.replay_days import PARIS, write_config


def _part(path: Path, start: str, decisions: int) -> None:
    begin = datetime.fromisoformat(f"2026-06-01T{start}").replace(tzinfo=ZoneInfo(PARIS)).timestamp()
    write_day(path, [DecisionRecord(begin + 4.0 * i, 500.0, 1500.0, (0.0,), (0.0,), (2000.0,), (0.0,))
                     for i in range(decisions)], names=("ecs",), relays=(False,))


def _recording_config(tmp_path: Path) -> tuple[Path, Path]:
    """A config of one heater in Paris recording into `records` (made, empty): the config and that folder."""
    config = write_config(tmp_path, "ecs = variable")
    text = config.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}")
    config.write_text(text + "\n[record]\ndir = records\n")
    records = tmp_path / "records"
    records.mkdir()
    return config, records

def test_tune_of_a_date_reads_each_part_once_and_keeps_a_part_of_one_decision(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config, records = _recording_config(tmp_path)
    _part(records / "pyseb-2026-06-01.csv.gz", "12:00:00", 150)
    _part(records / "pyseb-2026-06-01-2.csv.gz", "12:20:00", 1)  # (PySEB stopped a second after its start)
    _part(records / "pyseb-2026-06-01-3.csv.gz", "12:30:00", 150)
    reads: Counter[str] = Counter()
    real_read = simulation.tune_days.read_record

    def counted(path: Any, *args: Any, **kwargs: Any) -> Any:
        reads[Path(path).name] += 1
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(simulation.tune_days, "read_record", counted)
    assert main(["tune", "2026-06-01", "-c", str(config), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
    out = capsys.readouterr().out
    assert reads == {"pyseb-2026-06-01.csv.gz": 1, "pyseb-2026-06-01-2.csv.gz": 1, "pyseb-2026-06-01-3.csv.gz": 1}
    assert "left out" not in out  # (the part of one decision is the date's, replayed with the others)
    assert "pyseb-2026-06-01.csv.gz and pyseb-2026-06-01-2.csv.gz and pyseb-2026-06-01-3.csv.gz: one day" in out


def test_tune_of_a_day_in_parts_reads_each_part_once_for_its_daylight_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The checks read each part once, then the day's daylight window read them all again (a single day's window is
    # found in its one read): every read of a day file in the tune's own process is counted here (its replays run in
    # their own).
    import recording.format

    config, records = _recording_config(tmp_path)
    _part(records / "pyseb-2026-06-01.csv.gz", "12:00:00", 150)
    _part(records / "pyseb-2026-06-01-2.csv.gz", "12:30:00", 150)
    reads: Counter[str] = Counter()

    def counted(path: Any, *args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code.co_name == "read_record":  # (not is_record_file's look at a file's first bytes)
            reads[Path(path).name] += 1
        return open(path, *args, **kwargs)

    monkeypatch.setattr(recording.format, "open", counted, raising=False)
    for given in ("2026-06-01", str(records)):
        reads.clear()
        assert main(["tune", given, "-c", str(config), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
        out = capsys.readouterr().out
        assert reads == {"pyseb-2026-06-01.csv.gz": 1, "pyseb-2026-06-01-2.csv.gz": 1}, given
        assert "pyseb-2026-06-01.csv.gz + " in out and "12:00:00, where the file starts" in out, out
