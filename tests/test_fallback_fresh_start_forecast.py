"""A fresh start (no status file) whose first check comes before 20 h were counted forces nothing whatever the sky: it
does not ask for the cloud cover, nor warn that none came ("counted as 100 % cloudy"), which read as if the check had
heated from the grid for want of a forecast. The decision line says the real reason."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.test_forecast_kept import OWM


@pytest.mark.parametrize("sources", [OWM, "\n[forecast]\ntopic = home/forecast\n"])
def test_a_fresh_start_s_first_check_does_not_warn_of_a_missing_forecast(
        tmp_path: Path, sources: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=sources))  # (check_at = 1: the seed's)
    ticks(h, at(2024, 1, 10, 22, 0), at(2024, 1, 11, 1, 1))
    decision = [r for r in caplog.records if r.name == "field.fallback_seed"]
    assert [r.getMessage().split(";")[0] for r in decision] == [
        "low-energy fallback: only 3.0 h of heater energy counted (fresh start): no force, whatever the sky"]
    assert "no cloud forecast" not in caplog.text and "clouds" not in decision[0].getMessage()
    assert h.reg.status(at(2024, 1, 11, 1, 2))["forecast"]["used"] is None  # (no check weighed a sky)


def test_the_next_night_s_check_asks_and_says_why_none_came(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=OWM))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 1), step_s=600.0)
    assert "no cloud forecast for 2024-01-11 (no forecast received for that day): counted as 100 % cloudy" \
        in caplog.text
    assert "clouds 100 % on 2024-01-11 (default: no forecast received for that day)" in caplog.text
