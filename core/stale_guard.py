"""The stale-meter guard, apart from the regulator: a decision on an old reading is a guess, so when either
meter has been silent (or frozen: the very same message again and again) for [evaluate] meter_timeout,
regulation stops and every unforced load goes to 0 W until both meters are fresh again. Only the meters'
ages and the loads are needed to judge it, so it lives here and the regulator only asks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from core.meters import MeterState
from equipments.base import Equipment
from equipments.unknown import UnknownEquipment
from values.durations import spoken_duration
from values.readings import CLOCK_STEP_BACK_S, stepped_back

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("core.regulator")


def _frozen_hint(ages: list[str]) -> str:
    """How a frozen meter was told, for the warning: an owner feeding readings by hand (mosquitto_pub, the same
    payload each time) met "frozen" with nothing on why, nor what to change. The status keeps the short reason."""
    if not ages:
        return ""
    return (f" (frozen: the very same bytes again for {' and '.join(ages)}; a real meter's readings always differ, "
            "its voltage or energy counter moves: readings sent by hand, e.g. with mosquitto_pub, must vary from one "
            "to the next, or set [evaluate] frozen_meter = false)")


class StaleGuard:
    """Both meters' freshness against `timeout_s`; `reason` says why regulation is suspended, if it is."""

    def __init__(self, consumption: MeterState, production: MeterState, loads: Sequence[Equipment],
                 timeout_s: float) -> None:
        self._consumption = consumption
        self._production = production
        self._loads = loads
        self._timeout_s = timeout_s
        self._started_at: float | None = None
        self.reason: str | None = None  # why regulation is suspended (a silent or frozen meter)
        self._silent: tuple[str, ...] = ()  # the meters `reason` names
        self._unheard_named: tuple[str, ...] = ()  # those of them it names as never heard since the connect
        # Each named meter's reading count when it was named: it stays stale until a reading comes after that (a
        # clock stepped back restarts the ages, and resumed the regulation on an hour-old house reading).
        self._counts_when_named: dict[str, int] = {}
        # How long the regulation has been suspended, for the resume to say it: the time between checks summed
        # (a clock stepped back adds nothing, rather than an hour less, or minus an hour, since the suspension).
        self._suspended_s = 0.0
        self._checked_at = 0.0
        # Since when the link to the broker is up (None: down, or no shell to say it), and each meter's message
        # count then: a meter with none since, the link up long enough for it to speak, is one PySEB does not get.
        # (Half of meter_timeout: at least two readings of a meter publishing every 2 s under the default 10 s; the
        # whole of it missed the first start, where the timers start the regulator a few ms before the connect.)
        self._connected_at: float | None = None
        self._messages_at_connect: dict[str, int] = {}
        # Suspended for the rest of the run (latch): a mistake of the config no reading can undo
        self._latched = False

    def start(self, now: float) -> None:
        """The regulator starts at `now`: a meter never read is as old as that."""
        self._started_at = now

    def link_up(self, now: float) -> None:
        """The shell connected to the broker (again) at `now`."""
        self._connected_at = now
        self._messages_at_connect = {meter.name: meter.messages for meter in (self._consumption, self._production)}

    def link_down(self) -> None:
        """The link to the broker dropped: a meter silent meanwhile could not be heard."""
        self._connected_at = None

    def _unheard(self, meter: MeterState, now: float) -> str:
        """Why `meter` may be silent, when it gave not one message (usable or not) since the connect, the link up
        for half of meter_timeout at least: the subscription is granted by a broker whose ACL refuses the reading
        (mosquitto drops such messages without a word) as by a topic nobody publishes on; else ''."""
        if (self._connected_at is None or now - self._connected_at < self._timeout_s / 2
                or meter.messages != self._messages_at_connect.get(meter.name)):
            return ""
        # (kept out: mosquitto 2 with no listener line, a fresh Debian install's, takes this machine's clients only;
        # PySEB on the same Pi connects, its meters on the Wi-Fi do not)
        return (f" (no message on {meter.topic!r} since PySEB connected to the broker: the meter off, kept out by the "
                "broker (mosquitto 2 lets other machines in only with a listener line: a fresh install's does not) or "
                "on another topic, or the broker's ACL does not let PySEB read it)")

    def check(self, now: float) -> bool:
        """Judge both meters at `now`. True when the verdict changed: suspended (`reason` set, every unforced
        load commanded to 0 W) or resumed (`reason` None)."""
        if self._latched:
            return False  # (suspended until a restart: fresh meters change nothing)
        timeout_s = self._timeout_s
        cons, prod = self._consumption.last, self._production.last
        # (a reading more than CLOCK_STEP_BACK_S ahead of `now` is from before the clock stepped back: not fresh)
        if (self.reason is None and cons is not None and prod is not None
                and -CLOCK_STEP_BACK_S <= now - cons.received_at < timeout_s
                and -CLOCK_STEP_BACK_S <= now - prod.received_at < timeout_s):
            return False  # the usual case, on every message: both fresh, nothing to do
        return self._judge(now)

    def _judge(self, now: float) -> bool:
        """`check`'s verdict when a meter is not fresh or the regulation is suspended. (A method of its own: its
        comprehension reads `self` and `names`, which made them cells, made anew at every check, twice a reading.)"""
        timeout_s = self._timeout_s
        assert self._started_at is not None
        if self.reason is not None:
            self._suspended_s += max(0.0, now - self._checked_at)
        self._checked_at = now
        self._restart_ages_after_a_step_back(now)
        silent, names, unheard, frozen = [], [], [], []
        for meter in (self._consumption, self._production):
            age = meter.age_s(now)
            if age is None:
                age = now - self._started_at
            no_reading_since_named = meter.count <= self._counts_when_named.get(meter.name, -1)
            if age >= timeout_s or no_reading_since_named:  # at the deadline itself: "within meter_timeout"
                if meter.repeats:
                    how = f"frozen for {age:.0f} s (the same message {meter.repeats} times)"
                    frozen.append(f"{age:.0f} s")
                elif meter.refused:
                    how = (f"without a usable reading for {age:.0f} s ({meter.refused} message(s) refused, the "
                           f"last: {meter.last_refusal})")
                elif meter.boots:
                    how = (f"without a reading for {age:.0f} s, booted {meter.boots} time(s) meanwhile (restarting "
                           "again and again: its supply, its Wi-Fi?)" if meter.boots > 1 else
                           f"without a reading for {age:.0f} s, since it booted")
                else:
                    hint = self._unheard(meter, now) or meter.silence_hint
                    how = f"silent for {age:.0f} s{hint}"
                    if hint:
                        unheard.append(meter.name)
                silent.append(f"{meter.name} meter {how}")
                names.append(meter.name)
        self._counts_when_named = {meter.name: self._counts_when_named.get(meter.name, meter.count)
                                   for meter in (self._consumption, self._production) if meter.name in names}
        if silent and self.reason is None:
            self.reason, self._silent, self._unheard_named = "; ".join(silent), tuple(names), tuple(unheard)
            self._suspended_s = 0.0
            log.warning("%s: every unforced load to 0 W until both meters are fresh%s", self.reason,
                        _frozen_hint(frozen))
            self._unforced_off(now, self.reason)
            return True
        if silent and (tuple(names) != self._silent or tuple(unheard) != self._unheard_named):
            # Still suspended, but the other meter fell silent too (or one came back), or a silent one has now
            # been unheard long enough since a reconnect: a new verdict, for the status to say so (a
            # dashboard's "meter stale" reads it: no other status comes while suspended).
            self.reason, self._silent, self._unheard_named = "; ".join(silent), tuple(names), tuple(unheard)
            log.info("still suspended: %s", self.reason)
            return True
        if not silent and self.reason is not None:
            log.info("both meters fresh again after %s suspended: regulation resumes",
                     spoken_duration(self._suspended_s))
            self.reason, self._silent, self._unheard_named = None, (), ()
            return True
        return False

    def latch(self, reason: str, now: float) -> None:
        """Suspend the regulation until PySEB is restarted, for `reason`: a mistake of the config that fresh meters do
        not undo (the meters' topics swapped, core/meter_swap.py: regulated, every load switched on looked like more
        export, and the loop ran the loads to their max, importing it all). Every unforced load to 0 W, as for a
        silent meter; the status says why."""
        if self._latched:
            return
        self._latched, self._suspended_s, self._checked_at = True, 0.0, now
        self.reason, self._silent, self._unheard_named = reason, (), ()
        self._unforced_off(now, reason)

    def _unforced_off(self, now: float, reason: str) -> None:
        """Every unforced load to 0 W for `reason`, as a suspension does."""
        for load in self._loads:
            if not load.is_forced():
                # Every one, even believed at 0 W: a relay may be on while its power is unknown.
                load.set_power(0.0, now, reason)
            if isinstance(load, UnknownEquipment):
                # (forced ones too: a step measured across the suspension, on or off, holds the house's moves)
                load.forget_the_house()

    def _restart_ages_after_a_step_back(self, now: float) -> None:
        """The clock stepped back (NTP, set by hand): a reading stamped after `now` would keep a negative age
        for the whole step, and a meter falling silent then counted as fresh that long (an hour's step left the
        heater at 99 % for an hour with the production meter dead). Its age, and the start's, restart now."""
        for meter in (self._consumption, self._production):
            if meter.last is not None and stepped_back(now, meter.last.received_at):
                meter.last = replace(meter.last, received_at=now)
        if self._started_at is not None and stepped_back(now, self._started_at):
            self._started_at = now

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing (the shell's steady clock says so): each
        reading keeps its age, the start and the connection theirs. Taken for an hour's silence, the jump suspended
        the regulation: every load cut, a relay off and held off by its dwell, at the next reading."""
        for meter in (self._consumption, self._production):
            if meter.last is not None:
                meter.last = replace(meter.last, received_at=meter.last.received_at + step_s)
        if self._started_at is not None:
            self._started_at += step_s
        if self._connected_at is not None:
            self._connected_at += step_s
        self._checked_at += step_s  # (a suspension does not last the jump longer)

    def deadlines(self) -> list[float]:
        """When each meter goes stale if it stays silent (none before start; while suspended, the meters
        not yet named in `reason`)."""
        if self._started_at is None:
            return []
        started_at = self._started_at
        return [(meter.last.received_at if meter.last is not None else started_at) + self._timeout_s
                for meter in (self._consumption, self._production) if meter.name not in self._silent]
