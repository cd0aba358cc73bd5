"""A trace that crosses midnight (a logger's export from 20:00 to 20:00 the next day, which the docs accept): a
`--from`/`--to` before the trace's start clock is the next day's, and `tune` replays its daylight. `--to 02:00` after
`--from 20:00` was refused ("the trace covers 20:00 to 20:00; asked 20:00 to 02:00"), and so was every tune of such
a day ("asked 06:46 to 19:14"). A recorded day, though, ends at its midnight: the next day is the next file's."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from recording.format import read_record
from simulation.__main__ import main
from simulation.replay import ReplayError, replay
from tests.day_files import paris, rec, write_day
from tests.replay_days import write_config

EVENING = datetime(2022, 3, 18, 22, 0)


def evening_trace(directory: Path, hours: int = 6) -> Path:
    """One row a minute from 22:00 for `hours`: sun (3 kW) only from 00:30 to 01:30 the next day, a 500 W house."""
    lines = ["time,production_w,house_w"]
    for minute in range(hours * 60):
        when = EVENING + timedelta(minutes=minute)
        sunny = 150 <= minute < 210
        lines.append(f"{when.isoformat()},{3000 if sunny else 0},500")
    path = directory / "evening.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_window_across_midnight_is_replayed(tmp_path: Path) -> None:
    config, trace = write_config(tmp_path, "ecs = variable"), evening_trace(tmp_path)
    result = replay(config, trace, "23:00", "01:00")
    assert result.start_s == (EVENING + timedelta(hours=1)).timestamp()
    assert result.end_s == (EVENING + timedelta(hours=3)).timestamp()


def test_a_time_before_the_trace_start_is_the_next_morning(tmp_path: Path) -> None:
    config, trace = write_config(tmp_path, "ecs = variable"), evening_trace(tmp_path)
    result = replay(config, trace, "00:30", "01:30")
    assert result.start_s == (EVENING + timedelta(minutes=150)).timestamp()
    assert result.summary.loads_kwh > 0.5  # (the hour of sun, into the heater)


def test_a_time_in_neither_day_of_the_trace_is_still_refused(tmp_path: Path) -> None:
    config, trace = write_config(tmp_path, "ecs = variable"), evening_trace(tmp_path)
    with pytest.raises(ReplayError, match=r"the trace covers 22:00 to 04:00 \(next day\); asked 22:00 to 12:00"):
        replay(config, trace, None, "12:00")  # (12:00 the next day is after its end: not the next day's either)
    with pytest.raises(ReplayError, match="must come at least one period"):
        replay(config, trace, "01:00", "00:30")  # (00:30 after 01:00 would be a day later: out of the trace)


def test_tune_replays_the_daylight_after_midnight(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, trace = write_config(tmp_path, "ecs = variable"), evening_trace(tmp_path)
    assert main(["tune", str(trace), "-c", str(config), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
    out, err = capsys.readouterr()
    assert "best:" in out and "error" not in err


def test_to_midnight_alone_on_a_days_trace_is_its_end(tmp_path: Path) -> None:
    # `--to 00:00` without --from on a day from 00:00: its start, refused as "--from 00:00 must come at least one
    # period before --to 00:00", a --from the user never gave. It is the day's end, 24:00.
    config = write_config(tmp_path, "ecs = variable")
    trace = tmp_path / "day.csv"
    midnight = datetime(2022, 3, 19)
    trace.write_text("time,production_w,house_w\n" + "".join(
        f"{(midnight + timedelta(minutes=m)).isoformat()},0,500\n" for m in range(24 * 60)))
    result = replay(config, trace, None, "00:00")
    assert result.start_s == midnight.timestamp() and result.end_s == (midnight + timedelta(days=1)).timestamp()
    with pytest.raises(ReplayError, match=r"the trace's start, 00:00, must come at least one period \(2 s\) before "
                                          r"--to 00:00:01"):
        replay(config, trace, None, "00:00:01")


def test_a_to_in_the_trace_but_before_the_from_is_said_out_of_it(tmp_path: Path) -> None:
    # A trace from 12:00 to 12:00 the next day: --from 06:00 is the next morning's, and --to 18:00 after it the next
    # evening's, after the trace's end. Its first day's 18:00 was taken, and the replay refused with "--from 06:00 must
    # come at least one period (2 s) before --to 18:00", which it does.
    config = write_config(tmp_path, "ecs = variable")
    noon = datetime(2022, 3, 18, 12, 0)
    trace = tmp_path / "noon.csv"
    trace.write_text("time,production_w,house_w\n" + "".join(
        f"{(noon + timedelta(minutes=m)).isoformat()},0,500\n" for m in range(24 * 60 + 1)))
    with pytest.raises(ReplayError, match=r"the trace covers 12:00 to 12:00 \(next day\); asked 06:00 \(next day\) to "
                                          r"18:00 \(next day\)"):
        replay(config, trace, "06:00", "18:00")
    result = replay(config, trace, "06:00", "11:00")  # (within the next morning: as before)
    assert result.start_s == (noon + timedelta(hours=18)).timestamp()


@pytest.mark.parametrize("simulation", ["", "actuation = at_once\njitter_s = 0.1"])
def test_a_recorded_day_to_23_59_59_replays_and_records_that_day_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], simulation: str) -> None:
    # A recorded day's trace ends a step after its last decision: past midnight, where the next day's file takes over.
    # Replayed to there on its last row held, it made one more decision at 00:00:00, and `--record` wrote it into a
    # pyseb-2026-06-02.csv.gz of its own. It ends at the day's midnight, as `--to 24:00` has it end.
    config = write_config(tmp_path, "ecs = variable\nradiator = constant", simulation)
    config.write_text(config.read_text().replace("meter_timeout = 10", "meter_timeout = 10\ntimezone = Europe/Paris"))
    first, last = paris("2026-06-01", "23:00:01"), paris("2026-06-01", "23:59:59")
    day = write_day(tmp_path / "pyseb-2026-06-01.csv.gz", [rec(first + 4 * i, 500, 1500) for i in range(900)]
                    + [rec(last, 500, 1500)])
    record = tmp_path / "records"
    assert main(["replay", str(day), "-c", str(config), "--record", str(record)]) == 0
    assert ": 23:00 to 24:00," in capsys.readouterr().out
    assert [path.name for path in record.iterdir()] == ["pyseb-2026-06-01.csv.gz"]
    assert read_record(record / "pyseb-2026-06-01.csv.gz").records[-1].time_s < paris("2026-06-02", "00:00")
    assert replay(config, day).end_s == replay(config, day, None, "24:00").end_s == paris("2026-06-02", "00:00")
