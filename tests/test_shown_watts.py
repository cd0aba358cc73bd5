"""Watts shown in the log as whole numbers: a value just under 0 (float noise, a meter's -0.3 W) reads 0, never -0."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.configs import write_config
from tests.harness import NOON, Harness
from values.shown import whole


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
