"""The hourly re-check of a tank found full: its thermostat closes again after showers or as the water cools, and the
daily clear alone left it without the sun until midnight. An hour after it was found full, while the house exports at
least the heater's floor (`least_on_w`, 100 W at the least), counting what the variable loads after it draw (the
regulation sheds them for it), the heater is commanded that floor, still out of the allocation: the readings that follow
tell whether it draws (its own meter, or the house less the other loads). Drawing, its flag is lifted and the allocation
gives it the surplus by its priority; not drawing, it is full for another hour.

Why a probe and not the flag lifted at once: the closed loop gives a heater back in the allocation what it could use,
the relays after it switched off for it, each for its min_off_s, while the re-probe finds a tank still full (two
minutes): lifted only when the house exported the heater's whole max_power, the relays kept the surplus and a tank
reheated after midday showers waited for the clear at midnight. The probe's floor comes from the export (or from a
variator after it, a reading's import until the next decision gives it back), so a tank still full costs two readings of
an export it did not take, and no relay is switched for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RECHECK_FULL_S = 3600.0
# The export seen at a decision at most this old counts (a meter silent since tells nothing of the sun).
RECHECK_EXPORT_AGE_S = 60.0
BASELINE_LEAD_S = 120.0  # the house readings kept from this long before a re-check is due (a meter every 40 s: three)
PROBE_FLOOR_W = 100.0  # a heater's floor under it is probed at this: a step the house meter tells from its noise
DRAW_SHARE = 0.5  # a reading shows the probe drawn when it rose by this share of the probe's watts
VERDICT_READINGS = 2  # readings in a row alike that decide (a kettle's blip in one of them decides nothing)
PROBE_TIMEOUT_S = 60.0  # no verdict in this long (the meters silent): given up
# (or `settle` and this many gaps of the meter that judges, when longer: two readings after `settle` take up to three)
PROBE_TIMEOUT_GAPS = VERDICT_READINGS + 1
# A probe given up without a verdict is tried again this much later, not an hour: it told nothing of the tank (its meter
# silent, its variator rebooting or off the network, the house too restless to read a step in). Long enough for what
# kept it from deciding to pass (a variator's reboot, 10 to 30 s; an own meter said silent after meter_timeout, the
# house then judging), short against the hour a tank reheating would lose. Each further probe in a row with no verdict
# waits twice as long, up to the hour a tank found still full waits (RECHECK_FULL_S): what kept them from deciding
# lasts (a variator off the network all afternoon, a hob pulsing through a meal, a house meter every 40 s under a
# restless house), and a probe every six minutes all day cost the loads after the heater its floor for a minute in six
# (each probe takes it from them when the export falls short, a reading's import of it until the next decision gives
# it back) and the log two lines each time, some 180 a day, for no more verdict than hourly probes gave.
PROBE_RETRY_S = 300.0


@dataclass
class _Probe:
    started_at: float
    probe_w: float
    baseline_w: float | None  # the house less the other loads at the reading before it, None without a steady one
    others_w: float  # what the other loads switched on or off were believed to draw at that reading
    timeout_s: float  # no verdict in this long: given up
    drew: int = 0
    missed: int = 0
    missed_from: float | None = None  # the first reading of the run of misses
    readings: int = 0  # readings judged (none: its meter silent)
    unconfirmed: bool = False  # a run of misses its load was not known to be at its command for


def _at_command(since: float) -> bool:
    """Whether the load is known at the probe's command from `since` on: taken so when nothing tells (a caller that
    does not know its variator's answers)."""
    return True


class FullTankRecheck:
    """When each load was found full and its re-check is due, the export the last decision left, and the probes under
    way, by load name."""

    def __init__(self, settle_s: float, speed: float = 1.0) -> None:
        """`speed`: the live demo's (its house that many times faster than the daemon's clock): the waits divided by
        it, as the full-tank inference's are (at 3600 s, the demo's tank was re-checked ten simulated hours later)."""
        self.settle_s = settle_s  # a reading this soon after the probe's command may not show it yet
        self.recheck_s = RECHECK_FULL_S / speed
        self._export_age_s = RECHECK_EXPORT_AGE_S / speed
        self._timeout_s = PROBE_TIMEOUT_S / speed
        self.retry_s = PROBE_RETRY_S / speed
        self._lead_s = BASELINE_LEAD_S / speed
        self._full_at: dict[str, float] = {}
        self._due_at: dict[str, float] = {}  # (an hour after found full, or sooner after a probe given up)
        self._first_due_at: float | None = None  # the soonest re-check (the tick asks at every loop)
        # True while some load found full waits for its re-check (the usual day has none: nothing to do; a plain
        # attribute, read at every reading and tick)
        self.waiting = False
        self._export: tuple[float, float] | None = None  # (when, watts exported net of what that decision gave)
        # A full load's last two house readings less the other loads, each with what the loads switched on or off among
        # them were believed to draw
        self._house: dict[str, tuple[tuple[float, float], ...]] = {}
        self._probes: dict[str, _Probe] = {}
        self._no_verdicts: dict[str, int] = {}  # probes in a row given up with no verdict, by load name

    def busy(self, now: float) -> bool:
        """True while a probe runs or a re-check is due: the tick's question, answered cheaply the rest of the hour."""
        return bool(self._probes) or (self._first_due_at is not None and now >= self._first_due_at)

    def baseline_due(self, now: float) -> bool:
        """True from BASELINE_LEAD_S before a re-check is due: the house readings its probe's baseline is taken from are
        kept from then (not all the hour: each reading of a full tank's house)."""
        return bool(self._probes) or (self._first_due_at is not None and now >= self._first_due_at - self._lead_s)

    def found_full(self, name: str, now: float, due_at: float | None = None) -> None:
        """`name` found full (or found so again) at `now`: re-checked `recheck_s` after (or at `due_at`, a restored
        status's)."""
        self._full_at[name] = now
        self._due_at[name] = now + self.recheck_s if due_at is None else due_at
        self._probes.pop(name, None)
        self._no_verdicts.pop(name, None)
        self._house.pop(name, None)
        self._due_again()

    def found_at(self, name: str) -> float | None:
        return self._full_at.get(name)

    def due_at(self, name: str) -> float | None:
        """When `name`'s re-check is due (it then waits for the export), None when it awaits none."""
        return self._due_at.get(name)

    def forget(self, name: str) -> None:
        """`name` is no longer full (cleared, or its probe found it drawing)."""
        self._full_at.pop(name, None)
        self._due_at.pop(name, None)
        self._probes.pop(name, None)
        self._house.pop(name, None)
        self._no_verdicts.pop(name, None)
        self._due_again()

    def abandon(self, name: str) -> bool:
        """`name`'s probe ended with no verdict by something else than the probe (a force, the water heater's mode, its
        variator's gate, the regulation suspended): re-checked at the next chance, its due time kept, on a baseline of
        two readings after it (the last ones were from before the probe: a force since, the house moved). True when a
        probe ran."""
        if self._probes.pop(name, None) is None:
            return False  # (a command of its own, the probe's: its baseline kept)
        self._house.pop(name, None)
        return True

    def clock_stepped_back(self, step_s: float) -> None:
        """The wall clock stepped back by `step_s` with no time passing: each re-check keeps the wait it had left (on
        the old clock, an hour's step back put it off an hour), the export seen is no longer dated right (a decision
        sees another soon). A probe under way times out on the new clock (`expired`), tried again soon."""
        self._full_at = {name: at - step_s for name, at in self._full_at.items()}
        self._due_at = {name: at - step_s for name, at in self._due_at.items()}
        self._export = None
        self._due_again()

    def give_up(self, name: str, now: float) -> tuple[str, float]:
        """`name`'s probe had no verdict in its time: re-checked `retry_s` after `now`, not an hour (it told nothing of
        the tank), twice as long after each further one in a row, up to `recheck_s` (PROBE_RETRY_S). Returns why, for
        the log, and the wait."""
        probe = self._probes.pop(name, None)
        given_up = self._no_verdicts.get(name, 0) + 1
        wait_s = min(self.retry_s * 2.0 ** min(given_up - 1, 30), self.recheck_s)
        if name in self._full_at:
            self._no_verdicts[name] = given_up
            self._due_at[name] = now + wait_s
            self._due_again()
        if probe is None or not probe.readings:
            return "no reading of the meter that judges it", wait_s
        if probe.unconfirmed:
            return "its variator did not answer: rebooting, or off the network, it may have drawn nothing", wait_s
        return "no two readings in a row alike", wait_s

    def no_verdicts(self, name: str) -> int:
        """How many of `name`'s probes in a row were given up with no verdict (0: its last one had one, or none ran)."""
        return self._no_verdicts.get(name, 0)

    def _due_again(self) -> None:
        self._first_due_at = min(self._due_at.values()) if self._due_at else None
        self.waiting = bool(self._full_at)

    def note_export(self, export_w: float, now: float) -> None:
        self._export = (now, export_w)

    def forget_export(self) -> None:
        """The export seen is no longer news (the regulation suspended): no probe until a decision sees one again."""
        self._export = None

    def note_house(self, name: str, house_w: float, others_w: float) -> None:
        """A house reading less the other loads (those switched on or off believed to draw `others_w`), while `name` is
        full: the baseline of its probe."""
        if name in self._full_at:
            self._house[name] = (*self._house.get(name, ())[-1:], (house_w, others_w))

    def forget_house(self, name: str) -> None:
        """`name`'s house readings are no baseline (another heater's belief in doubt in them)."""
        self._house.pop(name, None)

    def due(self, name: str, floor_w: float, now: float, lower_w: Callable[[], float] = lambda: 0.0) -> float | None:
        """The export to probe `name` on (with `lower_w()`, what the loads it comes before may give back, asked only
        when the export alone falls short: its floor `floor_w` or more, seen lately) once its hour is up, else None."""
        due_at = self._due_at.get(name)
        export = self._export
        if due_at is None or name in self._probes or now < due_at or export is None:
            return None
        if not 0.0 <= now - export[0] <= self._export_age_s:
            return None
        if export[1] < floor_w and export[1] + lower_w() < floor_w:  # (the loads after it counted only when needed)
            return None
        return export[1]

    def steady(self, name: str, probe_w: float) -> bool:
        """Whether the last two house readings less the other loads agree within what a probe of `probe_w` must move
        them by: a baseline to measure its step from (a house stepping is none)."""
        readings = self._house.get(name, ())
        return len(readings) == 2 and abs(readings[1][0] - readings[0][0]) < DRAW_SHARE * probe_w

    def start(self, name: str, probe_w: float, now: float, pace_s: float | None = None) -> None:
        """`name` commanded `probe_w` at `now` for its probe, judged by a meter read every `pace_s` (None: unknown).
        Its baseline: the last house reading less the other loads, if steady (else its own meter judges it)."""
        readings = self._house.get(name, ())
        timeout_s = self._timeout_s if pace_s is None else max(self._timeout_s,
                                                                self.settle_s + PROBE_TIMEOUT_GAPS * pace_s)
        house_w, others_w = readings[-1] if readings else (0.0, 0.0)
        self._probes[name] = _Probe(now, probe_w, house_w if self.steady(name, probe_w) else None, others_w, timeout_s)

    def probing(self, name: str) -> bool:
        return name in self._probes

    def probe_w(self, name: str) -> float:
        return self._probes[name].probe_w

    def probe_since(self, name: str) -> float:
        return self._probes[name].started_at

    def baseline_w(self, name: str) -> float | None:
        probe = self._probes.get(name)
        return None if probe is None else probe.baseline_w

    def judge_house(self, name: str, house_w: float, others_w: float, now: float,
                    at_command: Callable[[float], bool] = _at_command) -> bool | None:
        """A house reading less the other loads (those switched on or off believed to draw `others_w`) during `name`'s
        probe: True once it shows the probe drawn, False once it shows it not, None while undecided (or no baseline:
        the probe times out). Not while the switched loads' beliefs stand away from where they stood at its baseline
        by half the step it looks for: their error is in the house less them (a radiator switched on during a probe,
        drawing 1100 W for its label's 1000 W, was read as a tank full drawing the probe's 140 W); such a reading
        breaks the run. (A variator's belief follows its curve: the one after the heater gives the probe back its
        watts at the next decision.) `at_command(since)`: whether the load is known at the probe's command from `since`
        on (its variator answered since, and has not rebooted since the probe began): readings drawing nothing decide
        only then (a variator rebooting draws nothing, its boot said after the readings)."""
        probe = self._probes.get(name)
        if probe is None or probe.baseline_w is None:
            return None
        if abs(others_w - probe.others_w) >= DRAW_SHARE * probe.probe_w:
            probe.drew, probe.missed, probe.missed_from = 0, 0, None
            return None
        return self._judge(probe, house_w - probe.baseline_w, now, at_command)

    def judge_meter(self, name: str, measured_w: float, now: float,
                    at_command: Callable[[float], bool] = _at_command) -> bool | None:
        """A reading of `name`'s own meter during its probe: as judge_house."""
        probe = self._probes.get(name)
        return None if probe is None else self._judge(probe, measured_w, now, at_command)

    def _judge(self, probe: _Probe, drawn_w: float, now: float, at_command: Callable[[float], bool]) -> bool | None:
        if now - probe.started_at < self.settle_s:
            return None  # (may not show the command yet)
        probe.readings += 1
        if drawn_w >= DRAW_SHARE * probe.probe_w:  # (in a row: a hob pulsing at every reading decides nothing)
            probe.drew, probe.missed, probe.missed_from = probe.drew + 1, 0, None
        else:
            probe.drew, probe.missed = 0, probe.missed + 1
            if probe.missed_from is None:
                probe.missed_from = now
        if probe.drew >= VERDICT_READINGS:
            return True
        if probe.missed >= VERDICT_READINGS:
            if probe.missed_from is not None and at_command(probe.missed_from):
                return False
            probe.unconfirmed = True  # (decided once its variator answers: the next reading; else it times out)
        return None

    def asks(self, name: str, now: float) -> bool:
        """True when the reading at `now` began a run of `name`'s probe drawing nothing: its variator is asked whether
        it is at its command (its answer lets that run decide)."""
        probe = self._probes.get(name)
        return probe is not None and probe.missed == 1 and probe.missed_from == now

    def expired(self, name: str, now: float) -> bool:
        """True when `name`'s probe has waited its timeout for a verdict (or the clock stepped back under it)."""
        probe = self._probes.get(name)
        return probe is not None and not 0.0 <= now - probe.started_at <= probe.timeout_s

    def status(self, name: str) -> dict[str, Any] | None:
        """`name`'s re-check for the status document: when due, and its probe if one runs (since when, at what
        watts); None when it awaits none (not full, or full until a fallback's force ends)."""
        due_at = self._due_at.get(name)
        if due_at is None:
            return None
        probe = self._probes.get(name)
        return {"due_at": due_at, "probe_since": None if probe is None else probe.started_at,
                "probe_w": None if probe is None else probe.probe_w}

