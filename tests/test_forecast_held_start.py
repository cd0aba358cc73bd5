"""A restart while the server asks to wait (its failure kept in the status file: a 429's Retry-After) makes no fetch at
start (a restart loop asked at every start), and the daily round asks when the wait ends if in time for the check. A
check due meanwhile that the daily round does not serve (a late check, due at the start: a Pi back at 01:30; or the
round before check_at asked already, the wait ending past the check) went on at once as for 100 % clouds, naming only
the kept failure. It now gets the fetch at start when the wait ends, and waits for it, within the 20 min from the start
a check waits for a round at start; past them, it goes on, and says the wait it did not wait for."""

from __future__ import annotations

import json
import logging
import queue
import threading
from pathlib import Path

import pytest

from field.forecast import ForecastFailure, parse_owm_answer
from field.forecast_pending import FetchUnderWay
from shell.forecast_fetch import ForecastFetcher
from shell.forecast_wait import request_digest
from tests.field_house import at, ticks
from tests.test_forecast_awaited import SUNNY, checks
from tests.test_forecast_awaited_round import late_night
from tests.test_forecast_kept import PARIS
from tests.test_forecast_night import good, night, owm

LIMITED = "HTTP 429: limited"


def kept_wait(failed_at: float, until: float) -> ForecastFailure:
    """A 429 asking to wait until `until`, kept from before the restart."""
    return ForecastFailure(LIMITED, failed_at, retry_after_s=until - failed_at, ask_again_after=until,
                           request_digest=request_digest(owm()), kept=True)


def started(now: float, held: ForecastFailure) -> FetchUnderWay | None:
    """The fetch at start's try a fetcher started at `now` with `held` hands the main loop (its thread not run)."""
    fetcher = ForecastFetcher(owm(), 1, PARIS, queue.SimpleQueue(), clock=lambda: now)
    fetcher._thread = threading.Thread(target=lambda: None)
    under_way = fetcher.start(held=held)
    fetcher._thread.join()
    return under_way


@pytest.mark.parametrize("restart, failed_at, until, asked", [
    # a late check, due at the start: the try when the wait ends, within 20 min of the start
    (at(2024, 1, 11, 1, 30), at(2024, 1, 11, 1, 25), at(2024, 1, 11, 1, 40), ["11 01:40:00"]),
    # the check due 2 min after the start, the round before it asked already (its 429 at 00:55)
    (at(2024, 1, 11, 0, 58), at(2024, 1, 11, 0, 55), at(2024, 1, 11, 1, 5), ["11 01:05:00"]),
    # the wait ending past the 20 min: not asked for that check (the next night's round asks)
    (at(2024, 1, 11, 1, 30), at(2024, 1, 11, 1, 25), at(2024, 1, 11, 2), []),
    # (as before: a wait ending in time for the check, the round before check_at asks then)
    (at(2024, 1, 11, 0, 20), at(2024, 1, 11, 0, 15), at(2024, 1, 11, 0, 30), ["11 00:30:00"]),
], ids=["late", "before-the-check", "past-20-min", "daily-round"])
def test_a_restart_during_the_server_s_wait_asks_at_its_end_for_a_check_due_meanwhile(
        monkeypatch: pytest.MonkeyPatch, restart: float, failed_at: float, until: float, asked: list[str]) -> None:
    tries, _ = night(monkeypatch, restart, lambda now: good, held=kept_wait(failed_at, until),
                     until=at(2024, 1, 11, 3))
    assert tries == asked


def test_the_late_check_waits_for_the_try_at_the_wait_s_end(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = late_night(tmp_path)
    caplog.set_level(logging.INFO)
    under_way = started(at(2024, 1, 11, 1, 30), kept_wait(at(2024, 1, 11, 1, 25), at(2024, 1, 11, 1, 40)))
    assert "the fetch at start asks when the wait ends, at 2024-01-11T01:40:00+01:00, for the 01:00 check due " \
        "meanwhile, which waits for it" in caplog.text
    assert under_way is not None
    h.reg.on_forecast(under_way, at(2024, 1, 11, 1, 30))
    ticks(h, at(2024, 1, 11, 1, 30), at(2024, 1, 11, 1, 40, 5), step_s=5.0)
    assert checks(caplog) == []
    assert ("low-energy fallback: the 01:00 check waits for the forecast fetch at start's next try, from 01:40:00 (its "
            f"try at 01:25:00 failed: {LIMITED}, before the restart; its answer by 01:40:12 at the latest)"
            ) in caplog.text
    answer = parse_owm_answer(200, json.dumps(SUNNY).encode(), at(2024, 1, 11, 1, 40, 5))
    h.reg.on_forecast(answer, at(2024, 1, 11, 1, 40, 5))
    ticks(h, at(2024, 1, 11, 1, 40, 5), at(2024, 1, 11, 1, 40, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]


def test_a_wait_past_the_check_s_bound_is_said(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert started(at(2024, 1, 11, 1, 30), kept_wait(at(2024, 1, 11, 1, 25), at(2024, 1, 11, 2))) is None
    assert "no fetch at start: the last fetch, 5 min ago, failed (HTTP 429: limited)" in caplog.text
    assert "; the 01:00 check due meanwhile does not wait for it: its answer would come more than 20 min after this " \
        "start" in caplog.text
