"""The fetch at start a check waits for is dated on the wall clock as it read then: a Pi booted on a clock behind
(fake-hwclock), set forward by NTP while the fetch was under way, had the try's deadline long past on the new clock, and
the check due went on at once, `under way since 00:29:58, gave no answer by 00:30:10`, forcing as for a 100 % cloudy
sky with the answer seconds away. The try's times move with the clock's step, as the timed forces' do."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from field.forecast import parse_owm_answer
from field.forecast_pending import FetchUnderWay
from tests.field_house import at, ticks
from tests.test_forecast_awaited import SUNNY, checks, counted_night


def test_a_clock_set_forward_during_the_fetch_at_start_moves_its_deadline(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    # (started at 00:59:58 on a clock 30 min behind, which NTP sets a second later)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 0, 29, 58), 10.0), at(2024, 1, 11, 0, 29, 58))
    h.reg.clock_stepped_forward(1800.0)
    ticks(h, at(2024, 1, 11, 1), at(2024, 1, 11, 1, 0, 6), step_s=1.0)
    assert checks(caplog) == [] and "no cloud forecast" not in caplog.text
    assert "(its answer by 01:00:10 at the latest)" in caplog.text
    answer = parse_owm_answer(200, json.dumps(SUNNY).encode(), at(2024, 1, 11, 1, 0, 7))
    h.reg.on_forecast(answer, at(2024, 1, 11, 1, 0, 7))
    ticks(h, at(2024, 1, 11, 1, 0, 7), at(2024, 1, 11, 1, 0, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]


def test_a_clock_set_back_during_the_fetch_at_start_moves_its_deadline(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # (a clock 30 min ahead: its deadline 30 min after the check on the new clock, a wait that lasted until the answer
    # came, however late; now until 01:00:10, past which the check names the try)
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 1, 29, 58), 10.0), at(2024, 1, 11, 1, 29, 58))
    h.reg.clock_stepped_back(1800.0, at(2024, 1, 11, 0, 59, 59))
    ticks(h, at(2024, 1, 11, 1), at(2024, 1, 11, 1, 0, 9), step_s=1.0)
    assert checks(caplog) == [] and "(its answer by 01:00:10 at the latest)" in caplog.text
    ticks(h, at(2024, 1, 11, 1, 0, 10), at(2024, 1, 11, 1, 0, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "under way since 00:59:58, gave no answer by 01:00:10" in checks(caplog)[0]
