"""Virtual devices for the live demo: each its own MQTT client speaking PROTOCOL.md's messages.

Commands they receive are handed to the simulated house (`on_command`), which applies them at its
next physical step; the devices answer on MQTT at once, as the firmware does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt

from shell import paho_compat
from simulation.loads import parse_percent, same_payload
from simulation.pzem import pzem_boot

__all__ = ["DeviceClient", "MeterDevice", "RelayDevice", "StatusMonitor", "VariatorDevice", "variator_status"]

log = logging.getLogger(__name__)

CommandSink = Callable[[str, str], None]  # (topic, payload text)


def variator_status(percent: float, state: str, msg: str) -> str:
    """The variator's status message (firmware 1.1b): `power` is always 0, it does not measure."""
    return f'{{"percent": {percent:.2f}, "power": 0, "mode": 0, "state": "{state}", "msg": "{msg}"}}'


class DeviceClient:
    """One paho client on the private broker: connects, subscribes on each connect, stops cleanly."""

    def __init__(self, host: str, port: int, client_id: str, subscriptions: tuple[str, ...] = ()) -> None:
        self.client_id = client_id
        self._subscriptions = subscriptions
        self._connected = threading.Event()
        self.client = paho_compat.new_client(client_id)
        paho_compat.on_connect(self.client, self._on_connect)
        paho_compat.on_subscribe(self.client, self._on_subscribe)
        self.client.on_message = self._on_message
        self._awaiting: set[int] = set()
        self._host, self._port = host, port

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, start the network thread and wait until the broker has acknowledged the subscriptions
        (so nothing published after `start` returns is missed); TimeoutError if the broker does not answer."""
        self.client.connect(self._host, self._port, keepalive=30)
        self.client.loop_start()
        if not self._connected.wait(timeout_s):
            self.stop()
            raise TimeoutError(f"{self.client_id}: no connection to {self._host}:{self._port}")

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        """Publish (QoS 0, like the ESP8266 firmwares)."""
        self.client.publish(topic, payload, qos=0, retain=retain)

    def _on_connect(self, client: mqtt.Client, failure: str | None) -> None:
        for topic in self._subscriptions:
            _, mid = client.subscribe(topic, qos=0)
            if mid is not None:
                self._awaiting.add(mid)
        self.on_connected()
        if not self._awaiting:
            self._connected.set()

    def _on_subscribe(self, client: mqtt.Client, mid: int, refused: bool) -> None:
        self._awaiting.discard(mid)
        if not self._awaiting:
            self._connected.set()

    def on_connected(self) -> None:
        """Called on each connect, after subscribing (a device announces its boot here)."""

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            self.on_payload(msg.topic, bytes(msg.payload).decode("utf-8", "replace"))
        except Exception:  # a bug here must not kill paho's thread silently
            log.exception("%s: message on %s not handled", self.client_id, msg.topic)

    def on_payload(self, topic: str, text: str) -> None:
        """A message on a subscribed topic."""


class MeterDevice(DeviceClient):
    """A PZEM smartmeter: publishes readings on `<pzem_topic>/<id>`, its boot message on `<pzem_topic>`."""

    def __init__(self, host: str, port: int, topic: str, reading_period_s: float = 2.0) -> None:
        """`reading_period_s`: how often its readings are sent, as its boot message says (its srate)."""
        super().__init__(host, port, f"sim-pzem-{topic.rsplit('/', 1)[-1]}")
        self.topic = topic
        self.boot_topic, _, self.meter_id = topic.rpartition("/")
        self.srate_ms = max(round(reading_period_s * 1000), 1)

    def on_connected(self) -> None:
        """Announce the boot (not valid JSON, as the firmware sends it)."""
        if self.boot_topic:
            self.publish(self.boot_topic, pzem_boot(self.meter_id, srate_ms=self.srate_ms))

    def send(self, reading: str) -> None:
        """Publish one reading."""
        self.publish(self.topic, reading)


class VariatorDevice(DeviceClient):
    """A Wifi MQTT Energy Variator (firmware 1.1b) on `<topic>/<name>/cmd`, status on `<topic>/<name>`."""

    def __init__(self, host: str, port: int, cmd_topic: str, on_command: CommandSink) -> None:
        self.cmd_topic = cmd_topic
        self.status_topic = cmd_topic.removesuffix("/cmd")
        self.boot_topic, _, self.name = self.status_topic.rpartition("/")
        super().__init__(host, port, f"sim-vload-{self.name}", (cmd_topic,))
        self._on_command = on_command
        self._lock = threading.Lock()
        self.percent = 0.0
        self.state = "ON"

    def on_connected(self) -> None:
        """Boot: announce itself, then a status saying it runs at its default."""
        self.publish(self.boot_topic, f'{{"type": "vload", "id": "{self.name}", "fw_version": "1.1b", '
                     f'"PCB": "white", "chip_id": "1234567", "ip": "10.3.141.20", "OTA": "mqtt"}}')
        self.publish(self.status_topic, variator_status(self.percent, self.state, "boot_detected"))

    def reboot(self) -> None:
        """Simulate a power cut: back to its default percent, boot messages, `boot_detected`."""
        with self._lock:
            self.percent, self.state = 0.0, "ON"
        self._on_command(self.cmd_topic, "reboot")
        self.on_connected()

    def on_payload(self, topic: str, text: str) -> None:
        """A command: a percent, or one of the firmware's words; anything else is ignored."""
        word = text.strip().lower()
        percent = parse_percent(word)
        with self._lock:
            if percent is not None:
                self.percent, msg = percent, "setpower"
            elif word in ("on", "off"):
                self.state, msg = word.upper(), "setstate"
            elif word == "status":
                msg = "status"
            elif word == "reboot":
                msg = ""
            else:
                return
            status = variator_status(self.percent, self.state, msg)
        if word == "reboot":
            self.reboot()
            return
        self._on_command(self.cmd_topic, text)
        self.publish(self.status_topic, status)


class RelayDevice(DeviceClient):
    """A relay switched by two payloads on one topic (Tasmota, Shelly, Domoticz switch, 1/0 plugs)."""

    def __init__(self, host: str, port: int, name: str, topic: str, payload_on: str, payload_off: str,
                 on_command: CommandSink) -> None:
        super().__init__(host, port, f"sim-relay-{name}", (topic,))
        self.topic, self.payload_on, self.payload_off = topic, payload_on, payload_off
        self._on_command = on_command
        self.on = False

    def on_payload(self, topic: str, text: str) -> None:
        """Switch on its own payloads; a shared topic (domoticz/in) carries other devices' too."""
        if same_payload(text, self.payload_on):
            self.on = True
        elif same_payload(text, self.payload_off):
            self.on = False
        else:
            return
        self._on_command(self.topic, text)


class StatusMonitor(DeviceClient):
    """Watches the regulator: its status documents and its availability."""

    def __init__(self, host: str, port: int, topic_status: str, topic_availability: str,
                 on_status: Callable[[bytes], None]) -> None:
        super().__init__(host, port, "sim-monitor", (topic_status, topic_availability))
        self.topic_status, self.topic_availability = topic_status, topic_availability
        self._on_status = on_status
        self.online = threading.Event()
        self.statuses = 0

    def on_payload(self, topic: str, text: str) -> None:
        """Status documents feed the belief; `online` on the availability topic sets `online`."""
        if topic == self.topic_status:
            self.statuses += 1
            self._on_status(text.encode())
        elif topic == self.topic_availability and text.strip() == "online":
            self.online.set()
