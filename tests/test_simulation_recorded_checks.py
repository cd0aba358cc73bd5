"""What `replay` and `report` refuse or say of a recorded day: a file that is no recorded day, a record folder
that holds days already, a gap, the parts of a day, another time zone, a period the regulator would take for silent
meters, what a day lacks."""

from __future__ import annotations

import errno
import gzip
import os
import shutil
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from recording.format import format_rows, header_text, read_record
from simulation.__main__ import main
from simulation.replay import replay
from tests.recorded_evening import record_live, write_evening


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 'live' run of the evening, recorded (tests/recorded_evening)."""
    return record_live(tmp_path_factory.mktemp("live"))


def test_a_file_that_is_not_a_recorded_day_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "pyseb-2026-06-01.csv.gz"
    bad.write_bytes(b"\x1f\x8b" + b"garbage")
    assert main(["report", str(bad)]) == 2
    assert "no header" in capsys.readouterr().err


def test_replay_record_refuses_a_folder_that_already_holds_days(live: dict[str, Any], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # A second `replay --record DIR` into the same folder used to append the day to the first: 48 h of it.
    folder = live["files"][0].parent
    trace = write_evening(tmp_path)
    assert main(["replay", str(trace), "-c", str(live["config"]), "--record", str(folder)]) == 2
    assert "already holds recorded days" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["replay", str(trace), "-c", str(live["config"]), "--record", str(afile)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_gap_in_a_recording_is_said_not_replayed_silently(live: dict[str, Any], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    # The daemon stopped for 20 minutes: the replay draws the sun in a straight line across, and says so.
    day = read_record(live["files"][0])
    cut = [r for r in day.records if not 3600 <= r.time_s - day.records[0].time_s < 3600 + 1200]
    gapped = tmp_path / "records" / "pyseb-gapped.csv.gz"
    gapped.parent.mkdir()
    gapped.write_bytes(gzip.compress((header_text(day.names, day.relays, day.max_gap_s)
                                      + format_rows(cut, day.tz)).encode()))
    assert main(["replay", str(gapped), "-c", str(live["config"])]) == 0
    assert "1 gap(s) with no decision recorded" in capsys.readouterr().out


def test_the_parts_of_a_day_replay_as_one_day(live: dict[str, Any], tmp_path: Path) -> None:
    # The loads changed at 22:30: the day is in pyseb-DAY.csv.gz and pyseb-DAY-2.csv.gz. Replayed each on its
    # own, the second part started with a cold tank and idle relays again; joined, it is the whole day.
    day = read_record(live["files"][0])
    middle = day.records[0].time_s + 5400
    folder = tmp_path / "records"
    folder.mkdir()
    parts = (folder / "pyseb-2026-06-01.csv.gz", folder / "pyseb-2026-06-01-2.csv.gz")
    for path, records in zip(parts, ([r for r in day.records if r.time_s < middle],
                                     [r for r in day.records if r.time_s >= middle]), strict=True):
        path.write_bytes(gzip.compress((header_text(day.names, day.relays, day.max_gap_s)
                                        + format_rows(records, day.tz)).encode()))
    whole = replay(live["config"], live["files"][0]).summary
    joined = replay(live["config"], parts).summary
    assert joined.pv_kwh == pytest.approx(whole.pv_kwh, rel=1e-3)
    assert joined.loads_kwh == pytest.approx(whole.loads_kwh, rel=1e-3)
    assert joined.switches == whole.switches and joined.periods == whole.periods


def test_the_first_reading_after_a_gap_is_not_less_the_loads_of_before_it(tmp_path: Path) -> None:
    # The daemon stopped at 12:00:08 with the heater at 800 W and the radiator on; it commands every load to 0 W
    # as it stops (a silent meter does so to every unforced load), so at 12:20 the meter reads the house alone:
    # 500 W, not 500 - 1800 clipped to 0 W.

    from core.decisions import DecisionRecord
    from simulation.recorded import trace_from_record

    paris = ZoneInfo("Europe/Paris")
    noon = datetime(2026, 6, 1, 12, 0, tzinfo=paris).timestamp()
    on = [DecisionRecord(noon + 4 * i, 2300.0, 3000.0, (42.0, 1.0), (800.0, 1000.0), (1500.0, 0.0),
                         (800.0, 1000.0)) for i in range(3)]
    after = [DecisionRecord(noon + 1200 + 4 * i, 500.0 + 1800 * i, 2900.0, (42.0, 1.0), (800.0, 1000.0),
                            (1500.0, 0.0), (800.0, 1000.0)) for i in range(2)]
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    path.write_bytes(gzip.compress((header_text(("ecs", "radiator"), (False, True), 10.0)
                                    + format_rows(on + after, paris)).encode()))
    assert tuple(trace_from_record(path, paris).house_w[1:]) == (500.0, 500.0, 500.0, 500.0)


def test_a_day_recorded_in_another_zone_is_refused_with_what_to_do(live: dict[str, Any], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # The day was recorded in Paris (+02:00 in June); tuned on a machine in UTC with a config that sets no
    # timezone, every daylight window fell on the wrong day ("the trace covers 22:00:01 to ...; asked 05:58:01
    # to ...") and `replay --from 08:00` asked 08:00 UTC of the day before.
    plain = tmp_path / "no-zone.ini"
    plain.write_text(live["config"].read_text().replace("timezone = Europe/Paris", "").replace(
        "calibration = linear.csv", f"calibration = {live['config'].parent / 'linear.csv'}"))
    london = tmp_path / "london.ini"
    london.write_text(live["config"].read_text().replace("Europe/Paris", "Europe/London").replace(
        "calibration = linear.csv", f"calibration = {live['config'].parent / 'linear.csv'}"))
    day = str(live["files"][0])
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert main(["replay", day, "-c", str(plain)]) == 2
        err = capsys.readouterr().err
        assert "recorded at UTC+02:00" in err and "replayed at UTC+00:00 (this machine's time zone: the config " \
            "sets no [evaluate] timezone)" in err and "set [evaluate] timezone" in err
        assert main(["tune", day, "-c", str(plain), "--set", "evaluate.margin=0,10", "-j", "1"]) == 2
        assert "recorded at UTC+02:00" in capsys.readouterr().err
        assert main(["replay", day, "-c", str(london)]) == 2
        assert "replayed at UTC+01:00 ([evaluate] timezone = Europe/London)" in capsys.readouterr().err
        # The house's own zone, set in the config, replays it wherever the replay runs.
        assert main(["replay", day, "-c", str(live["config"]), "--from", "22:00", "--to", "23:00"]) == 0
        assert "22:00 to 23:00" in capsys.readouterr().out
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_period_the_regulator_would_take_for_silent_meters_is_refused(live: dict[str, Any],
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A recorded day (decisions every 4 s) replayed at --period 30 with meter_timeout = 10: every load stayed
    # off, "capture 0.0 %", one WARNING about a silent meter in the middle of the replay's log.
    day = str(live["files"][0])
    assert main(["replay", day, "-c", str(live["config"]), "--period", "30"]) == 2
    out, err = capsys.readouterr()
    assert "capture" not in out
    assert ("a meter period of 30 s is not under [evaluate] meter_timeout (10 s): the regulator would take the "
            "meters for silent between two readings and switch the loads off; give a shorter --period") in err
    assert main(["tune", day, "-c", str(live["config"]), "--period", "10", "--set", "evaluate.margin=0,10"]) == 2
    assert "a meter period of 10 s is not under [evaluate] meter_timeout (10 s)" in capsys.readouterr().err
    assert main(["replay", day, "-c", str(live["config"]), "--period", "8", "--from", "22:00", "--to", "22:10"]) == 0


def test_replay_says_what_a_recorded_day_lacks(live: dict[str, Any], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # `report` said a batch cut short by a power cut, and the day's other part; `replay` and `tune` replayed
    # the rest as the whole day, silently.
    day = read_record(live["files"][0])
    folder = tmp_path / "records"
    folder.mkdir()
    first = folder / "pyseb-2026-06-01.csv.gz"
    half = len(day.records) // 2
    first.write_bytes(gzip.compress((header_text(day.names, day.relays, day.max_gap_s)
                                     + format_rows(day.records[:half], day.tz)).encode())
                      + gzip.compress(format_rows(day.records[half:], day.tz).encode())[:-40])
    assert main(["replay", str(first), "-c", str(live["config"])]) == 0
    assert f"{first}: its last batch was cut short (a crash): lost; the replay ends at its last decision" \
        in capsys.readouterr().out
    second = Path(shutil.copy(live["files"][0], folder / "pyseb-2026-06-01-2.csv.gz"))
    assert main(["replay", str(first), "-c", str(live["config"])]) == 0
    # (tune given one part said "`tune` takes the parts of a day as one", of itself: how is said now)
    assert (f"{first}: the day's other part(s), {second} (its loads or [evaluate] meter_timeout changed that day, or "
            "the file format (an update)), replayed without: give `tune` them all (or their folder) and it takes them "
            "as one day") \
        in capsys.readouterr().out
    assert main(["replay", str(second), "-c", str(live["config"])]) == 0
    assert f"{second}: the day's other part(s), {first} (its loads" in capsys.readouterr().out


def test_an_empty_part_of_a_day_is_no_part_to_give(live: dict[str, Any], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # A disk full at the -2 part's first write: tune, given the folder, left the empty part out (said so), and the
    # day's note then told the user to give it the folder they had given.
    folder = tmp_path / "records"
    folder.mkdir()
    first = Path(shutil.copy(live["files"][0], folder / "pyseb-2026-06-01.csv.gz"))
    second = folder / "pyseb-2026-06-01-2.csv.gz"
    second.write_bytes(b"")
    assert main(["replay", str(first), "-c", str(live["config"])]) == 0
    assert "other part" not in capsys.readouterr().out
    # Nor one of a decision or none (its header alone): tune leaves it out too (a replay needs two).
    day = read_record(live["files"][0])
    for records in (day.records[:1], []):
        second.write_bytes(gzip.compress((header_text(day.names, day.relays, day.max_gap_s)
                                          + format_rows(records, day.tz)).encode()))
        assert main(["replay", str(first), "-c", str(live["config"])]) == 0
        assert "other part" not in capsys.readouterr().out


def _rewritten(live: dict[str, Any], path: Path, rows: str) -> Path:
    """The live day's header over `rows`, packed into `path`."""
    day = read_record(live["files"][0])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress((header_text(day.names, day.relays, day.max_gap_s) + rows).encode()))
    return path


def test_decisions_after_a_clock_stepped_back_are_said_left_out(live: dict[str, Any], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # NTP setting back a clock that ran ahead, by 10 minutes an hour into the evening: the replay keeps the day
    # increasing, so the decisions until the clock passes its last time again are left out. Silently, it had half an
    # hour less sun than `report` counted.
    day = read_record(live["files"][0])
    first = day.records[0].time_s
    moved = [replace(r, time_s=r.time_s - 600) if r.time_s - first >= 3600 else r for r in day.records]
    stepped = _rewritten(live, tmp_path / "records" / "pyseb-stepped.csv.gz", format_rows(moved, day.tz))
    left_out = sum(1 for r in day.records if 3600 <= r.time_s - first < 4200)
    assert main(["replay", str(stepped), "-c", str(live["config"])]) == 0
    out = capsys.readouterr().out
    assert "the clock stepped back 1 time(s)" in out and f"{left_out} decision(s) recorded until" in out


def test_a_recorded_time_without_its_utc_offset_is_refused(live: dict[str, Any], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # Read in this machine's zone, a day recorded in Paris replayed an hour off on a machine in UTC, and the zone
    # check was skipped: every time of day, the daylight window and the regulator's midnight an hour off.
    day = read_record(live["files"][0])
    rows = format_rows(day.records, day.tz).splitlines()
    rows[5] = rows[5].split(",", 1)[0][:23] + "," + rows[5].split(",", 1)[1]  # (its +01:00 cut off)
    naive = _rewritten(live, tmp_path / "records" / "pyseb-naive.csv.gz", "\n".join(rows) + "\n")
    assert main(["replay", str(naive), "-c", str(live["config"])]) == 2
    assert ":8: the time" in (err := capsys.readouterr().err) and "has no UTC offset" in err
    assert main(["report", str(naive)]) == 2


def test_a_file_of_two_days_under_one_header_is_refused(live: dict[str, Any], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # Two days' rows joined under one header were replayed and tuned on as one day of 48 h: every figure doubled.
    day = read_record(live["files"][0])
    next_day = [replace(r, time_s=r.time_s + 86400) for r in day.records]
    joined = _rewritten(live, tmp_path / "records" / "pyseb-joined.csv.gz",
                        format_rows([*day.records, *next_day], day.tz))
    assert main(["replay", str(joined), "-c", str(live["config"])]) == 2
    assert "more than a day" in capsys.readouterr().err


def test_replay_record_refuses_a_folder_holding_an_unpacked_day(live: dict[str, Any], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # The replay's packed part written beside the user's unpacked whole day: `report` then left the real day out for
    # the replay's hour.
    folder = tmp_path / "u"
    folder.mkdir()
    unpacked = folder / live["files"][0].name.removesuffix(".gz")
    unpacked.write_bytes(gzip.decompress(live["files"][0].read_bytes()))
    assert main(["replay", str(unpacked), "-c", str(live["config"]), "--record", str(folder)]) == 2
    assert "already holds recorded days" in capsys.readouterr().err
    assert sorted(path.name for path in folder.iterdir()) == [unpacked.name]


def test_replay_log_must_not_be_the_plot_nor_a_day_of_the_record_folder(
        live: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = write_evening(tmp_path)
    same = tmp_path / "same.png"
    assert main(["replay", str(trace), "-c", str(live["config"]), "--log", str(same), "--plot", str(same)]) == 2
    assert "are the same file" in capsys.readouterr().err
    record = tmp_path / "rr"
    record.mkdir()
    log = record / "pyseb-2026-06-01.csv.gz"
    assert main(["replay", str(trace), "-c", str(live["config"]), "--record", str(record), "--log", str(log)]) == 2
    assert "taken for a recorded day" in capsys.readouterr().err
    assert not same.exists() and not any(record.iterdir())


def test_a_recorded_day_ending_at_midnight_is_replayed_to_24_00(live: dict[str, Any],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # Its end is its last decision plus a step, just past midnight: it read "21:00 to 00:00" ("00:00 to 00:00" for a
    # whole day).
    assert main(["replay", str(live["files"][0]), "-c", str(live["config"])]) == 0
    assert ": 21:00 to 24:00, a period of 2 s" in capsys.readouterr().out.splitlines()[0]


def test_replay_record_refuses_a_folder_it_cannot_write_in(live: dict[str, Any], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole replay ran, each batch's write failed with a warning that scrolled past, and it ended on an empty
    # "recorded: ", exit 0. Refused before the replay, as the daemon's --check refuses [record] dir.
    trace = write_evening(tmp_path)
    afile = tmp_path / "afile"
    afile.write_text("")
    assert main(["replay", str(trace), "-c", str(live["config"]), "--record", str(afile / "records")]) == 2
    assert f"--record {afile / 'records'}: {afile} is not a directory: give a folder you can write in" \
        in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access  # (the tests run as root, whom no mode refuses: the refusal is faked)
    monkeypatch.setattr("settings.daemon_files.os.access",
                        lambda path, mode: False if Path(path) == locked else real_access(path, mode))
    assert main(["replay", str(trace), "-c", str(live["config"]), "--record", str(locked / "records")]) == 2
    assert f"directory {locked} is not writable: give a folder you can write in" in capsys.readouterr().err


def test_a_replay_whose_recording_failed_says_so_and_exits_1(live: dict[str, Any], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # A disk full mid-replay: hours missing from a file said "recorded", exit 0.
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("recording.writer.append_batch", full)
    trace = write_evening(tmp_path)
    assert main(["replay", str(trace), "-c", str(live["config"]), "--record", str(tmp_path / "records")]) == 1
    out, err = capsys.readouterr()
    assert "recorded: nothing" in out
    assert "of the replay's decisions could not be written in" in err and "the recording lacks them" in err
