"""Recorded days in the simulator: a recording replays to the figures the live run reported, `replay`
takes a recorded day, `report` prints the daemon's own report of it and draws it."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from recording.format import format_rows, header_text, read_record
from simulation.__main__ import main
from simulation.recorded import RecordingFactory
from simulation.replay import real_regulator, replay
from simulation.report import report_day
from tests.test_simulation_replay import write_config

# The live run and the replay of its recording differ by: the decisions' rhythm (one every 4 s, each
# reading standing for the interval before it), the file's 0.1 W rounding, and the replay's own meter
# phase. Figures agree within 0.5 % of the PV energy (measured: under 0.05 %).
TOLERANCE_OF_PV = 0.005


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


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 'live' run: the real regulator on the evening, recorded as the daemon records, its report kept."""
    work = tmp_path_factory.mktemp("live")
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


def test_the_report_of_the_recording_is_the_live_report(live: dict[str, Any]) -> None:
    assert [p.name for p in live["files"]] == ["pyseb-2026-06-01.csv.gz", "pyseb-2026-06-02.csv.gz"]
    [published] = live["reports"]  # published once, at midnight
    offline, _ = report_day(live["files"][0])
    mine = offline.as_json()
    assert mine["date"] == published["date"] == "2026-06-01"
    for key in ("pv_wh", "house_wh", "diverted_wh", "exported_wh", "imported_wh", "caused_import_wh", "missed_wh"):
        assert mine[key] == pytest.approx(published[key], abs=0.5), key
    assert mine["loads"].keys() == published["loads"].keys()
    for name, load in published["loads"].items():
        assert mine["loads"][name]["switches"] == load["switches"]
        assert mine["loads"][name]["energy_wh"] == pytest.approx(load["energy_wh"], abs=0.5)


def test_the_recording_replays_to_the_figures_the_live_run_reported(live: dict[str, Any]) -> None:
    [published] = live["reports"]
    again = replay(live["config"], live["files"][0]).summary
    tolerance_wh = TOLERANCE_OF_PV * published["pv_wh"]
    assert again.pv_kwh * 1000 == pytest.approx(published["pv_wh"], abs=tolerance_wh)
    assert again.house_kwh * 1000 == pytest.approx(published["house_wh"], abs=tolerance_wh)
    assert again.loads_kwh * 1000 == pytest.approx(published["diverted_wh"], abs=tolerance_wh)
    assert again.export_wh == pytest.approx(published["exported_wh"], abs=tolerance_wh)
    assert again.import_wh == pytest.approx(published["imported_wh"], abs=tolerance_wh)


def test_replay_and_report_commands_take_a_recorded_day(live: dict[str, Any], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    day = live["files"][0]
    assert main(["replay", str(day), "-c", str(live["config"]), "--from", "22:00", "--to", "23:00"]) == 0
    assert "22:00 to 23:00" in capsys.readouterr().out
    assert main(["report", str(day)]) == 0
    out = capsys.readouterr().out
    report, _ = report_day(day)
    assert report.text() in out and report.line() in out


def test_report_finds_a_date_in_the_record_dir(live: dict[str, Any], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = live["config"]
    text = config.read_text() + "\n[record]\ndir = records\n"
    config2 = config.parent / "with-record.ini"
    config2.write_text(text)
    assert main(["report", "2026-06-01", "-c", str(config2)]) == 0
    assert "day 2026-06-01" in capsys.readouterr().out
    assert main(["report", "2026-06-05", "-c", str(config2)]) == 2
    assert "no recorded day pyseb-2026-06-05.csv.gz" in capsys.readouterr().err


def test_report_finds_a_date_unpacked_in_the_record_dir(live: dict[str, Any], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # `report DATE` looked for pyseb-DATE.csv.gz alone: a day the owner unpacked there (pyseb-DATE.csv, which
    # `report FILE`, `replay` and `tune` read) was "no recorded day". It is found as day_parts finds a day's parts.
    config = config_paris(tmp_path)
    config.write_text(config.read_text() + "\n[record]\ndir = records\n")
    (tmp_path / "records").mkdir()
    unpacked = tmp_path / "records" / "pyseb-2026-06-01.csv"
    unpacked.write_bytes(gzip.decompress(live["files"][0].read_bytes()))
    assert main(["report", "2026-06-01", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"Report of {unpacked} " in out and "day 2026-06-01" in out
    packed = Path(shutil.copy(live["files"][0], tmp_path / "records" / "pyseb-2026-06-01.csv.gz"))
    assert main(["report", "2026-06-01", "-c", str(config)]) == 0  # (both ways: the daemon's file, as tune keeps)
    assert f"Report of {packed} " in capsys.readouterr().out
    packed.unlink()
    unpacked.rename(unpacked.with_name("pyseb-2026-06-01-2.csv"))  # (only a later part: that one, not nothing)
    assert main(["report", "2026-06-01", "-c", str(config)]) == 0
    assert "pyseb-2026-06-01-2.csv " in capsys.readouterr().out


def test_a_day_recorded_in_two_files_is_said(live: dict[str, Any], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # The loads changed during the day: the recorder went on in pyseb-DAY-2.csv.gz (one set of columns a file).
    folder = tmp_path / "records"
    folder.mkdir()
    first = Path(shutil.copy(live["files"][0], folder / "pyseb-2026-06-01.csv.gz"))
    second = Path(shutil.copy(live["files"][0], folder / "pyseb-2026-06-01-2.csv.gz"))
    assert main(["report", str(first)]) == 0
    assert (f"note: 2026-06-01 was recorded in 2 files (its loads or [evaluate] meter_timeout changed that day); this "
            f"report covers pyseb-2026-06-01.csv.gz only; the other(s): {second}") in capsys.readouterr().out
    assert main(["report", str(second)]) == 0
    assert f"covers pyseb-2026-06-01-2.csv.gz only; the other(s): {first}" in capsys.readouterr().out
    second.unlink()
    assert main(["report", str(first)]) == 0
    assert "note:" not in capsys.readouterr().out


def test_report_plot(live: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "day.png"
    assert main(["report", str(live["files"][0]), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed: refused before the report
    with pytest.raises(SystemExit) as exited:
        main(["report", str(live["files"][0]), "--plot", str(tmp_path / "none.png")])
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and "drawing needs matplotlib, which is not installed" in err
    assert "Report of" not in out and not (tmp_path / "none.png").exists()


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
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from simulation.recorded import trace_from_record

    paris = ZoneInfo("Europe/Paris")
    noon = datetime(2026, 6, 1, 12, 0, tzinfo=paris).timestamp()
    on = [DecisionRecord(noon + 4 * i, 2300.0, 3000.0, (42.0, 1.0), (800.0, 1000.0), (1500.0, 0.0)) for i in range(3)]
    after = [DecisionRecord(noon + 1200 + 4 * i, 500.0 + 1800 * i, 2900.0, (42.0, 1.0), (800.0, 1000.0),
                            (1500.0, 0.0)) for i in range(2)]
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    path.write_bytes(gzip.compress((header_text(("ecs", "radiator"), (False, True), 10.0)
                                    + format_rows(on + after, paris)).encode()))
    assert trace_from_record(path, paris).house_w[1:] == (500.0, 500.0, 500.0, 500.0)


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
    assert (f"{first}: the day's other part(s), {second} (its loads or [evaluate] meter_timeout changed that day), "
            "replayed without: give `tune` them all (or their folder) and it takes them as one day") \
        in capsys.readouterr().out
    assert main(["replay", str(second), "-c", str(live["config"])]) == 0
    assert f"{second}: the day's other part(s), {first} (its loads" in capsys.readouterr().out


def test_an_interrupted_replay_record_keeps_the_part_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # `replay --record` wrote its whole recording at the end: a Ctrl-C (or a crash) three hours into a day lost
    # all of it. It writes as it goes (a batch an hour of the replayed day), and a Ctrl-C writes the rest done.
    import simulation.replay

    config, folder = config_paris(tmp_path), tmp_path / "records"
    interrupt_at = datetime(2026, 6, 1, 23, 30, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
    on_disk_then: list[float] = []

    def interrupted(path: str, publish: Any) -> Any:
        regulator = real_regulator(path, publish)
        tick = regulator.tick

        def tick_then_ctrl_c(now: float) -> None:
            tick(now)
            if now >= interrupt_at:
                # (what a crash, or a kill, would leave now)
                on_disk_then.extend(record.time_s for record in read_record(folder / "pyseb-2026-06-01.csv.gz")
                                    .records)
                raise KeyboardInterrupt
        regulator.tick = tick_then_ctrl_c
        return regulator

    monkeypatch.setattr(simulation.replay, "real_regulator", interrupted)
    assert main(["replay", str(write_evening(tmp_path)), "-c", str(config), "--record", str(folder)]) == 130
    start = datetime(2026, 6, 1, 21, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
    assert on_disk_then and on_disk_then[0] < start + 60 and on_disk_then[-1] >= interrupt_at - 3600 - 60
    day = read_record(folder / "pyseb-2026-06-01.csv.gz")
    assert not day.truncated and not day.damaged_bytes
    assert interrupt_at - 60 < day.records[-1].time_s <= interrupt_at
    assert [record.time_s for record in day.records[:len(on_disk_then)]] == on_disk_then
    assert not (folder / "pyseb-2026-06-02.csv.gz").exists()
    err = capsys.readouterr().err
    last = datetime.fromtimestamp(day.records[-1].time_s, ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M:%S")
    assert f"replay cut short: recorded up to {last} in {folder / 'pyseb-2026-06-01.csv.gz'}" in err
    assert "interrupted" in err


def test_a_ctrl_c_in_the_middle_of_a_batch_s_write_waits_for_its_end(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # (half a gzip member at the end of the file: its batch lost, and the file said "cut short by a crash")
    import recording.writer

    append_batch = recording.writer.append_batch

    def ctrl_c_halfway(path: Path, text: str, header: str) -> int:
        signal.raise_signal(signal.SIGINT)  # (taken by Python at once, in the middle of this write)
        return append_batch(path, text, header)

    monkeypatch.setattr(recording.writer, "append_batch", ctrl_c_halfway)
    recording_ = RecordingFactory(tmp_path / "records", real_regulator)
    # SIGINT as a terminal gives it: pytest run in the background (`pytest &`, nohup, a CI runner) starts with it
    # ignored, and Python then installs no Ctrl-C handler: the replay holds none, and the raised signal did nothing.
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            replay(config_paris(tmp_path), write_evening(tmp_path), make_regulator=recording_)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, outside)
    day = read_record(tmp_path / "records" / "pyseb-2026-06-01.csv.gz")
    assert not day.truncated and day.records


@pytest.mark.parametrize("windows", [False, True], ids=["gunzipped", "gunzipped-crlf-bom"])
def test_a_day_file_uncompressed_is_still_a_recorded_day(live: dict[str, Any], tmp_path: Path, windows: bool,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A day unpacked to look at it (gunzip, or Windows' own unzip then Notepad: CRLF, a UTF-8 mark), then copied back:
    # `report` refused it (not a gzip file), `replay` and `tune` read it as a trace (header lacks production_w).
    text = gzip.decompress(live["files"][0].read_bytes())
    if windows:
        text = b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n")
    plain = tmp_path / "pyseb-2026-06-01.csv"
    plain.write_bytes(text)
    assert read_record(plain).records == read_record(live["files"][0]).records
    assert main(["report", str(plain)]) == 0
    report, _ = report_day(live["files"][0])
    assert report.line() in capsys.readouterr().out
    assert main(["replay", str(plain), "-c", str(live["config"]), "--from", "22:00", "--to", "23:00"]) == 0
    assert "22:00 to 23:00" in capsys.readouterr().out


class _ReaderGone:
    """A standard output whose reader has gone (`replay ... | head -3`): every write is a broken pipe."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self._fd


def test_replay_record_keeps_the_last_batch_when_the_output_s_reader_has_gone(
        live: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `replay DAY --record DIR 2>&1 | head -3`: the summary's print met a closed pipe before the last batch (up to an
    # hour of the day, kept in memory until the end) was written, and the file lacked it, with no word.
    with open(tmp_path / "stdout", "wb") as sink:
        monkeypatch.setattr(sys, "stdout", _ReaderGone(sink.fileno()))
        assert main(["replay", str(write_evening(tmp_path)), "-c", str(live["config"]), "--record",
                     str(tmp_path / "again")]) == 1
    again = sorted((tmp_path / "again").glob("pyseb-*.csv.gz"))
    assert [len(read_record(path).records) for path in again] == [len(read_record(path).records)
                                                                  for path in live["files"]]


def test_a_day_split_by_a_meter_timeout_change_does_not_blame_the_loads(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A restart with another [evaluate] meter_timeout (the file's max_gap_s) and the same loads goes on in
    # pyseb-DAY-2.csv.gz too (one file, one header), and report, replay and tune said "the loads changed that day".
    from core.decisions import DecisionRecord
    from recording.writer import DayRecorder

    paris = ZoneInfo("Europe/Paris")
    noon = datetime(2026, 6, 1, 12, 0, tzinfo=paris).timestamp()
    for i, meter_timeout in enumerate((10.0, 20.0)):
        recorder = DayRecorder(tmp_path, ["ecs"], [False], paris, meter_timeout, threaded=False)
        recorder.write([DecisionRecord(noon + 600 * i + 4 * k, 300.0, 1000.0, (50.0,), (700.0,), (1300.0,))
                        for k in range(10)])
    first, second = tmp_path / "pyseb-2026-06-01.csv.gz", tmp_path / "pyseb-2026-06-01-2.csv.gz"
    assert read_record(first).names == read_record(second).names == ("ecs",)
    assert main(["report", str(first)]) == 0
    out = capsys.readouterr().out
    assert "recorded in 2 files (its loads or [evaluate] meter_timeout changed that day)" in out
    assert "the loads changed" not in out


def test_a_day_file_whose_line_ends_a_text_mode_copy_changed_is_read_as_it_was(
        live: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Copied to Windows and back in text mode (FTP's ASCII mode, a tool that "fixes" line ends), every LF byte of the
    # gzip became CR LF: "its first batch, the only one with the header, is damaged: the day cannot be read", of a day
    # that the exact reverse (CR LF back to LF) gives back whole.
    copied = tmp_path / "pyseb-2026-06-01.csv.gz"
    copied.write_bytes(live["files"][0].read_bytes().replace(b"\n", b"\r\n"))
    day = read_record(copied)
    assert day.records == read_record(live["files"][0]).records and day.text_mode_copy
    assert main(["report", str(copied)]) == 0
    out = capsys.readouterr().out
    report, _ = report_day(live["files"][0])
    assert report.line() in out and "copied in text mode" in out
    assert main(["replay", str(copied), "-c", str(live["config"]), "--from", "22:00", "--to", "23:00"]) == 0
    assert "copied in text mode" in capsys.readouterr().out
    assert not read_record(live["files"][0]).text_mode_copy
