"""A house meter that reads on change (a Tasmota energy meter with PowerDelta 150: a reading when the power moved 50 W
since the last one sent, else one every TelePeriod, here 60 s) under the closed loop, the heater regulating, the house
steady. Each silence of meter_timeout cuts the heater; the cut is itself a change the meter reads within a second, the
regulation resumes, the heater goes back on, read a second later, and the meter is silent again: a cut every 12 s, 300
an hour, the gaps 11 s and 1 s in turn. Their median, the meter's pace, was 11 s at each long gap, so the irregular
pace was never said (core/irregular_pace.py waited for a pace under half meter_timeout), nor anything but "silent for
10 s". A meter quiet because the power is steady still cannot be told from a dead one, so each gap still cuts; what
changes is that it is said, once, with what to set, and the status says it at each cut."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.meter_intake import IRREGULAR_SILENCE
from tests.configs import reading
from tests.controller_house import House, closed_loop
from tests.harness import CONS, NOON, PROD, Harness

DELTA_W = 50.0  # PowerDelta 150: 50 W
TELEPERIOD_S = 60.0


class OnChangeMeter:
    """The house meter as a Tasmota with PowerDelta set reads it: its power checked once a second, sent when it moved
    DELTA_W since the last one sent, or TELEPERIOD_S after it."""

    def __init__(self, h: Harness, house: House) -> None:
        self.h, self.house = h, house
        self.sent_w: float | None = None
        self.sent_at = -1e9

    def second(self, now: float) -> bool:
        """The meter's check at `now`; True when it sent a reading."""
        power_w = self.house.base_w + self.house.real_w()
        if self.sent_w is not None and abs(power_w - self.sent_w) < DELTA_W and now - self.sent_at < TELEPERIOD_S:
            return False
        self.h.reg.handle(CONS, reading(power_w), now)
        self.sent_w, self.sent_at = power_w, now
        return True


def run(h: Harness, seconds: int) -> tuple[int, list[str | None]]:
    """The house steady (300 W, the sun 1500 W), the production meter every 2 s, the house meter on change, a tick
    every half second: how many times the regulation was suspended, and the stale reason at each."""
    house = House(h, base_w=300.0, pv_w=1500.0)
    meter = OnChangeMeter(h, house)
    reasons: list[str | None] = []
    for k in range(1, 2 * seconds + 1):
        now = NOON + 0.5 * k
        if k % 4 == 0:
            h.reg.handle(PROD, reading(house.pv_w), now - 0.01)
        if k % 2 == 0:
            meter.second(now)
        was = h.reg.stale_reason
        h.reg.tick(now + 0.001)
        if was is None and h.reg.stale_reason is not None:
            reasons.append(h.reg.stale_reason)
    return len(reasons), reasons


def irregular_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "reads at an irregular pace" in r.getMessage()]


def test_a_house_meter_read_on_change_whose_gaps_the_cut_ends_is_said_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = closed_loop(tmp_path, "ecs")
    caplog.set_level(logging.INFO)
    cuts, reasons = run(h, 3600)
    # The safety is as it was: each silence of meter_timeout cuts the heater (a dead meter looks the same).
    assert cuts > 250
    assert h.load("ecs").current_power_w == 0.0 or h.reg.stale_reason is None
    # Said once, at the third gap, with what the meter showed and what to set.
    [line] = irregular_lines(caplog)
    # (its gaps all as long: "nothing for 11 to 11 s" before)
    assert line.startswith("consumption meter reads at an irregular pace: every 1.0 s at times, then nothing for 11 "
                           "s, 3 times in 1 min; each gap over [evaluate] meter_timeout (10 s) suspends the "
                           "regulation")
    assert "set PowerDelta 0 and TelePeriod 10 on it (a reading every 10 s), then [evaluate] meter_timeout = 50" in line
    # The status's stale reason says it at each cut from then on (a dashboard shows it, not the log).
    hint = "(a meter read at an irregular pace: on a Tasmota, set PowerDelta 0 and TelePeriod 10; see the log)"
    assert reasons[0] is not None and hint not in reasons[0]
    assert all(r == f"consumption meter silent for 10 s {hint}" for r in reasons[4:])
    assert any(hint in (s.get("stale_reason") or "") for s in h.statuses())


def test_a_teleperiod_10_at_meter_timeout_10_cuts_at_each_late_reading_and_its_status_says_what_to_set(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A Tasmota at TelePeriod 10, PowerDelta 0, under the default meter_timeout 10: every other reading 50 ms late
    # (its Wi-Fi), each of those went stale first, every load cut until it came. Said once (its pace's advice); each
    # cut's stale reason said "silent for 10 s" alone, and says now what to set.
    h = closed_loop(tmp_path, "ecs")
    caplog.set_level(logging.INFO)
    house = House(h, base_w=300.0, pv_w=1500.0)
    reasons: list[str] = []
    at = NOON
    for k in range(360):  # an hour
        at += 10.0 + (0.05 if k % 2 else 0.0)
        h.reg.tick(at - 0.05)
        for s in range(5):
            h.reg.handle(PROD, reading(house.pv_w), at - 10.0 + 2.0 * s + 0.5)
        was = h.reg.stale_reason
        h.reg.tick(at - 0.001)
        h.reg.tick(at)
        if was is None and h.reg.stale_reason is not None:
            reasons.append(h.reg.stale_reason)
        h.reg.handle(CONS, reading(house.base_w + house.real_w()), at + 0.001)
    assert len(reasons) > 150  # (the safety as it was: a reading late past meter_timeout is a silence)
    advice = [r.getMessage() for r in caplog.records if "meter reads every 10.0 s" in r.getMessage()]
    assert len(advice) == 1 and "set meter_timeout = 50 (five of its readings) or more" in advice[0]
    hint = "(a meter read every 10.0 s: a reading lost or late is a silence; set [evaluate] meter_timeout = 50)"
    assert reasons[-1] == f"consumption meter silent for 10 s {hint}"
    assert not [r for r in caplog.records if "reads at an irregular pace" in r.getMessage()]


def test_relays_on_a_house_meter_read_on_change_keep_their_dwell_and_an_import_is_cut(tmp_path: Path) -> None:
    # The radiator (1000 W, min_on_s 60, min_off_s 120) under the closed loop, the house meter read on change, the
    # house steady (300 W, the sun 1500 W) but for a cloud (the sun at 800 W) from 4 s after its third switch-on.
    # Each silence of meter_timeout after a switch-on cuts it (safety over its min_on_s); its min_off_s holds it off
    # after each (the cut, then the readings of the change, did not switch it back on at once); the import under the
    # cloud, unseen by a house meter that reads no change, is ended by that cut, within meter_timeout of the house's
    # last reading; the import guard sheds nothing (no decision sees an import).
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 120))
    house = House(h, base_w=300.0, pv_w=1500.0)
    meter = OnChangeMeter(h, house)
    radiator = h.load("radiator")
    switched: list[tuple[float, bool, str | None]] = []  # (when, on, the stale reason then)
    read_at = NOON
    for k in range(1, 2 * 900 + 1):
        now = NOON + 0.5 * k
        ons = [at for at, on, _ in switched if on]
        if len(ons) == 3 and now >= ons[2] + 4.0:
            house.pv_w = 800.0
        if k % 4 == 0:
            h.reg.handle(PROD, reading(house.pv_w), now - 0.01)
        if k % 2 == 0 and meter.second(now):
            read_at = now
        h.reg.tick(now + 0.001)
        if radiator.is_on != (switched[-1][1] if switched else False):
            switched.append((now, radiator.is_on, h.reg.stale_reason))
            if not radiator.is_on and house.pv_w < 1000:
                assert now - read_at <= 10.5  # (the cut, at meter_timeout)
    assert [on for _, on, _ in switched] == [True, False] * 3
    for (off_at, _, _), (on_at, _, _) in zip(switched[1::2], switched[2::2], strict=False):
        assert on_at - off_at >= 120.0
    assert all(reason is not None and "silent for 10 s" in reason for _, on, reason in switched if not on)
    assert h.reg.controller.guard_sheds == 0


def meter_timeout_advice(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "meter_timeout =" in r.getMessage()]


def test_relays_on_a_house_meter_read_on_change_are_told_one_meter_timeout_not_two(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The radiator alone under the closed loop, the house meter read on change: its first gaps, 1, 11 and 60 s, made a
    # pace of 11 s, told "reads every 11.0 s ... set meter_timeout = 55 (five of its readings) or more", then a minute
    # later that it reads at an irregular pace, with meter_timeout = 50 and "a meter_timeout over its gaps would leave
    # every load as it was that long after the meter died": two advices, the first the unsafe one.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 120))
    caplog.set_level(logging.INFO)
    run(h, 900)
    assert [line for line in meter_timeout_advice(caplog) if "consumption meter" in line] == irregular_lines(caplog)
    [line] = irregular_lines(caplog)
    assert "then [evaluate] meter_timeout = 50 (five of its readings)" in line and "This replaces" not in line
    assert not [r for r in caplog.records if "consumption meter reads every" in r.getMessage()]


def test_a_pace_told_from_steady_gaps_is_replaced_by_the_irregular_pace_when_bursts_come(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A Tasmota with PowerDelta set and TelePeriod 60, the house steady for five minutes: a reading every 60 s, a pace
    # told as such (meter_timeout = 300). Then the power moves (bursts every second between the silences): the
    # irregular pace's advice says it replaces the first.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 120))
    caplog.set_level(logging.INFO)
    times = [NOON + 60.0 * k for k in range(6)]
    times += [times[-1] + 60.0 * k + b for k in range(1, 5) for b in (0.0, 1.0, 2.0)]
    events = [(at, CONS) for at in times] + [(NOON + 2.0 * k - 0.5, PROD) for k in range(int(times[-1] - NOON) // 2)]
    for at, topic in sorted(events):  # (the production meter every 2 s)
        h.reg.handle(topic, reading(1500.0 if topic == PROD else 300.0), at)
    [paced] = [line for line in meter_timeout_advice(caplog) if "consumption meter reads every 60.0 s" in line]
    assert "set meter_timeout = 300 (five of its readings) or more" in paced
    [line] = irregular_lines(caplog)
    assert line.endswith("This replaces the meter_timeout = 300 advised before from its pace, which was its gaps'.")


def test_a_meter_whose_gaps_never_reach_meter_timeout_is_still_advised_on_its_pace(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Readings 1 s and 8 s apart in turn, meter_timeout 10 s: no gap is a silence, and a reading lost is one (16 s).
    # Its bursts' pace withheld the advice since the irregular pace's check (and judged it again at every reading):
    # only gaps that reached meter_timeout make a pace of bursts and silences.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 120))
    caplog.set_level(logging.INFO)
    times = [NOON + 9.0 * k + b for k in range(12) for b in (0.0, 8.0)]  # (gaps 8, 1, 8, ...: a median of 8 s)
    events = [(at, CONS) for at in times] + [(NOON + 2.0 * k - 0.5, PROD) for k in range(int(times[-1] - NOON) // 2)]
    for at, topic in sorted(events):
        h.reg.handle(topic, reading(1500.0 if topic == PROD else 300.0), at)
    [paced] = [line for line in meter_timeout_advice(caplog) if "consumption meter reads every 8.0 s" in line]
    assert "set meter_timeout = 40 (five of its readings) or more" in paced
    assert not irregular_lines(caplog)


def test_a_meter_whose_gaps_show_bursts_at_every_reading_but_its_silences_are_an_hour_apart_is_said_irregular(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A Tasmota with PowerDelta set and TelePeriod 3600 (its most), PySEB started while the house was steady: a
    # reading, an hour's silence, then at a change of power a few readings (1 and 6 s apart), and silent again for an
    # hour. Its last gaps show bursts at every reading (an hour's silence among them), so its pace was never judged
    # (MeterIntake._judge_pace leaves that to the irregular pace); but its silences came an hour apart, never three
    # within two hours: nothing was said, ever, but "silent for 10 s" at each hour's cut. A meter whose gaps never
    # showed a pace of their own is told at its third silence, however far apart.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 120), status_interval_s=600)  # (four hours: fewer statuses)
    caplog.set_level(logging.INFO)
    times, at = [NOON], NOON
    for _ in range(4):
        for gap_s in (3600.0, 1.0, 6.0, 6.0, 6.0):
            at += gap_s
            times.append(at)
    events = [(t, CONS) for t in times] + [(NOON + 2.0 * k - 0.5, PROD) for k in range(int(times[-1] - NOON) // 2)]
    for t, topic in sorted(events):
        h.reg.handle(topic, reading(1500.0 if topic == PROD else 300.0), t)
    [line] = irregular_lines(caplog)
    assert line.startswith("consumption meter reads at an irregular pace: every 1.0 s at times, then nothing for 3600 "
                           "s, 3 times in 181 min;")
    assert not [line for line in meter_timeout_advice(caplog) if "consumption meter reads every" in line]
    assert h.reg.consumption.silence_hint == IRREGULAR_SILENCE


def test_a_meter_read_at_a_steady_pace_silent_three_times_hours_apart_is_not_said_irregular(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A PZEM every 2 s whose Wi-Fi drops it for 15 s three times, 70 min apart: its gaps showed a pace of their own (2
    # s, judged at its fourth reading), so its silences still count within two hours only: no irregular pace said.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 120), status_interval_s=600)
    caplog.set_level(logging.INFO)
    outages = [NOON + 600.0 + 4200.0 * k for k in range(3)]
    end = outages[-1] + 600.0
    at = NOON
    while at < end:
        h.reg.handle(PROD, reading(1500.0), at - 0.5)
        if not any(start <= at < start + 15.0 for start in outages):
            h.reg.handle(CONS, reading(300.0), at)
        at += 2.0
    assert not irregular_lines(caplog)
