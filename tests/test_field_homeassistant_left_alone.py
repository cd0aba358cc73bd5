"""Home Assistant discovery moved, the old place left alone: its availability topic said `online` at the first
connect (another PySEB runs there, or an `online` the broker kept from a run whose end it never heard). The status
file kept only this run's place, and the next start looked for nothing there. Now the place is kept
(`ha_discovery_left_alone`) and looked at again at a few starts, its configs removed when that topic's last word within
the wait is `offline` or none (at a later start, at the wait's end only). Their bound:
test_field_homeassistant_left_alone_bound. Against a real mosquitto and restarts: test_homeassistant_mqtt_moved."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.harness import NOON
from tests.test_field_homeassistant_moved import HA, announced_now, first_run, next_run, removed

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)

MOVED = HA + "node_id = garage\n"
HOUSE = "topic_regul = house\n"
OLD_PLACE = {"prefix": "homeassistant", "node_id": "pyseb_test", "availability_topic": "regul/availability",
             "state_topic": "regul/ha/state"}
FIRST_LEFT = {**OLD_PLACE, "starts": 1, "since": NOON + 1}  # (left alone at the wait's end, its first start)


def _said_online(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
            and "says online: another PySEB runs there now" in r.getMessage()]


def _left_alone_run(tmp_path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """The first run's configs, and the status the second run (node id garage, topic_regul house) saved after leaving
    them alone: the old place said `online`."""
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, MOVED, mqtt_lines=HOUSE)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.handle("regul/availability", b"online", NOON + 0.06, retained=True)
    h.reg.tick(NOON + 1)
    assert removed(h) == [] and len(announced_now(h)) == len(old)
    return old, h.reg.status(NOON + 2)


def test_the_old_place_left_alone_is_kept_in_the_status_file(tmp_path: Path) -> None:
    _, saved = _left_alone_run(tmp_path)
    assert saved["ha_discovery"]["node_id"] == "garage"
    assert saved["ha_discovery_left_alone"] == [FIRST_LEFT]


# (an unknown word, `junk`, leaves them alone at a later look: test_field_homeassistant_left_alone_words)
@pytest.mark.parametrize("word", [b"offline", b""])
def test_the_next_start_removes_its_configs_once_it_says_offline_or_nothing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, word: bytes) -> None:
    old, saved = _left_alone_run(tmp_path)
    caplog.clear()
    # the next start (same config): the old place is looked at again, as at the first connect after the move
    h, warnings = next_run(tmp_path / "c", saved, MOVED, mqtt_lines=HOUSE)
    assert warnings == []
    assert {"homeassistant/+/pyseb_test/+/config", "regul/availability"} <= set(h.reg.subscriptions())
    assert announced_now(h) == []  # (the wait: the old entities go before the new ones come)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.handle("regul/availability", word, NOON + 0.06, retained=True)
    assert removed(h) == []  # (a later start's look waits for the wait's end: an `online` may still come)
    h.reg.tick(NOON + 1)
    assert removed(h) == sorted([*old, "regul/ha/state"])
    assert len(announced_now(h)) == len(old) and _said_online(caplog) == []
    status = h.reg.status(NOON + 2)
    assert "ha_discovery_left_alone" not in status and status["ha_discovery"]["node_id"] == "garage"


def test_still_online_at_the_next_start_it_is_left_alone_and_kept_again_the_warning_not_repeated(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.homeassistant")
    old, saved = _left_alone_run(tmp_path)
    assert len(_said_online(caplog)) == 1
    h, _ = next_run(tmp_path / "c", saved, MOVED, mqtt_lines=HOUSE)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.handle("regul/availability", b"online", NOON + 0.06, retained=True)
    h.reg.tick(NOON + 1)
    # (a second instance running there for good was warned at every start: now an info line, its count)
    assert removed(h) == [] and len(_said_online(caplog)) == 1
    assert any("still says online" in r.getMessage() and "2 starts of 5" in r.getMessage()
               for r in caplog.records if r.levelno == logging.INFO)
    assert h.reg.status(NOON + 2)["ha_discovery_left_alone"] == [{**FIRST_LEFT, "starts": 2}]


def test_a_retained_online_then_a_live_offline_removes_them_at_the_offline(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    # The last word wins: the PySEB there stopped within the wait (its `offline` after the broker's retained
    # `online`): nobody runs there, the configs go at once, a second before this run's announcement.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, MOVED, mqtt_lines=HOUSE)
    h.reg.handle("regul/availability", b"online", NOON + 0.04, retained=True)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    assert removed(h) == []
    h.reg.handle("regul/availability", b"offline", NOON + 0.3)
    assert removed(h) == sorted([*old, "regul/ha/state"]) and announced_now(h) == []
    h.reg.tick(NOON + 1)
    assert _said_online(caplog) == [] and "ha_discovery_left_alone" not in h.reg.status(NOON + 2)


def test_a_retained_offline_then_a_live_online_removes_what_came_before_it_only(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The reverse: a PySEB starting there within the wait. What came while the last word was `offline` is removed
    # (that PySEB announces its own configs at its connect: live, never removed); a retained config after its `online`
    # is left alone, said, and the place kept.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, MOVED, mqtt_lines=HOUSE)
    first, *rest = sorted(old)
    h.reg.handle("regul/availability", b"offline", NOON + 0.04, retained=True)
    h.reg.handle(first, old[first].encode(), NOON + 0.05, retained=True)
    assert removed(h) == sorted([first, "regul/ha/state"])
    h.reg.handle("regul/availability", b"online", NOON + 0.3)
    for topic in rest:
        h.reg.handle(topic, old[topic].encode(), NOON + 0.31, retained=True)
    h.reg.tick(NOON + 1)
    assert removed(h) == sorted([first, "regul/ha/state"]) and len(_said_online(caplog)) == 1
    assert h.reg.status(NOON + 2)["ha_discovery_left_alone"] == [FIRST_LEFT]


def test_a_second_move_reads_the_last_run_s_place_and_keeps_the_one_left_alone_for_later(tmp_path: Path) -> None:
    # Moved again (node id garage to shed) while the first place is left alone: the last run's place (garage) is read
    # back at this connect; the first stays in the file, looked at by a later start.
    old, saved = _left_alone_run(tmp_path)
    h, _ = next_run(tmp_path / "c", saved, HA + "node_id = shed\n", mqtt_lines=HOUSE)
    assert "homeassistant/+/garage/+/config" in h.reg.subscriptions()
    assert "homeassistant/+/pyseb_test/+/config" not in h.reg.subscriptions()
    assert h.reg.status(NOON + 0.5)["ha_discovery_left_alone"] == [FIRST_LEFT]
    h.reg.tick(NOON + 1)
    later = h.reg.status(NOON + 2)
    assert later["ha_discovery"]["node_id"] == "shed" and later["ha_discovery_left_alone"] == [FIRST_LEFT]
    g, _ = next_run(tmp_path / "d", later, HA + "node_id = shed\n", mqtt_lines=HOUSE)
    assert "homeassistant/+/pyseb_test/+/config" in g.reg.subscriptions()


@pytest.mark.parametrize("junk", ["nope", ["nope"], [{"prefix": "homeassistant"}]])
def test_a_left_alone_list_that_is_not_one_is_said_and_dropped(tmp_path: Path, junk: Any) -> None:
    _, saved = _left_alone_run(tmp_path)
    saved["ha_discovery_left_alone"] = junk
    h, warnings = next_run(tmp_path / "c", saved, MOVED, mqtt_lines=HOUSE)
    assert len(warnings) == 1 and "ha_discovery_left_alone" in warnings[0], warnings
    assert "regul/availability" not in h.reg.subscriptions()
    assert "ha_discovery_left_alone" not in h.reg.status(NOON + 2)


def test_a_list_with_one_entry_that_is_not_a_place_says_the_others_are_still_looked_at(tmp_path: Path) -> None:
    # (found by a review: the warning said none was looked at again, where the places in it were)
    _, saved = _left_alone_run(tmp_path)
    saved["ha_discovery_left_alone"] = [OLD_PLACE, "junk"]
    h, warnings = next_run(tmp_path / "c", saved, MOVED, mqtt_lines=HOUSE)
    assert "regul/availability" in h.reg.subscriptions()
    assert len(warnings) == 1 and "'junk'" in warnings[0] and "not looked at again" not in warnings[0], warnings
    assert "the places in it are" in warnings[0]
