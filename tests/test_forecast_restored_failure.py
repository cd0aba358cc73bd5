"""A failed fetch kept in the status file (the server asked to wait) is the last run's news, not this run's round's
outcome: a check that goes without a forecast for it warns, once, and says the failure came before the restart. Taken
as this run's round's outcome, warned already, the check's `no cloud forecast` went at INFO: nothing in this run's log
warned that the night counted 100 % cloudy, nor why."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from field.forecast import ForecastFailure
from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.test_forecast_kept import OWM

FAILED_AT = at(2024, 1, 11, 0, 12)
CAUSE = "HTTP 429: limited"


def restarted(tmp_path: Path) -> Harness:
    """A regulator running since the day before whose round at 00:10 got a 429 asking to wait 2 h (past the 01:00
    check), saved, then a restart at 00:20 on that status file."""
    h = Harness(field_config(tmp_path, extra=OWM))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 10), step_s=600.0)
    h.reg.on_forecast(ForecastFailure(CAUSE, FAILED_AT, retry_after_s=7200.0, ask_again_after=FAILED_AT + 7200,
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
                                         "2024-01-11T00:12:00+01:00, kept from before the restart; not asked again "
                                         "before 2024-01-11T02:12:00+01:00)): counted as 100 % cloudy, as the seed "
                                         "did")]
    assert h.reg.status(at(2024, 1, 11, 1, 2))["forecast"]["openweathermap"]["error"] == CAUSE


def test_the_next_round_s_outcome_is_warned_of_as_ever(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = restarted(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(ForecastFailure(CAUSE, at(2024, 1, 11, 0, 40)), at(2024, 1, 11, 0, 40))
    assert f"forecast from openweathermap not usable: {CAUSE}" in caplog.text
    ticks(h, at(2024, 1, 11, 0, 41), at(2024, 1, 11, 1, 1))
    missing = [(r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith("no cloud forecast")]
    assert missing == [(logging.INFO, "no cloud forecast for 2024-01-11 (openweathermap: HTTP 429: limited): counted "
                                      "as 100 % cloudy, as the seed did")]
