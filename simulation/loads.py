"""Simulated loads: what really happens when a command arrives, whatever the regulator believes."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from simulation.response import ResponseCurve
from values.payloads import same_payload

__all__ = ["Relay", "SimLoad", "Tank", "VariableHeater", "parse_percent", "same_payload"]


@dataclass(slots=True)
class Tank:
    """A water tank (or a room) behind a load: its thermostat cuts the element once it has taken `capacity_wh`. With
    `loss_w` it loses heat all the time, as a tank's standing loss or a room's through its walls, and the thermostat
    closes again once it has lost `band_wh` since the cut (its hysteresis): a radiator or a towel dryer on a relay
    cycles so under its own thermostat, drawing nothing for a while with its relay on. A water heater's tank gives hot
    water too (`draws`, a shower, the washing up): each takes its Wh at once, and so closes a cut thermostat when it
    leaves the tank `band_wh` or more below full, as a real thermostat closes when the water falls under its band; a
    smaller one leaves it cut until the loss makes up the rest."""

    capacity_wh: float
    stored_wh: float = 0.0
    loss_w: float = 0.0
    band_wh: float = 0.0
    cut: bool = False  # the thermostat is open: the element draws nothing, whatever its command
    # Hot water drawn each day: (seconds since local midnight, Wh), as the config gives them (LoadSpec.draws). A run
    # turns them into instants of its own stretch of days (`schedule`); `due` holds those not taken yet, in order.
    draws: tuple[tuple[float, float], ...] = ()
    due: deque[tuple[float, float]] = field(default_factory=deque, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.cut = self.cut or self.stored_wh >= self.capacity_wh

    @property
    def full(self) -> bool:
        """True while the thermostat is cut."""
        return self.cut

    def schedule(self, instants: list[tuple[float, float]]) -> None:
        """The draws of a run: (epoch s, Wh), each taken by `take_due` at the first step at or after it."""
        self.due = deque(sorted(instants))

    def take_due(self, now_s: float) -> None:
        """Take the draws due at `now_s` (a step's start) or before it."""
        due = self.due
        while due and due[0][0] <= now_s:
            self.take(due.popleft()[1])

    def take(self, energy_wh: float) -> None:
        """Hot water drawn: `energy_wh` out of the tank (not below empty). A cut thermostat closes once the tank is
        `band_wh` or more below full, as after the loss: a tank already heating just holds less."""
        self.stored_wh = self.stored_wh - energy_wh if self.stored_wh > energy_wh else 0.0
        if self.cut and self.capacity_wh - self.stored_wh >= self.band_wh:
            self.cut = False

    def draw(self, power_w: float, dt_s: float) -> float:
        """Mean watts really drawn over `dt_s` when the element asks `power_w` (less in the period it fills); the
        loss of the period is taken first, and may close the thermostat for it."""
        if self.loss_w > 0.0:
            lost_wh = self.loss_w * dt_s / 3600.0
            self.stored_wh = self.stored_wh - lost_wh if self.stored_wh > lost_wh else 0.0
            if self.cut and self.capacity_wh - self.stored_wh >= self.band_wh:
                self.cut = False
        room_wh = self.capacity_wh - self.stored_wh
        if self.cut or room_wh <= 0 or power_w <= 0:
            return 0.0
        # (the smaller by a comparison in min()'s own order: its call parses its keywords on Python 3.11, and a replay
        # draws every load at every period)
        asked_wh = power_w * dt_s / 3600.0
        energy_wh = room_wh if room_wh < asked_wh else asked_wh
        self.stored_wh += energy_wh
        if energy_wh == room_wh:
            self.cut = True
        return energy_wh * 3600.0 / dt_s


def parse_percent(payload: str) -> float | None:
    """The percent of a variator command (`"42.5"`), or None for a word or an out-of-range value."""
    try:
        value = float(payload.strip())
    except ValueError:
        return None
    # The firmware ignores anything outside 0..100 (and NaN).
    return value if 0.0 <= value <= 100.0 else None


class SimLoad:
    """Base of the simulated loads: a name, a real maximum, an optional tank, and the command it holds."""

    kind = "load"

    def __init__(self, name: str, tank: Tank | None) -> None:
        self.name = name
        self.tank = tank

    @property
    def max_w(self) -> float:
        """The most the load can really draw."""
        raise NotImplementedError

    @property
    def level(self) -> float:
        """The command it holds: a percent for a variator, 1 or 0 for a relay."""
        raise NotImplementedError

    def asked_w(self) -> float:
        """Watts its element would draw now if the tank took them."""
        raise NotImplementedError

    def command(self, payload: str) -> bool:
        """Take one command payload; False when it is not meant for this load (shared topics)."""
        raise NotImplementedError

    def step(self, dt_s: float) -> float:
        """Mean real watts over the next `dt_s` seconds; the tank fills by as much."""
        asked = self.asked_w()
        if self.tank is None:
            return asked
        return self.tank.draw(asked, dt_s)


class VariableHeater(SimLoad):
    """A heater behind a triac variator: percent commands, real watts from a measured response curve."""

    kind = "variable"

    def __init__(self, name: str, response: ResponseCurve, tank: Tank | None = None) -> None:
        super().__init__(name, tank)
        self.response = response
        self.percent = 0.0
        self.gate_on = True  # the firmware's `on`/`off` words gate the output, keeping the percent
        self._asked_w = 0.0

    @property
    def max_w(self) -> float:
        """The response curve's maximum."""
        return self.response.max_w

    @property
    def level(self) -> float:
        """The percent it holds (0 while gated off)."""
        return self.percent if self.gate_on else 0.0

    def asked_w(self) -> float:
        """Watts of the curve at the held percent."""
        return self._asked_w if self.gate_on else 0.0

    def command(self, payload: str) -> bool:
        """A percent as text, or one of the firmware's words; unknown text is ignored as the firmware does."""
        word = payload.strip().lower()
        percent = parse_percent(word)
        if percent is not None:
            self.percent = percent
            # At 0 % the triac does not fire: a sweep's few watts there are its meter's floor, not a draw.
            self._asked_w = self.response.watts_at(percent) if percent > 0 else 0.0
        elif word in ("on", "off"):
            self.gate_on = word == "on"
        elif word == "reboot":
            # After a reboot the variator runs at its default, not at the last command.
            self.command("0")
            self.gate_on = True
        return True


class Relay(SimLoad):
    """A relay switching a load of fixed real watts (`constant` or `unknown` in the regulator's config)."""

    kind = "relay"

    def __init__(self, name: str, power_w: float, payload_on: str, payload_off: str,
                 tank: Tank | None = None) -> None:
        super().__init__(name, tank)
        if not (math.isfinite(power_w) and power_w > 0):
            raise ValueError(f"{name}: a relay's real power must be > 0 W, got {power_w}")
        self.power_w = power_w
        self.payload_on = payload_on
        self.payload_off = payload_off
        self.on = False

    @property
    def max_w(self) -> float:
        """Its fixed watts."""
        return self.power_w

    @property
    def level(self) -> float:
        """1 when on, 0 when off."""
        return 1.0 if self.on else 0.0

    def asked_w(self) -> float:
        """Its watts when on."""
        return self.power_w if self.on else 0.0

    def command(self, payload: str) -> bool:
        """Switch on `payload_on`, off on `payload_off`; anything else is for another device."""
        if same_payload(payload, self.payload_on):
            self.on = True
        elif same_payload(payload, self.payload_off):
            self.on = False
        else:
            return False
        return True
