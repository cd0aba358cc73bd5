"""An old Home Assistant discovery place left alone (its availability topic said `online`) is looked at again at a
few starts only: forgotten, with a last warning that says what to do, at the first start that finds it `online` once
it was left alone at 5 starts (the first included) or 7 days after the first. Looking at it for ever removed a live
other PySEB's configs at any start where its last word was `offline` (its restart, a shared host's reboot), warned a
second instance running there for good at every start, and never cleared a stale `online` (only a hand does). A later
start's look removes at the wait's end only: a retained `offline`, then the `online` of a PySEB starting there within
the wait, removes nothing. The count round trips in the status file (`starts`, `since`); a file without them (the
first version's) begins it afresh."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from field.homeassistant_left_alone import LEFT_ALONE_MAX_AGE_S, LEFT_ALONE_MAX_STARTS
from tests.configs import with_mqtt_lines, write_config
from tests.harness import NOON, Harness
from tests.test_field_homeassistant_left_alone import HOUSE, MOVED, OLD_PLACE, _left_alone_run
from tests.test_field_homeassistant_moved import announced_now, removed

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)

DAY = 86400.0


def _start(directory: Path, saved: dict[str, Any], old: dict[str, str], now: float,
           words: tuple[bytes, ...] = (b"online",)) -> Harness:
    """A start of the moved config at `now`, restored from `saved` (through JSON, as the file is): the old configs
    retained, then `words` on the old place's availability topic (the first retained), the wait's end at now + 1."""
    directory.mkdir()
    h = Harness(with_mqtt_lines(write_config(directory, ("ecs", "radiator"), extra=MOVED), HOUSE))
    assert h.reg.restore(json.loads(json.dumps(saved)), now) == []
    h.reg.start(now)
    h.reg.on_connected(now)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), now + 0.05, retained=True)
    for n, word in enumerate(words):
        h.reg.handle("regul/availability", word, now + 0.06 + n * 0.1, retained=n == 0)
    h.reg.tick(now + 1)
    return h


def _left(status: dict[str, Any]) -> list[dict[str, Any]] | None:
    return status.get("ha_discovery_left_alone")


def _forgotten(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
            and "no longer looked at" in r.getMessage()]


def test_still_online_it_is_forgotten_at_the_fifth_start_with_what_to_do(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old, saved = _left_alone_run(tmp_path)  # (the first start: left alone)
    for start in range(2, LEFT_ALONE_MAX_STARTS):
        h = _start(tmp_path / f"s{start}", saved, old, NOON + start * 3600)
        saved = h.reg.status(NOON + start * 3600 + 2)
        assert removed(h) == [] and _left(saved) == [{**OLD_PLACE, "starts": start, "since": NOON + 1}]
        assert _forgotten(caplog) == []
    h = _start(tmp_path / "last", saved, old, NOON + 5 * 3600)
    assert removed(h) == [] and _left(h.reg.status(NOON + 5 * 3600 + 2)) is None
    [said] = _forgotten(caplog)
    assert "at 5 starts over 0.2 days" in said and "delete that device in Home Assistant" in said
    assert "mosquitto_pub -r -n -t regul/availability clears the stale online" in said
    assert "mosquitto_sub -v --retained-only -W 2 -t homeassistant/+/pyseb_test/+/config" in said
    # the next start looks for nothing there
    g = _start(tmp_path / "after", h.reg.status(NOON + 5 * 3600 + 2), old, NOON + 6 * 3600)
    assert "regul/availability" not in g.reg.subscriptions() and removed(g) == []


@pytest.mark.parametrize(("days", "kept"), [(6.9, True), (7.0, False), (30.0, False)])
def test_still_online_it_is_forgotten_seven_days_after_it_was_first_left_alone(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, days: float, kept: bool) -> None:
    old, saved = _left_alone_run(tmp_path)
    h = _start(tmp_path / "c", saved, old, NOON + 1 + days * DAY)
    assert removed(h) == []
    left = _left(h.reg.status(NOON + 2 + days * DAY))
    assert left == ([{**OLD_PLACE, "starts": 2, "since": NOON + 1}] if kept else None)
    assert len(_forgotten(caplog)) == (0 if kept else 1)


def test_days_on_do_not_stop_a_removal_once_it_no_longer_says_online(tmp_path: Path) -> None:
    # (the bound forgets a place still `online`; one that stopped is still removed, at a start within the count)
    old, saved = _left_alone_run(tmp_path)
    h = _start(tmp_path / "c", saved, old, NOON + 9 * DAY, (b"offline",))
    assert removed(h) == sorted([*old, "regul/ha/state"]) and _left(h.reg.status(NOON + 9 * DAY + 2)) is None


def test_a_later_look_removes_nothing_when_an_online_follows_the_retained_offline_within_the_wait(
        tmp_path: Path) -> None:
    # The PySEB there restarting as this one starts (its clean stop's `offline` retained, its `online` within the
    # wait): at a first look what came before the `online` was removed; a later look waits for the wait's end.
    old, saved = _left_alone_run(tmp_path)
    h = _start(tmp_path / "c", saved, old, NOON + 3600, (b"offline", b"online"))
    assert removed(h) == []
    assert _left(h.reg.status(NOON + 3602)) == [{**OLD_PLACE, "starts": 2, "since": NOON + 1}]


def test_the_count_round_trips_and_a_file_without_it_begins_it_afresh(tmp_path: Path) -> None:
    old, saved = _left_alone_run(tmp_path)
    counted = {**saved, "ha_discovery_left_alone": [{**OLD_PLACE, "starts": 3, "since": NOON}]}
    g = Harness(with_mqtt_lines(write_config(_mkdir(tmp_path / "d"), ("ecs", "radiator"), extra=MOVED), HOUSE))
    assert g.reg.restore(json.loads(json.dumps(counted)), NOON + 3600) == []
    g.reg.start(NOON + 3600)
    g.reg.on_connected(NOON + 3600)
    # (before the wait's end, saved as read)
    assert _left(g.reg.status(NOON + 3600.5)) == [{**OLD_PLACE, "starts": 3, "since": NOON}]
    # the first version's file: no count; counted from this look, as a second start
    f = _start(tmp_path / "e", {**saved, "ha_discovery_left_alone": [OLD_PLACE]}, old, NOON + 2 * DAY)
    assert _left(f.reg.status(NOON + 2 * DAY + 2)) == [{**OLD_PLACE, "starts": 2, "since": NOON + 2 * DAY + 1}]


@pytest.mark.parametrize(("starts", "since", "now_starts", "now_since"), [
    ("3", NOON, 2, NOON),  # (a count that is no number: one start)
    (True, NOON, 2, NOON),
    (0, "junk", 2, NOON + 3601),  # (no usable date: since this look)
    (99, NOON, None, None),  # (far over: the next look that finds it online forgets it)
    (2, NOON + 30 * DAY, 3, NOON + 3601),  # (a date ahead: a clock set back since; counted from this look)
])
def test_a_hand_edited_count_is_read_in_the_safe_direction(tmp_path: Path, starts: Any, since: Any,
                                                           now_starts: int | None, now_since: float | None) -> None:
    old, saved = _left_alone_run(tmp_path)
    h = _start(tmp_path / "c", {**saved, "ha_discovery_left_alone": [{**OLD_PLACE, "starts": starts,
                                                                       "since": since}]}, old, NOON + 3600)
    left = _left(h.reg.status(NOON + 3602))
    assert left == (None if now_starts is None else [{**OLD_PLACE, "starts": now_starts, "since": now_since}])
    assert removed(h) == []


def test_a_later_look_whose_availability_topic_is_refused_removes_nothing_and_forgets_the_place(
        tmp_path: Path) -> None:
    old, saved = _left_alone_run(tmp_path)
    h = Harness(with_mqtt_lines(write_config(_mkdir(tmp_path / "c"), ("ecs", "radiator"), extra=MOVED), HOUSE))
    h.reg.restore(saved, NOON + 3600)
    h.reg.start(NOON + 3600)
    h.reg.on_connected(NOON + 3600)
    said = h.reg.subscription_refused("regul/availability")
    assert said is not None and "left alone" in said and "no longer looked at" in said, said
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 3600.05, retained=True)
    h.reg.tick(NOON + 3601)
    assert removed(h) == [] and _left(h.reg.status(NOON + 3602)) is None
    assert len(announced_now(h)) == len(old)  # (this run's announcement, at the wait's end)


def test_the_bound_is_what_the_docs_say() -> None:
    docs = Path(__file__).parents[1] / "docs" / "domoticz-and-home-assistant.md"
    text = " ".join(docs.read_text().split())
    assert f"{LEFT_ALONE_MAX_STARTS} starts" in text and f"{LEFT_ALONE_MAX_AGE_S / DAY:g} days" in text


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path
