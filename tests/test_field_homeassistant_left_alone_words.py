"""A later start's look at an old Home Assistant discovery place left alone (its availability topic said `online` at
an earlier start: another PySEB ran there) removes its configs only on PySEB's own word for a stop, a retained
`offline`, or on no word at all (nothing retained there, or cleared by hand): that place was seen live once. Any other
word (`junk`, `1`, `Online`: not PySEB's, whoever wrote it) removed a live instance's entities unsaid; now they are left
alone, said with the word, and the place kept and counted as at an `online`."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.harness import NOON
from tests.test_field_homeassistant_left_alone import OLD_PLACE, _left_alone_run
from tests.test_field_homeassistant_left_alone_bound import _left, _start
from tests.test_field_homeassistant_moved import removed

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)

LATER = NOON + 3600


@pytest.mark.parametrize("word", [b"junk", b"1", b"Online", b"connected"])
def test_an_unknown_word_leaves_the_configs_alone_says_it_and_keeps_the_place(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, word: bytes) -> None:
    old, saved = _left_alone_run(tmp_path)
    caplog.clear()
    h = _start(tmp_path / "c", saved, old, LATER, (word,))
    assert removed(h) == []
    assert _left(h.reg.status(LATER + 2)) == [{**OLD_PLACE, "starts": 2, "since": NOON + 1}]
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(said) == 1, said
    assert f"says {word.decode()!r}, neither online nor offline" in said[0]
    assert "left alone" in said[0] and "mosquitto_sub -v --retained-only -W 2 -t regul/availability" in said[0]


@pytest.mark.parametrize("words", [(b"offline",), (), (b"",), (b"junk", b"offline")])
def test_offline_or_no_word_still_removes_them(tmp_path: Path, words: tuple[bytes, ...]) -> None:
    # (the last word within the wait decides: a live `offline` after a retained unknown word removes them)
    old, saved = _left_alone_run(tmp_path)
    h = _start(tmp_path / "c", saved, old, LATER, words)
    assert removed(h) == sorted([*old, "regul/ha/state"]) and _left(h.reg.status(LATER + 2)) is None


def test_an_unknown_word_at_the_last_start_forgets_the_place_naming_the_word(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old, saved = _left_alone_run(tmp_path)
    saved["ha_discovery_left_alone"] = [{**OLD_PLACE, "starts": 4, "since": NOON + 1}]
    h = _start(tmp_path / "c", saved, old, LATER, (b"junk",))
    assert removed(h) == [] and _left(h.reg.status(LATER + 2)) is None
    [said] = [r.getMessage() for r in caplog.records if "no longer looked at" in r.getMessage()]
    assert "still says 'junk'" in said and "still says online" not in said


@pytest.mark.parametrize(("word", "late_removed"), [(b"junk", False), (b"online", False), (b"offline", True)])
def test_a_config_read_back_after_the_wait_follows_the_word_that_decided(
        tmp_path: Path, word: bytes, late_removed: bool) -> None:
    # (a retained config the broker delivers after the wait's end, in the same connection: an unknown word left the
    # others alone, and this one was removed, as at a first look's `offline`)
    old, saved = _left_alone_run(tmp_path)
    late, *rest = sorted(old)
    h = _start(tmp_path / "c", saved, {topic: old[topic] for topic in rest}, LATER, (word,))
    before = removed(h)
    h.reg.handle(late, old[late].encode(), LATER + 1.5, retained=True)
    assert (late in removed(h)) is late_removed and (late in before) is False


def test_the_first_warning_says_which_words_remove_them_later(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    # (it said "removed if that topic no longer says online", which an unknown word no longer does)
    _left_alone_run(tmp_path)
    [said] = [r.getMessage() for r in caplog.records if "says online: another PySEB runs there" in r.getMessage()]
    assert "removed if that topic then says offline or nothing" in said and "no longer says online" not in said
