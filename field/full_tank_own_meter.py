"""The loads' own meters ([equipment] full_detection = meter) for the full-tank watch: their readings judged (a tank
found full, a re-check probe's evidence, what a full load forced since draws), the readings dropped (frozen, malformed,
a boot), and their silence or slowness, while which the house meter watches the tank instead."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from equipments.base import Equipment
from equipments.variable import VariableEquipment
from field.full_tank import MeteredFullTank
from field.full_tank_inferred import InferredFullTank
from field.full_tank_probe import FullTankProbes
from field.own_meter_notices import OwnMeterNotices
from values.readings import MeterProblem, missing_field_advice, parse_meter_payload

log = logging.getLogger("field.full_tank_watch")  # (its lines were the watch's: said under the same name)

# A load's own meter is silent after meter_timeout, or this many of its readings when that is longer.
SILENT_READINGS = 5


class OwnMeterWatch:
    """The own meters of the loads that have one, with their detectors (`metered`, by load name)."""

    def __init__(self, loads: Sequence[Equipment], inferred: Mapping[str, InferredFullTank], max_meter_power_w: float,
                 meter_timeout_s: float, frozen_meter: bool, probes: FullTankProbes, *,
                 mark_full: Callable[[Equipment, float, str], None], gated: Callable[[Equipment], bool],
                 clear: Callable[[Equipment], None]) -> None:
        """`inferred`: the house meter's detectors, by load name (the watch's, read only); `probes`: the re-check's.
        The watch's answers: `mark_full(load, now, why)`, `load` found full; `gated(load)`, whether its variator's
        output is gated off (FullTankWatch._gated); `clear(load)`, `load` not full any more."""
        self.max_meter_power_w = max_meter_power_w
        self.metered: dict[str, MeteredFullTank] = {}
        self.measured_w: dict[str, float] = {}  # last reading of each load's own meter
        self._topics: dict[str, list[VariableEquipment]] = {}
        for load in loads:
            if isinstance(load, VariableEquipment) and load.full_detection == "meter" and load.topic_read_power:
                self.metered[load.name] = MeteredFullTank(load.name, load.min_power_w)
                self._topics.setdefault(load.topic_read_power, []).append(load)
        self._inferred = inferred
        self._probes = probes
        self._mark_full = mark_full
        self._gated = gated
        self._clear = clear
        # A load with its own meter is also watched from the house meter while that meter is silent (never
        # wired, a third PZEM the seed's sample names but the house lacks): its last usable reading, or the
        # first house reading, by load; and the loads whose silence was said.
        self.meter_timeout_s = meter_timeout_s
        self._heard_at: dict[str, float] = {}
        # A PZEM whose sensor loop hangs while its MQTT loop runs sends its last reading's very bytes again and
        # again ([evaluate] frozen_meter, as for the house's meters): by topic, the last reading taken.
        self._frozen_meter = frozen_meter
        self._last_payload: dict[str, bytes] = {}
        self._silence_said: set[str] = set()
        self._slow_said: set[str] = set()  # own meters said to read too slowly to watch a tank by (ReadingPace.slow_s)
        self._notices = OwnMeterNotices()  # (what is said of them: bounded, a meter's pace may change all day)
        self._reported: set[tuple[str, str]] = set()

    def subscriptions(self) -> tuple[str, ...]:
        """The loads' own meters."""
        return tuple(self._topics)

    def handles(self, topic: str) -> bool:
        """True for one of the loads' own meters."""
        return topic in self._topics

    def on_reading(self, topic: str, payload: bytes, now: float) -> bool:
        """A reading of a load's own meter; True when a load was found full."""
        if self._frozen_meter and self._last_payload.get(topic) == payload:
            # Not a reading: hung on 0 W it read as a full tank (the heater off for the day, the water cold); hung
            # on the heater drawing it kept the house meter from watching the tank. Its silence is judged instead.
            for load in self._topics.get(topic, ()):
                self._report(load.name, MeterProblem("frozen", "the very same message as the last reading: the "
                                                     "meter looks frozen; not counted as a reading"))
            return False
        changed = False
        for load in self._topics.get(topic, ()):
            result = parse_meter_payload(payload, load.json_read_power, now, self.max_meter_power_w)
            if isinstance(result, MeterProblem):
                self._report(load.name, result, payload, load.json_read_power)
                continue
            self.measured_w[load.name] = result.power_w
            self._last_payload[topic] = payload
            self._notices.heard(load.name, now - self._heard_at.get(load.name, now))
            self._heard_at[load.name] = now
            detector = self.metered[load.name]
            detector.heard(now)
            slow = detector.meter_slow_s() is not None
            self._heard_again(load.name, slow, now)
            if load.overed:  # (full until the daily clear: nothing to judge, nor to ask its variator; its
                # detector's question_due is from before, when found full by the house meter)
                if load.is_forced():
                    changed = self._forced_while_full(load, result.power_w, now) or changed
                elif not slow and self._probes.recheck.probing(load.name):  # (its hourly re-check)
                    changed = self._probes.by_meter(load, result.power_w, now) or changed
                continue
            if self._gated(load) or slow:  # (too slow: watched from the house meter, see infers)
                continue
            # (a command that went out late, its message having waited in the daemon's queue, is judged from when it
            # went: a reading from before that shows the command before it, no reading of this one; counted, a force
            # from 0 W held up 8 s had its tank found full on the readings of the heater still off)
            at = load.last_command_at
            went_at = load.went_at(at) if at is not None else None
            if at is not None and went_at is not None and at <= now < went_at:
                continue
            if detector.on_reading(result.power_w, load.current_power_w, now, load.heard_at, went_at,
                                   load.off_command_at):
                self._mark_full(load, now, f"its meter reads {result.power_w:.1f} W")
                changed = True
            elif detector.question_due:
                load.ask_status()  # (its answer, or its boot, tells whether the heater's 0 W is a cut)
            elif detector.low_run_started(now) and not load.is_forced():
                # (a reboot reads the same: no relay over it until its variator answers. Under a force its rule asks
                # at the run's fifth reading. A meter a reading late after a switch-on asks for nothing: answered at
                # once, the relays after it wait a reading; put off for the lag, a reboot just after a raise to 100 %
                # was never asked, and the relay came on over it)
                load.doubt_drawing(now)
        return changed

    def _forced_while_full(self, load: VariableEquipment, measured_w: float, now: float) -> bool:
        """A reading of the own meter of `load`, flagged full and forced since (a user's force in the evening of a
        day the sun filled the tank): it draws what its meter reads, and is counted so (counted at the force's
        watts, a heater drawing nothing was credited 2 kWh an evening, and the deadline rule forced that much less
        from the grid before the next deadline). Reading its min_power or more under a force on, its tank takes power
        again (showers since): not full any more. True when the flag was lifted."""
        load.accumulate_energy_and_believe(measured_w, now)
        if not load.forced_power_w or measured_w < self.metered[load.name].min_power_w:
            return False
        self._clear(load)
        log.info("%s: its meter reads %.0f W under a force: its tank, found full earlier, takes power again: may "
                 "take power after the force too", load.name, measured_w)
        return True

    def _heard_again(self, name: str, slow: bool, now: float) -> None:
        """A usable reading of `name`'s own meter at `now` (`slow`: too slow to watch its tank by): the end of a silence
        or of its slowness said, once."""
        if not slow and (name in self._silence_said or name in self._slow_said):
            self._silence_said.discard(name)
            self._slow_said.discard(name)
            self._notices.reads_again(name, False, now)
        elif slow and name in self._silence_said:
            self._silence_said.discard(name)
            if name in self._slow_said:  # (else the next house reading says it too slow: that line says it reads)
                self._notices.reads_again(name, True, now)

    def infers(self, load: Equipment, now: float) -> bool:
        """Whether `load`'s fullness is inferred from the house meter now: always without a meter of its own;
        with one, while it has given no usable reading for `meter_timeout`, or five of its readings when its meter
        reads more slowly (said once per silence), and while it reads every few minutes (said once)."""
        if load.name not in self.metered:
            return True
        meter = self.metered[load.name]
        if (slow_s := meter.meter_slow_s()) is not None and load.name not in self._slow_said:
            # A Tasmota plug's default TelePeriod, 300 s: its five low readings in a row would take 25 minutes to find
            # the tank full, the heater believed drawing meanwhile; each reading ended a silence, with a warning and
            # an "its own meter reads again" line each time.
            self._slow_said.add(load.name)
            self._notices.slow(load.name, getattr(load, "topic_read_power", None), slow_s, now)
        heard_at = self._heard_at.setdefault(load.name, now)  # (silent from the first house reading)
        silent_after_s = self.meter_timeout_s
        # (a meter slower than the house's, a Tasmota plug every 10 s: silent after five of its readings, as
        # meter_timeout is advised for a house meter; at meter_timeout, each reading a little late was a silence,
        # a warning and an "its own meter reads again" line, 200 of each an hour at a reading every 10.4 s. A meter
        # too slow is judged so too, at its slow pace: one that died was never said silent, its last reading shown)
        pace_s = slow_s if slow_s is not None else meter.meter_pace_s()
        if pace_s is not None and SILENT_READINGS * pace_s > silent_after_s:
            silent_after_s = SILENT_READINGS * pace_s
        if now - heard_at <= silent_after_s:
            return slow_s is not None
        if load.name not in self._silence_said:
            self._silence_said.add(load.name)
            self._notices.silent(load.name, getattr(load, "topic_read_power", None), now - heard_at, now)
        else:  # (said when it begins, or when it lasts if held back then: a meter at an irregular pace, now dead)
            self._notices.still_silent(load.name, getattr(load, "topic_read_power", None), now - heard_at, now)
        return True

    def flush(self, now: float) -> None:
        """How many of its own meter's changes a load's last hour did not log, said."""
        self._notices.flush(now)

    def in_doubt(self, name: str, now: float) -> bool:
        """A load with its own meter: its detector's doubt, a suspicion the house meter raised while that meter was
        silent, or a fall of the house by all or a good part of what it drew, read after its meter's last reading (its
        meter not in step with the house's: the cut's first half the house shows, a load of unknown power tried on it
        took the second half for its own step). The house's fall its meter read after is no doubt: that reading tells
        what the heater draws (its house detector's own doubt, fed now while the meter watches, held the loads of
        unknown power back at any fall of the house by a quarter of the heater's watts, 40 W at 160 W, its meter read
        after it or not)."""
        if self.metered[name].in_doubt(now):
            return True
        detector = self._inferred[name]
        if detector.full:  # (found full by the house meter while its own was silent: no doubt left)
            return False
        if detector.suspected(now):
            return True
        fell_at = detector.house_fell_at(now)
        return fell_at is not None and self._heard_at.get(name, -math.inf) < fell_at

    def status(self, name: str) -> dict[str, Any]:
        """`name`'s own meter in the status document: its last reading, and whether it reads (its meter silent or too
        slow, the tank is watched from the house meter: said so, not "meter" all along)."""
        own_meter = "silent" if name in self._silence_said else "slow" if name in self._slow_said else "reads"
        return {"measured_power": self.measured_w.get(name), "own_meter": own_meter}

    def _report(self, name: str, problem: MeterProblem, payload: bytes = b"", field: str = "") -> None:
        """A load's own meter's reading dropped for `problem`: its first of each kind at WARNING (what to change, for a
        reading without its `field`: the house meter's advice), the others at DEBUG."""
        if problem.kind == "boot":
            # (a boot message is anyone's to send: bounded in the log, as the house meter's)
            log.info("%s: its own meter booted; its readings count again from the next good one", name,
                     extra={"limit_key": name})
            return
        key = (name, problem.kind)
        level = logging.DEBUG if key in self._reported else logging.WARNING
        self._reported.add(key)
        advice = (missing_field_advice(payload, field, f"[{name}] json_read_power")
                  if level == logging.WARNING and problem.kind == "missing_power" else "")
        log.log(level, "%s: dropped a reading of its own meter: %s%s", name, problem.detail, advice)
