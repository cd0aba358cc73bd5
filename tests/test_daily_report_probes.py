"""A full tank's re-check probes counted apart in the daily report (core/recheck_probes.py): each is two of the heater's
switches, and the report said 12 switches on the demo day where 10 were five probes, read as a heater that chattered."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.daily_report import DailyFigures, DailyReport
from core.decisions import DecisionRecord
from core.recheck_probes import PROBE_STRETCH_MAX_S
from simulation.metrics import format_summary
from simulation.replay import replay
from tests.field_tank import FOUND, full_an_hour, metered, sun

ROOT = Path(__file__).resolve().parent.parent


def rec(t: float, percent: float, room_w: float) -> DecisionRecord:
    """A heater (variable) and a radiator (relay, off): the heater at `percent`, with `room_w` of room."""
    watts = 20.0 * percent
    return DecisionRecord(t, 1000, 3000, (percent, 0), (watts, 0), (room_w, 1000), (watts, 0))


def _day(*records: DecisionRecord) -> DailyReport:
    figures = DailyFigures(["ecs", "radiator"], [False, True], max_gap_s=10)
    for record in records:
        figures.add(record)
    return figures.so_far("2026-06-01")


def test_a_moment_at_its_floor_with_no_room_is_a_probe_among_its_switches() -> None:
    # On from the allocation, found full (no room), probed 4 s at its floor an hour later, still full.
    report = _day(rec(0, 0, 2000), rec(2, 100, 0), rec(4, 0, 0), rec(3604, 7, 0), rec(3608, 0, 0))
    ecs, radiator = report.loads
    assert (ecs.switches, ecs.recheck_probes) == (4, 1)
    doc = report.as_json()
    assert doc["loads"]["ecs"] == {"energy_wh": pytest.approx(doc["loads"]["ecs"]["energy_wh"]), "switches": 4,
                                   "relay": False, "recheck_probes": 1}
    assert "recheck_probes" not in doc["loads"]["radiator"]  # (a relay is never probed)
    assert ("ecs             variable          0.00         4   (2 of them a full-tank re-check probe, on and off: a "
            "moment at its floor, to see whether the tank takes power again)") in report.text()
    # The day so far, saved and resumed, keeps them.
    again = DailyFigures(["ecs", "radiator"], [False, True], max_gap_s=10)
    again.resume(DailyReport.from_json(doc, {"ecs": False, "radiator": True}))
    assert again.so_far_json("2026-06-01") == doc


def test_a_probe_whose_tank_takes_power_again_is_a_switch_of_its_own() -> None:
    # Probed, then given room (its flag lifted): on for the allocation, no probe.
    report = _day(rec(0, 0, 0), rec(4, 7, 0), rec(8, 7, 1800), rec(12, 100, 0), rec(16, 0, 2000))
    assert (report.loads[0].switches, report.loads[0].recheck_probes) == (2, 0)
    # Nor an on-stretch from a load that had room, nor one longer than a probe runs (a force, likely).
    assert _day(rec(0, 0, 2000), rec(4, 7, 0), rec(8, 0, 0)).loads[0].recheck_probes == 0
    times = [0.0, 4.0, *[4.0 + 8 * k for k in range(1, int(PROBE_STRETCH_MAX_S / 8) + 2)]]
    long_on = [rec(t, 0 if i == 0 else 7, 0) for i, t in enumerate(times)]
    assert _day(*long_on, rec(times[-1] + 4, 0, 0)).loads[0].recheck_probes == 0


def test_a_probe_across_midnight_is_neither_day_s() -> None:
    figures = DailyFigures(["ecs", "radiator"], [False, True], max_gap_s=10)
    for record in (rec(0, 0, 0), rec(4, 7, 0)):
        figures.add(record)
    assert figures.close("2026-06-01", 6).loads[0].recheck_probes == 0
    figures.add(rec(8, 0, 0))  # (its switch off is the new day's; its switch on was the day before's)
    assert figures.close("2026-06-02", 100).loads[0].recheck_probes == 0


def test_the_live_report_counts_the_regulator_s_own_probes(tmp_path: Path) -> None:
    h = metered(tmp_path)
    full_an_hour(h)
    sun(h, FOUND + 3600, FOUND + 3615)  # probed at its floor, still full
    again = FOUND + 3610
    sun(h, FOUND + 3620, again + 3615)  # and an hour later again
    ecs = h.reg.status(again + 3616)["report_today"]["loads"]["ecs"]
    # Off when found full (its switch on was the run's first decision: none before it), then two probes, on and off.
    assert (ecs["switches"], ecs["recheck_probes"]) == (5, 2)


def test_the_replay_s_figures_say_which_switches_were_probes() -> None:
    # The demo house on serf-east: its tank found full at 10:54, probed at 11:54 and 12:54, still full.
    result = replay(ROOT / "simulation" / "demo.ini", ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv",
                    "05:00", "13:00")
    summary = result.summary
    ecs = summary.names.index("ecs")
    assert summary.recheck_probes[ecs] == 2 and summary.switches[ecs] == 6
    assert set(summary.recheck_probes) == {0, 2}  # (the relays: none)
    assert ("ecs: 4 of its 6 switches are 2 full-tank re-check probes, on and off: a moment at its floor, to see "
            "whether the tank takes power again (its min on s counts them too)") in format_summary(summary)


def _held_again_and_again(on_percent: float, room_w: float) -> DailyReport:
    """A heater on at `on_percent` with `room_w` of room (at its max, or forced: none), a full tank's re-probe
    holding it at 0 W for 15 s (left out of the allocation: no room), its verdict void, held again two minutes later,
    and again four minutes later (field/full_tank_watch.py: each void re-probe waits twice as long)."""
    records = [rec(0, on_percent, room_w)]
    for held_at in (100.0, 235.0, 490.0):
        records += [rec(held_at, 0, 0), rec(held_at + 8, 0, 0), rec(held_at + 16, on_percent, room_w),
                    rec(held_at + 24, on_percent, room_w)]
    return _day(*records)


def test_a_re_probe_s_hold_between_two_stretches_of_its_draw_is_no_probe() -> None:
    # At its max in the sun (no room: at its max) or forced (the fallback's night, a user's force), a heater suspected
    # full is held at 0 W for 15 s by each re-probe: the stretches of its draw between two holds were each taken for a
    # full tank's re-check probe, two in the report where its tank was never found full.
    for report in (_held_again_and_again(100, 0), _held_again_and_again(60, 0)):
        assert (report.loads[0].switches, report.loads[0].recheck_probes) == (6, 0)
    # (a real probe, an hour after its tank went to 0 W, or five minutes after one given up, is still counted)
    again = _day(rec(0, 100, 0), rec(4, 0, 0), rec(4 + 300, 7, 0), rec(4 + 360, 0, 0), rec(4 + 960, 7, 0),
                 rec(4 + 1000, 0, 0))
    assert (again.loads[0].switches, again.loads[0].recheck_probes) == (5, 2)


def test_a_probe_across_a_clock_set_forward_is_still_one() -> None:
    # NTP sets a Pi's clock an hour forward during a probe (no time passing): its 8 s at the floor were an hour and
    # 8 s on the clock, over the probe's longest, and its two switches counted as the heater's own
    figures = DailyFigures(["ecs", "radiator"], [False, True], max_gap_s=10)
    for record in (rec(0, 100, 0), rec(2, 0, 0), rec(3602, 0, 0), rec(3606, 7, 0)):
        figures.add(record)
    figures.clock_stepped_forward(3600.0)
    figures.add(rec(3610 + 3600, 7, 0))
    figures.add(rec(3614 + 3600, 0, 0))
    assert (figures.so_far("2026-06-01").loads[0].switches, figures.so_far("2026-06-01").loads[0].recheck_probes) == \
        (3, 1)
