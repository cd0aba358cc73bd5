"""A tank found full is given the surplus again an hour later while the house exports: its thermostat closes again
after showers or as the water cools (FullTankWatch._recheck_full). Until 2026-12-06 it was left out until the daily
clear, and a tank losing heat got none of the afternoon's sun."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from simulation.replay import replay
from tests.field_house import ECS_CMD, RADIATOR
from tests.field_tank import T, metered, thermostat_cut
from tests.harness import MODE, Harness
from tests.replay_days import write_config

FOUND = T + 9  # (thermostat_cut's fifth low reading: 11:00:09)


def sun(h: Harness, start: float, end: float, production_w: float = 3500.0) -> None:
    """The meters every 5 s from `start` to `end`, the regulator ticking between: a 300 W house and the radiator's
    1000 W while on (the heater, its tank full, draws nothing)."""
    now = start
    while now <= end:
        h.meters(300 + (1000 if h.last(RADIATOR) == "ON" else 0), production_w, now)
        h.reg.tick(now + 1)
        now += 5


def test_a_full_tank_is_given_the_surplus_again_an_hour_later(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    ecs = h.load("ecs")
    assert ecs.overed
    sun(h, FOUND + 1, FOUND + 3595)  # (the radiator on: 2200 W exported, the heater's 2000 W and more)
    assert ecs.overed and h.last(ECS_CMD) == "0"  # (not an hour yet)
    sun(h, FOUND + 3600, FOUND + 3600)
    assert not ecs.overed
    assert ("ecs: found full at 11:00, and the house exports 2200 W: given the surplus again, to see whether its tank "
            "takes power (its thermostat closes again after showers, or as the water cools)") in caplog.messages
    sun(h, FOUND + 3605, FOUND + 3605)
    assert h.last(ECS_CMD) != "0" and h.last(RADIATOR) == "ON"
    # Still full: its meter finds it so again, and its next re-check is an hour from then.
    again = thermostat_cut(h, FOUND + 3606)
    assert ecs.overed and h.last(ECS_CMD) == "0"
    sun(h, again + 1, again + 3595)
    assert ecs.overed


# 1200 W exported (the radiator on): less than the heater's 2000 W, which the closed loop would take from the radiator,
# switched off for its min_off to feed a tank maybe still full; 200 W exported; 100 W imported
@pytest.mark.parametrize("production_w", [2500.0, 500.0, 200.0])
def test_no_recheck_without_the_heaters_watts_exported(tmp_path: Path, production_w: float) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 4000, production_w)
    assert h.load("ecs").overed


def test_no_recheck_of_an_export_seen_long_ago(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 100)  # (the meters silent since)
    h.reg.tick(FOUND + 3700)
    assert h.load("ecs").overed


def test_no_recheck_under_a_users_force(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 0}', FOUND + 60)
    sun(h, FOUND + 61, FOUND + 3700)
    assert h.load("ecs").overed  # (the user's word holds; the re-check may come once it ends)


def test_a_replayed_tank_that_cools_takes_the_sun_again(tmp_path: Path) -> None:
    # The 2000 W heater, its tank full after 500 Wh, losing 600 W and closing again 200 Wh below its cut (20 minutes
    # after it), under steady sun: found full from the house meter (no meter of its own), it reheats at its re-check.
    config = write_config(tmp_path, "ecs = variable", "ecs.tank_wh = 500\necs.loss_w = 600\necs.band_wh = 200")
    trace = tmp_path / "trace.csv"
    trace.write_text("time,production_w,house_w\n" + "".join(
        f"2022-03-19T{10 + i // 60:02d}:{i % 60:02d}:00,3000,500\n" for i in range(150)))
    result = replay(config, trace)
    drawn = [row.real_w[0] for row in result.rows]
    half_hour = len(drawn) * 30 // 150
    assert max(drawn[:half_hour]) > 1500  # (it fills, cuts, and is found full)
    # The last hour and a half: it was left out until midnight; now it reheats at each re-check.
    assert sum(drawn[-3 * half_hour:]) * 2.0 / 3600.0 >= 150.0
