"""Logging is written once: the file when one is set (plus a terminal if someone watches), standard error
otherwise; under journald without PySEB's own timestamp; records held until the lock is ours."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

from shell import logsetup
from shell.logsetup import hold_logging, setup_logging

pytestmark = pytest.mark.usefixtures("restored_root_logger")


def kinds() -> list[type]:
    return [type(h) for h in logging.getLogger().handlers]


def test_file_only_when_stderr_is_not_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    setup_logging("INFO", tmp_path / "pyseb.log")
    assert kinds() == [logsetup.LogFile]
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: True)
    setup_logging("INFO", tmp_path / "pyseb.log")
    assert kinds() == [logsetup.LogFile, logging.StreamHandler]
    setup_logging("INFO")
    assert kinds() == [logging.StreamHandler]


def test_journald_lines_carry_no_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    stat = os.fstat(sys.stderr.fileno())
    monkeypatch.setenv("JOURNAL_STREAM", f"{stat.st_dev}:{stat.st_ino}")
    setup_logging("INFO")
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None and formatter._fmt == logsetup.JOURNAL_FORMAT
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # another stream (a redirect): timestamps kept
    setup_logging("INFO")
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None and formatter._fmt == logsetup.FORMAT


def _formatted(level: int, msg: str) -> str:
    """A record formatted by standard error's handler."""
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None
    return formatter.format(logging.makeLogRecord({"name": "x", "levelno": level,
                                                   "levelname": logging.getLevelName(level), "msg": msg}))


def test_journald_lines_carry_their_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every line reached the journal at its default priority, info: `journalctl -u pyseb -p warning` showed none of
    # PySEB's warnings and errors, nor did the journal mark them. journald reads a leading <N> as the line's priority
    # (systemd.exec's SyslogLevelPrefix=, on by default); each line of a traceback is a journal entry of its own.
    stat = os.fstat(sys.stderr.fileno())
    monkeypatch.setenv("JOURNAL_STREAM", f"{stat.st_dev}:{stat.st_ino}")
    setup_logging("DEBUG")
    assert _formatted(logging.DEBUG, "why") == "<7>DEBUG x: why"
    assert _formatted(logging.INFO, "a decision") == "<6>INFO x: a decision"
    assert _formatted(logging.WARNING, "stale") == "<4>WARNING x: stale"
    assert _formatted(logging.ERROR, "failed\nTraceback\n  File") == "<3>ERROR x: failed\n<3>Traceback\n<3>  File"
    assert _formatted(logging.CRITICAL, "down") == "<2>CRITICAL x: down"
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # a redirect: no prefix
    setup_logging("INFO")
    assert not _formatted(logging.ERROR, "failed").startswith("<")


def test_under_journald_a_log_file_is_named_in_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    # The seed's config.ini says `[debug] log_file = pv.log`: under the systemd unit every line went there, and
    # `journalctl -u pyseb` (the README's command for the log) showed nothing at all, not even where the log was.
    stat = os.fstat(sys.stderr.fileno())
    monkeypatch.setenv("JOURNAL_STREAM", f"{stat.st_dev}:{stat.st_ino}")
    setup_logging("INFO", tmp_path / "pv.log")
    logging.getLogger("x").info("a decision")
    err = capfd.readouterr().err
    assert err == f"PySEB: the log goes to {tmp_path / 'pv.log'}, not to the journal ([logging] file or the seed's " \
                  "[debug] log_file sets it; leave it empty to read the log with journalctl)\n"
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # a cron redirect: nothing but crashes, as the README says
    setup_logging("INFO", tmp_path / "pv.log")
    assert capfd.readouterr().err == ""


def test_held_records_replay_at_their_levels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    held = hold_logging("DEBUG")
    logging.getLogger("x").debug("reasoning")
    logging.getLogger("x").info("calibration line")
    assert not (tmp_path / "pyseb.log").exists()
    setup_logging("INFO", tmp_path / "pyseb.log")
    held.replay()
    text = (tmp_path / "pyseb.log").read_text()
    assert "calibration line" in text and "reasoning" not in text


def test_a_log_file_on_a_full_disk_is_said_once_and_its_warnings_reach_stderr(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Under systemd with [logging] file set, standard error is the journal: every line the full disk refused
    # went there as a 12-line 'Logging error' traceback (a decision's DEBUG line every 2.5 s), and the error
    # that mattered ('cannot save status ...: No space left on device') was only one of them.
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    path = tmp_path / "pyseb.log"
    setup_logging("INFO", path)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.FileHandler)
    logging.getLogger("x").info("before")
    handler.close()  # (the file as the full disk gives it: every write fails with ENOSPC, as /dev/full's do)
    monkeypatch.setattr(handler, "_open", lambda: open("/dev/full", "a", encoding="utf-8"))  # noqa: SIM115
    log = logging.getLogger("core.x")
    for i in range(40):
        log.info("decision %d", i)
    log.error("cannot save status to status.json: [Errno 28] No space left on device")
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err, err[:2000]
    assert err.count(f"cannot write the log file {path}: No space left on device") == 1, err
    assert "cannot save status to status.json" in err and "decision 3" not in err  # (warnings and errors only)
    monkeypatch.undo()  # room again
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    log.info("after")
    lines = path.read_text().splitlines()
    assert "before" in lines[0] and "after" in lines[1], lines
    assert "41 log lines were not written to this file (No space left on device)" in lines[2], lines
    assert capsys.readouterr().err.count(f"the log file {path} is written again") == 1


def test_backup_count_0_keeps_the_log_file_within_max_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `backup_count = 0` (no rotated file kept): logging's own rollover then does nothing at all, and the one file
    # grew without end, on a Pi's SD card, until the card was full.
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    path = tmp_path / "pyseb.log"
    setup_logging("INFO", path, max_bytes=2000, backup_count=0)
    log = logging.getLogger("core.x")
    for i in range(300):
        log.info("radiator: 0 W -> 1000 W (decision %d)", i)
    assert path.stat().st_size <= 2000
    assert "decision 299" in path.read_text()  # the newest lines are there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyseb.log"]  # and no other file


def test_a_log_folder_removed_while_running_is_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # `rm -r logs` to free a full SD card: the status and the records folders are made again at their next write,
    # the log's was not, and no line reached a file again until PySEB was restarted.
    import shutil

    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    path = tmp_path / "logs" / "pyseb.log"
    setup_logging("INFO", path, max_bytes=2000, backup_count=2)
    log = logging.getLogger("core.x")
    log.info("before")
    shutil.rmtree(tmp_path / "logs")
    for i in range(100):  # (past max_bytes: the rotation opens the file again at its path)
        log.info("radiator: 0 W -> 1000 W (decision %d)", i)
    assert path.is_file() and "decision 99" in path.read_text()


def test_lines_are_stamped_on_the_house_s_clock_when_the_config_names_its_zone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Pi left on UTC, `[evaluate] timezone = Europe/Paris` (the docs' way): the lines were stamped in UTC while their
    # messages spoke Paris time ("ecs got 0 of 6000 Wh by 2026-12-05 19:10" stamped 18:10).
    from datetime import datetime
    from zoneinfo import ZoneInfo

    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    setup_logging("INFO", tmp_path / "pyseb.log", tz=ZoneInfo("Pacific/Kiritimati"))  # (UTC+14: never the machine's)
    record = logging.makeLogRecord({"name": "x", "levelno": logging.INFO, "levelname": "INFO", "msg": "m",
                                    "created": 1_800_000_000.25, "msecs": 250.0})
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None
    expected = datetime.fromtimestamp(1_800_000_000, ZoneInfo("Pacific/Kiritimati")).strftime("%Y-%m-%d %H:%M:%S")
    assert formatter.format(record) == f"{expected},250 INFO    x: m"
    setup_logging("INFO", tmp_path / "pyseb.log")  # (no zone named: the system's, as logging stamps it)
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None and formatter.format(record).startswith(
        datetime.fromtimestamp(1_800_000_000).strftime("%Y-%m-%d %H:%M:%S"))
