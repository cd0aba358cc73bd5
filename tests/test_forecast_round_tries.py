"""A round's failed tries reach the main loop as they come, not only its outcome: a check made while the round is not
over (a start at 00:55 for the check at 01:00 tried again at 01:00 and 01:05, before a round's tries ended at the check;
still a late check, the clock set forward by NTP between two tries) said `no forecast received for that day`, as if
nothing had been asked, where a try had failed. The tries are logged by the fetch thread (INFO); the check warns once
of the one it goes without, and the round's outcome is warned of as before."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from field.forecast import ForecastFailure
from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.test_forecast_kept import OWM
from tests.test_forecast_night import NO_NETWORK, night, unreachable


def test_each_failed_try_is_handed_over_the_last_as_the_round_s_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    tries, handed = night(monkeypatch, at(2024, 1, 11, 0, 40), lambda now: unreachable, tries_too=True)
    assert tries == ["11 00:40:00", "11 00:45:00", "11 00:50:00"]
    assert [(type(event.result), getattr(event.result, "final", None)) for event in handed] == [
        (ForecastFailure, False), (ForecastFailure, False), (ForecastFailure, True)]


def test_a_check_during_a_round_says_which_try_failed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(field_config(tmp_path, extra=OWM))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 55), step_s=600.0)  # (a night counted: the check asks the sky)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(ForecastFailure(NO_NETWORK, at(2024, 1, 11, 0, 55), final=False), at(2024, 1, 11, 0, 55))
    assert "not usable" not in caplog.text  # (the try was logged by the fetch thread; the round is not over)
    ticks(h, at(2024, 1, 11, 0, 56), at(2024, 1, 11, 1, 1))
    cause = f"openweathermap: {NO_NETWORK} (the try at 00:55:00; its round not over)"
    missing = [r for r in caplog.records if r.getMessage().startswith("no cloud forecast")]
    assert [(r.levelno, r.getMessage()) for r in missing] == [
        (logging.WARNING, f"no cloud forecast for 2024-01-11 ({cause}): counted as 100 % cloudy, as the seed did")]
    assert f"clouds 100 % on 2024-01-11 (default: {cause})" in caplog.text
    assert h.reg.status(at(2024, 1, 11, 1, 2))["forecast"]["openweathermap"]["error"] == NO_NETWORK
    # (the round's outcome, when it comes, is warned of as ever; the check after it does not warn again)
    caplog.clear()
    h.reg.on_forecast(ForecastFailure(NO_NETWORK, at(2024, 1, 11, 1, 5)), at(2024, 1, 11, 1, 5))
    assert f"forecast from openweathermap not usable: {NO_NETWORK}" in caplog.text
