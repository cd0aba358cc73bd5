"""The first look at an old Home Assistant discovery place (the connect after a new node id, prefix or topic_regul)
follows the later looks' rule on the old place's availability word: its configs are removed on PySEB's own word for a
stop (`offline`) or on no word (nothing retained there, or an empty one), at once (a second before this run's
announcement); any other word (`junk`, `1`, `Online`: not PySEB's, whoever wrote it) says nothing of whether a PySEB
runs there, and leaves them alone, said with the word, the place kept and looked at again at the next starts. The
first look removed them on any word but `online`, where a later look left them alone
(test_field_homeassistant_left_alone_words)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.harness import NOON, Harness
from tests.test_field_homeassistant_left_alone import FIRST_LEFT, HOUSE, MOVED
from tests.test_field_homeassistant_moved import announced_now, first_run, next_run, removed

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)


def _first_look(tmp_path: Path, words: tuple[bytes, ...]) -> tuple[dict[str, str], Harness]:
    """The first run's configs, and the next run (node id garage, topic_regul house) at its first connect: the old
    configs retained, then `words` on the old place's availability topic (the first retained); not yet at the wait's
    end."""
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, MOVED, mqtt_lines=HOUSE)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    for n, word in enumerate(words):
        h.reg.handle("regul/availability", word, NOON + 0.06 + n * 0.1, retained=n == 0)
    return old, h


@pytest.mark.parametrize("word", [b"junk", b"1", b"Online", b"connected"])
def test_an_unknown_word_at_the_first_look_leaves_the_configs_alone_and_keeps_the_place(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, word: bytes) -> None:
    old, h = _first_look(tmp_path, (word,))
    assert removed(h) == []
    h.reg.tick(NOON + 1)
    assert removed(h) == [] and len(announced_now(h)) == len(old)
    assert h.reg.status(NOON + 2)["ha_discovery_left_alone"] == [FIRST_LEFT]
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
            and "regul/availability" in r.getMessage()]
    assert len(said) == 1, said
    assert f"says {word.decode()!r}, neither online nor offline" in said[0] and "not removed" in said[0], said
    assert "mosquitto_pub -r -n -t regul/availability" in said[0], said  # (how to clear the word)
    # a config of the same connection after the wait: left alone too
    late = sorted(old)[0]
    h.reg.handle(late, old[late].encode(), NOON + 1.5, retained=True)
    assert removed(h) == []


@pytest.mark.parametrize("words", [(b"offline",), (b"",), (b"junk", b"offline")])
def test_offline_or_an_empty_word_at_the_first_look_removes_them_at_once(
        tmp_path: Path, words: tuple[bytes, ...]) -> None:
    # (a live `offline` after a retained unknown word: the last word decides, and the removals go when it comes)
    old, h = _first_look(tmp_path, words)
    assert removed(h) == sorted([*old, "regul/ha/state"]) and announced_now(h) == []
    h.reg.tick(NOON + 1)
    assert len(announced_now(h)) == len(old) and "ha_discovery_left_alone" not in h.reg.status(NOON + 2)


def test_no_word_at_the_first_look_removes_them_at_the_wait_s_end(tmp_path: Path) -> None:
    old, h = _first_look(tmp_path, ())
    assert removed(h) == []
    h.reg.tick(NOON + 1)
    assert removed(h) == sorted([*old, "regul/ha/state"]) and len(announced_now(h)) == len(old)


def test_an_unknown_word_then_online_is_left_alone_as_online_says(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    old, h = _first_look(tmp_path, (b"junk", b"online"))
    h.reg.tick(NOON + 1)
    assert removed(h) == []
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
            and "regul/availability" in r.getMessage()]
    assert len(said) == 1 and "says online: another PySEB runs there now" in said[0], said
