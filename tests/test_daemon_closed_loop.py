"""The daemon with its default algorithm (the closed loop) over a real mosquitto: the heater follows the
surplus, the radiator switches on over the saturated heater, and its minimum on time holds it through a dip; after a
lost house reading, the decision waits for the production reading due soon."""

from __future__ import annotations

import time
from pathlib import Path

from localbroker import PrivateBroker
from tests.configs import reading, write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe

CONS, PROD, AVAIL = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/availability"
ECS, RADIATOR = "regul/vload/ECS/cmd", "cmnd/radiator/POWER"


def test_the_default_closed_loop_regulates_over_mqtt(tmp_path: Path, broker: PrivateBroker,
                                                     probe: MqttProbe) -> None:
    config = write_config(tmp_path, ("ecs", "radiator"), port=broker.port, period=0.2, meter_timeout=3,
                          status_time=0.5, extra="min_on_s = 600\nmin_off_s = 1\n")  # (off time since start: 1 s)
    text = config.read_text().replace("algorithm = hebert\n", "")  # the default, as a user's config has it
    config.write_text(text)
    proc = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        probe.wait_for(RADIATOR, lambda m: m.text == "OFF")
        mark = probe.mark()
        probe.publish(PROD, reading(300 + 1000 + 20))
        probe.publish(CONS, reading(300))
        assert probe.wait_for(ECS, lambda m: m.text == "50", after=mark).text == "50"  # 1000 W: 50 %
        time.sleep(1.2)  # settle: the next house reading shows the heater
        mark = probe.mark()
        probe.publish(PROD, reading(300 + 3000 + 20))
        probe.publish(CONS, reading(300 + 1000))
        probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
        time.sleep(1.2)
        mark = probe.mark()
        probe.publish(PROD, reading(300 + 3000 + 20))
        probe.publish(CONS, reading(300 + 500 + 2000 + 1000))  # a kettle: 500 W short; min_on_s holds the radiator
        probe.wait_for(ECS, lambda m: m.text == "75", after=mark)  # the heater gives back instead
        assert [m.text for m in probe.messages[mark:] if m.topic == RADIATOR] == []
        assert proc.proc.poll() is None
        # (read while it runs: close() kills it, and what its writer thread had not written yet is lost)
        assert proc.wait_for("regulation: closed loop", 10), proc.output
    finally:
        proc.close()


def test_after_a_lost_house_reading_the_daemon_decides_on_the_production_reading_that_follows(
        tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    # Meters at a 1 s pace, the production meter half a second after the house meter; settle 0.1 s, so a production
    # reading due within 0.9 s of a house reading is waited for (core/decision_gate.py).
    config = write_config(tmp_path, ("ecs",), port=broker.port, period=0.2, meter_timeout=5, status_time=0.5,
                          algorithm="closed_loop")
    config.write_text(config.read_text().replace("[evaluate]\n", "[evaluate]\nsettle = 0.1\n", 1))
    proc = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        probe.wait_for(ECS, lambda m: m.text == "0")  # the start's command
        for _ in range(5):  # no surplus: the meters' pace is learned, nothing moves
            probe.publish(CONS, reading(300))
            time.sleep(0.5)
            probe.publish(PROD, reading(300))
            time.sleep(0.5)
        time.sleep(0.5)  # the house reading of this second is lost
        probe.publish(PROD, reading(300))
        time.sleep(0.5)
        mark = probe.mark()
        probe.publish(CONS, reading(300))  # completes the pair; the production reading it has shows no surplus
        time.sleep(0.2)
        probe.publish(PROD, reading(300 + 1000 + 20))  # the sun, in the production reading the decision waited for
        # Decided on the house reading at once, the loop would have seen no surplus, and no house reading follows.
        assert probe.wait_for(ECS, lambda m: m.text == "50", after=mark, timeout_s=5).text == "50"
        assert proc.proc.poll() is None
    finally:
        proc.close()
