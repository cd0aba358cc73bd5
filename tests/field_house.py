"""Helpers for the field-feature tests: config files with the features' keys, local times in Paris, and
an in-process house whose meters answer the regulator's commands (a full tank draws nothing)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.configs import reading, write_config
from tests.harness import CONS, PROD, Harness

PARIS = ZoneInfo("Europe/Paris")
ECS_CMD, ECS_STATUS, VLOAD = "regul/vload/ECS/cmd", "regul/vload/ECS", "regul/vload"
RADIATOR = "cmnd/radiator/POWER"
ECS_METER = "smeter/pzem/ECS"
# The low-energy fallback's deadline rule alone: 6 kWh by 07:00, forced off-peak first.
DEADLINE = "[fallback]\nseed_rule = false\nmin_energy_wh = 6000\ndeadline = 07:00\noffpeak = 22:00-06:00\n"


def at(y: int, m: int, d: int, h: int, mi: int = 0, s: float = 0) -> float:
    """Epoch seconds of a Paris wall-clock time."""
    return datetime(y, m, d, h, mi, tzinfo=PARIS).timestamp() + s


def field_config(directory: Path, loads: tuple[str, ...] = ("ecs", "radiator"), evaluate: str = "",
                 ecs: str = "", radiator: str = "", extra: str = "", algorithm: str = "hebert") -> Path:
    """tests.configs' config with keys added to [evaluate], [ecs], [radiator], and sections appended."""
    path = write_config(directory, loads, extra=extra, algorithm=algorithm)
    text = path.read_text()
    text = text.replace("timezone = Europe/Paris\n", "timezone = Europe/Paris\n" + evaluate, 1)
    text = text.replace("min_percent = 4\n", "min_percent = 4\n" + ecs, 1)
    text = text.replace("json_off = OFF\n", "json_off = OFF\n" + radiator, 1)
    path.write_text(text)
    return path


class House:
    """Both meters every `period_s`: consumption = base + what the loads really draw (a load named in
    `full` draws nothing whatever its command), each reading followed by a tick."""

    def __init__(self, h: Harness, now: float, base_w: float = 300.0, production_w: float = 2000.0,
                 period_s: float = 2.0) -> None:
        self.h, self.now, self.base_w, self.production_w, self.period_s = h, now, base_w, production_w, period_s
        self.full: set[str] = set()

    def drawn_w(self) -> float:
        """What the loads really draw now."""
        return sum(load.current_power_w for load in self.h.reg.loads if load.name not in self.full)

    def run(self, seconds: float) -> None:
        """Readings and ticks for `seconds`."""
        end = self.now + seconds
        while self.now < end:
            self.now += self.period_s
            self.h.reg.handle(CONS, reading(self.base_w + self.drawn_w()), self.now)
            self.h.reg.tick(self.now + 0.005)
            self.h.reg.handle(PROD, reading(self.production_w), self.now + 0.01)
            self.h.reg.tick(self.now + 0.015)


def ticks(h: Harness, start: float, end: float, step_s: float = 60.0) -> None:
    """Ticks only (meters silent) from `start` to `end` inclusive."""
    now = start
    while now <= end:
        h.reg.tick(now)
        now += step_s


def refuse_next_force(h: Harness, refused: bool = True) -> list[bool]:
    """The heater's next command other than 0 refused once by the broker link (paho's queue full) when `refused`;
    returns [whether that refusal is still to come]."""
    refusing = [refused]

    def flaky(topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic == ECS_CMD and payload != "0" and refusing[0]:
            refusing[0] = False  # (that one only)
            raise RuntimeError("queue full")
        h.publish(topic, payload, retain)

    h.load("ecs").bind(flaky)
    return refusing
