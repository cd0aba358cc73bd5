"""A restart after tonight's check ran (at 02:00, check_at 01:00, the status file saved after the check) has no check
due: the fetcher took the night's check for one due late, as after a restart over it. Its start said `the fetch at
start asks when the wait ends, ..., for the 01:00 check due meanwhile, which waits for it` (and asked then, for no
check), its round at start was cut at the tries that check would wait for, `(the check due, late, waits no longer)`.
The daemon tells the fetcher up to when the seed rule's checks are done, as the restored rule will see them."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from field.forecast import ForecastFailure
from settings.config import load_settings
from shell.daemon import Daemon
from shell.forecast_wait import request_digest
from shell.lock import InstanceLock
from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.test_forecast_held_start import LIMITED, kept_wait
from tests.test_forecast_kept import OWM
from tests.test_forecast_night import night, owm, unreachable

CHECKED = at(2024, 1, 11, 1, 0, 2)  # tonight's check ran (its last tick after it)
NOT_CHECKED = at(2024, 1, 11, 0, 50)  # PySEB down over the check: due, late
DUE_LATE = "the 01:00 check due meanwhile"


@pytest.mark.parametrize("checked_until, asked", [(CHECKED, []), (NOT_CHECKED, ["11 02:10:00", "11 02:15:00"])],
                         ids=["checked", "due-late"])
def test_a_restart_after_the_check_during_a_wait_says_no_check_due(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, checked_until: float,
        asked: list[str]) -> None:
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 2), lambda now: unreachable,
                     held=kept_wait(at(2024, 1, 11, 1, 55), at(2024, 1, 11, 2, 10)),
                     checks_done=lambda now: checked_until, until=at(2024, 1, 11, 3))
    assert tries == asked
    said = [r.getMessage() for r in caplog.records if "last fetch" in r.getMessage()]
    if checked_until == CHECKED:
        assert said == [f"forecast: no fetch at start: the last fetch, 5 min ago, failed ({LIMITED}), and the server "
                        "asks to wait (a restart loop would ask at every start): not asked before "
                        "2024-01-11T02:10:00+01:00 (a start after it asks), or at once when [openweathermap] changes; "
                        "the daily round still asks from 50 min before check_at (from that time, when later)"]
        assert DUE_LATE not in caplog.text
    else:  # (as before: a late check due, the try at the wait's end for it)
        assert f"for {DUE_LATE}, which waits for it" in said[0]


def test_a_restart_after_the_check_asks_its_round_at_start_as_any_start(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 1, 30), lambda now: unreachable, settings=owm(attempts=5),
                     checks_done=lambda now: CHECKED, until=at(2024, 1, 11, 2, 30))
    assert tries == ["11 01:30:00", "11 01:35:00", "11 01:40:00", "11 01:45:00", "11 01:50:00"]

    def in_trouble(now: float) -> ForecastFailure:
        return ForecastFailure("HTTP 503", now, retry_after_s=1800.0, ask_again_after=now + 1800.0)

    tries, _ = night(monkeypatch, at(2024, 1, 11, 1, 30), lambda now: in_trouble, checks_done=lambda now: CHECKED,
                     until=at(2024, 1, 11, 3))
    assert tries == ["11 01:30:00", "11 02:00:00"]
    assert "the check due, late, waits no longer" not in caplog.text and "for that check" not in caplog.text
    # (the check not done: its round cut at the tries it waits for, as before)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 1, 30), lambda now: unreachable, settings=owm(attempts=5),
                     checks_done=lambda now: NOT_CHECKED, until=at(2024, 1, 11, 2, 30))
    assert len(tries) == 4


def saved_after(tmp_path: Path, config: Path, last_tick: float, failed_at: float, until: float) -> dict[str, object]:
    """The status a regulator running since the day before saved at `last_tick`, a 429 at `failed_at` asking to wait
    until `until`."""
    h = Harness(config)
    ticks(h, at(2024, 1, 10, 0, 30), last_tick, step_s=60.0)
    digest = request_digest(owm_of(config))
    h.reg.on_forecast(ForecastFailure(LIMITED, failed_at, retry_after_s=until - failed_at, ask_again_after=until,
                                      request_digest=digest), failed_at)
    return json.loads(json.dumps(h.reg.status(last_tick)))  # type: ignore[no-any-return]


def owm_of(config: Path) -> object:
    settings = load_settings(config).field.owm_to_fetch()
    assert settings is not None
    return settings


@pytest.mark.parametrize("last_tick, under_way", [(at(2024, 1, 11, 1, 56), False), (at(2024, 1, 11, 0, 50), True)],
                         ids=["saved-after-the-check", "saved-before-it"])
def test_the_daemon_tells_the_fetcher_the_checks_done(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                      last_tick: float, under_way: bool) -> None:
    config = field_config(tmp_path, extra=OWM + "url = http://127.0.0.1:9/x\n")
    saved = saved_after(tmp_path, config, last_tick, at(2024, 1, 11, 1, 55), at(2024, 1, 11, 2, 10))
    built = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))
    assert built.fetcher is not None
    built.reg.restore(saved, at(2024, 1, 11, 2))
    built.fetcher._clock = lambda: at(2024, 1, 11, 2)
    built.fetcher._thread = threading.Thread(target=lambda: None)  # (its fetches not run)
    caplog.set_level(logging.INFO)
    built._start_fetcher()
    built.fetcher._thread.join()
    assert (built.reg.field.forecast.awaited() is not None) == under_way
    assert (DUE_LATE in caplog.text) == under_way


def test_the_checks_done_are_the_restored_rule_s(tmp_path: Path) -> None:
    config = field_config(tmp_path, extra=OWM)
    # (a fresh start runs no check before it)
    assert Harness(config).reg.field.seed_checks_done_until(at(2024, 1, 11, 1, 30)) == at(2024, 1, 11, 1, 30)
    again = Harness(config)
    again.reg.restore(saved_after(tmp_path, config, NOT_CHECKED, at(2024, 1, 11, 0, 45), at(2024, 1, 11, 0, 46)),
                      at(2024, 1, 11, 1, 30))
    assert again.reg.field.seed_checks_done_until(at(2024, 1, 11, 1, 30)) == NOT_CHECKED
    # (check_at moved from 03:00 to 01:00 while stopped from 02:00: its 01:00 check passed unchecked, due at the start)
    h = Harness(field_config(tmp_path, evaluate="check_at = 3\n"))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 2, 0))
    moved = Harness(field_config(tmp_path, evaluate="check_at = 1\n"))
    assert moved.reg.restore(json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 2)))), at(2024, 1, 11, 2, 5)) == []
    assert moved.reg.field.seed_checks_done_until(at(2024, 1, 11, 2, 5)) == at(2024, 1, 11, 1) - 1.0
