"""A meter's boot (start-up) message the broker kept retained, delivered at PySEB's (re)connect: a message from before
PySEB connected, not a boot now, ignored and said so. On the boot topic it was taken for a boot (`consumption meter
booted; it counts as fresh after its next good reading`, a boot counted: a silence later said "since it booted"); on
the readings topic it was ignored, but warned of as a retained reading (`readings and commands must not be retained:
send them without retain`), which the meter does not send."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.clock_watch import steady_s
from shell.daemon import Daemon
from shell.link_events import Message
from shell.lock import InstanceLock
from tests.configs import reading, write_config
from tests.harness import CONS, PROD

# PROTOCOL.md: the PZEM's boot message, on the parent of its readings' topic, not valid JSON.
PZEM_BOOT = (b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": v3, '
             b'"srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}')
BOOT_TOPIC = CONS.rpartition("/")[0]


@pytest.fixture
def daemon(tmp_path: Path) -> Daemon:
    """A daemon as after its first connection (never run: nothing connects)."""
    built = Daemon(load_settings(write_config(tmp_path, ("ecs", "radiator"))), InstanceLock(tmp_path / "test.lock"))
    built._started = True
    return built


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]


def test_a_retained_boot_message_on_the_boot_topic_is_no_boot(daemon: Daemon,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    daemon._on_message(Message(BOOT_TOPIC, PZEM_BOOT, steady_s(), True))
    assert daemon.reg.consumption.boots == 0
    assert _lines(caplog) == [(logging.INFO, f"ignoring a retained boot message of the consumption meter on "
                                             f"{BOOT_TOPIC}: sent when it started, before PySEB connected, and kept by "
                                             "the broker: not a boot now")], _lines(caplog)
    # The meter silent since: said silent, not "since it booted"
    now = time.time() + daemon.reg.settings.evaluate.meter_timeout_s + 1
    daemon.reg.handle(PROD, reading(2000), now)
    assert "consumption meter silent for" in (daemon.reg.stale_reason or ""), daemon.reg.stale_reason
    # Its boot now, not retained: a boot, as before
    caplog.clear()
    daemon._on_message(Message(BOOT_TOPIC, PZEM_BOOT, steady_s(), False))
    assert daemon.reg.consumption.boots == 1
    assert "consumption meter booted; it counts as fresh after its next good reading" in caplog.messages


def test_a_retained_boot_message_on_the_readings_topic_is_said_for_what_it_is(daemon: Daemon,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    daemon._on_message(Message(CONS, PZEM_BOOT, steady_s(), True))
    said = _lines(caplog)
    assert len(said) == 1 and said[0][0] == logging.INFO, said
    assert said[0][1].startswith(f"ignoring a retained boot message on {CONS}: sent when the meter started, before "
                                 "PySEB connected, and kept by the broker: not a boot now, nor a reading"), said
    assert "must not be retained" not in said[0][1]
    assert daemon.reg.consumption.messages == 0
    # A retained reading is warned of as before
    caplog.clear()
    daemon._on_message(Message(CONS, reading(300), steady_s(), True))
    assert "readings and commands must not be retained" in caplog.text
