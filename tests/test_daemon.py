"""The daemon end to end: a real mosquitto on a free port, regulation.py as a subprocess, readings
published with paho, commands and status asserted on the broker."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.configs import reading, write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe

CONS, PROD, MODE = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/mode"
RADIATOR, SMALL, AVAIL = "cmnd/radiator/POWER", "regul/cload/small", "regul/availability"


@pytest.fixture
def config(tmp_path: Path, broker: PrivateBroker) -> Path:
    return write_config(tmp_path, ("radiator", "small"), port=broker.port, period=0.2, meter_timeout=3,
                        status_time=0.5)


@pytest.fixture
def daemon(config: Path, probe: MqttProbe) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(config, terminal=True)  # (run in a terminal: SIGHUP is its closing)
    try:
        try:
            probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        except TimeoutError:
            pytest.fail(f"daemon did not come online; its output:\n{proc.output}")
        yield proc
    finally:
        proc.close()


def feed(probe: MqttProbe, consumption_w: float, production_w: float) -> None:
    probe.publish(CONS, reading(consumption_w))
    probe.publish(PROD, reading(production_w))


def test_start_then_regulate(daemon: DaemonProcess, probe: MqttProbe, broker: PrivateBroker) -> None:
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF")
    probe.wait_for(SMALL, lambda m: m.text == "0")
    late = MqttProbe(broker.host, broker.port)  # relay commands are retained: a late subscriber gets them
    try:
        assert late.wait_for(RADIATOR).retain is True
    finally:
        late.close()
    mark = probe.mark()
    feed(probe, 300, 1800)
    probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
    # (the first status after the mark may be the connect's, published after the OFF it waited for: the decision's)
    status = json.loads(probe.wait_for("regul/status", lambda m: json.loads(m.text)["power_production"] is not None,
                                       after=mark).text)
    assert status["power_production"] == 1800
    # a malformed reading and a bad force are dropped; the daemon lives on
    probe.publish(CONS, b'{ "PZEM_READ_ERROR": 3, "pzem_read ": 120, "ppm_err": 1}')
    probe.publish(MODE, b'{"command":"force","name":"radiator","power":-5}')
    mark = probe.mark()
    time.sleep(0.3)
    feed(probe, 1500, 1000)  # importing: shed the loads
    probe.wait_for(SMALL, lambda m: m.text == "0", after=mark)
    assert daemon.proc.poll() is None
    assert daemon.wait_for("mode command refused: power must be >= 0 W for radiator, got -5", 10), daemon.output


def test_force_over_mqtt(daemon: DaemonProcess, probe: MqttProbe) -> None:
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF")
    mark = probe.mark()
    probe.publish(MODE, b'{"command":"force","name":"radiator","power":1000,"duration":3600}')
    probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
    # (the first status after the mark may be the connect's, published after the OFF it waited for: the force's, once)
    status = json.loads(probe.wait_for("regul/status", lambda m: json.loads(m.text)["equipments"][0]["forced"],
                                       after=mark).text)
    assert status["equipments"][0]["forced_power"] == 1000


def test_broker_restart_resubscribes_and_resends(tmp_path: Path, probe: MqttProbe, broker: PrivateBroker) -> None:
    # a meter_timeout well above the restart's length: the re-sent command must be the ON, not a stale OFF
    config = write_config(tmp_path, ("radiator", "small"), port=broker.port, period=0.2, meter_timeout=30)
    daemon = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        _restart_and_check(probe, broker)
    finally:
        daemon.close()


def _restart_and_check(probe: MqttProbe, broker: PrivateBroker) -> None:
    feed(probe, 300, 1800)
    probe.wait_for(RADIATOR, lambda m: m.text == "ON")
    probe.close()
    broker.stop()
    time.sleep(0.5)
    broker.start()
    fresh = MqttProbe(broker.host, broker.port)
    try:
        # the daemon comes back: online again, and its commands re-sent (the broker lost everything)
        fresh.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=20)
        fresh.wait_for(RADIATOR, lambda m: m.text == "ON", timeout_s=10)
        mark = fresh.mark()
        fresh.publish(CONS, reading(1500))
        fresh.publish(PROD, reading(200))  # resubscribed: it reacts to new readings
        fresh.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark, timeout_s=10)
    finally:
        fresh.close()


# SIGHUP: what a closed terminal or a dropped ssh session sends to a daemon run in it; it must stop as cleanly. SIGUSR1:
# the seed's own clean stop (it died, the loads left on, until 2026-12-06).
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1],
                         ids=lambda s: s.name)
def test_stop_signal_turns_loads_off_and_saves(daemon: DaemonProcess, probe: MqttProbe, config: Path,
                                               signum: signal.Signals) -> None:
    feed(probe, 300, 1800)
    probe.wait_for(RADIATOR, lambda m: m.text == "ON")
    mark = probe.mark()
    assert daemon.terminate(signum=signum) == 0
    assert f"{signum.name} received: stopping" in daemon.output
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark)
    probe.wait_for(AVAIL, lambda m: m.text == "offline", after=mark)
    saved = json.loads((config.parent / "status.json").read_text())
    assert saved["schema_version"] == 1
    assert {e["name"] for e in saved["equipments"]} == {"radiator", "small"}
    assert all(e["current_power"] == 0 for e in saved["equipments"])


def test_sighup_without_a_terminal_reopens_the_log_file(config: Path, probe: MqttProbe) -> None:
    # logrotate moves the file aside and sends SIGHUP (its postrotate, as for any daemon): PySEB under systemd stopped
    # with exit 0, which Restart=on-failure does not restart, and nothing regulated until someone noticed.
    config.write_text(config.read_text() + "\n[logging]\nfile = pyseb.log\n")
    log, rotated = config.parent / "pyseb.log", config.parent / "pyseb.log.1"
    daemon = DaemonProcess(config, terminal=False)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        log.rename(rotated)
        daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not (log.exists() and "log file reopened" in log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert daemon.proc.poll() is None, rotated.read_text()[-3000:]
        assert "SIGHUP received" in log.read_text(), rotated.read_text()[-3000:]
        # (`systemctl reload pyseb` sends it: one who edited config.ini first is told the reload did not read it)
        assert "config.ini is not read again (a restart reads it)" in log.read_text()
        mark = probe.mark()
        feed(probe, 300, 1800)  # still regulating, its lines in the new file
        probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    assert "radiator: 0 W -> 1000 W" in log.read_text()
    assert "radiator: 0 W -> 1000 W" not in rotated.read_text()


def test_silent_meters_turn_loads_off(daemon: DaemonProcess, probe: MqttProbe) -> None:
    feed(probe, 300, 1800)
    probe.wait_for(RADIATOR, lambda m: m.text == "ON")
    mark = probe.mark()
    # nothing more from the meters: after meter_timeout (3 s) every load goes to 0
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark, timeout_s=10)
    assert daemon.wait_for("silent", 10), daemon.output


def test_second_instance_is_refused(daemon: DaemonProcess, config: Path, probe: MqttProbe) -> None:
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF")
    probe.wait_for(SMALL, lambda m: m.text == "0")  # the first instance's start-up commands are all in
    mark = probe.mark()
    second = DaemonProcess(config)
    try:
        assert second.proc.wait(timeout=30) == 3
    finally:
        second.close()
    lines = [line for line in second.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "another PySEB is running" in lines[0]
    time.sleep(0.3)
    # it touched nothing: no availability change, no load command (the first one's status may come)
    assert [m for m in probe.messages[mark:] if m.topic in (AVAIL, RADIATOR, SMALL)] == []


def test_a_lock_removed_while_running_still_refuses_a_second_instance(daemon: DaemonProcess, config: Path,
                                                                       probe: MqttProbe) -> None:
    # A "stale" lock deleted by hand, or the status folder removed (the saver makes it and the status again, not the
    # lock): the next start found no lock held and ran beside the first, both driving the same loads.
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF")
    (config.parent / "status.json.lock").unlink()
    assert daemon.wait_for("was removed while this PySEB ran", 10), daemon.output
    assert "made and taken again, a second PySEB is refused again" in daemon.output  # (the same line)
    second = DaemonProcess(config)
    try:
        assert second.proc.wait(timeout=30) == 3
    finally:
        second.close()
    assert "another PySEB is running" in second.output


def test_bad_config_publishes_nothing(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    path = write_config(tmp_path, ("radiator",), port=broker.port)
    path.write_text(path.read_text().replace("max_power = 1000", "max_power = lots"))
    proc = DaemonProcess(path)
    try:
        assert proc.proc.wait(timeout=30) == 2
    finally:
        proc.close()
    time.sleep(0.3)
    assert probe.messages == []
    assert "[radiator] max_power" in proc.output


def test_retained_readings_are_not_news(config: Path, probe: MqttProbe) -> None:
    # old readings left retained on the broker (a misconfigured meter) must not switch loads on at start
    probe.publish(CONS, reading(100), retain=True)
    probe.publish(PROD, reading(3000), retain=True)
    proc = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        probe.wait_for(RADIATOR, lambda m: m.text == "OFF")
        time.sleep(0.5)
        assert [m.text for m in probe.on(RADIATOR)] == ["OFF"]
        assert proc.wait_for("ignoring a retained message on smeter/pzem/CONSOMMATION", 10), proc.output
        feed(probe, 100, 3000)  # live readings are used
        probe.wait_for(RADIATOR, lambda m: m.text == "ON")
    finally:
        proc.close()


def test_a_hostile_payload_does_not_stop_the_daemon(daemon: DaemonProcess, probe: MqttProbe) -> None:
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF")
    for topic in (CONS, PROD, MODE):
        probe.publish(topic, b"[" * 100_000)
    mark = probe.mark()
    feed(probe, 300, 1800)
    probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
    assert daemon.proc.poll() is None


def test_status_is_saved_periodically_while_running(daemon: DaemonProcess, probe: MqttProbe, config: Path) -> None:
    feed(probe, 300, 1800)
    probe.wait_for(RADIATOR, lambda m: m.text == "ON")
    path = config.parent / "status.json"
    deadline = time.monotonic() + 10  # status_time is 0.5 s in these tests
    while time.monotonic() < deadline:
        if path.exists() and json.loads(path.read_text())["equipments"][0]["current_power"] == 1000:
            break
        time.sleep(0.1)
    else:
        pytest.fail("no status saved with the radiator on while the daemon runs")
    assert daemon.proc.poll() is None


def test_a_load_left_on_then_removed_from_the_config_is_commanded_off(tmp_path: Path, broker: PrivateBroker,
                                                                      probe: MqttProbe) -> None:
    # The radiator forced on, PySEB killed (a power cut: no stop to command it off), the radiator taken out of the
    # config, PySEB started: its retained ON stayed on the broker and the relay on, with nobody regulating it.
    config = write_config(tmp_path, ("radiator", "small"), port=broker.port, period=0.2, status_time=0.5)
    first = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        probe.publish(MODE, b'{"command":"force","name":"radiator","power":1000}')
        probe.wait_for(RADIATOR, lambda m: m.text == "ON")
        saved = tmp_path / "status.json"
        deadline = time.monotonic() + 10  # (a force is saved at once)
        while time.monotonic() < deadline and not (saved.exists() and '"command": "ON"' in saved.read_text()):
            time.sleep(0.1)
    finally:
        first.close()  # SIGKILL
    write_config(tmp_path, ("small",), port=broker.port, period=0.2, status_time=0.5)
    mark = probe.mark()
    second = DaemonProcess(config)
    try:
        probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark, timeout_s=15)
        late = MqttProbe(broker.host, broker.port, topics=(RADIATOR,))  # the retained ON replaced: a relay
        try:                                                             # rebooting gets OFF
            assert late.wait_for(RADIATOR).text == "OFF"
        finally:
            late.close()
        assert second.wait_for("radiator is no longer configured but was left on ('ON' on cmnd/radiator/POWER)",
                               10), second.output
    finally:
        assert second.terminate() == 0


def test_an_unforce_before_the_first_status_is_saved_at_once(tmp_path: Path, broker: PrivateBroker,
                                                             probe: MqttProbe) -> None:
    # Restarted with the radiator forced until unforced; unforced a second after the start, before any meter reading
    # (the first status): taken for the state on disk, it waited for status_time, and a power cut brought the force
    # back on, with no end.
    config = write_config(tmp_path, ("radiator",), port=broker.port, period=0.2, status_time=3600)
    saved = tmp_path / "status.json"

    def forced_on_disk() -> bool | None:
        return json.loads(saved.read_text())["equipments"][0]["forced"] if saved.exists() else None

    first = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        probe.publish(MODE, b'{"command":"force","name":"radiator","power":1000}')
        probe.wait_for(RADIATOR, lambda m: m.text == "ON")
    finally:
        assert first.terminate() == 0  # (the stop saves)
    assert forced_on_disk() is True
    mark = probe.mark()
    second = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15, after=mark)
        probe.publish(MODE, b'{"command":"unforce","name":"radiator"}')
        probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and forced_on_disk() is not False:
            time.sleep(0.05)
    finally:
        second.close()  # SIGKILL: a power cut
    assert forced_on_disk() is False, second.output
