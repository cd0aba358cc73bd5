"""The daemon's threads and its stop under faults: a status save that raises, a disk that blocks, the whole
stop within systemd's TimeoutStopSec."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

import status.saver as saver_module
from status.saver import StatusSaver
from status.store import save_status


def test_a_save_that_raises_a_bug_keeps_the_saver_thread_and_the_stop_going(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A bug in a save (a value json cannot write, keys it cannot sort) killed the saver thread with a bare thread
    # traceback: no save for the rest of the run, and the stop's own save raised out of the daemon's stop (no
    # recorder flush, no "offline", a traceback).
    path = tmp_path / "s.json"
    calls: list[int] = []
    saved = threading.Event()

    def save(target: Path, document: dict[str, Any]) -> None:
        calls.append(document["n"])
        if document["n"] == 1:
            raise TypeError("'<' not supported between instances of 'int' and 'str'")
        save_status(target, document)
        saved.set()

    monkeypatch.setattr(saver_module, "save_status", save)
    failed = threading.Event()
    monkeypatch.setattr(threading, "excepthook", lambda args: failed.set())
    saver = StatusSaver(path, interval_s=0.05)
    saver.start()
    try:
        saver.offer({"equipments": [], "n": 1})
        while not calls:
            saver._wake.wait(0.05)
        saver.offer({"equipments": [], "n": 2})
        assert saved.wait(10), "the saver thread did not save again after a save that raised"
    finally:
        stopped = saver.stop()
    assert not failed.is_set()
    assert stopped is True and json.loads(path.read_text()) == {"equipments": [], "n": 2}
    assert "internal error saving the status" in caplog.text and "TypeError" in caplog.text


def test_the_stop_s_save_that_raises_a_bug_is_logged_not_raised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def save(target: Path, document: dict[str, Any]) -> None:
        raise TypeError("Object of type int64 is not JSON serializable")

    monkeypatch.setattr(saver_module, "save_status", save)
    saver = StatusSaver(tmp_path / "s.json", interval_s=3600)
    saver.start()
    saver.offer({"equipments": [], "n": 1})
    with caplog.at_level(logging.ERROR):
        assert saver.stop() is False
    assert "internal error saving the status" in caplog.text and "int64" in caplog.text
