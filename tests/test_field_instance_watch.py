"""Another publisher on this instance's status topic (two PySEB on one [mqtt] topic_regul): one warning."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.clock_watch import steady_s
from shell.daemon import Daemon
from shell.link_events import Message
from shell.lock import InstanceLock
from tests.configs import write_config
from tests.harness import NOON, Harness
from values.status_json import instance_fragment

STATUS = "regul/status"
WARNING = "this PySEB's status topic"


def started(tmp_path: Path, client_id: str = "pyseb-test") -> Harness:
    h = Harness(write_config(tmp_path, client_id=client_id))
    h.reg.start(NOON)
    h.meters(500, 2000, NOON + 1)
    return h


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and WARNING in r.getMessage()]


def test_the_status_topic_is_read_live_only(tmp_path: Path) -> None:
    reg = started(tmp_path).reg
    assert STATUS in reg.subscriptions() and f"{STATUS}/#" in reg.live_only_topics()  # (a retained one: old news)


def test_its_own_statuses_coming_back_say_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = started(tmp_path, client_id="Дом-1")
    own = h.on(STATUS)
    assert own and json.loads(own[-1])["client_id"] == "Дом-1"
    for payload in own:
        h.reg.handle(STATUS, payload.encode(), NOON + 2)
    assert warnings(caplog) == []


@pytest.mark.parametrize("client_id", ["pyseb-test", "Дом-1", 'a "quoted" \\ id'])
def test_a_real_encoded_status_holds_its_instance_fragment(tmp_path: Path, client_id: str) -> None:
    # The watch knows its own statuses by instance_fragment's bytes: the status the regulator publishes (its own
    # encoder, a client id ASCII-escaped, quoted or not) must hold them, or every status of ours is 'another's'.
    h = started(tmp_path, client_id=client_id)
    published = h.on(STATUS)[-1]
    assert json.loads(published)["client_id"] == client_id
    assert instance_fragment(client_id) in published.encode()
    assert instance_fragment(client_id[:-1]) not in published.encode()  # (the whole id, to its closing quote)


def test_another_instance_s_status_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = started(tmp_path)
    other = json.loads(h.on(STATUS)[-1]) | {"client_id": "pyseb-garage"}
    for at in (2, 3, 4):
        h.reg.handle(STATUS, json.dumps(other).encode(), NOON + at)
    said = warnings(caplog)
    assert len(said) == 1
    assert "another PySEB (client id 'pyseb-garage')" in said[0] and "give each instance its own topic_regul" in said[0]


def test_a_status_without_an_instance_is_said_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Something publishing beside this one that is no status at all (the seed's and an older PySEB's: below).
    h = started(tmp_path)
    h.reg.handle(STATUS, b"not json", NOON + 2)
    h.reg.handle(STATUS, b'{"date": 1699959600, "equipments": []}', NOON + 3)
    said = warnings(caplog)
    assert len(said) == 1 and "something else" in said[0]
    assert h.load("ecs").current_power_w >= 0  # nothing else changes


def test_a_retained_status_is_old_news_said_at_debug_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # PySEB never retains its status: one retained on the topic is someone's leftover (the seed's, a test's), sent
    # again at every connect. Ignored, as a retained Domoticz update is: not the warning for a retained reading or
    # command ("readings and commands must not be retained"), which says something wrong of it, at every connect.
    daemon = Daemon(load_settings(write_config(tmp_path)), InstanceLock(tmp_path / "test.lock"))
    daemon._started = True
    handled: list[str] = []
    daemon.reg.handle = lambda topic, payload, now: handled.append(topic)  # type: ignore[method-assign]
    with caplog.at_level(logging.DEBUG):
        daemon._on_message(Message(STATUS, b'{"date": 1699959600, "equipments": []}', steady_s(), True))
    assert handled == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any(f"ignoring a retained message on {STATUS}" in r.getMessage() for r in caplog.records)


def test_the_seeds_status_says_to_stop_the_seed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A seed user's power_regulation.py left running (its cron line) beside PySEB drives the same heater and relays:
    # a topic_regul of its own for each, the advice for two PySEBs, would hide the clash and leave both driving them.
    h = started(tmp_path)
    seed = {"date": 1667677826, "date_str": "2022-11-05 20:50:26", "power_consumption": 342, "grid": 0,
            "equipments": [{"name": "ecs", "current_power": 0, "energy": 5222.0, "forced": False, "overed": True}]}
    h.reg.handle(STATUS, json.dumps(seed).encode(), NOON + 2)
    said = warnings(caplog)
    assert len(said) == 1
    assert "the seed (Hébert's power_regulation.py or Coturex's regulation.py: a status without PySEB's" in said[0]
    assert "its cron line (crontab -e), Coturex's service (sudo systemctl disable --now pv_router)" in said[0]
    assert "its own topic_regul" not in said[0]


@pytest.mark.parametrize("document", [
    {"date": 1699959600, "grid": 0},  # no list of loads: some other tool's JSON
    {"date": 1699959600, "equipments": [], "client_id": "pyseb-garage"},  # an instance named: no seed names one
])
def test_a_status_not_of_the_seed_s_shape_is_not_named_the_seed(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                 document: dict) -> None:
    h = started(tmp_path)
    h.reg.handle(STATUS, json.dumps(document).encode(), NOON + 2)
    said = warnings(caplog)
    assert len(said) == 1 and "the seed (Hébert's" not in said[0]


def test_an_older_pysebs_status_keeps_the_advice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = started(tmp_path)
    older = json.loads(h.on(STATUS)[-1])
    del older["client_id"]  # (a PySEB older than 2026-12-02: a status of schema_version 1, without its instance)
    h.reg.handle(STATUS, json.dumps(older).encode(), NOON + 2)
    said = warnings(caplog)
    assert len(said) == 1 and "a PySEB older than 2026-12-02" in said[0] and "its own topic_regul" in said[0]
