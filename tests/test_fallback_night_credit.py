"""What the seed rule's night force is credited with when the clock misleads it or the variator does not hear it,
driven through the regulator: a forward jump of the clock (NTP setting a Pi's clock) that ends the force early, a
clock set back by days, a variator off the network that never answered the force's command."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.field_house import ECS_CMD, at, field_config, ticks
from tests.harness import Harness


def seed_rule(h: Harness, now: float) -> dict:
    return h.reg.status(now)["water_heater"]["seed_rule"]


@pytest.mark.parametrize(("step_s", "credited_wh"), [(3 * 3600.0, 2000), (1800.0, 6000)])
def test_a_clock_jump_that_ends_the_night_force_early_credits_only_what_was_drawn(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, step_s: float, credited_wh: float) -> None:
    # The 01:00 force (7000 Wh, 3.5 h at 2000 W); an hour into it NTP sets the clock 3 h (or 30 min) ahead: the force
    # ends at the clock's 04:30, after 1 h (3 h) of heating, the jump not drawn. Credited whole, the next night's
    # check took the 5000 Wh (1000 Wh) never drawn for hot water.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 59))
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    assert h.load("ecs").forced_by == "seed_rule" and seed_rule(h, at(2024, 1, 11, 1, 1))["yesterday_wh"] == 7000
    ticks(h, at(2024, 1, 11, 1, 1, 30), at(2024, 1, 11, 2, 0, 30), step_s=5)
    h.reg.clock_stepped_forward(step_s)
    ticks(h, at(2024, 1, 11, 2, 0, 30) + step_s, at(2024, 1, 11, 8, 0), step_s=5)
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
    # (a tick's few Wh: the force's last 5 s count in the next window)
    assert h.load("ecs").energy_wh == pytest.approx(credited_wh, abs=5)
    assert seed_rule(h, at(2024, 1, 11, 8))["yesterday_wh"] == pytest.approx(credited_wh, abs=5)
    said = re.search(rf"low-energy fallback: ecs's force was cut short by the clock jumping {step_s / 60:.0f} min "
                     r"forward: (\d+) Wh of it not drawn, not credited", caplog.text)
    assert said is not None and float(said[1]) == pytest.approx(7000 - credited_wh, abs=5)
