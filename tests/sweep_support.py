"""A simulated variator and its PZEM meter, and helpers, for the calibration sweep's tests."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from calibration.cli import main
from localbroker import PrivateBroker
from shell import paho_compat
from tests.mqtt_probe import MqttProbe

ROOT = Path(__file__).resolve().parent.parent
CMD = "regul/vload/ECS/cmd"
STATUS = "regul/vload/ECS"
METER = "smeter/pzem/ECS"
AVAILABILITY = "regul/availability"
READ_ERROR = b'{ "PZEM_READ_ERROR": 3, "pzem_read ": 120, "ppm_err": 1}'
NAN_READING = (b'{ "voltage": nan, "current": nan, "power": nan, "energy": nan, "frequency": nan, '
               b'"powerfactor": nan, "ppm_err": 0}')
CUT_AFTER_READINGS = 3  # SimulatedLoad.cut_during_percent: readings with a power, the load on, before it is cut
FAST = ["--step", "10", "--first-settle", "0.3", "--settle", "0.2", "--readings", "4", "--meter-timeout", "1",
        "--availability-wait", "0.3"]


def load_watts(percent: float) -> float:
    """The simulated load's S-shaped response, rounded as the PZEM prints it."""
    return round(2300.0 * (1.0 - math.cos(math.pi * percent / 100.0)) / 2.0, 2)


class SimulatedLoad:
    """A variator (commands in on `command_topic`, status out on STATUS) and the load's PZEM meter (a reading every
    `period_s`)."""

    def __init__(self, broker: PrivateBroker, period_s: float = 0.02, command_topic: str = CMD) -> None:
        self.percent = 0.0
        self.period_s = period_s
        self.silent_from_percent: float | None = None  # the meter stops once the variator gets <= this
        self.boot_at_percent: float | None = None  # the variator "reboots" once on this command
        self.cut_from_percent: float | None = None  # the thermostat opens once the variator gets <= this
        # The thermostat opens after CUT_AFTER_READINGS readings at this percent (during its step)
        self.cut_during_percent: float | None = None
        self._readings_to_cut: int | None = None
        self.frozen_from_percent: float | None = None  # the meter's sensor loop hangs once the variator gets <= this
        # The variator's output is gated off (an `off` from another client) once it gets <= this: it says "state":
        # "OFF" and the load draws nothing, at whatever percent.
        self.off_from_percent: float | None = None
        self.glitch_w: float | None = None  # every `glitch_every`th reading says this many watts (a PZEM glitch)
        self.glitch_every = 3
        self.kilowatts = False  # the meter reports kW (2.3 for 2300 W), as some smart meters do
        self.max_percent = 100.0  # the firmware runs a command above this at this, and says so in its echo
        # The variator drops off the network once it gets <= this: no command taken, no answer, the load left as it is
        self.deaf_from_percent: float | None = None
        # The variator hangs once it gets <= this: it answers every command with the percent it stays at
        self.stuck_from_percent: float | None = None
        self.mute = False  # the firmware takes every command and publishes no status (no answer, no boot message)
        # The variator misses the first command at this percent (a Wi-Fi blip): no answer, the load left as it was
        self.miss_first_at_percent: float | None = None
        self.lag_s = 0.0  # the meter reads the load as it drew this long before (a PZEM's averaging)
        # The variator reboots after CUT_AFTER_READINGS readings at this percent (during its step), away for
        # `reboot_s`: no command taken nor answered meanwhile (its session is clean), the load at 0 W; back, it says
        # boot_detected at its default, 0 %
        self.reboot_during_percent: float | None = None
        self.reboot_s = 1.5
        self.reboot_times = 1  # how many of its commands at that percent reboot it (more: a boot loop)
        self._readings_to_reboot: int | None = None
        self._away_until = 0.0
        self._back: threading.Timer | None = None
        self.boots = 0
        self.status_delay_s = 0.0  # its answer to `status` comes this late (a busy Wi-Fi)
        self._percents: list[tuple[float, float]] = [(0.0, 0.0)]  # (monotonic s, percent) as the variator set them
        self._deaf = False
        self._stuck = False
        self._silent = False
        self._cut = False
        self._frozen = False
        self._off = False
        self._frozen_payload: bytes | None = None
        self._count = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.client = paho_compat.new_client("sim-load")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(command_topic, qos=1)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._meter, name="sim-meter", daemon=True)
        self._thread.start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if time.monotonic() < self._away_until:
            return  # (rebooting: off the network)
        if msg.payload == b"status" and not self.mute and not self._deaf:  # (the firmware's word: its status, as is)
            with self._lock:
                percent, state = self.percent, "OFF" if self._off else "ON"
            answer = (f'{{"percent": {percent:.2f}, "power": 0, "mode": 0, "state": "{state}", '
                      f'"msg": "status"}}')
            if self.status_delay_s:
                late = threading.Timer(self.status_delay_s, client.publish, (STATUS, answer))
                late.daemon = True
                late.start()
            else:
                client.publish(STATUS, answer)
            return
        try:
            value = float(msg.payload.decode())
        except ValueError:
            return
        if not 0.0 <= value <= 100.0:
            return  # the firmware ignores it
        with self._lock:
            if self.miss_first_at_percent == value:
                self.miss_first_at_percent = None
                return
            if self.deaf_from_percent is not None and value <= self.deaf_from_percent:
                self._deaf = True
            if self._deaf:
                return
            if self.stuck_from_percent is not None and value <= self.stuck_from_percent:
                self._stuck = True
            if not self._stuck:
                self.percent = min(value, self.max_percent)
                self._percents = [*self._percents[-20:], (time.monotonic(), self.percent)]
            if self.silent_from_percent is not None and value <= self.silent_from_percent:
                self._silent = True
            if self.cut_from_percent is not None and value <= self.cut_from_percent:
                self._cut = True
            if self.cut_during_percent == value:
                self._readings_to_cut = CUT_AFTER_READINGS
            if self.reboot_during_percent == value and self.reboot_times > 0:
                self.reboot_times, self._readings_to_reboot = self.reboot_times - 1, CUT_AFTER_READINGS
            if self.frozen_from_percent is not None and value <= self.frozen_from_percent:
                self._frozen = True
            if self.off_from_percent is not None and value <= self.off_from_percent:
                self._off = True
            state = "OFF" if self._off else "ON"
            booted = self.boot_at_percent == value
            if booted:
                self.boot_at_percent = None
                self.percent = 0.0  # its default after a reboot
        word = "boot_detected" if booted else "setpower"
        if self.mute:
            return
        client.publish(STATUS, f'{{"percent": {self.percent:.2f}, "power": 0, "mode": 0, "state": "{state}", '
                               f'"msg": "{word}"}}')

    def _meter(self) -> None:
        while not self._stop.wait(self.period_s):
            with self._lock:
                if self._silent:
                    continue
                drawn = self.percent if not self.lag_s else next(
                    (percent for at, percent in reversed(self._percents) if at <= time.monotonic() - self.lag_s),
                    self._percents[0][1])
                watts = 1.0 if self._cut or self._off else load_watts(drawn)  # the PZEM's idle reading
                self._count += 1
                count = self._count
                frozen = self._frozen_payload if self._frozen else None
            if frozen is not None:
                payload = frozen  # a hung sensor loop behind a live MQTT loop: the last reading again, byte for byte
            elif count % 5 == 0:
                payload = READ_ERROR
            elif count % 7 == 0:
                payload = NAN_READING
            else:
                if self.glitch_w is not None and count % self.glitch_every == 0:
                    watts = self.glitch_w
                if self.kilowatts:
                    watts = round(watts / 1000.0, 3)
                # As a real PZEM's: the energy counter advances, so no two readings are the same bytes.
                payload = (f'{{ "voltage": 231.40, "current": {watts / 231.4:.2f}, "power": {watts:.2f}, '
                           f'"energy": {1234 + count / 100:.2f}, "frequency": 50.00, "powerfactor": 1.00, '
                           f'"ppm_err": 0}}').encode()
                with self._lock:
                    self._frozen_payload = payload
                    if self._readings_to_cut is not None:
                        self._readings_to_cut -= 1
                        if self._readings_to_cut == 0:
                            self._cut, self._readings_to_cut = True, None
                    if self._readings_to_reboot is not None:
                        self._readings_to_reboot -= 1
                        if self._readings_to_reboot == 0:
                            self._reboot()
            try:
                self.client.publish(METER, payload)
            except OSError:
                # (paho 1.6 writes a publish from this thread: its network loop may close the socket under it as the
                # broker goes, EBADF in this thread, a warning in CI: the reading is lost, as a real meter's would be)
                pass

    def _reboot(self) -> None:
        """Off the network for `reboot_s` (under the lock), the load at 0 W; then back, saying so."""
        self._readings_to_reboot = None
        self.percent = 0.0
        self._percents = [*self._percents[-20:], (time.monotonic(), 0.0)]
        self._away_until = time.monotonic() + self.reboot_s
        self._back = threading.Timer(self.reboot_s, self._booted)
        self._back.start()

    def _booted(self) -> None:
        self.boots += 1
        self.client.publish(STATUS, '{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}')

    def speak_again(self) -> None:
        """The meter comes back."""
        with self._lock:
            self.silent_from_percent = None
            self._silent = False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self._back is not None:
            self._back.cancel()
            self._back.join(5)
        self.client.disconnect()
        self.client.loop_stop()




def write_config(tmp_path: Path, port: int, load_section: str | None = None) -> Path:
    section = load_section if load_section is not None else (
        f"topic_set_power = {CMD}\ntopic_read_power = {METER}\njson_read_power = power\n")
    path = tmp_path / "config.ini"
    path.write_text(f"[mqtt]\nbroker_ip = 127.0.0.1\nport = {port}\ntopic_regul = regul\n\n"
                    f"[equipments]\necs = water_heater\n\n[ecs]\nmin_power = 101\n{section}")
    return path


def rows(path: Path) -> list[tuple[float, float]]:
    return [(float(p), float(w)) for p, w in (line.split(";") for line in path.read_text().splitlines())]


def partial(csv: Path) -> Path:
    """Where a sweep measures until it is complete."""
    return csv.with_name(f"{csv.stem}.partial.csv")


def delivered(probe: MqttProbe) -> MqttProbe:
    """The probe, once it has everything published before now (the broker keeps the order)."""
    mark = probe.mark()
    probe.publish("test/marker", str(mark))
    probe.wait_for("test/marker", lambda m: m.text == str(mark), after=mark)
    return probe


def sweep(config: Path, csv: Path, *extra: str) -> int:
    return main(["sweep", "-c", str(config), "--equipment", "ecs", "--output", str(csv), *FAST, *extra])
