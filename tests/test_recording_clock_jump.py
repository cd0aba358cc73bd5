"""The day recorder across a jump forward of the wall clock (NTP setting the clock of a Pi booted on 1970): the
decisions not yet handed over are dated on the new clock, into the day they belong to; the daemon tells it."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import shell.daemon
from recording.format import read_record
from settings.config import load_settings
from shell.clock_watch import ClockWatch
from shell.daemon import Daemon
from shell.lock import InstanceLock
from tests.configs import write_config
from tests.recording_support import NOON, record, recorder

BOOT_1970 = 3600.0  # 1970-01-01 02:00 in Paris: a Pi with no clock chip, before NTP


def test_the_decisions_pending_at_a_jump_go_to_the_real_day(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    for i in range(5):
        rec.add(record(i, start=BOOT_1970))
    rec.clock_stepped_forward(NOON - BOOT_1970)  # NTP: the clock was that far behind
    for i in range(5, 10):
        rec.add(record(i))
    rec.flush()
    assert [path.name for path in tmp_path.glob("pyseb-*")] == ["pyseb-2026-06-01.csv.gz"]
    assert read_record(tmp_path / "pyseb-2026-06-01.csv.gz").records == [record(i) for i in range(10)]


def test_a_batch_already_handed_over_stays_where_it_was_written(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.add(record(0, start=BOOT_1970))
    rec.flush()
    rec.add(record(1, start=BOOT_1970))
    rec.clock_stepped_forward(NOON - BOOT_1970)
    rec.flush()
    assert sorted(path.name for path in tmp_path.glob("pyseb-*")) == ["pyseb-1970-01-01.csv.gz",
                                                                      "pyseb-2026-06-01.csv.gz"]
    assert read_record(tmp_path / "pyseb-2026-06-01.csv.gz").records == [record(1)]


def test_the_daemon_tells_its_recorder_of_a_jump_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, ("ecs", "radiator"), algorithm="closed_loop")
    config.write_text(config.read_text() + f"\n[record]\nenabled = true\ndirectory = {tmp_path / 'records'}\n")
    daemon = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))  # (never run: nothing connects)
    assert daemon.recorder is not None
    clocks = {"wall": BOOT_1970, "steady": time.monotonic()}
    monkeypatch.setattr(shell.daemon, "time", SimpleNamespace(time=lambda: clocks["wall"]))
    monkeypatch.setattr(shell.daemon, "steady_s", lambda: clocks["steady"])
    daemon._clock_watch = ClockWatch(clocks["wall"], clocks["steady"])
    steps: list[float] = []
    monkeypatch.setattr(daemon.recorder, "clock_stepped_forward", steps.append)
    clocks["wall"] = NOON
    daemon._follow_the_clock()
    assert steps == [NOON - BOOT_1970]
