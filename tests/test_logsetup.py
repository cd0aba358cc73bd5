"""Logging is written once: the file when one is set (plus a terminal if someone watches), standard error
otherwise; under journald without PySEB's own timestamp; records held until the lock is ours."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shell import logsetup
from shell.logsetup import hold_logging, setup_logging


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def kinds() -> list[type]:
    return [type(h) for h in logging.getLogger().handlers]


def test_file_only_when_stderr_is_not_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: False)
    setup_logging("INFO", tmp_path / "pyseb.log")
    assert kinds() == [logging.handlers.RotatingFileHandler]
    monkeypatch.setattr(logsetup, "_stderr_is_terminal", lambda: True)
    setup_logging("INFO", tmp_path / "pyseb.log")
    assert kinds() == [logging.handlers.RotatingFileHandler, logging.StreamHandler]
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
