"""`python3 -m simulation report` given several days, as `tune` takes them: files, folders, patterns no shell
expanded, dates; each day its report, a day given twice once, a day that cannot be read said and the others reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulation.__main__ import main
from tests.replay_days import write_config, write_recorded_day


def reported(out: str) -> list[str]:
    """The files reported, in order (each report's first line)."""
    return [line.removeprefix("Report of ").rsplit(" (", 1)[0] for line in out.splitlines()
            if line.startswith("Report of ")]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    records = tmp_path / "records"
    write_recorded_day(records, "2026-06-01", 10)
    write_recorded_day(records, "2026-06-02", 10)
    (records / "notes.txt").write_text("not a day")
    return records


def test_several_files_each_reported_in_turn(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = folder / "pyseb-2026-06-01.csv.gz", folder / "pyseb-2026-06-02.csv.gz"
    assert main(["report", str(second), str(first)]) == 0  # (was: unrecognized arguments)
    out = capsys.readouterr().out
    assert reported(out) == [str(second), str(first)]
    assert "day 2026-06-02" in out and "day 2026-06-01" in out and out.count("log line: ") == 2
    assert main(["report", str(first), str(first)]) == 0  # (one day given twice: once)
    assert reported(capsys.readouterr().out) == [str(first)]


def test_a_folder_or_a_pattern_the_shell_left_gives_its_days(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(folder)]) == 0  # (was: "a folder; report takes one day")
    out = capsys.readouterr().out
    assert reported(out) == [str(folder / "pyseb-2026-06-01.csv.gz"), str(folder / "pyseb-2026-06-02.csv.gz")]
    assert f"{folder}: a folder: its 2 recorded days" in out
    assert main(["report", str(folder / "pyseb-2026-06-0*.csv.gz")]) == 0
    assert len(reported(capsys.readouterr().out)) == 2
    assert main(["report", str(folder / "pyseb-2025-*.csv.gz")]) == 2
    assert f"error: {folder / 'pyseb-2025-*.csv.gz'}: no file matches this pattern" in capsys.readouterr().err
    empty = folder.parent / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert f"error: {empty}: a folder with no recorded day (pyseb-YYYY-MM-DD.csv.gz) in it" in capsys.readouterr().err


def test_several_dates_in_the_record_dir(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(folder.parent, "ecs = variable")
    config.write_text(config.read_text() + "\n[record]\ndir = records\n")
    assert main(["report", "2026-06-02", "2026-06-01", "-c", str(config)]) == 0
    assert reported(capsys.readouterr().out) == [str(folder / "pyseb-2026-06-02.csv.gz"),
                                                 str(folder / "pyseb-2026-06-01.csv.gz")]


def test_a_date_not_recorded_is_said_and_the_others_reported(folder: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # `report 2026-06-01 2026-06-02 2026-06-03 -c config.ini`, the Pi off on the 3rd: the missing date stopped the
    # whole command before any report, where a file that cannot be read is said and the others reported.
    config = write_config(folder.parent, "ecs = variable")
    config.write_text(config.read_text() + "\n[record]\ndir = records\n")
    assert main(["report", "2026-06-01", "2026-06-03", "2026-06-02", "-c", str(config)]) == 2
    out, err = capsys.readouterr()
    assert reported(out) == [str(folder / "pyseb-2026-06-01.csv.gz"), str(folder / "pyseb-2026-06-02.csv.gz")]
    assert err == f"error: 2026-06-03: no recorded day pyseb-2026-06-03.csv.gz (nor unpacked, .csv) in {folder}\n"


def test_a_day_that_cannot_be_read_is_said_and_the_others_reported(folder: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    good = folder / "pyseb-2026-06-01.csv.gz"
    cut = folder / "pyseb-2026-06-03.csv.gz"
    cut.write_bytes(good.read_bytes()[:10])  # (a power cut in the day's first write)
    assert main(["report", str(cut), str(good)]) == 2
    out, err = capsys.readouterr()
    assert reported(out) == [str(good)] and f"error: {cut}: " in err
    assert main(["report", str(folder)]) == 0  # (in a folder the owner did not name it in: left out, said)
    out = capsys.readouterr().out
    assert len(reported(out)) == 2 and f"left out: {cut.name} (no header" in out


def test_plot_takes_one_day(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    assert main(["report", str(folder), "--plot", str(tmp_path / "day.png")]) == 2
    out, err = capsys.readouterr()
    assert "error: --plot draws one day: 2 given" in err and not out and not (tmp_path / "day.png").exists()


def test_the_parts_of_a_day_given_together_are_not_said_left_out(folder: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    first = folder / "pyseb-2026-06-01.csv.gz"
    second = Path(shutil.copy(folder / "pyseb-2026-06-02.csv.gz", folder / "pyseb-2026-06-01-2.csv.gz"))
    assert main(["report", str(first), str(second)]) == 0
    out = capsys.readouterr().out
    assert reported(out) == [str(first), str(second)] and "covers" not in out
    Path(shutil.copy(second, folder / "pyseb-2026-06-01-3.csv.gz"))
    assert main(["report", str(first), str(second)]) == 0  # (a part not given is named, once, by the day's total)
    out = capsys.readouterr().out
    assert "2026-06-01 in total, the 2 parts above, of its 3 (not pyseb-2026-06-01-3.csv.gz):\n" in out
    assert "covers" not in out  # (each part's "this report covers ... only", above their total)


def test_each_day_is_read_once(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    # A folder's day was read for the folder's check, again for the copies and again for its report (0.4 s each at 2 s
    # on a PC); a day named, twice: once now, its report kept, not its readings. A day with no decision is said as
    # before, from that one read.
    import recording.format
    from recording.format import header_text
    from recording.store import append_batch

    named = write_recorded_day(tmp_path / "named", "2026-06-03", 10)
    empty = tmp_path / "named" / "pyseb-2026-06-04.csv.gz"
    append_batch(empty, "", header_text(["ecs"], [False], 10.0))
    reads: list[int] = []
    whole = recording.format.read_members
    monkeypatch.setattr(recording.format, "read_members", lambda data: reads.append(1) or whole(data))
    assert main(["report", str(folder), str(named), str(empty)]) == 2
    out, err = capsys.readouterr()
    assert reported(out) == [str(folder / "pyseb-2026-06-01.csv.gz"), str(folder / "pyseb-2026-06-02.csv.gz"),
                             str(named)]
    assert out.count("log line: ") == 3 and f"error: {empty}: no decision recorded" in err
    assert len(reads) == 4


def test_a_date_without_c_is_found_through_the_config_ini_here(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # As regulation.py takes ./config.ini without -c: a date given without it was 'a date needs -c config.ini' with
    # that very file in the current folder.
    config = write_config(folder.parent, "ecs = variable")
    config.write_text(config.read_text() + "\n[record]\ndir = records\n")
    monkeypatch.chdir(folder.parent)
    assert main(["report", "2026-06-01"]) == 0
    assert [Path(day).resolve() for day in reported(capsys.readouterr().out)] == [folder / "pyseb-2026-06-01.csv.gz"]
    config.unlink()  # (none here: the error says what to give)
    assert main(["report", "2026-06-01"]) == 2
    assert ("error: 2026-06-01: no such file (a date needs -c config.ini to find the [record] dir, and there is no "
            "config.ini in the current folder)") in capsys.readouterr().err


def test_today_not_yet_written_or_recording_off_is_said(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A first try after installing: `report <today>` while the daemon runs, before its first batch (every
    # flush_interval s) reached the disk: it said only "no recorded day ... in records", as for a day the Pi was off.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    config = write_config(folder.parent, "ecs = variable")
    config.write_text(config.read_text().replace("[evaluate]\n", "[evaluate]\ntimezone = Pacific/Kiritimati\n")
                      + "\n[record]\ndir = records\nflush_interval = 120\n")
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()  # (the house's today, not the machine's)
    assert main(["report", today, "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"error: {today}: no recorded day pyseb-{today}.csv.gz (nor unpacked, .csv) in {folder}" in err
    assert "today's decisions reach the file every 120 s ([record] flush_interval) and at PySEB's stop" in err
    assert "report_today" in err
    config.write_text(config.read_text().replace("[record]\n", "[record]\nenabled = false\n"))
    assert main(["report", "2026-06-03", "-c", str(config)]) == 2
    assert "[record] enabled = false in the config: PySEB records no day" in capsys.readouterr().err


def test_a_day_in_two_parts_is_reported_in_its_order(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A folder (or a pattern) listed pyseb-2026-06-01-2.csv.gz, the afternoon's part (the loads changed at noon),
    # before pyseb-2026-06-01.csv.gz, its morning ('-' sorts before '.'), and counted the two files as two days.
    second = folder / "pyseb-2026-06-01-2.csv.gz"
    shutil.move(write_recorded_day(folder.parent / "afternoon", "2026-06-01", 5, house_w=700.0), second)
    for given in (folder, folder / "pyseb-2026-06-0*.csv.gz"):
        assert main(["report", str(given)]) == 0
        assert reported(capsys.readouterr().out) == [str(folder / "pyseb-2026-06-01.csv.gz"), str(second),
                                                     str(folder / "pyseb-2026-06-02.csv.gz")]
    main(["report", str(folder)])
    assert f"{folder}: a folder: its 2 recorded days, in 3 files" in capsys.readouterr().out


def test_plot_of_a_day_in_two_parts_draws_both(folder: Path, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    # `report records --plot day.png`, the folder holding one day recorded in two parts: "--plot draws one day: 2
    # given", where the owner gave one folder of one day; then "--plot draws one file" (test_report_plot_parts).
    pytest.importorskip("matplotlib")
    (folder / "pyseb-2026-06-02.csv.gz").unlink()
    second = folder / "pyseb-2026-06-01-2.csv.gz"
    shutil.move(write_recorded_day(folder.parent / "afternoon", "2026-06-01", 5, house_w=700.0), second)
    assert main(["report", str(folder), "--plot", str(tmp_path / "day.png")]) == 0
    assert "the 2 parts above, one after another" in capsys.readouterr().out and (tmp_path / "day.png").exists()


def test_a_day_the_user_may_not_read_is_said_left_out_of_its_folder(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # A day file of another owner, mode 0600: dropped from the folder without a word, the others reported (exit 0).
    # (The permission is played: root, who runs CI, reads every file.)
    import recording.format

    barred = folder / "pyseb-2026-06-03.csv.gz"
    shutil.copy(folder / "pyseb-2026-06-01.csv.gz", barred)

    def no_entry(path: object, *args: object, **kwargs: object) -> object:
        if Path(str(path)).name == barred.name:
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(recording.format, "open", no_entry, raising=False)
    assert main(["report", str(folder)]) == 0
    out = capsys.readouterr().out
    assert len(reported(out)) == 2 and f"left out: {barred.name} (" in out and "Permission denied" in out


def test_a_folder_that_is_not_there_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # `report records` before the daemon ever recorded: "records: cannot read: No such file or directory", where an
    # empty folder was said much better; and `report <today>` spoke of the next batch's write, the daemon never run.
    monkeypatch.chdir(tmp_path)
    assert main(["report", "records"]) == 2
    assert capsys.readouterr().err == ("error: records: no such file or folder (give a recorded day's file, a folder "
                                       "of them, or a date, YYYY-MM-DD, looked up in the config's [record] dir)\n")
    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text() + "\n[record]\ndir = records\n")
    assert main(["report", "2026-06-03", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"in {tmp_path / 'records'} (no such folder: PySEB has recorded nothing there yet with {config})" in err
    assert "flush_interval" not in err
