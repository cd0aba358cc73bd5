"""The fault campaign's findings on the daemon itself, replayed with the exact payload bytes over a real mosquitto
against regulation.py as a subprocess: a frozen meter and a real-looking one, the silent-meter cut-off time, a kill -9
then a restart that cleans up, a corrupt status file kept aside, two daemons with one client id, a flood that logs a
bounded number of lines, and a broker's refusal. Its Domoticz findings are in test_faults_mqtt_domoticz.py, its set-up
in tests/fault_campaign.py."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

from localbroker import PrivateBroker
from simulation.pzem import PzemMeter
from tests.configs import reading, write_config
from tests.daemon_process import DaemonProcess
from tests.fault_campaign import (
    AVAIL,
    CONS,
    DZ_OUT,
    MODE,
    PROD,
    RADIATOR,
    STATUS,
    config_for,
    on_off,
    radiator_commands,
    start,
    switch_config,
)
from tests.mqtt_probe import MqttProbe

FROZEN = (b'{ "voltage": 231.40, "current": 1.23, "power": 276.00, "energy": 1234.00, "frequency": 50.00, '
          b'"powerfactor": 0.98, "ppm_err": 0}')


# --- 3 and 4. a frozen meter; the cut-off time -----------------------------------------------------------------

def test_a_frozen_meter_goes_stale_and_a_real_looking_one_does_not(tmp_path: Path, broker: PrivateBroker,
                                                                   probe: MqttProbe) -> None:
    proc = start(config_for(tmp_path, broker, meter_timeout=3), probe)
    try:
        cons, prod = PzemMeter(), PzemMeter()
        mark = probe.mark()
        for _ in range(20):  # 8 s of real-looking readings (> 2 x meter_timeout): never stale
            probe.publish(CONS, cons.reading(300, 0.4))
            probe.publish(PROD, prod.reading(1800, 0.4))
            time.sleep(0.4)
        assert radiator_commands(probe, mark) == ["ON"]
        frozen_at = time.monotonic()
        probe.publish(CONS, FROZEN)
        while time.monotonic() - frozen_at < 4.5:  # the campaign's ESP8266: the same bytes every 0.4 s
            probe.publish(CONS, FROZEN)
            probe.publish(PROD, prod.reading(1800, 0.4))
            time.sleep(0.4)
        off = probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark, timeout_s=1)
        assert off.at - frozen_at <= 3.3
        # (the status follows the off: read as the last one at once, it could be the one before)
        stale = probe.wait_for(STATUS, lambda m: json.loads(m.payload)["state"] == "stale", after=mark, timeout_s=2)
        assert "consumption meter frozen" in json.loads(stale.payload)["stale_reason"]
    finally:
        proc.close()


def test_silent_meters_are_cut_off_at_meter_timeout(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    proc = start(config_for(tmp_path, broker, meter_timeout=5), probe)
    try:
        mark = probe.mark()
        for _ in range(3):
            sent_at = time.monotonic()
            probe.publish(CONS, reading(300))
            probe.publish(PROD, reading(1800))
            time.sleep(0.3)
        probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
        off = probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark, timeout_s=8)
        # Both meters silent from `sent_at`: the cut-off is at meter_timeout itself (the campaign saw 5.42-5.47 s).
        assert 5.0 <= off.at - sent_at <= 5.25, off.at - sent_at
    finally:
        proc.close()


# --- 6. files left behind, files lost ------------------------------------------------------------------------

def test_kill_9_then_a_restart_cleans_up_and_a_corrupt_file_is_kept_aside(tmp_path: Path, broker: PrivateBroker,
                                                                          probe: MqttProbe) -> None:
    path = config_for(tmp_path, broker, status_time=0.1)
    proc = start(path, probe)
    probe.publish(CONS, reading(300))
    probe.publish(PROD, reading(1800))
    time.sleep(0.5)
    proc.proc.send_signal(signal.SIGKILL)
    proc.proc.wait(10)
    proc.close()
    # What a kill -9 in the middle of a save leaves (mkstemp's name: 8 of a-z, 0-9, _), and files that are
    # not ours, one of them named almost like ours.
    left = [tmp_path / ".status.json.x1y2z3w4.tmp", tmp_path / ".status.json.9_abc_de.tmp"]
    for p in left:
        p.write_text('{"equipments": [')
    (tmp_path / "notes.tmp").write_text("mine")
    (tmp_path / ".status.json.foo.tmp").write_text("mine too")
    proc = start(path, probe)
    try:
        assert [p.name for p in tmp_path.glob(".status.json.*.tmp")] == [".status.json.foo.tmp"]
        assert (tmp_path / "notes.tmp").exists()
        assert proc.wait_for("removed 2 temporary file(s)", 10), proc.output  # (its writer thread's line)
    finally:
        assert proc.terminate() == 0
    # A corrupt status file: kept aside with a warning, not overwritten by the first save.
    garbage = b'{"equipments": [{"name": "radiator", "energy": 12\x00\xff'
    (tmp_path / "status.json").write_bytes(garbage)
    proc = start(path, probe)
    try:
        kept = list(tmp_path.glob("status.json.bad-*"))
        assert len(kept) == 1 and kept[0].read_bytes() == garbage
        assert proc.wait_for("kept aside as status.json.bad-", 10), proc.output
    finally:
        assert proc.terminate() == 0
    assert json.loads((tmp_path / "status.json").read_text())["schema_version"] == 1


# --- 7. two daemons with one client id --------------------------------------------------------------------------

def test_two_daemons_with_one_client_id_back_off(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    procs = [DaemonProcess(config_for(d, broker, meter_timeout=30, client_id="pyseb-twin"), "--log-level", "INFO")
             for d in (first_dir, second_dir)]
    try:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and not any("client_id 'pyseb-twin'" in p.output for p in procs):
            time.sleep(0.2)
        warned = [p for p in procs if "client_id 'pyseb-twin'" in p.output]
        assert warned, [p.output for p in procs]
        assert "another client is probably connected with client_id 'pyseb-twin'" in warned[0].output
        mark = probe.mark()
        time.sleep(10)
        onlines = [m for m in probe.messages[mark:] if m.topic == AVAIL and m.text == "online"]
        assert len(onlines) <= 3, f"still flapping: {len(onlines)} connections in 10 s"  # it was ~10 before
        assert all(p.proc.poll() is None for p in procs)
    finally:
        for p in procs:
            p.close()


# --- 8. a flood logs a bounded number of lines -----------------------------------------------------------------

def test_a_flood_of_junk_logs_a_bounded_number_of_lines(tmp_path: Path, broker: PrivateBroker,
                                                        probe: MqttProbe) -> None:
    path = switch_config(tmp_path, broker)
    proc = start(path, probe, "--log-level", "INFO")
    try:
        boot = (b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": v3, '
                b'"srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}')
        for i in range(600):
            probe.client.publish(MODE, b'{"command": "force", "name": "nobody%d"}' % i, qos=0)
            probe.client.publish(MODE, b"not json %d" % i, qos=0)
            probe.client.publish(DZ_OUT, on_off(-1 - i), qos=0)
            probe.client.publish(DZ_OUT, b"{junk %d" % i, qos=0)
            probe.client.publish("smeter/pzem", boot, qos=0)
            probe.client.publish(CONS, b'{"power": -%d}' % i, qos=0)
        probe.publish(MODE, b'{"command": "force", "name": "radiator", "power": 1000}')  # in order, after all
        probe.wait_for(RADIATOR, lambda m: m.text == "ON")
        # The lines between the connection's and the force's (the flood's: taken in order before the force), read
        # once the force's is written (the daemon's writer thread writes them after its commands).
        assert proc.wait_for("radiator: 0 W -> 1000 W", 10), proc.output
        lines = proc.output.splitlines()
        lines = lines[_first(lines, "connected; subscribed to") + 1:_first(lines, "radiator: 0 W -> 1000 W")]
        assert len(lines) < 60, "\n".join(lines[-40:])
        assert proc.proc.poll() is None
    finally:
        proc.close()


def _first(lines: list[str], text: str) -> int:
    return next(i for i, line in enumerate(lines) if text in line)


# --- 8. a broker refusal: the reason once, then a slow reminder ---------------------------------------------------

def test_a_broker_refusal_is_logged_once_with_its_reason(tmp_path: Path) -> None:
    with PrivateBroker(extra_conf="allow_anonymous false\n") as strict:
        path = write_config(tmp_path, ("radiator",), port=strict.port)
        proc = DaemonProcess(path, "--log-level", "INFO")
        try:
            time.sleep(8)  # paho retries after 1, 2 and 4 s
            assert proc.proc.poll() is None
            assert proc.terminate() == 0  # (its log complete: the retries' lines, written by its writer thread)
        finally:
            proc.close()
        lines = proc.output.splitlines()
        refused = [line for line in lines if "refused" in line]
        # (paho 2: "Not authorized"; Debian's paho 1.6: "Connection Refused: not authorised.")
        assert len(refused) == 1 and re.search("not authori[sz]ed", refused[0], re.IGNORECASE), proc.output
        assert not [line for line in lines if "Unspecified error" in line], proc.output


# --- 8. a broker that refuses the status as too big ------------------------------------------------------------

def test_a_broker_refusing_the_status_as_too_big_is_named_as_a_cause(tmp_path: Path) -> None:
    # A broker whose max_packet_size is under the status drops the link each time one is sent: PySEB cannot work
    # with it, and the log blamed only a second client with the same client_id. The drop is said with this cause.
    with PrivateBroker(extra_conf="max_packet_size 600\n") as small:
        proc = DaemonProcess(config_for(tmp_path, small, meter_timeout=2), "--log-level", "INFO")
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "as too big" not in proc.output:
                time.sleep(0.2)
            said = re.search(r"just after PySEB published its status \((\d+) bytes\): a broker that refuses a "
                             r'message as too big \("oversize packet" in its log\)', proc.output)
            assert said is not None, proc.output
            assert int(said[1]) > 600 and "connected to the broker again" in proc.output
            assert "oversize packet" in small.log_path.read_text()
        finally:
            proc.terminate()


def test_a_status_too_big_for_the_broker_is_held_back_and_the_loads_are_regulated(tmp_path: Path) -> None:
    # The status goes out at every connect: one over the broker's max_packet_size dropped the link at once, at each
    # reconnect, paho's wait growing to 2 min (taken for a second client with our client id), and nothing was
    # regulated (the radiator never on under 1.5 kW of export). Held back once two drops in a row point at its size,
    # the link holds and the commands, small, go through.
    with PrivateBroker(extra_conf="max_packet_size 600\n") as small:
        proc = DaemonProcess(config_for(tmp_path, small, meter_timeout=3), "--log-level", "INFO")
        probe = MqttProbe(small.host, small.port)
        try:
            assert proc.wait_for("as too big", 15), proc.output
            mark = probe.mark()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and "ON" not in radiator_commands(probe, mark):
                probe.publish(CONS, reading(300))
                probe.publish(PROD, reading(1800))
                time.sleep(0.3)
            assert "ON" in radiator_commands(probe, mark), proc.output
            assert [m.text for m in probe.on(AVAIL)][-1] == "online"
            assert not probe.on(STATUS)
        finally:
            probe.close()
            proc.terminate()
        assert proc.output.count("connection to the broker lost") == 2, proc.output
        assert "dropped the connection 3 times in a row" not in proc.output
        assert ("until it fits, PySEB publishes no status bigger than the largest the broker took (none so far), and "
                "tries one again in 1 min, then every 60 min") in proc.output
