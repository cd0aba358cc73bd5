"""`--plot` and `--log` into a folder that does not exist: refused when the command line is read, saying what to do;
they were a bare `[Errno 2] No such file or directory` at the very end, after the whole day's replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.__main__ import main
from tests.replay_days import write_config, write_trace


@pytest.mark.parametrize(("command", "option", "name"), [
    ("replay", "--plot", "day.png"), ("replay", "--log", "steps.csv"), ("report", "--plot", "day.png")])
def test_an_output_in_a_missing_folder_is_refused_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, option: str, name: str) -> None:
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    missing = tmp_path / "plots" / "june"
    with pytest.raises(SystemExit) as exited:
        main([command, str(trace), "-c", str(config), option, str(missing / name)])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert f"argument {option}: {missing / name}: no folder {missing}: make it (mkdir -p {missing}) or name " \
           "a file in one that is" in err
    assert "Traceback" not in err and out == ""


def test_an_output_whose_folder_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    with pytest.raises(SystemExit):
        main(["replay", str(trace), "-c", str(config), "--log", str(trace / "steps.csv")])
    assert f"argument --log: {trace / 'steps.csv'}: {trace} is a file, not a folder" in capsys.readouterr().err


def test_an_output_in_the_current_folder_is_taken(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    assert main(["replay", str(trace), "-c", str(config), "--log", "steps.csv"]) == 0
    assert (tmp_path / "steps.csv").is_file()


@pytest.mark.parametrize("option", ["--log", "--plot"])
def test_an_output_that_is_a_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              option: str) -> None:
    """`--log logs/` was taken, and failed as "[Errno 21] Is a directory" once the day's replay was done."""
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    folder = tmp_path / ("logs" if option == "--log" else "plots.png")
    folder.mkdir()
    with pytest.raises(SystemExit) as exited:
        main(["replay", str(trace), "-c", str(config), option, str(folder)])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert f"argument {option}: {folder} is a folder: name a file in it" in err
    assert out == "" and "Traceback" not in err


@pytest.mark.parametrize(("option", "name"), [("--log", "steps.csv"), ("--plot", "day.png")])
def test_an_output_in_the_folder_record_makes_is_taken(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       option: str, name: str) -> None:
    """`--record june --log june/steps.csv` was refused as a folder that does not exist, which the same command was
    about to make."""
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    folder = tmp_path / "june"
    assert main(["replay", str(trace), "-c", str(config), "--record", str(folder), option, str(folder / name)]) == 0
    assert (folder / name).is_file()
    assert [path.name for path in folder.iterdir() if path.name.startswith("pyseb-")], "the day was recorded too"


@pytest.mark.parametrize("output", ["june/more/steps.csv", "july/steps.csv"])
def test_an_output_in_another_missing_folder_is_still_refused_with_record(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str) -> None:
    """--record makes its own folder only: a --log in a folder under it, or elsewhere, that does not exist is refused
    before anything runs, as without --record."""
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    log = tmp_path / output
    with pytest.raises(SystemExit) as exited:
        main(["replay", str(trace), "-c", str(config), "--record", str(tmp_path / "june"), "--log", str(log)])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert f"python3 -m simulation replay: error: argument --log: {log}: no folder {log.parent}: make it" in err
    assert out == "" and not (tmp_path / "june").exists()


def test_a_record_folder_that_is_a_link_to_nothing_is_refused_before_the_replay(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The recorder could not make it ("File exists"): the whole day was replayed unrecorded, and the --log beside the
    day failed at the very end (found by a review)."""
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    link = tmp_path / "june"
    link.symlink_to(tmp_path / "gone")
    assert main(["replay", str(trace), "-c", str(config), "--record", str(link), "--log", str(link / "steps.csv")]) == 2
    out, err = capsys.readouterr()
    assert f"--record {link}: a link to {tmp_path / 'gone'}, which does not exist: make that folder" in err
    assert "Replay of" not in out
