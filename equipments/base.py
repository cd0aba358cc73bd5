"""The base of every load: what all kinds share (energy counter, forced state, full state, the command
last sent). Subclasses own only their control method: how watts become a command."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

# A user's own load class (docs/configuration.md: a type `package.module:Class`) imports what it builds on from here,
# as the package's __all__ names them: these moved out (equipments/load_command.py, load_build.py), re-exported
# (imported `as` themselves) so that such a class still imports; PySEB's own modules import them where they are.
from equipments.load_build import BuildContext as BuildContext
from equipments.load_build import EquipmentBuildError as EquipmentBuildError
from equipments.load_command import Command as Command
from equipments.load_command import Publish
from equipments.power_log import STEP_LOG_S, PowerLog
from settings.options import REQUIRED, Option

log = logging.getLogger(__name__)

PowerListener = Callable[[float, float], None]  # listener(commanded_w, now), after every set_power

# Who forced a load (`Equipment.forced_by`): a rule only ever undoes its own force.
FORCED_BY_USER = "user"  # a regul/mode command

BASE_OPTIONS: tuple[Option, ...] = (
    Option("topic_set_power", str, REQUIRED, "MQTT topic the load's commands go to"),
)


class Equipment:
    """A load the regulator may give power to. Watts are the regulator's belief (what it commanded)."""

    KIND: ClassVar[str] = "equipment"
    # A longer gap between two energy updates is a clock step or a suspended process, not hours of
    # drawing: the regulator updates energies at least every few seconds while it runs.
    MAX_ENERGY_GAP_S: ClassVar[float] = 600.0
    # A time this much before the last one is the clock stepped back (NTP): the count goes on from it. Less is a
    # message stamped on the network thread before a main loop that fell behind (a slow card): not counted again.
    # (A step back under this loses at most its own seconds' energy; a stall over it would count it twice.)
    ENERGY_STEP_BACK_S: ClassVar[float] = 120.0
    OPTIONS: ClassVar[tuple[Option, ...]] = BASE_OPTIONS
    # The run-time packages (pip names) building a load of this kind needs beyond the daemon's paho-mqtt: checked
    # with the config's loads before it is loaded (shell/deps.py), so that one missing is one line naming it.
    PACKAGES: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def packages(cls, section: Mapping[str, str]) -> tuple[str, ...]:
        """PACKAGES for a load whose config section (raw text, not yet checked) is `section`: a kind whose options
        choose what it imports says so here."""
        return cls.PACKAGES

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        self.name = name
        self.options = options
        self.topic_set_power: str = options["topic_set_power"]
        self.current_power_w = 0.0
        self.energy_wh = 0.0
        self.energy_yesterday_wh = 0.0
        self.forced_power_w: float | None = None
        self.force_end_at: float | None = None  # epoch seconds; None with forced_power_w set = until unforced
        # The force's end is a time of the clock as NTP will set it, not of the clock now (a force to 0 W restored from
        # a file dated ahead of the clock: status.restore_ahead): a jump forward does not move it (core.forces).
        self.force_end_fixed = False
        self.forced_by: str | None = None  # FORCED_BY_USER, "domoticz", "mode", "seed_rule", "deadline_rule"
        # (whose force, by whom) the first force another's took over since the fallback rules last looked (they look
        # every few seconds: a 3 s force over a rule's came and went between two looks, and the rule took its end for
        # a user's unforce of its own, the night's heating dropped). Cleared by the water heater's rules; unread
        # elsewhere.
        self.force_taken_over: tuple[str, str] | None = None
        self.overed = False  # full for today (thermostat cut): left out of the allocation
        # Found full under the low-energy fallback's force (from the grid, at night or at dawn): full until that force's
        # end, or the daily clear if sooner (epoch seconds), so the day's sun may top the tank up after the showers; and
        # no sunny day for the seed rule's count. None: found full otherwise (by the sun), full until the daily clear.
        self.full_until: float | None = None
        self._energy_since: float | None = None
        self._publish: Publish | None = None
        self._last_command: Command | None = None
        self._power_listeners: list[PowerListener] = []
        self.last_command_at: float | None = None  # when a new command was last published: the evidence clock
        # (its switches and steps in the log, steps at most once a minute of the house's time)
        self._power_log = PowerLog(name, log, STEP_LOG_S / context.demo_speed)

    # --- wiring -----------------------------------------------------------------------------------
    def bind(self, publish: Publish) -> None:
        """Give the load the function its commands are published with."""
        self._publish = publish

    def add_power_listener(self, listener: PowerListener) -> None:
        """Call `listener(commanded_w, now)` after every command (full-tank inference watches the steps)."""
        self._power_listeners.append(listener)

    def subscriptions(self) -> tuple[str, ...]:
        """Topics this load wants to read (its own meter, its device's status); none by default."""
        return ()

    def handle(self, topic: str, payload: bytes, now: float) -> bool:
        """A message on one of `subscriptions()`; True if it changed something worth a status."""
        return False

    def next_timer_at(self) -> float | None:
        """When the load has something of its own to do next (`run_timers`), for the regulator to tick then; None:
        nothing."""
        return None

    def run_timers(self, now: float) -> None:
        """Do what is due at `now` (see `next_timer_at`); called at every tick."""

    def link_dropped(self) -> None:
        """The broker link dropped: what the load publishes waits in paho until it is back (QoS 1), and nothing it
        sends us arrives meanwhile."""

    def link_restored(self, now: float) -> None:
        """The broker link is back at `now` (not called at the first connect)."""

    # --- what the allocation calls ----------------------------------------------------------------
    @property
    def max_power_w(self) -> float:
        """The most this load can draw, in watts."""
        raise NotImplementedError

    def increase_power_by(self, watts: float, now: float) -> float | None:
        """Take up to `watts` more. Returns the watts left to give (negative: this load needs that much
        more to start), or None when the effect is unknown until the next measurement."""
        raise NotImplementedError

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        """Give back about `watts`. Returns the watts actually freed, or None when unknown until the next
        measurement."""
        raise NotImplementedError

    @property
    def measuring(self) -> bool:
        """True while a switch on is to be measured from the next house reading (loads of unknown power)."""
        return False

    def observe_consumption(self, consumption_w: float, others_w: float, now: float,
                            house_pace_s: float | None = None) -> float:
        """A fresh house reading at decision time (`others_w`: what the other loads drew in it, as far as known;
        `house_pace_s`: the house meter's usual seconds between two readings, None while unknown). Loads of unknown
        power learn from it; others ignore it. Returns what this load drew in the reading, as far as known (its
        measure, else its belief before any command it made on it: a switch decided now is not in it)."""
        return self.current_power_w

    # --- commands ---------------------------------------------------------------------------------
    def command_for(self, watts: float) -> tuple[Command, float]:
        """The command that makes the load draw about `watts`, and the watts it will really be set to."""
        raise NotImplementedError

    def set_power(self, watts: float, now: float, reason: str) -> bool:
        """Command the load to `watts` (published only when the command changes). False when the command
        could not be published: then nothing changes, the belief never runs ahead of the device."""
        # (at 0 W at least: a comparison, not max(), whose call parses its keywords on Python 3.11; every decision)
        command, actual_w = self.command_for(watts if watts > 0.0 else 0.0)
        self.accumulate_energy(now)
        if command is not self._last_command and command != self._last_command:  # (a variator's are reused)
            if not self._send(command):
                return False
            self._last_command = command
            self.last_command_at = now
        previous_w = self.current_power_w
        self.current_power_w = actual_w
        self._power_log.commanded(previous_w, actual_w, now, reason)
        for listener in self._power_listeners:
            listener(actual_w, now)
        return True

    def accumulate_energy_and_believe(self, watts: float, now: float) -> None:
        """A new belief of what the load draws under the same command (a measurement): energy counted up to
        `now` at the old belief first."""
        self.accumulate_energy(now)
        self.current_power_w = watts

    def current_command(self) -> Command:
        """The last command sent (or the off command before any)."""
        return self._last_command or self.command_for(0.0)[0]

    def resend(self, reason: str) -> bool:
        """Publish the current command again (the device may have lost it); False (logged) when it could not be."""
        command = self.current_command()
        log.debug("%s: re-sending %s on %s (%s)", self.name, command.payload, command.topic, reason)
        return self._send(command)

    def _send(self, command: Command) -> bool:
        """Publish `command`; False (logged) when the publish function refused it."""
        if self._publish is None:
            raise RuntimeError(f"load {self.name} is not bound to a publisher")
        try:
            self._publish(command.topic, command.payload, command.retain)
        except Exception as exc:  # paho's ValueError (a bad topic), a full queue, ...: the device got nothing
            log.error("%s: command %r on %s could not be published (%s): still believed at %.0f W", self.name,
                      command.payload, command.topic, exc, self.current_power_w)
            return False
        return True

    # --- energy -----------------------------------------------------------------------------------
    def accumulate_energy(self, now: float) -> None:
        """Add the energy drawn at the current power since the last call."""
        since = self._energy_since
        if since is None:
            self._energy_since = now
        elif now > since:
            gap_s = now - since
            if gap_s > self.MAX_ENERGY_GAP_S:
                gap_s = self.MAX_ENERGY_GAP_S  # (min() without its call: every load at every message)
            self.energy_wh += self.current_power_w * gap_s / 3600.0
            self._energy_since = now
        elif now < since - self.ENERGY_STEP_BACK_S:
            # The clock stepped back: counting from here on. Waiting for the clock to pass the last stamp again
            # left the step's energy uncounted, and the deadline rule forced that much more from the grid.
            self._energy_since = now
        # A time a little earlier than the last one (the paho thread's timestamps interleave with the main
        # loop's) is not counted twice.

    def skip_energy(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing (NTP setting a Pi's clock): the jump is
        not drawn (counted, up to MAX_ENERGY_GAP_S of it was: 333 Wh for a 2 kW heater)."""
        if self._energy_since is not None:
            self._energy_since += step_s

    def roll_day(self, midnight_at: float) -> float:
        """At midnight: today's energy (counted up to `midnight_at`) becomes yesterday's; returns it."""
        if self._energy_since is None or self._energy_since <= midnight_at:
            # (counted past it already, a clock jump over midnight skipped: taken for a step back, the count went on
            # from the midnight, and the next update counted the jump into the new day)
            self.accumulate_energy(midnight_at)
        self.energy_yesterday_wh, self.energy_wh = self.energy_wh, 0.0
        return self.energy_yesterday_wh

    # --- forced mode ------------------------------------------------------------------------------
    def is_forced(self) -> bool:
        """True while a force is in effect (expiry is handled by the regulator's tick)."""
        return self.forced_power_w is not None

    def forced_watts(self, power_w: float) -> float:
        """What a force at `power_w` sets the load to (a relay is on or off; a variator takes whole percents)."""
        return self.command_for(power_w if power_w > 0.0 else 0.0)[1]  # (max(0.0, power_w): see set_power)

    def force(self, power_w: float, duration_s: float | None, now: float, reason: str,
              by: str = FORCED_BY_USER) -> bool:
        """Hold the load at `power_w`, for `duration_s` seconds or until unforced (None); `by` says who.
        Nothing is recorded when the command could not be published (then False)."""
        saved = self.forced_power_w, self.force_end_at, self.forced_by
        self.forced_power_w = power_w
        self.force_end_at = None if duration_s is None else now + duration_s
        self.forced_by = by
        if not self._set_power_forced(power_w, now, reason):
            self.forced_power_w, self.force_end_at, self.forced_by = saved
            return False
        if saved[2] is not None and saved[2] != by and self.force_taken_over is None:
            self.force_taken_over = (saved[2], by)
        self.force_end_fixed = False  # (a force of now: its end on the clock now)
        return True

    def unforce(self, now: float, reason: str) -> None:
        """Hand the load back to the regulation, starting from 0 W (it re-allocates at once)."""
        self.forced_power_w = None
        self.force_end_at = None
        self.forced_by = None
        self.force_end_fixed = False
        self._set_power_forced(0.0, now, reason)

    def _set_power_forced(self, watts: float, now: float, reason: str) -> bool:
        """set_power for a force or its end: its move said at once, bounded as the force's own lines (PowerLog's
        force_next; cleared after, sent or not: not sent, nothing was logged, and the next command is not the
        force's)."""
        self._power_log.force_next = True
        try:
            return self.set_power(watts, now, reason)
        finally:
            self._power_log.force_next = False

    def max_force_power_w(self) -> float:
        """The largest power a force command may ask of this load."""
        return self.max_power_w
