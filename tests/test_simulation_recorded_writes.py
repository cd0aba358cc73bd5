"""`replay --record`'s writes (interrupted, a Ctrl-C mid-batch, its output's reader gone: the part done kept)
and recorded day files in other forms (uncompressed, a Windows copy's line ends, split by a meter_timeout change)."""

from __future__ import annotations

import gzip
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from recording.format import read_record
from simulation.__main__ import main
from simulation.recorded import RecordingFactory
from simulation.replay import real_regulator, replay
from simulation.report import report_day
from tests.recorded_evening import config_paris, record_live, write_evening


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 'live' run of the evening, recorded (tests/recorded_evening)."""
    return record_live(tmp_path_factory.mktemp("live"))


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


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_stop_in_the_middle_of_a_batch_s_write_waits_for_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   stop: str) -> None:
    # (half a gzip member at the end of the file: its batch lost, and the file said "cut short by a crash"; `kill`,
    # SIGTERM, stops a replay as Ctrl-C does (hangups_as_interrupt), and only Ctrl-C waited for the batch's end)
    import recording.writer
    from shell.stop_signals import hangups_as_interrupt

    append_batch = recording.writer.append_batch

    def stop_halfway(path: Path, text: str, header: str) -> int:
        signal.raise_signal(getattr(signal, stop))  # (taken by Python at once, in the middle of this write)
        return append_batch(path, text, header)

    monkeypatch.setattr(recording.writer, "append_batch", stop_halfway)
    recording_ = RecordingFactory(tmp_path / "records", real_regulator)
    # SIGINT as a terminal gives it: pytest run in the background (`pytest &`, nohup, a CI runner) starts with it
    # ignored, and Python then installs no Ctrl-C handler: the replay holds none, and the raised signal did nothing.
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with hangups_as_interrupt(), pytest.raises(KeyboardInterrupt):
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
        recorder.write([DecisionRecord(noon + 600 * i + 4 * k, 300.0, 1000.0, (50.0,), (700.0,), (1300.0,),
                                       (700.0,))
                        for k in range(10)])
    first, second = tmp_path / "pyseb-2026-06-01.csv.gz", tmp_path / "pyseb-2026-06-01-2.csv.gz"
    assert read_record(first).names == read_record(second).names == ("ecs",)
    assert main(["report", str(first)]) == 0
    out = capsys.readouterr().out
    assert ("recorded in 2 files (its loads or [evaluate] meter_timeout changed that day, or the file format (an "
            "update))") in out
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
