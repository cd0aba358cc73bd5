"""The two meters' topics swapped ([mqtt] topic_cons on the PV inverter's meter): no check can see it, and the closed
loop runs away (each load switched on looks like more export). The log says it within a minute, with what to change,
and the regulation is suspended until a restart."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.meter_swap import STEP_W, STEPS, SwapWatch
from tests.configs import write_config
from tests.harness import NOON, Harness

SWAP_WARNING = "[mqtt] topic_cons and topic_prod look swapped"


def _run(tmp_path: Path, swapped: bool, seconds: int = 60) -> Harness:
    """A house drawing 3 kW under 2.5 kW of sun, its heater on the house's line, the meters every 2 s."""
    harness = Harness(write_config(tmp_path, loads=("ecs",), algorithm="closed_loop"))
    harness.reg.start(NOON)
    heater = harness.load("ecs")
    for k in range(seconds // 2):
        now = NOON + 1.0 + 2.0 * k
        house_w = 3000.0 + 7.0 * (k % 3) + heater.current_power_w  # (what the heater is believed to draw, it draws)
        sun_w = 2500.0 + 5.0 * (k % 2)
        if swapped:
            harness.meters(sun_w, house_w, now)  # the PV inverter's meter on topic_cons, the house's on topic_prod
        else:
            harness.meters(house_w, sun_w, now)
    return harness


def test_swapped_meters_are_said_within_a_minute(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # (before: the heater ran to its max, 2 kW more imported, the log saying only that the tank "may be full")
    with caplog.at_level(logging.WARNING):
        harness = _run(tmp_path, swapped=True)
    warned = [r.getMessage() for r in caplog.records if SWAP_WARNING in r.getMessage()]
    assert len(warned) == 1
    assert "production meter's readings (smeter/pzem/PRODUCTION), not on the house meter's " \
           "(smeter/pzem/CONSOMMATION)" in warned[0]
    assert "swap the two topics in the config and restart" in warned[0]
    # Safety first: the regulation suspended until a restart, the heater at 0 W (it was taken to its max, importing it)
    assert harness.reg.stale_reason is not None and "topics look swapped" in harness.reg.stale_reason
    assert harness.last("regul/vload/ECS/cmd") == "0" and harness.load("ecs").current_power_w == 0.0
    commands = len(harness.on("regul/vload/ECS/cmd"))
    for k in range(30):  # fresh meters do not resume it
        harness.meters(2500.0, 3000.0, NOON + 200.0 + 2.0 * k)
    assert len(harness.on("regul/vload/ECS/cmd")) == commands and harness.reg.stale_reason is not None


def test_meters_the_right_way_round_are_not_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        harness = _run(tmp_path, swapped=False)
    assert not [r for r in caplog.records if SWAP_WARNING in r.getMessage()]
    assert harness.load("ecs").current_power_w == 0.0  # (3 kW under 2.5 kW of sun: nothing to divert)


def _warns(steps: list[tuple[float, float, float]], watch: SwapWatch | None = None) -> list[int]:
    """The readings (by index) at which a SwapWatch says the topics are swapped, each reading 2 s after the last:
    (the loads' believed watts at it, its house watts, its production watts)."""
    watch = watch or SwapWatch("house", "sun")
    return [k for k, (loads_w, house_w, sun_w) in enumerate(steps)
            if watch.after_decision(loads_w, house_w, sun_w, 1000.0 + 2.0 * k)]


def test_steps_shown_by_the_production_meter_in_a_row() -> None:
    assert STEPS == 3 and STEP_W == 300
    # The loads' steps +400, +800, -600, each on the production reading (within half to twice), the house still.
    swapped = [(0.0, 2500.0, 3000.0), (400.0, 2510.0, 3500.0), (1200.0, 2490.0, 4100.0), (600.0, 2500.0, 3700.0)]
    assert _warns(swapped) == [3]
    # A step shown by the house breaks the row (a heater that draws, the sun moving besides it): none.
    broken = swapped[:2] + [(1200.0, 3300.0, 4100.0), (600.0, 2700.0, 3700.0)]
    assert _warns(broken) == []
    # Nor do steps shown by neither (a full tank, the sun still), nor steps under 300 W.
    assert _warns([(0.0, 2500.0, 3000.0), *((400.0 * (k % 2), 2500.0, 3000.0) for k in range(1, 9))]) == []
    assert _warns([(0.0, 2500.0, 3000.0), *((250.0 * (k % 2), 2500.0, 3000.0 + 250.0 * (k % 2))
                                             for k in range(1, 9))]) == []


def test_said_again_at_most_hourly_and_not_across_a_gap() -> None:
    watch = SwapWatch("house", "sun")
    run = [(0.0, 2500.0, 3000.0), *((1000.0 * (k % 2), 2500.0, 3000.0 + 1000.0 * (k % 2)) for k in range(1, 20))]
    assert _warns(run, watch) == [3]  # (not again at 6, 9...: once an hour)
    gap = SwapWatch("house", "sun")
    assert not gap.after_decision(0.0, 2500.0, 3000.0, 1000.0)
    for k in range(1, 4):  # each reading 40 s after the last (the regulation suspended between): no step's before/after
        assert not gap.after_decision(1000.0 * (k % 2), 2500.0, 3000.0 + 1000.0 * (k % 2), 1000.0 + 40.0 * k)
