"""A house whose meter shows the heater late, for the lag measure's tests: a variator on the private broker and the
house's PZEM publishing a reading every `period_s`, with the heater's watts as they were `lag_s` before (averaged
over `window_s` before that: a meter that averages)."""

from __future__ import annotations

import bisect
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from localbroker import PrivateBroker
from shell import paho_compat

CMD = "regul/vload/ECS/cmd"
STATUS = "regul/vload/ECS"
HOUSE = "smeter/pzem/CONSOMMATION"
HEATER_W = 2000.0  # at 100 %, in proportion below
BASE_W = 300.0  # the rest of the house, steady


class LaggingHouse:
    """The variator takes percents on CMD; the house meter on HOUSE reads BASE_W plus the heater, late."""

    def __init__(self, broker: PrivateBroker, period_s: float = 0.2, lag_s: float = 0.0, window_s: float = 0.0,
                 start_percent: float = 30.0) -> None:
        self.period_s, self.lag_s, self.window_s = period_s, lag_s, window_s
        self.silent = False  # the meter stops publishing
        self.thermostat_open = False  # the heater draws nothing, whatever the percent
        self.kilowatts = False  # the meter reports kW
        self.answers = True  # the variator publishes its status after each command (False: offline, or its firmware)
        self._lock = threading.Lock()
        self._changes: list[tuple[float, float]] = [(0.0, start_percent)]  # (monotonic s, percent) in order
        self.commands: list[str] = []  # every payload the variator took, as sent
        self._stop = threading.Event()
        self.client = paho_compat.new_client("sim-lagging-house")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(CMD, qos=1)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._meter, name="sim-house-meter", daemon=True)
        self._thread.start()

    @property
    def percent(self) -> float:
        """Where the variator is now."""
        with self._lock:
            return self._changes[-1][1]

    def reaches(self, percent: float, timeout_s: float = 5.0) -> bool:
        """True once the variator is at `percent`, within `timeout_s`: a command the broker acknowledged to the tool
        reaches this client on its own thread a little later."""
        deadline = time.monotonic() + timeout_s
        while self.percent != percent and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.percent == percent

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        text = bytes(msg.payload).decode()
        try:
            percent = float(text)
        except ValueError:
            return
        with self._lock:
            self.commands.append(text)
            self._changes.append((time.monotonic(), percent))
        if not self.answers:
            return
        client.publish(STATUS, f'{{"percent": {percent:.2f}, "power": 0, "mode": 0, "state": "ON", '
                               f'"msg": "setpower"}}')

    def _percent_at(self, at: float) -> float:
        with self._lock:
            index = bisect.bisect_right([t for t, _ in self._changes], at) - 1
            return self._changes[max(index, 0)][1]

    def heater_w(self, at: float) -> float:
        """What the meter shows of the heater in a reading at `at` (monotonic s)."""
        shown_at = at - self.lag_s
        if self.thermostat_open:
            return 0.0
        if self.window_s <= 0.0:
            return HEATER_W * self._percent_at(shown_at) / 100.0
        points = 20
        return sum(HEATER_W * self._percent_at(shown_at - self.window_s * k / (points - 1)) / 100.0
                   for k in range(points)) / points

    def _meter(self) -> None:
        count = 0
        next_at = time.monotonic() + self.period_s
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            now = time.monotonic()
            next_at += self.period_s
            if self.silent:
                continue
            count += 1
            watts = (BASE_W + self.heater_w(now)) / (1000.0 if self.kilowatts else 1.0)
            self.client.publish(HOUSE, f'{{ "voltage": 231.40, "current": {watts / 231.4:.2f}, "power": {watts:.2f}, '
                                       f'"energy": {1234 + count / 100:.2f}, "frequency": 50.00, "powerfactor": 1.00, '
                                       f'"ppm_err": 0}}')

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.client.disconnect()
        self.client.loop_stop()


def write_lag_config(tmp_path: Path, port: int, settle_s: float = 1.0, extra: str = "") -> Path:
    """A config with the house meter on HOUSE and a heater without a meter of its own."""
    path = tmp_path / "config.ini"
    path.write_text(f"[mqtt]\nbroker_ip = 127.0.0.1\nport = {port}\ntopic_regul = regul\ntopic_cons = {HOUSE}\n\n"
                    f"[evaluate]\nsettle = {settle_s:g}\n\n[equipments]\necs = water_heater\n\n"
                    f"[ecs]\nmin_power = 101\ntopic_set_power = {CMD}\n{extra}")
    return path
