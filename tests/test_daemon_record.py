"""The daemon records its decisions: batches written while it runs (every flush_interval), the rest at
a clean stop, in the day file `python3 -m simulation` reads."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from localbroker import PrivateBroker
from recording.format import RecordError, read_record
from tests.configs import reading, write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe

CONS, PROD, RADIATOR, AVAIL = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "cmnd/radiator/POWER", \
    "regul/availability"


def _records_in(path: Path) -> int:
    """The decisions a day file holds so far; 0 while its first batch is being written (the recorder's thread made
    the file, its gzip member not yet whole: read then, it was empty or cut short)."""
    try:
        return len(read_record(path).records) if path.exists() else 0
    except RecordError:
        return 0


def test_the_daemon_records_its_decisions(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    config = write_config(tmp_path, ("radiator", "small"), port=broker.port, period=0.2, meter_timeout=3,
                          extra="\n[record]\ndir = days\nflush_interval = 1\n")
    daemon = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        day = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
        path = tmp_path / "days" / f"pyseb-{day}.csv.gz"
        deadline = time.monotonic() + 15
        while not _records_in(path) and time.monotonic() < deadline:  # a batch while running
            probe.publish(CONS, reading(300))
            probe.publish(PROD, reading(1800))
            time.sleep(0.3)
        assert path.exists(), daemon.output
        written_while_running = len(read_record(path).records)
        assert written_while_running > 0
        probe.publish(CONS, reading(1300))
        probe.publish(PROD, reading(1801))
        time.sleep(0.5)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    recorded = read_record(path)
    assert recorded.names == ("radiator", "small") and recorded.relays == (True, True)
    assert recorded.max_gap_s == 3
    assert {r.production_w for r in recorded.records} >= {1800.0, 1801.0}  # the last one, written at the stop
    assert any(r.command[0] == 1 and r.believed_w[0] == 1000 for r in recorded.records)
    assert "recording each decision into" in daemon.output


def test_recording_off_writes_nothing(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    config = write_config(tmp_path, ("radiator",), port=broker.port, period=0.2, meter_timeout=3,
                          extra="\n[record]\nenabled = false\n")
    daemon = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        for _ in range(3):
            probe.publish(CONS, reading(300))
            probe.publish(PROD, reading(1800))
            time.sleep(0.3)
        probe.wait_for(RADIATOR, lambda m: m.text == "ON")
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    assert not (tmp_path / "records").exists()


@pytest.mark.parametrize("value", ["maybe", ""])
def test_a_bad_record_option_is_a_config_error(tmp_path: Path, value: str) -> None:
    from settings.config import load_settings
    from settings.problems import ConfigError

    config = write_config(tmp_path, ("radiator",), extra=f"\n[record]\nenabled = {value}\nkeep_days = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "[record] keep_days: must be >= 1" in caught.value.render()


def test_a_record_dir_that_cannot_be_made_is_a_config_error(tmp_path: Path) -> None:
    from settings.config import load_settings
    from settings.problems import ConfigError

    (tmp_path / "a-file").write_text("")
    config = write_config(tmp_path, ("radiator",), extra="\n[record]\ndir = a-file/days\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert f"[record] dir: {tmp_path / 'a-file'} is not a directory" in caught.value.render()
    off = write_config(tmp_path, ("radiator",), extra="\n[record]\nenabled = false\ndir = a-file/days\n")
    assert load_settings(off).record.enabled is False  # not checked when off
