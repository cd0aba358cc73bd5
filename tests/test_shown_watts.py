"""Watts shown in the log as whole numbers: a value just under 0 (float noise, a meter's -0.3 W) reads 0, never -0."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.configs import write_config
from tests.harness import NOON, Harness
from values.shown import signed_whole, whole


@pytest.mark.parametrize(("value", "text"), [(-0.3, "0"), (-0.0, "0"), (0.4, "0"), (-0.6, "-1"), (1234.5, "1234"),
                                             (-28.0, "-28"), (float("nan"), "nan"), (float("-inf"), "-inf")])
def test_whole_never_writes_minus_zero(value: float, text: str) -> None:
    assert whole(value) == text


def test_the_decision_s_debug_line_shows_a_grid_just_under_0_as_0(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="core.regulator")
    h = Harness(write_config(tmp_path))
    h.reg.tick(NOON)
    h.meters(1000.2, 1000.5, NOON)  # exporting 0.3 W
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("deciding:")]
    assert said == ["deciding: consumption 1000 W, production 1000 W, grid 0 W"]


@pytest.mark.parametrize(("value", "text"), [(-0.3, "0"), (0.3, "0"), (-0.0, "0"), (0.6, "+1"), (-0.6, "-1"),
                                             (-28.0, "-28"), (1234.5, "+1234")])
def test_signed_whole_never_writes_a_signed_zero(value: float, text: str) -> None:
    assert signed_whole(value) == text


def test_the_closed_loop_s_summary_shows_a_grid_just_off_0_as_0(tmp_path: Path) -> None:
    # The status's last_decision (Home Assistant shows it) read "grid -0 W" or "grid +0 W" for a 0.3 W flow.
    h = Harness(write_config(tmp_path, period=1, algorithm="closed_loop"))
    h.reg.tick(NOON)
    for step in range(6):
        h.meters(1000.0 + 0.3 * (-1) ** step, 1000.0, NOON + 2 * step)
    summaries = [h.reg.status(NOON + 12)["last_decision"]]
    assert summaries[0].startswith("grid 0 W:"), summaries
