"""The sweep's files left behind: resumed (written in place by an older version, comma-separated, complete, torn
by a power cut mid-line, without a last newline), measured again or refused when they no longer parse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localbroker import PrivateBroker, free_port
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import CMD, SimulatedLoad, delivered, load_watts, partial, rows, sweep, write_config

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)


def test_resume_of_a_csv_written_in_place_by_an_older_version(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path) -> None:
    csv = tmp_path / "power_calibration_ecs.csv"
    old = "".join(f"{p:.1f};{load_watts(p):.2f}\n" for p in (100.0, 90.0, 80.0))
    csv.write_text(old)
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume") == 0
    assert [p for p, _ in rows(csv)] == [100.0 - 10 * k for k in range(11)]
    (backup,) = tmp_path.glob("power_calibration_ecs.csv.*.bak")
    assert backup.read_text() == old


def test_resume_of_a_comma_separated_csv_completes_into_one_that_reads(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path) -> None:
    # An English spreadsheet's `percent,watts` (read since): copied as it was, the new steps were appended after it
    # with ';', and the complete CSV was refused (a ';' file's line '100.0,2300.00' is no 'percent;watts').
    csv = tmp_path / "power_calibration_ecs.csv"
    old = "percent,watts\n" + "".join(f"{p:.1f},{load_watts(p):.2f}\n" for p in (100.0, 90.0, 80.0))
    csv.write_text(old)
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume") == 0
    got = rows(csv)
    assert [p for p, _ in got] == [100.0 - 10 * k for k in range(11)]
    assert got[1] == (90.0, load_watts(90.0))
    (backup,) = tmp_path.glob("power_calibration_ecs.csv.*.bak")
    assert backup.read_text() == old


def test_resume_of_a_complete_partial_file_only_promotes_it(broker: PrivateBroker, probe: MqttProbe,
                                                            tmp_path: Path) -> None:
    # Stopped between the last step and the rename: the measurements are all there.
    csv = tmp_path / "power_calibration_ecs.csv"
    done = "".join(f"{100 - 10 * k}.0;{load_watts(100 - 10 * k):.2f}\n" for k in range(11))
    partial(csv).write_text(done)
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume") == 0
    assert csv.read_text() == done and not partial(csv).exists()
    assert delivered(probe).on(CMD) == []


BROKEN = "100.0;2300.00\n99.5;2290.00\n99.0;abc\n"


def test_overwrite_measures_again_over_files_that_no_longer_parse(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # What --overwrite is for: it read them first, and refused with 'cannot resume: line 3' (neither --resume
    # nor --overwrite went on: the user had to find and delete the files by hand).
    config = write_config(tmp_path, broker.port)
    csv = tmp_path / "ecs_sweep.csv"  # (a partial sweep: not into the file the regulator loads)
    csv.write_text(BROKEN)
    partial(csv).write_bytes(b"\x00\x00\x00")
    assert sweep(config, csv, "--overwrite", "--start", "20") == 0
    assert [p for p, _ in rows(csv)] == [20.0, 10.0, 0.0] and not partial(csv).exists()
    assert [b.read_bytes() for b in tmp_path.glob("ecs_sweep.csv.*.bak")] == [BROKEN.encode()]
    assert [b.read_bytes() for b in tmp_path.glob("ecs_sweep.partial.csv.*.bak")] == [b"\x00\x00\x00"]


def test_a_file_that_does_not_parse_is_refused_with_the_way_on(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, free_port())  # nothing listens there: the refusals come before connecting
    csv = tmp_path / "power_calibration_ecs.csv"
    partial(csv).write_text(BROKEN)
    assert sweep(config, csv, "--resume") == 2
    err = capsys.readouterr().err
    assert f"cannot resume: {partial(csv)}, line 3: watts 'abc' is not a number" in err and "--overwrite" in err
    assert sweep(config, csv) == 2
    err = capsys.readouterr().err
    assert f"cannot be read: {partial(csv)}, line 3" in err and "--overwrite measures again" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", partial(csv).name]


def test_a_file_that_is_no_text_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (a UnicodeDecodeError's traceback); one saved in the Windows code page reads, as the fit reads it
    config = write_config(tmp_path, free_port())  # nothing listens there: the refusals come before connecting
    csv = tmp_path / "power_calibration_ecs.csv"
    partial(csv).write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    assert sweep(config, csv) == 2
    assert f"{partial(csv)}: not a text file" in capsys.readouterr().err
    partial(csv).write_bytes("# mesuré à 14 h\n100,0;2300,00\n".encode("cp1252"))
    assert sweep(config, csv) == 2
    assert f"{partial(csv)} holds a stopped sweep, 1 step (down to 100.0 %)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", partial(csv).name]


@pytest.mark.parametrize("torn", [b"80.0;18", b"80", b"80.0;1826.0\x00\x00", b"\x00" * 12])
def test_resume_after_a_power_cut_mid_line_measures_that_step_again(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], torn: bytes) -> None:
    # Every step is written with its newline, then flushed to disk: a last line without one was cut mid-write
    # (some file systems fill what never came with zeros). '80.0;18' was kept as 18 W at 80 %, '80' refused the
    # resume, and the next step was appended to the torn bytes ('80.0;1870.0;1239.00').
    csv = tmp_path / "power_calibration_ecs.csv"
    whole = "".join(f"{p:.1f};{load_watts(p):.2f}\n" for p in (100.0, 90.0))
    partial(csv).write_bytes(whole.encode() + torn)
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume") == 0
    got = rows(csv)
    assert [p for p, _ in got] == [100.0 - 10 * k for k in range(11)]
    for percent, watts in got:
        assert watts == pytest.approx(load_watts(percent), abs=0.006)
    assert f"the last line of {partial(csv)} was cut mid-write" in capsys.readouterr().out
    assert delivered(probe).on(CMD)[0].text == "80.0"


def test_resume_of_a_csv_whose_last_line_has_no_newline(broker: PrivateBroker, probe: MqttProbe,
                                                        load: SimulatedLoad, tmp_path: Path) -> None:
    # A CSV (an older version's, written in place) saved by an editor without the last newline: its last line is
    # a whole one, and the next step is not appended to it.
    csv = tmp_path / "power_calibration_ecs.csv"
    csv.write_text("".join(f"{p:.1f};{load_watts(p):.2f}\n" for p in (100.0, 90.0)) + f"80.0;{load_watts(80):.2f}")
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume") == 0
    assert [p for p, _ in rows(csv)] == [100.0 - 10 * k for k in range(11)]


def test_resume_of_a_complete_partial_file_with_a_torn_tail_promotes_its_whole_lines(
        broker: PrivateBroker, probe: MqttProbe, tmp_path: Path) -> None:
    # The zeros a power cut left after the last step went into the CSV with it: the daemon refused it as no text.
    csv = tmp_path / "power_calibration_ecs.csv"
    done = "".join(f"{100 - 10 * k}.0;{load_watts(100 - 10 * k):.2f}\n" for k in range(11))
    partial(csv).write_bytes(done.encode() + b"\x00" * 16)
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume") == 0
    assert csv.read_text() == done and not partial(csv).exists()
    assert delivered(probe).on(CMD) == []


def test_resume_s_counts_of_one_are_said_in_the_singular(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                                         tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # One step left, measured on one reading: "10.0 %: 1 steps left", "(1 readings)".
    csv = tmp_path / "power_calibration_ecs.csv"
    partial(csv).write_text("".join(f"{100 - 10 * k}.0;{load_watts(100 - 10 * k):.2f}\n" for k in range(10)))
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume", "--readings", "1") == 0
    out = capsys.readouterr().out
    assert "resuming after 10.0 %: 1 step left" in out
    assert re.search(r"\[  1/1\]    0\.0 % ->     0\.00 W \(1 reading[,)]", out)
