"""`replay` and `tune` take a date, YYYY-MM-DD, for the day recorded in the config's `[record] dir`, as `report`
does: an owner who had just run `report 2026-06-01 -c config.ini` and tried `replay 2026-06-01 -c config.ini` was
told `2026-06-01: trace file not found`, with no word of the file to give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulation.__main__ import main
from tests.replay_days import PARIS, write_config, write_recorded_day


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path, "ecs = variable")
    text = path.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}")
    path.write_text(text + "\n[record]\ndir = records\n")
    write_recorded_day(tmp_path / "records", "2026-06-01", 10)
    return path


def test_replay_takes_a_date(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "2026-06-01", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"Replay of {config.parent / 'records' / 'pyseb-2026-06-01.csv.gz'} with {config}" in out


def test_tune_takes_a_date_with_all_its_parts(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = config.parent / "records"
    # (the day's afternoon in its -2 part, the loads changed at a restart: the date is the whole day, both parts)
    shutil.move(write_recorded_day(config.parent / "afternoon", "2026-06-01", 5, house_w=700.0),
                records / "pyseb-2026-06-01-2.csv.gz")
    assert main(["tune", "2026-06-01", "-c", str(config), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 1 day = 2 replays" in out and "best" in out
    assert "pyseb-2026-06-01-2.csv.gz" in out  # (the day's parts, replayed as one)


def test_a_date_not_recorded_says_where_it_was_looked_for(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["replay", "2026-06-02"], ["tune", "2026-06-02", "--set", "evaluate.margin=0,10"]):
        assert main([*command, "-c", str(config)]) == 2
        err = capsys.readouterr().err
        assert (f"error: 2026-06-02: no recorded day pyseb-2026-06-02.csv.gz (nor unpacked, .csv) in "
                f"{config.parent / 'records'}") in err
        assert "trace file not found" not in err


def test_a_file_named_as_a_date_is_still_that_file(config: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # (a trace saved under the name 2026-06-01, no extension: the file given, as before)
    monkeypatch.chdir(config.parent)
    Path("2026-06-01").write_text("time,production_w,house_w\n"
                                  + "".join(f"2026-06-01T12:{i:02d}:00,3000,500\n" for i in range(10)))
    assert main(["replay", "2026-06-01", "-c", str(config)]) == 0
    assert "Replay of 2026-06-01 with" in capsys.readouterr().out


def test_replay_takes_a_date_with_all_its_parts(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `replay 2026-06-01` of a day in two parts replayed the first alone, "the day's other part(s) ... replayed
    # without", where tune and report take the date for the whole day: the parts are replayed as one, as tune does.
    records = config.parent / "records"
    second = records / "pyseb-2026-06-01-2.csv.gz"
    shutil.move(write_recorded_day(config.parent / "afternoon", "2026-06-01", 5, house_w=700.0), second)
    assert main(["replay", "2026-06-01", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"Replay of {records / 'pyseb-2026-06-01.csv.gz'} + {second} with {config}" in out
    assert "replayed without" not in out


def _afternoon_after_an_empty_part(config: Path) -> Path:
    """The day's -3 part (the afternoon), after a -2 a full disk left empty at the restart that began it."""
    records = config.parent / "records"
    (records / "pyseb-2026-06-01-2.csv.gz").write_bytes(b"")
    third = records / "pyseb-2026-06-01-3.csv.gz"
    shutil.move(write_recorded_day(config.parent / "afternoon", "2026-06-01", 5, house_w=700.0), third)
    return third


def test_replay_of_a_date_leaves_out_a_part_that_cannot_be_read(config: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # `replay 2026-06-01` stopped at the empty part, "empty: nothing recorded in it", the whole day unplayable by its
    # date (replay takes one file: the two others could not be given instead); a folder's is left out, and said.
    third = _afternoon_after_an_empty_part(config)
    assert main(["replay", "2026-06-01", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"Replay of {config.parent / 'records' / 'pyseb-2026-06-01.csv.gz'} + {third} with {config}" in out
    assert ("2026-06-01: recorded in 3 files, 2 of them read; left out: pyseb-2026-06-01-2.csv.gz (empty: nothing "
            "recorded in it") in out


def test_tune_of_a_date_leaves_out_a_part_that_cannot_be_read(config: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    _afternoon_after_an_empty_part(config)
    assert main(["tune", "2026-06-01", "-c", str(config), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 1 day = 2 replays" in out and "best" in out
    assert "left out: pyseb-2026-06-01-2.csv.gz (empty: " in out


def test_a_part_cut_short_before_the_next_is_not_said_to_end_the_replay(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (a power cut in the morning's part, the afternoon's after it: the replay went on, "the replay ends at its last
    # decision" said otherwise)
    records = config.parent / "records"
    first = records / "pyseb-2026-06-01.csv.gz"
    first.write_bytes(first.read_bytes()[:-20])
    second = records / "pyseb-2026-06-01-2.csv.gz"
    shutil.move(write_recorded_day(config.parent / "afternoon", "2026-06-01", 5, house_w=700.0), second)
    assert main(["replay", "2026-06-01", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert (f"{first}: its last batch was cut short (a crash): lost; the replay goes on at the next part's first "
            "decision") in out
    assert "the replay ends" not in out
