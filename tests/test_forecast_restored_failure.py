"""A failed fetch kept in the status file (the server asked to wait) is the last run's news, not this run's round's
outcome: a check that goes without a forecast for it warns, once, and says the failure came before the restart. Taken
as this run's round's outcome, warned already, the check's `no cloud forecast` went at INFO: nothing in this run's log
warned that the night counted 100 % cloudy, nor why."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from field.forecast import KEY_FIX, PLACE_FIX, ForecastFailure
from field.forecast_settings import REFUSED_WAIT_S
from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.test_forecast_kept import OWM

FAILED_AT = at(2024, 1, 11, 0, 12)
CAUSE = "HTTP 429: limited"


def restarted(tmp_path: Path, cause: str = CAUSE, wait_s: float = 7200.0) -> Harness:
    """A regulator running since the day before whose round at 00:10 got a 429 asking to wait 2 h (past the 01:00
    check; or `cause`, not asked again for `wait_s`), saved, then a restart at 00:20 on that status file."""
    h = Harness(field_config(tmp_path, extra=OWM))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 10), step_s=600.0)
    h.reg.on_forecast(ForecastFailure(cause, FAILED_AT, retry_after_s=wait_s, ask_again_after=FAILED_AT + wait_s,
                                      request_digest="0123abcd"), FAILED_AT)
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 0, 15))))
    again = Harness(field_config(tmp_path, extra=OWM))
    assert again.reg.restore(saved, at(2024, 1, 11, 0, 20)) == []
    return again


def test_a_check_without_forecast_after_a_restart_warns_of_the_kept_failure(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = restarted(tmp_path)
    caplog.set_level(logging.INFO)
    ticks(h, at(2024, 1, 11, 0, 20), at(2024, 1, 11, 1, 1))
    missing = [(r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith("no cloud forecast")]
    # (and the server's wait, which no fetch at start nor the round before check_at outlasted for the check)
    assert missing == [(logging.WARNING, "no cloud forecast for 2024-01-11 (openweathermap: HTTP 429: limited (at "
                                         "2024-01-11T00:12:00+01:00, kept from before the restart; the server asked "
                                         "to wait until 02:12:00)): counted as 100 % cloudy, as the seed did")]
    assert h.reg.status(at(2024, 1, 11, 1, 2))["forecast"]["openweathermap"]["error"] == CAUSE


REFUSED = f"HTTP 401: Invalid API key; no retry: {KEY_FIX}"
UNKNOWN = f"HTTP 404: city not found; no retry: {PLACE_FIX}"


@pytest.mark.parametrize("cause, wait_s, said", [
    # a wait ending the next day says its date (the check's own day: its time alone)
    (CAUSE, 86000.0, "the server asked to wait until 2024-01-12 00:05:20"),
    # a refused key's or an unknown place's wait is PySEB's own: it was said to be the server's
    (REFUSED, REFUSED_WAIT_S, "after a refused key PySEB waits 3 h before asking again, until 03:12:00"),
    (UNKNOWN, REFUSED_WAIT_S, "after an unknown place PySEB waits 3 h before asking again, until 03:12:00"),
], ids=["tomorrow", "key", "place"])
def test_the_check_names_who_asked_the_wait_and_its_day(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, cause: str, wait_s: float, said: str) -> None:
    h = restarted(tmp_path, cause, wait_s)
    caplog.set_level(logging.INFO)
    ticks(h, at(2024, 1, 11, 0, 20), at(2024, 1, 11, 1, 1))
    missing = [r.getMessage() for r in caplog.records if r.getMessage().startswith("no cloud forecast")]
    assert missing == [f"no cloud forecast for 2024-01-11 (openweathermap: {cause} (at 2024-01-11T00:12:00+01:00, "
                       f"kept from before the restart; {said})): counted as 100 % cloudy, as the seed did"]


def test_the_next_round_s_outcome_is_warned_of_as_ever(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = restarted(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(ForecastFailure(CAUSE, at(2024, 1, 11, 0, 40)), at(2024, 1, 11, 0, 40))
    assert f"forecast from openweathermap not usable: {CAUSE}" in caplog.text
    ticks(h, at(2024, 1, 11, 0, 41), at(2024, 1, 11, 1, 1))
    missing = [(r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith("no cloud forecast")]
    assert missing == [(logging.INFO, "no cloud forecast for 2024-01-11 (openweathermap: HTTP 429: limited): counted "
                                      "as 100 % cloudy, as the seed did")]
