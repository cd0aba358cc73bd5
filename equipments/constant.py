"""Loads on a relay with a known wattage: heaters, plugs. On or off, nothing between."""

from __future__ import annotations

import logging
from typing import Any

from equipments.base import BASE_OPTIONS, FORCED_BY_USER, Equipment
from equipments.load_build import MAX_LOAD_W, BuildContext, EquipmentBuildError
from equipments.load_command import Command
from equipments.power_log import force_line
from settings.options import REQUIRED, Option
from values.payloads import same_payload

log = logging.getLogger(__name__)

# How far from its label (or a figure learned off it) one step may teach a relay's watts: a quarter.
LABEL_SHARE = 0.25
# How far from its label agreeing steps may teach a relay's watts (ConstantEquipment.off_label_range_w).
OFF_LABEL_LOW, OFF_LABEL_HIGH = 0.25, 4.0
# A figure learned off its label (more than a quarter off) is judged by itself until it comes back within this share of
# the label: judged by the label again as soon as it was within a quarter, a relay drawing 1.25 times its label
# flipped between the two at every few switches, each flip a warning.
BACK_WITHIN_LABEL = 0.2

DOMOTICZ_IN = "domoticz/in"  # Domoticz's MQTT input: orders it acts on, including retained ones it is handed again

# The relay keys only the closed loop reads: Hébert's rule switches at every reading, with no dwell, on delay or
# hysteresis (the config warns about those given under algorithm = hebert).
CLOSED_LOOP_RELAY_KEYS = ("min_on_s", "min_off_s", "on_delay_s", "hysteresis")

RELAY_OPTIONS: tuple[Option, ...] = BASE_OPTIONS + (
    Option("json_on", str, "1", "payload that switches the relay on (any text: JSON, ON, 1)"),
    Option("json_off", str, "0", "payload that switches the relay off (one the relay reads as json_on is refused)"),
    Option("retain", "bool?", None, "publish relay commands retained, so a rebooted relay gets its state "
           "(default: true, but false on Domoticz's input, [domoticz] topic_in (domoticz/in), where Domoticz "
           "would re-apply a stale command at every reconnect)"),
    Option("min_on_s", float, 600.0, "closed_loop: seconds a relay stays on once switched on (wear)", min=0,
           max=86400),
    Option("min_off_s", float, 120.0, "closed_loop: seconds a relay stays off once switched off (wear)", min=0,
           max=86400),
    Option("on_delay_s", float, 0.0, "closed_loop: seconds the surplus must cover a relay, decision after "
           "decision, before it switches on (filters a house appliance's short pauses)", min=0, max=3600),
    Option("hysteresis", float, 100.0, "closed_loop: once on, the load stays on until what is left for it, "
           "with no export at all, falls this many watts short of it, as long as variable loads give that back "
           "(never by importing)", min=0, max=MAX_LOAD_W),
)


class RelayEquipment(Equipment):
    """Shared by the relay kinds: on/off payloads, published retained by default."""

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        self.json_on: str = options["json_on"]
        self.json_off: str = options["json_off"]
        for key in ("json_on", "json_off"):
            if not str(options[key]).strip():
                # An empty message switches no relay (Tasmota answers it with its state), and published retained
                # it only clears the topic: the load would be believed on and draw nothing, or stay on.
                raise EquipmentBuildError(key, "is empty: an empty message switches no relay; give the payload "
                                          f"(delete the line for the default, {'1' if key == 'json_on' else '0'})")
        if same_payload(self.json_off, self.json_on):
            # A payload copied from json_on and not edited (Domoticz's "switchcmd": "On" twice): every "off"
            # would switch the relay on again, and the load would draw from the grid with no surplus at all.
            raise EquipmentBuildError("json_off", f"{self.json_off!r} reads as json_on ({self.json_on!r}) to the "
                                      "relay: it could never be switched off; give the payload that switches it off")
        self.retain = True
        self.read_by_domoticz_at(DOMOTICZ_IN)
        # The closed loop's dwell, on delay and hysteresis (0 when not given: Hébert's rule has none), read
        # once: the loop asks at every decision, and a load's options are its config, never changed once it
        # is built.
        self.min_on_s = float(options.get("min_on_s", 0.0))
        self.min_off_s = float(options.get("min_off_s", 0.0))
        self.hysteresis_w = float(options.get("hysteresis", 0.0))
        self.on_delay_s = float(options.get("on_delay_s", 0.0))
        # A relay of known watts forced on, then unforced (by anyone: a force's end, regul/mode, Home Assistant,
        # Domoticz), was commanded off at once: it rested its min_off_s with its watts exported, then came on again,
        # two switches for nothing when the surplus covered it. Where the regulator lets it (`hands_over`: the
        # closed loop, the regulation not suspended), it is handed to the regulation as it is, on (`handed_over`):
        # the next decision keeps it on if the surplus covers it, else switches it off then, whatever its dwell.
        # (Hébert's rule, the seed's, has it off. A load of unknown power is still switched off: its force's end is
        # its measure.)
        self.hands_over = False
        self.handed_over = False
        # Its last command's time when a force began (None: not forced): a force on a relay already on sends nothing,
        # and at its end the relay is still in the dwell of its own switch.
        self._commanded_before_force: float | None = None

    def read_by_domoticz_at(self, topic_in: str) -> None:
        """Domoticz's input topic is `topic_in` (the config's [domoticz] topic_in, read after the loads): a relay
        commanded there is not retained unless its `retain` says so. Domoticz reads its input as a stream of orders,
        not a state: a retained On is re-applied every time Domoticz reconnects to the broker, hours after PySEB
        switched the device off or died (with topic_in = dz/in, it was, the default judged on domoticz/in alone)."""
        given = self.options.get("retain")
        self.retain = given if given is not None else self.topic_set_power != topic_in

    @property
    def retain(self) -> bool:
        """Whether its commands are published retained (read_by_domoticz_at)."""
        return self._retain

    @retain.setter
    def retain(self, retain: bool) -> None:
        # Its two commands, made once for each setting: the status asks for its off command every time it is built,
        # and a frozen Command takes a microsecond to make. (Its topic and payloads are its config, fixed once built.)
        self._retain = retain
        self._commands = (Command(self.topic_set_power, self.json_off, retain),
                          Command(self.topic_set_power, self.json_on, retain))

    @property
    def is_on(self) -> bool:
        """True when the relay was last commanded on (whatever the load is believed to draw)."""
        command = self._last_command
        return command is not None and command.payload == self.json_on

    def set_power(self, watts: float, now: float, reason: str) -> bool:
        # (any command settles a hand-over: forced again, or off with a silent meter, before the decision that was
        # to judge it; switched off so, it keeps its min_off_s)
        self.handed_over = False
        return super().set_power(watts, now, reason)

    def _relay(self, on: bool) -> Command:
        return self._commands[on]


class ConstantEquipment(RelayEquipment):
    """A relay whose load draws `max_power` watts when on."""

    KIND = "constant"
    OPTIONS = RELAY_OPTIONS + (
        Option("max_power", float, REQUIRED, "watts the load draws when on (under 50: kilowatts written for watts "
               "when it has a fraction, 2.3: refused; a whole one, 25: warned)", min=1, max=MAX_LOAD_W),
    )

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        # Read once, like the dwell above: the controller asks for it several times at every decision.
        self._max_power_w = float(options["max_power"])
        # What it really draws, learned by the closed-loop controller from the house meter's step when it
        # switches (a label says 1000 W, the radiator draws 1050 W). None: not learned yet.
        self.learned_power_w: float | None = None
        # The learned figure is more than a quarter off the label, taken from steps that agreed (a 1000 W label on
        # a 2000 W heater): later steps are judged against it, not against the label.
        self.learned_off_label = False
        # The learned figure rests on one step of the house meter, which an appliance starting or stopping at the same
        # reading (a kettle) may have made: the next step replaces it if they disagree, and it is not trusted to keep
        # the relay off (`cover_w`: the label while it is above it, until a step is measured under it).
        self.learned_provisional = False
        # A step measured under that figure (RelayLearning), or a guard's shed of it switched on by the label
        # (RelaySwitcher): the label no longer covers it
        self.label_tried = False

    @property
    def max_power_w(self) -> float:
        return self._max_power_w

    def plausible_learned_range_w(self) -> tuple[float, float]:
        """The watts one step may teach it (or a status restore): within a quarter of its label, or of a figure
        learned off its label. Further off, a step of the house meter is the house changing at the same time,
        not this relay (unless such steps agree: `off_label_range_w`)."""
        reference_w = self.max_power_w
        if self.learned_off_label and self.learned_power_w is not None:
            reference_w = self.learned_power_w
        return (1.0 - LABEL_SHARE) * reference_w, (1.0 + LABEL_SHARE) * reference_w

    def off_label_range_w(self) -> tuple[float, float]:
        """The watts steps that agree may teach it however far from its label: a quarter to four times the label
        (a 2000 W label on a 1000 W heater, or the reverse). Beyond, the label is no slip but another load's."""
        return OFF_LABEL_LOW * self.max_power_w, OFF_LABEL_HIGH * self.max_power_w

    def within_label_w(self, watts: float, share: float = LABEL_SHARE) -> bool:
        """`watts` is within `share` of its label (a quarter: what one step may teach)."""
        return (1.0 - share) * self.max_power_w <= watts <= (1.0 + share) * self.max_power_w

    def learned_at(self, watts: float, off_label: bool, provisional: bool = False) -> None:
        """Its figure is now `watts`; `off_label`: taken from steps judged away from its label, and judged by itself
        from now on until it comes back within BACK_WITHIN_LABEL of the label; `provisional`: from one step only."""
        self.learned_provisional, self.label_tried = provisional, False
        low_w, high_w = self.off_label_range_w()
        # (kept within what agreeing steps may teach and a restore takes: smoothed past four times its label, a
        # figure was refused at the next start, and its steps then never learned again)
        self.learned_power_w = min(max(watts, low_w), high_w)
        self.learned_off_label = off_label and not self.within_label_w(self.learned_power_w, BACK_WITHIN_LABEL)

    @property
    def on_power_w(self) -> float:
        """The watts it draws when on: the learned figure once there is one, else its `max_power`."""
        return self.learned_power_w if self.learned_power_w is not None else self.max_power_w

    @property
    def cover_w(self) -> float:
        """The surplus that switches it on: its figure, but its label when a provisional figure is above it, until a
        step is measured under that figure. A single step that a kettle starting at the same reading raised (1240 W for
        a 1000 W radiator) kept the relay off under a surplus that carried it, with no switch on to measure it again,
        and was saved for the next start. Not after a step measured: a relay whose steps never confirm its figure (a
        heater's calibration error in each of them) was switched on short of it and shed over and over. Not for a
        figure learned off the label: the label is no guide there (a 1000 W label on a 2000 W radiator)."""
        learned_w = self.learned_power_w
        if learned_w is None:
            return self.max_power_w
        if self.learned_provisional and not self.label_tried and not self.learned_off_label:
            return min(learned_w, self.max_power_w)
        return learned_w

    @property
    def covered_by_label(self) -> bool:
        """True while its label, under its figure, is what switches it on (`cover_w`)."""
        return self.cover_w < self.on_power_w

    def command_for(self, watts: float) -> tuple[Command, float]:
        # A relay is on or off: any power asked of it means on (a force of 0 W means off).
        on = watts > 0
        return self._relay(on), self.on_power_w if on else 0.0

    def force(self, power_w: float, duration_s: float | None, now: float, reason: str,
              by: str = FORCED_BY_USER) -> bool:
        # On or off: a force of any power is a force on, at its label's watts. Kept as asked, the status
        # said "forced at 300 W" of a 1000 W radiator drawing 1000 W.
        commanded_at, forced, handed_over = self.last_command_at, self.is_forced(), self.handed_over
        sent = super().force(self.max_power_w if power_w > 0 else 0.0, duration_s, now, reason, by)
        if sent and not forced:
            # (handed over and not judged yet, then forced again: its command was a force's, handed over at its end)
            self._commanded_before_force = None if handed_over else commanded_at
        return sent

    def unforce(self, now: float, reason: str) -> None:
        commanded_before, self._commanded_before_force = self._commanded_before_force, None
        if not (self.hands_over and self.is_on and (self.forced_power_w or 0.0) > 0):
            super().unforce(now, reason)
            return
        self.forced_power_w = self.force_end_at = self.forced_by = None
        if self.last_command_at is not None and self.last_command_at == commanded_before:
            # On before its force, which sent nothing (a Home Assistant switch on and off): back to the regulation as
            # it was, its dwell counted from its own switch (handed over, it was switched off 12 s after it came on).
            log.info("%s: %s: back to the regulation, on as before the force", self.name, reason,
                     extra=force_line(self.name))
            return
        self.handed_over = True
        log.info("%s: %s: handed to the regulation on (kept on if the surplus covers it, else off at the next "
                 "decision)", self.name, reason, extra=force_line(self.name))

    def increase_power_by(self, watts: float, now: float) -> float | None:
        if self.current_power_w > 0:
            return watts
        if watts >= self.max_power_w:
            self.set_power(self.max_power_w, now, f"surplus {watts:.0f} W covers it")
        # Negative when short: the allocation may recover the difference from lower priorities.
        return watts - self.max_power_w

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        if self.current_power_w <= 0:
            return 0.0
        freed_w = self.current_power_w
        self.set_power(0.0, now, f"over-consumption {watts:.0f} W")
        return freed_w
