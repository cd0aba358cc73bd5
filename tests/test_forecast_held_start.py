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
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

import shell.forecast_fetch as fetch_module
from field.forecast import KEY_FIX, ForecastFailure, OwmForecast, parse_owm_answer
from field.forecast_pending import FetchUnderWay
from shell.forecast_fetch import ForecastFetched, ForecastFetcher
from shell.forecast_wait import request_digest
from tests.field_house import at, ticks
from tests.test_forecast_awaited import SUNNY, checks
from tests.test_forecast_awaited_round import late_night
from tests.test_forecast_kept import PARIS
from tests.test_forecast_night import good, night, owm, unreachable

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
    # a restart seconds before the check, the wait from before the round's time (a 429 at 23:50 asking 75 min): the
    # round, at its time past the wait, would answer past the check; nothing was asked, "the clock went forward"
    (at(2024, 1, 11, 0, 59, 50), at(2024, 1, 10, 23, 50), at(2024, 1, 11, 1, 5), ["11 01:05:00"]),
    # the wait ending past the 20 min: not asked for that check (the next night's round asks)
    (at(2024, 1, 11, 1, 30), at(2024, 1, 11, 1, 25), at(2024, 1, 11, 2), []),
    # (as before: a wait ending in time for the check, the round before check_at asks then)
    (at(2024, 1, 11, 0, 20), at(2024, 1, 11, 0, 15), at(2024, 1, 11, 0, 30), ["11 00:30:00"]),
], ids=["late", "before-the-check", "seconds-before-the-check", "past-20-min", "daily-round"])
def test_a_restart_during_the_server_s_wait_asks_at_its_end_for_a_check_due_meanwhile(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, restart: float, failed_at: float,
        until: float, asked: list[str]) -> None:
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, restart, lambda now: good, held=kept_wait(failed_at, until),
                     until=at(2024, 1, 11, 3))
    assert tries == asked
    assert "the clock went forward" not in caplog.text  # (it did not)


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


REFUSED = f"HTTP 401: Invalid API key; no retry: {KEY_FIX}"


def test_a_refused_key_s_wait_is_said_to_be_pysebs_own(caplog: pytest.LogCaptureFixture) -> None:
    # A 401 kept from before the restart: PySEB waits 3 h before asking again, the server asked nothing; the start said
    # "and the server asks to wait".
    caplog.set_level(logging.INFO)
    refused = replace(kept_wait(at(2024, 1, 10, 22, 0), at(2024, 1, 11, 1, 0)), cause=REFUSED, retry_after_s=None)
    assert started(at(2024, 1, 10, 23, 0), refused) is None
    assert f"no fetch at start: the last fetch, 60 min ago, failed ({REFUSED}), and after a refused key PySEB waits " \
        "3 h before asking again (a restart loop would ask at every start): not asked before " \
        "2024-01-11T01:00:00+01:00" in caplog.text
    caplog.clear()
    # (a restart seconds before the check, the wait ending with it: the fetch at start then, the check waiting for it)
    assert started(at(2024, 1, 11, 0, 59, 55), refused) is not None
    assert f"the last fetch, 180 min ago, failed ({REFUSED}), and after a refused key PySEB waits 3 h before asking " \
        "again: the fetch at start asks when the wait ends, at 2024-01-11T01:00:00+01:00" in caplog.text
    assert "server" not in caplog.text


def held_night(monkeypatch: pytest.MonkeyPatch, restart: float, held: ForecastFailure, step: tuple[float, float],
               network_at: float) -> tuple[FetchUnderWay | None, list[str], list[OwmForecast | ForecastFailure]]:
    """A fetcher started at `restart` with `held`, the wall clock stepped by step[1] s (forward > 0) at step[0] during
    the pause to the wait's end, which goes on (on the steady clock, as the real one); its network up from
    `network_at`: the try it hands at start, its tries' times and what it handed over (the failed tries too)."""
    clock, tries, steps = [restart], [], [step]
    events: queue.SimpleQueue[ForecastFetched] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(), 1, PARIS, events, clock=lambda: clock[0])

    def fetch_once(_settings: object, _clock: object) -> OwmForecast | ForecastFailure:
        tries.append(datetime.fromtimestamp(clock[0], PARIS).strftime("%H:%M:%S"))
        if clock[0] >= network_at:
            return parse_owm_answer(200, json.dumps(SUNNY).encode(), clock[0])
        return unreachable(clock[0])

    def pause(seconds: float) -> bool:
        end = clock[0] + seconds
        if steps and clock[0] <= steps[0][0] <= end:
            end += steps.pop()[1]
        clock[0] = end
        return False

    def wait_until(moment: float) -> bool:  # (the next night's round: not run)
        return moment > restart + 3600.0

    monkeypatch.setattr(fetch_module, "fetch_once", fetch_once)
    fetcher._pause, fetcher._wait_until = pause, wait_until  # type: ignore[method-assign]
    fetcher._thread = threading.Thread(target=lambda: None)
    under_way = fetcher.start(held=held)
    fetcher._thread.join()
    fetcher._run()
    handed = []
    while not events.empty():
        handed.append(events.get_nowait().result)
    return under_way, tries, handed


def test_a_step_forward_during_the_server_s_wait_moves_the_round_s_bound(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A restart at 01:30 during a 429's wait until 01:40; NTP sets the clock 20 min forward at 01:31, the network up
    # from 02:05. The check's try, moved with the step, starts at 02:00 (from a start at 01:50 on the new clock), and
    # the check waits for the round's tries up to 02:10; the round kept its bound on the clock before the step (01:50):
    # its first try failed, its next was not asked, and the check went on as for 100 % clouds.
    restart = at(2024, 1, 11, 1, 30)
    under_way, tries, handed = held_night(monkeypatch, restart, kept_wait(restart - 300.0, restart + 600.0),
                                          (restart + 60.0, 1200.0), at(2024, 1, 11, 2, 5))
    assert tries == ["02:00:00", "02:05:00"]
    assert under_way is not None
    h = late_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(under_way, restart)
    ticks(h, restart, restart + 60.0, step_s=5.0)
    h.reg.clock_stepped_forward(1200.0)
    now = restart + 1260.0
    for result in handed:
        came_at = result.at if isinstance(result, ForecastFailure) else result.fetched_at
        ticks(h, now, came_at + 5.0, step_s=5.0)
        assert checks(caplog) == []
        h.reg.on_forecast(result, came_at + 5.0)
        now = came_at + 6.0
    ticks(h, now, now + 10.0, step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]


def test_a_step_back_during_the_server_s_wait_moves_the_round_s_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same, the clock set 10 min back at 01:31, no network: the check waits for the tries up to 01:40 (from a start
    # at 01:20 on the new clock), the tries at 01:30 and 01:35; the round asked at 01:40 too, for no check.
    restart = at(2024, 1, 11, 1, 30)
    _, tries, _ = held_night(monkeypatch, restart, kept_wait(restart - 300.0, restart + 600.0),
                             (restart + 60.0, -600.0), at(2024, 1, 11, 3))
    assert tries == ["01:30:00", "01:35:00"]
