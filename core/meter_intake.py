"""The meters' MQTT messages, apart from the regulator: a reading parsed into a good one the meter takes, or
the reason it gives none, and a boot message told from another device's. Anyone who can publish on the
broker can send junk to a meter's topic, so a refused message is a WARNING once per topic and kind, then
DEBUG. A meter that sends the very same bytes again is frozen ([evaluate] frozen_meter): its repeats are
counted, not taken. What follows (energy, the stale guard, a decision) is the regulator's."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from enum import Enum
from functools import partial

from core.irregular_pace import IrregularPace, IrregularPaceWatch, bursts_between_gaps
from core.meter_swap import SHOWN_FROM
from core.meters import MeterState
from values.boots import MeterBoots, pzem_reading_period_s
from values.readings import (
    MIN_MAINS_V,
    TASMOTA_LEAST_TELEPERIOD_S,
    MeterProblem,
    MeterReading,
    Voltage,
    missing_field_advice,
    parse_meter_payload,
)

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("core.regulator")


ZERO_HOUSE = ("0 W while the loads draw: the house meter sees them, it cannot read 0 W; is its current clamp off "
              "the line?")
# The loads believed to draw more than this, a house meter at 0 W is not plausible (a PZEM reads 0 W under ~5 W).
ZERO_HOUSE_LOADS_W = 50.0
ZERO_LATCH_S = 900.0  # how long a house meter's 0 W stays refused once refused, whatever the loads (see above)

# What a silence of a meter told to read at an irregular pace is likely, in its stale reason (MeterState.silence_hint)
IRREGULAR_SILENCE = (" (a meter read at an irregular pace: on a Tasmota, set PowerDelta 0 and TelePeriod 10; see "
                     "the log)")


# (read once: an enum's member is looked up through the enum's class at several times a plain name's cost on Python
# 3.11, and one is chosen for each of the two readings a period)
_IGNORED, _READ, _REQUIRED = Voltage.IGNORED, Voltage.READ, Voltage.REQUIRED


class NoReading(Enum):
    """Why a meter's message gave no reading."""

    BOOT = "boot"  # the meter's boot message
    FROZEN = "frozen"  # the very same message as the last reading: the meter's age keeps running
    REFUSED = "refused"  # junk, out of range, a read error: logged


class MeterIntake:
    """Turns the meters' messages into readings; remembers which kinds of refusal it already warned of."""

    def __init__(self, consumption: MeterState, production: MeterState, own_meters: Iterable[tuple[str, str]],
                 json_power: str, max_meter_power_w: float, frozen_meter: bool,
                 loads_w: Callable[[], float] = lambda: 0.0, meter_timeout_s: float = float("inf")) -> None:
        """`own_meters`: (reading topic, label) of the loads' own meters, whose boots are only logged; `loads_w`:
        what the regulated loads are believed to draw now."""
        self._loads_w = loads_w
        self._by_label = {"consumption": consumption, "production": production}
        self._consumption = consumption
        self.boots = MeterBoots([(consumption.topic, "consumption"), (production.topic, "production"), *own_meters])
        self._json_power = json_power
        self._max_meter_power_w = max_meter_power_w
        self._frozen_meter = frozen_meter
        self._meter_timeout_s = meter_timeout_s
        self._reported: set[tuple[str, str]] = set()
        self._paces_judged: set[str] = set()  # the meters whose pace was judged against meter_timeout (once a run)
        self._paces_advised: dict[str, float] = {}  # the meter_timeout advised for a meter's pace, by its name
        self._irregular = IrregularPaceWatch(meter_timeout_s)

    def take(self, meter: MeterState, payload: bytes, now: float) -> MeterReading | NoReading:
        """The reading in `payload`, received at `now`, now `meter`'s last; or why there is none."""
        meter.messages += 1
        # Only the house meter must see the mains (a DC production meter reads 0 V every night), once it has.
        house = meter is self._consumption
        result = parse_meter_payload(payload, self._json_power, now, self._max_meter_power_w,
                                     _IGNORED if not house else _REQUIRED if meter.mains_seen else _READ)
        if isinstance(result, MeterProblem) and result.kind == "no_mains" and meter.mains_restored:
            result = self._no_mains_restored(meter, payload, now, result)
        if isinstance(result, MeterProblem):
            if result.kind == "boot":
                self._booted(meter, payload)
                return NoReading.BOOT
            # (a partial, not a lambda: a lambda's closure made `self`, `meter`, `payload` and `result` cells, four made
            # at every reading whether a problem came or not)
            self._report(meter.topic, result.detail, result.kind, partial(self._advice, meter, result.kind, payload))
            meter.refuse(result.detail)
            return NoReading.REFUSED
        if result.power_w == 0.0 and house and self._zero_refused(meter, now):
            detail = ZERO_HOUSE + self._swap_hint(now)
            self._report(meter.topic, detail, "zero")
            meter.refuse(detail)
            return NoReading.REFUSED
        if self._frozen_meter and meter.is_repeat(payload):
            # A real meter's readings always differ (voltage, current, energy counter): the very same bytes
            # again are a hung sensor loop behind a live MQTT loop. Not a new reading: the meter's age keeps
            # running, and it goes stale after meter_timeout like a silent one.
            meter.repeats += 1
            self._report(meter.topic, "the very same message as the last reading: the meter looks frozen; "
                         "not counted as a reading", "frozen")
            return NoReading.FROZEN
        meter.accept(result, payload)
        if house and result.voltage_v is not None and result.voltage_v >= MIN_MAINS_V:
            meter.mains_seen, meter.mains_restored = True, False
        if meter.name not in self._paces_judged:
            self._judge_pace(meter)
        if (gap_s := meter.last_gap_s) is not None and gap_s >= self._meter_timeout_s:
            # (a meter whose pace is still unjudged here has shown bursts and silences at each reading since it has one)
            irregular = self._irregular.reading(meter, gap_s, now, meter.name not in self._paces_judged)
            if irregular is not None:
                self._irregular_pace(meter, irregular)
        return result

    def _judge_pace(self, meter: MeterState) -> None:
        """Once its pace is known: a meter that reads more than half meter_timeout apart goes stale at a single
        reading lost, every load cut until the next one. Hébert's own meter firmware reads every 5 s or so and sends
        nothing when a read fails: at the default 10 s, each failed read cut the loads, a relay off and on again (under
        the closed loop, off for its min_off_s). Its boot message, which says its pace, another firmware's only, is
        checked in _check_period. The advice is five of its readings, as the default 10 s is of a PZEM's every 2 s: at
        three (30 s at 10 s), two readings lost in a row cut every load, six times a day with 2 % of readings lost and
        some jitter at 10 s."""
        pace_s = meter.pace_s()
        if pace_s is None:
            return
        if 2.0 * pace_s > self._meter_timeout_s and bursts_between_gaps(meter.gaps_s, pace_s, self._meter_timeout_s):
            # (judged again at its next reading: its pace is its bursts' and its gaps', an irregular pace, which
            # _irregular_pace tells at its third gap. Judged here, a PowerDelta house meter with relays only, its gaps
            # 1, 11 and 60 s, was told "reads every 11.0 s ... set meter_timeout = 55", and a minute later that a
            # meter_timeout over its gaps leaves the loads on after the meter died)
            return
        self._paces_judged.add(meter.name)
        if 2.0 * pace_s > self._meter_timeout_s:
            # (five times the pace as said, to a tenth of a second: a pace of 5.2000001 s is advised 26 s, not 27)
            advised_s = math.ceil(5.0 * round(pace_s, 1))
            log.warning("%s meter reads every %.1f s: a single reading lost leaves %.1f s without one, over [evaluate] "
                        "meter_timeout (%g s), and every load not forced goes to 0 W until the next; set meter_timeout "
                        "= %.0f (five of its readings) or more", meter.name, pace_s, 2.0 * pace_s,
                        self._meter_timeout_s, advised_s)
            meter.silence_hint = (f" (a meter read every {pace_s:.1f} s: a reading lost or late is a silence; set "
                                  f"[evaluate] meter_timeout = {advised_s:.0f})")
            self._paces_advised[meter.name] = advised_s

    def _irregular_pace(self, meter: MeterState, pace: IrregularPace) -> None:
        """Once a run: `meter` reads in bursts at its pace, then not for longer than meter_timeout (a Tasmota with
        PowerDelta set, whenever the power is steady), and each such gap suspends the regulation. Raising
        meter_timeout over the gaps would end the cuts, but leave every load as it was that long after the meter died:
        the device is to be set to read at a steady pace."""
        meter.silence_hint = IRREGULAR_SILENCE
        meter.bursts_pace_s = pace.pace_s
        self._paces_judged.add(meter.name)  # (its pace is its bursts': no advice on it from now on)
        # (five readings at a TelePeriod of 10 s, Tasmota's least, as _judge_pace advises: said unless set already)
        timeout_s = 5.0 * TASMOTA_LEAST_TELEPERIOD_S
        then = (f", then [evaluate] meter_timeout = {timeout_s:.0f} (five of its readings)"
                if self._meter_timeout_s < timeout_s else "")
        # (its pace told before, from gaps that were all as long: that advice is replaced, not added to)
        advised_s = self._paces_advised.get(meter.name)
        instead = (f" This replaces the meter_timeout = {advised_s:.0f} advised before from its pace, which was its "
                   f"gaps'." if advised_s is not None else "")
        # ("nothing for 11 to 11 s" when its gaps were all as long)
        gaps_said = (f"{pace.shortest_gap_s:.0f} s" if f"{pace.shortest_gap_s:.0f}" == f"{pace.longest_gap_s:.0f}"
                     else f"{pace.shortest_gap_s:.0f} to {pace.longest_gap_s:.0f} s")
        log.warning("%s meter reads at an irregular pace: every %.1f s at times, then nothing for %s, %d "
                    "times in %.0f min; each gap over [evaluate] meter_timeout (%g s) suspends the regulation (every "
                    "load not forced to 0 W) until its next reading. A Tasmota energy meter with PowerDelta set reads "
                    "so (a reading at each change of power over the delta, else one every TelePeriod: none while "
                    "the power is steady, until the TelePeriod or the loads' cut): set PowerDelta 0 and TelePeriod "
                    "%.0f on it (a reading every %.0f s)%s. Another meter: make it read every few seconds, without "
                    "fail. (A meter_timeout over its gaps would leave every load as it was that long after the meter "
                    "died.)%s", meter.name, pace.pace_s,
                    gaps_said, pace.gaps, pace.over_s / 60.0, self._meter_timeout_s,
                    TASMOTA_LEAST_TELEPERIOD_S, TASMOTA_LEAST_TELEPERIOD_S, then, instead)

    def _no_mains_restored(self, meter: MeterState, payload: bytes, now: float,
                           problem: MeterProblem) -> MeterReading | MeterProblem:
        """A reading under the mains voltage from the house meter whose mains_seen was restored: still refused at 0 W
        (a PZEM without mains), but a reading with watts in it is a meter whose voltage field measures nothing (one
        put in while PySEB was stopped): the flag is dropped and the reading judged on its power, as at a first
        start."""
        reading = parse_meter_payload(payload, self._json_power, now, self._max_meter_power_w, Voltage.READ)
        if not isinstance(reading, MeterReading) or reading.power_w <= 0:
            return problem
        meter.mains_seen = meter.mains_restored = False
        log.warning("the house meter reads %.0f W at %s V: its voltage field measures nothing (a meter other than "
                    "the one that read the mains before the restart?); its readings are judged on their power",
                    reading.power_w, f"{reading.voltage_v:g}" if reading.voltage_v is not None else "no")
        return reading

    def _zero_refused(self, meter: MeterState, now: float) -> bool:
        """Whether the house meter's 0 W reading at `now` is refused. The house meter sees the diverted loads: with
        them drawing, it cannot read 0 W. A PZEM reads 0.00 W with its current clamp off the line (its voltage
        still moving, so not frozen): taken as a house using nothing, it showed all of production as export, and
        every load stayed on all night. Refused, it goes stale after meter_timeout like a silent meter, every load
        to 0 W; and its 0 W readings stay refused for ZERO_LATCH_S, the loads off or not (else the loads would
        go on again at once, and off meter_timeout later, over and over). Then one is taken again: with the
        loads off, a house of a few watts reads 0 W on a PZEM (under ~5 W), and a tank that filled in such a
        house, its heater still believed drawing, must not stop the regulation for good."""
        since = meter.zero_refused_since
        if since is not None and 0 <= now - since < ZERO_LATCH_S:
            return True
        if self._loads_w() <= ZERO_HOUSE_LOADS_W:
            return False
        meter.zero_refused_since = now  # a new run (or the latch over, the loads drawing: a new latch)
        return True

    def _swap_hint(self, now: float) -> str:
        """The meters' topics swapped, as another cause of the house meter's 0 W at `now`, when the production meter
        reads then what a house meter would: at least SHOWN_FROM of what the loads are believed to draw. At night the
        swap shows so (the PV meter at 0 W read as the house's), and the swap watch (core/meter_swap.py) sees it only
        once the house draws more than the sun; a clamp off the line by day reads so too, so both causes are named.
        '' when the production meter's reading cannot be the house's (under the loads' watts) or is not fresh."""
        production, loads_w = self._by_label["production"], self._loads_w()
        last = production.last
        if (last is None or loads_w <= ZERO_HOUSE_LOADS_W or not 0.0 <= now - last.received_at < self._meter_timeout_s
                or last.power_w < SHOWN_FROM * loads_w):
            return ""
        return (f" Or are [mqtt] topic_cons and topic_prod swapped? The production meter ({production.topic}) reads "
                f"{last.power_w:.0f} W meanwhile, as the house's would with the loads believed at {loads_w:.0f} W")

    def boot(self, topic: str, payload: bytes, retained: bool = False) -> MeterState | None:
        """A message on one of `boots`' topics: the meter it says booted, if one of the two (a load's own meter
        booting is only logged). `retained`: the broker's copy of a boot from before PySEB connected, no boot now."""
        label = self.boots.who(topic, payload)
        if retained and label is not None:
            # (taken for a boot at every connect, a meter running for weeks was said booted and counted so: silent
            # later, it was silent "since it booted". What it says of the meter, its srate, is still true)
            log.info("ignoring a retained boot message of the %s meter on %s: sent when it started, before PySEB "
                     "connected, and kept by the broker: not a boot now", label, topic, extra={"limit_key": topic})
            self._check_period(f"{label} meter", topic, payload)
            return None
        meter = self._by_label.get(label or "")
        if meter is not None:
            self._booted(meter, payload)
        elif label is not None:
            # (its srate not warned of: a load's own meter is silent after five of its readings when that is longer
            # than meter_timeout, OwnMeterWatch.infers)
            log.info("%s meter booted", label, extra={"limit_key": topic})
        return meter

    def _booted(self, meter: MeterState, payload: bytes) -> None:
        # The boot is no sign of a reading: the meter's age keeps running (the regulator makes sure no
        # decision uses a reading from before the boot).
        meter.boots += 1
        log.info("%s meter booted; it counts as fresh after its next good reading", meter.name,
                 extra={"limit_key": meter.topic})  # a boot message is anyone's to send: bounded in the log
        self._check_period(f"{meter.name} meter", meter.topic, payload)

    def _check_period(self, meter: str, topic: str, payload: bytes) -> None:
        # A PZEM's reading period is set in the module (srate) and said in its boot message only: at meter_timeout
        # or more, the meter is stale before each next reading, with no word of why but "silent".
        period_s = pzem_reading_period_s(payload)
        if period_s is not None and period_s >= self._meter_timeout_s:
            log.warning("%s reads every %g s (its srate, from its boot message): not under [evaluate] meter_timeout "
                        "(%g s), it goes stale before each next reading, every load to 0 W; lower its srate or raise "
                        "meter_timeout", meter, period_s, self._meter_timeout_s, extra={"limit_key": topic + " srate"})

    def _advice(self, meter: MeterState, kind: str, payload: bytes) -> str:
        """What to change, for a meter's first refusal of a kind a config or a wiring causes ('' for the others): a
        reading without the JSON field, a power below 0. Said in the warning alone: the stale reason and the status
        keep the short detail."""
        if kind == "missing_power":
            return missing_field_advice(payload, self._json_power, "[mqtt] json_power")
        if kind != "negative_power":
            return ""
        if meter is self._consumption:
            return ("; the house meter reads both ways, so it is not where PySEB needs it: on the house's side "
                    "of where the PV inverter joins the line, it reads what the house and the loads draw, 0 W or "
                    "more (PySEB takes consumption - production for the grid); below 0, it is on the grid's side, "
                    "reading the export, or its clamp is the wrong way round")
        return ("; the production meter reads both ways and its clamp is the wrong way round on the inverter's line: "
                "turn it over (or set the device to count the other way), so that the sun reads 0 W or more")

    def _report(self, topic: str, detail: str, kind: str, advice: Callable[[], str] = str) -> None:
        key = (topic, kind)
        if key in self._reported:
            log.debug("dropped message on %s: %s", topic, detail)
        else:
            self._reported.add(key)
            log.warning("dropped message on %s: %s%s (further ones of this kind are logged at DEBUG)", topic,
                        detail, advice())
