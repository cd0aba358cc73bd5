"""A meter read at an irregular pace (a Tasmota energy meter with PowerDelta set: a reading at each change of power
over the delta, else one every TelePeriod): bursts of readings every 2 s, then minutes without one while the power is
steady. Its pace is its bursts', so the advice on a slow meter never came, and each gap suspended the regulation, with
nothing said of why (found by a bug hunt: 108 suspensions in six hours, the loads off 90 % of the time). It is said
once a run, with how to set the device; the regulation is still suspended in each gap (core/irregular_pace.py: a quiet
meter cannot be told from a dead one)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.irregular_pace import IrregularPace, IrregularPaceWatch
from core.meters import MeterState
from tests.configs import reading, write_config
from tests.harness import CONS, NOON, PROD, Harness
from values.readings import MeterReading

BURST = 4  # readings 2 s apart at each change of power
GAPS_S = (60.0, 300.0, 120.0)  # then nothing until the next change, or the TelePeriod (300 s)


def irregular_times(start: float, hours: float) -> Iterator[float]:
    """A PowerDelta meter's reading times: BURST readings 2 s apart, then a gap of GAPS_S, again and again."""
    now, k = start, 0
    while now < start + hours * 3600.0:
        for _ in range(BURST):
            yield now
            now += 2.0
        now += GAPS_S[k % len(GAPS_S)] - 2.0
        k += 1


def irregular_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "reads at an irregular pace" in r.getMessage()]


@pytest.mark.parametrize("irregular", ["consumption", "production"])
def test_a_meter_read_in_bursts_then_minutes_apart_is_said_once_and_still_cuts_the_loads_in_each_gap(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, irregular: str) -> None:
    h = Harness(write_config(tmp_path, ("radiator",)))
    caplog.set_level(logging.INFO)
    h.reg.tick(NOON)
    times = set(irregular_times(NOON, 6.0))
    steady, quiet = (PROD, CONS) if irregular == "consumption" else (CONS, PROD)
    last_quiet, suspended_after_s = NOON, []
    for s in range(6 * 3600):
        now = NOON + s
        if s % 2 == 0:
            h.reg.handle(steady, reading(1800.0 if steady == PROD else 300.0), now)
        if now in times:
            h.reg.handle(quiet, reading(1800.0 if quiet == PROD else 300.0), now + 0.01)
            last_quiet = now + 0.01
        was = h.reg.stale_reason
        h.reg.tick(now + 0.5)
        if was is None and h.reg.stale_reason is not None:
            suspended_after_s.append(now + 0.5 - last_quiet)
    # Said once in six hours, at the third gap (the first three: 60, 300 and 120 s, the first begun 6 s in).
    assert irregular_lines(caplog) == [
        f"{irregular} meter reads at an irregular pace: every 2.0 s at times, then nothing for 60 to 300 s, 3 times "
        f"in 8 min; each gap over [evaluate] meter_timeout (10 s) suspends the regulation (every load not forced to "
        f"0 W) until its next reading. A Tasmota energy meter with PowerDelta set reads so (a reading at each change "
        f"of power over the delta, else one every TelePeriod: none while the power is steady, until the TelePeriod or "
        f"the loads' cut): set PowerDelta 0 and TelePeriod 10 on it (a reading every 10 s), then [evaluate] "
        f"meter_timeout = 50 (five of its readings). Another meter: make it read every few seconds, without fail. (A "
        f"meter_timeout over its gaps would leave every load as it was that long after the meter died.)"]
    # The safety is as it was: each gap over meter_timeout suspends the regulation, at meter_timeout (a tick a second).
    gaps = len([t for t in times if t + 2.0 not in times and t + 11.0 < NOON + 6 * 3600])  # (each burst's last)
    assert len(suspended_after_s) == gaps > 100
    assert all(10.0 <= after_s < 11.0 for after_s in suspended_after_s)


def test_a_meter_that_already_has_a_long_meter_timeout_is_not_told_to_set_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(write_config(tmp_path, ("radiator",), meter_timeout=50))
    caplog.set_level(logging.WARNING)
    times = set(irregular_times(NOON, 1.0))
    for s in range(3600):
        if s % 2 == 0:
            h.reg.handle(PROD, reading(1800.0), NOON + s)
        if NOON + s in times:
            h.reg.handle(CONS, reading(300.0), NOON + s + 0.01)
    [line] = irregular_lines(caplog)
    assert "nothing for 60 to 300 s" in line and "over [evaluate] meter_timeout (50 s)" in line
    assert "set PowerDelta 0 and TelePeriod 10 on it (a reading every 10 s). Another meter" in line


def meter_at(times: list[float], link_drops_before: tuple[int, ...] = ()) -> tuple[MeterState, list[object]]:
    """A meter given a reading at each of `times` (the link dropped before the readings at `link_drops_before`), and
    what the watch (meter_timeout 10 s) said at each."""
    meter, watch, said = MeterState("consumption", CONS), IrregularPaceWatch(10.0), []
    for k, at in enumerate(times):
        if k in link_drops_before:
            meter.link_dropped()
        meter.accept(MeterReading(300.0, at))
        if (gap_s := meter.last_gap_s) is not None and gap_s >= 10.0:  # (as MeterIntake.take calls it)
            said.append(watch.reading(meter, gap_s, at))
    return meter, [s for s in said if s is not None]


def test_a_meter_that_loses_its_readings_now_and_then_is_not_said_irregular() -> None:
    # A PZEM every 2 s whose Wi-Fi drops it for 15 s twice in two hours: two suspensions, said as silences, no pace.
    times = [NOON + 2.0 * k for k in range(3600)]
    times = [t for t in times if not NOON + 1000 < t < NOON + 1015 and not NOON + 5000 < t < NOON + 5015]
    assert meter_at(times)[1] == []
    # Three such outages, but over more than two hours.
    late = [t + 7300.0 for t in times if t > NOON + 6000] + [NOON + 7300.0 + 7500.0 + 2.0 * k for k in range(10)]
    assert meter_at(times + late)[1] == []


def test_gaps_across_a_link_that_dropped_or_a_slow_pace_are_not_an_irregular_pace() -> None:
    times = list(irregular_times(NOON, 1.0))
    drops = tuple(k for k in range(1, len(times)) if times[k] - times[k - 1] > 10.0)
    assert meter_at(times, link_drops_before=drops)[1] == []  # (the gaps were the link's: PySEB heard nothing)
    # A meter every 12 s with a reading lost now and then: its pace's own advice tells it (MeterIntake._judge_pace).
    slow = [NOON + 12.0 * k for k in range(600) if k % 50 != 25]
    assert meter_at(slow)[1] == []
    assert meter_at(times)[1] != []  # (the same readings, the link up: irregular)


def test_gaps_ended_by_the_cut_are_an_irregular_pace_and_a_teleperiod_at_meter_timeout_is_not() -> None:
    # Under the closed loop the cut ends each gap (a change the meter reads), the loads back on are read a second later:
    # gaps of 11 s and 1 s in turn, whose median is 11 s at each long gap. Said at the third, at its bursts' pace.
    times = [NOON + 12.0 * (k // 2) + (1.0 if k % 2 else 0.0) for k in range(20)]
    [said] = meter_at(times)[1]
    assert isinstance(said, IrregularPace)
    assert (said.pace_s, said.gaps, said.shortest_gap_s, said.longest_gap_s) == (1.0, 3, 11.0, 11.0)
    # A TelePeriod 10 read at meter_timeout 10, its jitter a few hundredths either way: a steady meter, over half
    # meter_timeout apart, which its pace's own advice tells (MeterIntake._judge_pace), not an irregular one.
    jittered = [NOON + 10.0 * k + (0.05 if k % 2 else 0.0) for k in range(100)]
    assert meter_at(jittered)[1] == []
