"""A check due while a fetch's try is under way waits for it, up to the try's own deadline: a start just before or
after check_at (a restart at 00:59:58, a late check after a reboot) ran the night's check before the start's fetch
ended, said `no forecast received for that day` while the answer was seconds away, and forced as for a 100 % cloudy
sky. The fetch thread says when a try starts (FetchUnderWay), the daemon hands the one at start over before its loop
runs a single timer pass."""

from __future__ import annotations

import json
import logging
import queue
import threading
from pathlib import Path

import pytest

import shell.forecast_fetch as fetch_module
from field.forecast import ForecastFailure, parse_owm_answer
from field.forecast_pending import FetchUnderWay
from settings.config import load_settings
from shell.daemon import Daemon
from shell.forecast_fetch import ForecastFetcher
from shell.lock import InstanceLock
from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.owm_server import forecast_doc, utc
from tests.test_forecast_kept import OWM
from tests.test_forecast_night import NO_NETWORK, night, owm, unreachable

SUNNY = forecast_doc(utc(2024, 1, 10, 0), lambda t: 10 if t.hour in (9, 12) else 90)


def counted_night(tmp_path: Path) -> Harness:
    """A regulator running since the day before (the check weighs a whole window), up to 00:59."""
    h = Harness(field_config(tmp_path, extra=OWM))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 50), step_s=600.0)
    h.reg.tick(at(2024, 1, 11, 0, 59))
    return h


def checks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("low-energy fallback: forcing")]


def test_a_check_due_during_the_fetch_at_start_waits_for_its_answer(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 0, 59, 58), 10.0), at(2024, 1, 11, 0, 59, 58))
    ticks(h, at(2024, 1, 11, 1), at(2024, 1, 11, 1, 0, 6), step_s=1.0)
    assert checks(caplog) == [] and "no cloud forecast" not in caplog.text
    assert [r.getMessage() for r in caplog.records if "waits" in r.getMessage()] == [
        "low-energy fallback: the 01:00 check waits for the forecast fetch at start under way (its answer by "
        "01:00:10 at the latest)"]
    answer = parse_owm_answer(200, json.dumps(SUNNY).encode(), at(2024, 1, 11, 1, 0, 7))
    h.reg.on_forecast(answer, at(2024, 1, 11, 1, 0, 7))
    ticks(h, at(2024, 1, 11, 1, 0, 7), at(2024, 1, 11, 1, 0, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]
    assert "no cloud forecast" not in caplog.text


def test_the_wait_ends_at_the_try_s_deadline(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # (a fetch thread held past its try's deadline: the check does not wait for it longer)
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 0, 59, 58), 10.0), at(2024, 1, 11, 0, 59, 58))
    ticks(h, at(2024, 1, 11, 1), at(2024, 1, 11, 1, 0, 9), step_s=1.0)
    assert checks(caplog) == []
    ticks(h, at(2024, 1, 11, 1, 0, 10), at(2024, 1, 11, 1, 0, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 100 % on 2024-01-11" in checks(caplog)[0]
    assert ("no cloud forecast for 2024-01-11 (the forecast fetch at start, under way since 00:59:58, gave no answer "
            "by 01:00:10): counted as 100 % cloudy, as the seed did") in caplog.text


def test_a_failed_try_ends_the_wait(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # (its next try would come after the check: the check goes on with what failed, as before)
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 0, 59, 58), 10.0), at(2024, 1, 11, 0, 59, 58))
    h.reg.tick(at(2024, 1, 11, 1))
    h.reg.on_forecast(ForecastFailure(NO_NETWORK, at(2024, 1, 11, 1, 0, 2), final=False), at(2024, 1, 11, 1, 0, 2))
    ticks(h, at(2024, 1, 11, 1, 0, 2), at(2024, 1, 11, 1, 0, 8), step_s=1.0)
    assert len(checks(caplog)) == 1 and f"openweathermap: {NO_NETWORK} (the try at 01:00:02" in checks(caplog)[0]


def test_no_fetch_under_way_no_wait(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.tick(at(2024, 1, 11, 1))
    assert len(checks(caplog)) == 1 and "waits" not in caplog.text


@pytest.mark.parametrize(("kept_at", "under_way"), [(None, True), (at(2024, 1, 11, 0, 30), False)],
                         ids=["fetch at start", "kept forecast"])
def test_the_fetcher_says_its_fetch_at_start_as_it_starts(monkeypatch: pytest.MonkeyPatch, kept_at: float | None,
                                                          under_way: bool) -> None:
    said: list[FetchUnderWay | None] = []
    real_start = ForecastFetcher.start
    monkeypatch.setattr(ForecastFetcher, "start", lambda self, **kw: said.append(real_start(self, **kw)))
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 40), lambda now: unreachable, kept_at=kept_at)
    assert said == ([FetchUnderWay("at start", at(2024, 1, 11, 0, 40), owm().timeout_s)] if under_way else [None])
    assert (tries[:1] == ["11 00:40:00"]) == under_way
    if under_way:
        assert said[0] is not None and said[0].ends_by == at(2024, 1, 11, 0, 40) + owm().timeout_s + 2.0


def test_the_daemon_hands_the_fetch_at_start_over_before_its_loop(tmp_path: Path) -> None:
    # (queued by the fetch thread only, a Connected queued before it started the regulator, whose first timer pass
    # ran the check before the loop took the fetch's word)
    config = field_config(tmp_path, extra=OWM + "url = http://127.0.0.1:9/x\n")
    built = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))
    assert built.fetcher is not None
    built.fetcher._thread = threading.Thread(target=lambda: None)  # (its fetches not run)
    built._start_fetcher()
    built.fetcher._thread.join()
    awaited = built.reg.field.forecast.awaited()
    assert awaited is not None and awaited.why == "at start"


def test_the_fetch_at_start_is_said_with_its_thread_running(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the real thread, not a stand-in: started first, its round dated itself before start() read whether it fetches,
    # and start() said no fetch was under way; the check did not wait)
    gate = threading.Event()

    def held_fetch(_settings: object, _clock: object) -> ForecastFailure:
        gate.wait(5.0)
        return ForecastFailure(NO_NETWORK, at(2024, 1, 11, 0, 40, 1), retry=False)

    monkeypatch.setattr(fetch_module, "fetch_once", held_fetch)
    for _ in range(20):
        fetcher = ForecastFetcher(owm(), 1, None, queue.SimpleQueue(), clock=lambda: at(2024, 1, 11, 0, 40))
        try:
            said = fetcher.start()
        finally:
            fetcher._stop.set()
            gate.set()
            fetcher._thread.join(5.0)
            gate.clear()
        assert said == FetchUnderWay("at start", at(2024, 1, 11, 0, 40), owm().timeout_s)
