"""The limit on cut suspicions (a sudden fall of the house by the heater's watts raises one at most every
`cut_every_s`): an appliance's fall cleared by the loop's own evidence before any re-probe spends none of it, so a
real cut of the thermostat minutes later is seen at once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.field_house import ECS_CMD, House, field_config
from tests.field_tank import T
from tests.harness import Harness

OVEN_W = 1500.0  # an appliance of about the heater's watts


def _oven_stops_while_the_heater_has_room(h: Harness, caplog: pytest.LogCaptureFixture) -> House:
    """The heater at about OVEN_W with room left; the oven stops: the house falls at once by the heater's watts, a
    cut suspicion, which the loop's raise of the heater (followed by the house) clears before any re-probe."""
    house = House(h, T, base_w=300 + OVEN_W, production_w=300 + OVEN_W + OVEN_W + 20)
    house.run(150)
    assert abs(h.load("ecs").current_power_w - OVEN_W) <= 60
    house.base_w -= OVEN_W  # the oven's thermostat
    house.run(2)
    assert "ecs may be full: the house fell by" in caplog.text
    house.run(60)  # the loop raises the heater to its max: the house follows
    assert "ecs is not full after all" in caplog.text
    assert "re-probe" not in caplog.text
    assert h.load("ecs").current_power_w == h.load("ecs").max_power_w  # saturated now, its command still
    return house


def test_a_cut_minutes_after_a_cleared_appliance_fall_is_suspected_at_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The hunt's case: a real cut 10-30 min after a fall the evidence cleared went unseen until cut_every_s (30 min)
    # after that fall, the heater believed drawing its max meanwhile (300-700 Wh counted, not drawn).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("ecs",), algorithm="closed_loop"))
    house = _oven_stops_while_the_heater_has_room(h, caplog)
    house.run(600)
    caplog.clear()
    house.full.add("ecs")  # the thermostat cuts, ten minutes later
    house.run(2)
    assert "ecs may be full: the house fell by" in caplog.text
    house.run(200)  # the re-probe (120 s after the suspicion) confirms it
    assert "ecs is full" in caplog.text and h.load("ecs").overed
    assert h.last(ECS_CMD) == "0"


def test_a_fall_its_re_probe_cleared_still_spends_the_limit(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    # The limit is there for the re-probes: each holds the heater at 0 W for hold_s. A saturated heater's suspicion,
    # which only a re-probe can clear, counts: an oven cycling every few minutes does not re-probe it each time.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("ecs",), algorithm="closed_loop"))
    house = House(h, T, base_w=300 + OVEN_W, production_w=300 + OVEN_W + 2000 + 200)
    house.run(150)
    assert h.load("ecs").current_power_w == 2000  # saturated, with 200 W over it
    house.base_w -= OVEN_W
    house.run(2)
    assert "ecs may be full" in caplog.text
    house.run(200)
    assert "ecs: re-probe" in caplog.text and "ecs is not full after all" in caplog.text
    for _ in range(4):  # the oven's next cycles, every four minutes, within the half hour
        house.base_w += OVEN_W
        house.run(120)
        caplog.clear()
        house.base_w -= OVEN_W
        house.run(120)
        assert "ecs may be full" not in caplog.text


def test_falls_the_loop_clears_raise_a_suspicion_every_5_minutes_at_most(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    # An oven cycling beside a heater with room: each stop looks like a cut, and the loop's moves clear it. Each such
    # suspicion holds the loads of unknown power back and the relays before the heater off its watts while it lasts:
    # uncounted, every stop raised one (every two minutes here).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("ecs",), algorithm="closed_loop"))
    house = _oven_stops_while_the_heater_has_room(h, caplog)
    raised_at = [house.now - 60]  # (the first, cleared)
    for _ in range(10):  # twenty minutes of the oven's cycle: on for a minute, off for a minute
        house.base_w += OVEN_W
        house.run(60)
        caplog.clear()
        house.base_w -= OVEN_W
        house.run(60)
        if "ecs may be full" in caplog.text:
            raised_at.append(house.now)
    assert len(raised_at) >= 2  # (a fall 5 minutes after a cleared one is judged: not the 30 minutes of a re-probe's)
    assert all(later - earlier >= 300 for earlier, later in zip(raised_at, raised_at[1:], strict=False))
