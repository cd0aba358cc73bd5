"""A load of unknown power found idle at its trial: its switch off is said from what it drew, not from the trial's
belief (the whole surplus it was switched on for)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.controller_house import House, closed_loop
from tests.harness import NOON


@pytest.mark.parametrize("plug_w", [0.0, 12.0])
def test_an_idle_trial_s_switch_off_starts_from_its_measure(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                            plug_w: float) -> None:
    caplog.set_level(logging.DEBUG, logger="equipments")
    h = closed_loop(tmp_path, "ecs", "plug")
    house = House(h, base_w=300, pv_w=3000, plug_w=plug_w)
    plug = h.load("plug")
    while house.now < NOON + 60 and not plug.idle_offs:
        house.read()
    assert plug.idle_offs == 1 and not plug.is_on
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("plug: ")]
    measured = next(i for i, line in enumerate(lines) if line.startswith(f"plug: measured {plug_w:.0f} W after "
                                                                         "switching on: idle, off"))
    # (before: "plug: 677 W -> 0 W (idle)", the surplus it was tried at, after "measured 0 W")
    assert [line for line in lines[measured + 1:] if "(idle)" in line] == (
        [f"plug: {plug_w:.0f} W -> 0 W (idle)"] if plug_w else [])
    assert plug.current_power_w == 0 and plug.energy_wh == pytest.approx(plug_w * 2 / 3600)
