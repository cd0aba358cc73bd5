"""Recorded days in the simulator: a recording replays to the figures the live run reported, `replay`
takes a recorded day, `report` prints the daemon's own report of it and draws it. What they refuse or say of a
day: test_simulation_recorded_checks; replay --record's writes and day files in other forms:
test_simulation_recorded_writes."""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from simulation.__main__ import main
from simulation.replay import replay
from simulation.report import report_day
from tests.recorded_evening import config_paris, record_live

# The live run and the replay of its recording differ by: the decisions' rhythm (one every 4 s, each
# reading standing for the interval before it), the file's 0.1 W rounding, and the replay's own meter
# phase. Figures agree within 0.5 % of the PV energy (measured: under 0.05 %).
TOLERANCE_OF_PV = 0.005


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 'live' run of the evening, recorded (tests/recorded_evening)."""
    return record_live(tmp_path_factory.mktemp("live"))


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
    assert (f"note: 2026-06-01 was recorded in 2 files (its loads or [evaluate] meter_timeout changed that day, or "
            f"the file format (an update)); this report covers pyseb-2026-06-01.csv.gz only; the other(s): {second}") \
        in capsys.readouterr().out
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
