"""The decision core in-process: start, fresh-data rule, period, stale meters, force, status, midnight."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.configs import reading, write_config
from tests.field_domoticz import DZ_OUT, RADIATOR_SWITCH, switch
from tests.field_house import ECS_STATUS, field_config
from tests.harness import CONS, MODE, NOON, PROD, Harness

RADIATOR = "cmnd/radiator/POWER"
SMALL = "regul/cload/small"


@pytest.fixture
def relays(tmp_path: Path) -> Harness:
    return Harness(write_config(tmp_path, ("radiator", "small")))


def test_start_commands_every_load_off_first(relays: Harness) -> None:
    relays.reg.tick(NOON)
    assert relays.sent[:2] == [(RADIATOR, "OFF", True), (SMALL, "0", True)]


def test_surplus_turns_relays_on_in_priority_order(relays: Harness) -> None:
    relays.meters(300, 1800, NOON)  # 1500 W spare minus 20 W margin: radiator (1000) fits, small (300) too
    assert relays.last(RADIATOR) == "ON"
    assert relays.last(SMALL) == "1"


def test_decides_only_on_fresh_readings_of_both_meters(relays: Harness) -> None:
    relays.meters(300, 1800, NOON)
    n = len(relays.statuses())
    # only the consumption meter speaks again: no new decision, however long we wait
    relays.reg.handle(CONS, b'{"power": 2000.00}', NOON + 5)
    relays.reg.handle(CONS, b'{"power": 2000.00}', NOON + 7)
    assert len(relays.statuses()) == n
    relays.reg.handle(PROD, b'{"power": 1800.00}', NOON + 7.1)
    assert len(relays.statuses()) == n + 1
    assert relays.last(SMALL) == "0"  # 2000 > 1780: shed the lowest priority first


def test_at_most_one_decision_per_period(relays: Harness) -> None:
    relays.meters(300, 1800, NOON)
    n = len(relays.statuses())
    relays.meters(3000, 1800, NOON + 1.0)  # fresh, but within period = 2.5 s
    assert len(relays.statuses()) == n
    relays.meters(3000, 1800, NOON + 2.6)
    assert len(relays.statuses()) == n + 1


def test_bad_readings_change_nothing(relays: Harness, caplog: pytest.LogCaptureFixture) -> None:
    relays.meters(300, 1800, NOON)
    before = list(relays.sent)
    for i, payload in enumerate([b'{ "PZEM_READ_ERROR": 3, "pzem_read ": 120, "ppm_err": 1}',
                                 b'{"power": nan}', b"garbage", b'{"power": -3}', b'{"power": 99999999}']):
        relays.reg.handle(PROD, payload, NOON + 3 + i)
        relays.reg.handle(CONS, payload, NOON + 3 + i)
    assert relays.sent == before
    # once per kind and topic at WARNING
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "dropped" in r.message]
    assert len(warnings) == 10


def test_silent_meter_turns_loads_off_then_resumes(relays: Harness) -> None:
    relays.meters(300, 1800, NOON)
    assert relays.last(RADIATOR) == "ON"
    relays.reg.handle(CONS, b'{"power": 1300.00}', NOON + 5)
    relays.reg.tick(NOON + 9)  # production silent for 9 s: still fine (timeout 10)
    assert relays.last(RADIATOR) == "ON"
    relays.reg.tick(NOON + 10.5)
    assert relays.last(RADIATOR) == "OFF" and relays.last(SMALL) == "0"
    status = relays.reg.status(NOON + 10.5)
    assert status["state"] == "stale" and "production" in status["stale_reason"]
    # consumption alone is not enough to resume
    relays.reg.handle(CONS, b'{"power": 300.00}', NOON + 11)
    assert relays.last(RADIATOR) == "OFF"
    relays.meters(300, 1800, NOON + 12)
    assert relays.last(RADIATOR) == "ON"
    assert relays.reg.status(NOON + 12)["state"] == "regulating"


def test_the_resume_says_how_long_the_regulation_was_suspended(relays: Harness,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    # "both meters fresh again: regulation resumes" left the owner to find the WARNING it ended, maybe
    # hours up the log, to know how long the loads were held off.
    relays.meters(300, 1800, NOON)
    relays.reg.handle(CONS, b'{"power": 1300.00}', NOON + 5)
    relays.reg.tick(NOON + 10.5)  # production silent for 10.5 s: suspended
    caplog.set_level("INFO")
    for second in range(11, 140):
        relays.reg.handle(CONS, reading(300), NOON + second)
        relays.reg.tick(NOON + second + 0.5)
    relays.reg.handle(PROD, reading(1800), NOON + 140.5)
    resumed = [(r.levelname, r.getMessage()) for r in caplog.records if "fresh again" in r.getMessage()]
    assert resumed == [("INFO", "both meters fresh again after 2 min 10 s suspended: regulation resumes")]


def test_a_meter_that_talks_but_is_always_refused_is_not_called_silent(relays: Harness) -> None:
    # Power sent with its unit: every message refused. The status said "production meter silent for 10 s" while the
    # meter published every 2 s, and the cause was only in a DEBUG line.
    relays.meters(300, 1800, NOON)
    for i in range(1, 6):
        relays.reg.handle(CONS, b'{"power": 1300.00}', NOON + 2 * i)
        relays.reg.handle(PROD, b'{"power": "1800 W"}', NOON + 2 * i + 0.5)
    relays.reg.tick(NOON + 10.5)
    assert relays.last(RADIATOR) == "OFF"
    reason = relays.reg.status(NOON + 10.5)["stale_reason"]
    assert reason == ("production meter without a usable reading for 10 s (5 message(s) refused, the last: "
                      "'power' is not a number: '1800 W')")
    relays.meters(300, 1800, NOON + 12)  # a good reading: the count starts again
    assert relays.reg.production.refused == 0 and relays.reg.status(NOON + 12)["state"] == "regulating"


def test_read_errors_carry_no_power_and_the_meter_s_age_runs_on(relays: Harness) -> None:
    # PROTOCOL.md: the PZEM's read error comes on the readings' topic, every period, with the key "pzem_read " (a
    # trailing space) and no power. The last good reading's age runs on: after meter_timeout, stale.
    relays.meters(300, 1800, NOON)
    for i in range(1, 6):
        relays.reg.handle(CONS, reading(1300), NOON + 2 * i)
        relays.reg.handle(PROD, b'{ "PZEM_READ_ERROR": 3, "pzem_read ": 120, "ppm_err": 1}', NOON + 2 * i + 0.5)
        relays.reg.tick(NOON + 2 * i + 0.5)
    assert relays.reg.production.power_w == 1800 and relays.last(RADIATOR) == "OFF"
    reason = relays.reg.status(NOON + 10.5)["stale_reason"]
    assert reason == ("production meter without a usable reading for 10 s (5 message(s) refused, the last: the meter "
                      "reports a PZEM read error)")


def test_force_holds_a_load_and_expires(relays: Harness) -> None:
    relays.meters(300, 300, NOON)  # no surplus
    relays.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000,"duration":60}', NOON + 1)
    assert relays.last(RADIATOR) == "ON"
    relays.meters(1300, 300, NOON + 5)  # importing: the forced radiator stays on
    assert relays.last(RADIATOR) == "ON"
    doc = relays.reg.status(NOON + 5)["equipments"][0]
    assert doc["forced"] is True and doc["force_end"] == pytest.approx(NOON + 61)
    relays.reg.tick(NOON + 62)
    assert relays.last(RADIATOR) == "OFF"
    assert relays.reg.status(NOON + 62)["equipments"][0]["forced"] is False


def test_the_end_of_a_timed_force_is_said_with_who_forced(relays: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # A force at 0 W (the radiator kept off for 5 minutes) ended without a word: its unforce changed no watts, and
    # only a change of watts was logged; one at 1000 W said only "radiator: 1000 W -> 0 W (force expired)".
    relays.meters(300, 300, NOON)  # no surplus: the radiator is off
    relays.reg.handle(MODE, b'{"command":"force","name":"radiator","power":0,"duration":300}', NOON + 1)
    relays.load("small").learned_power_w = 320.0  # (measured at its switches: its label says 300 W)
    relays.reg.handle(MODE, b'{"command":"force","name":"small","power":100,"duration":60}', NOON + 1)
    caplog.set_level("INFO")
    relays.reg.tick(NOON + 62)
    relays.reg.tick(NOON + 302)
    lines = [r.getMessage() for r in caplog.records if r.levelname == "INFO" and "force" in r.getMessage()]
    # (the watts it was forced at, as its start said: a relay forced at 100 W is on at its measured 320 W)
    assert lines == ["small: the force at 320 W by regul/mode has run its time: back to the regulation",
                     "small: 320 W -> 0 W (force expired)",
                     "radiator: the force at 0 W by regul/mode has run its time: back to the regulation"]


def test_a_mode_command_says_it_came_from_the_mode_topic(relays: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # A force by Home Assistant or Domoticz named its source at its start; one sent on regul/mode said only
    # "forcing radiator to 1000 W for 60 s", and only its end said "by regul/mode".
    relays.meters(300, 300, NOON)
    caplog.set_level("INFO")
    relays.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000,"duration":60}', NOON + 1)
    relays.reg.handle(MODE, b'{"command":"unforce","name":"radiator"}', NOON + 2)
    relays.reg.handle(MODE, b'{"command":"unforce","name":"radiator"}', NOON + 3)
    lines = [r.getMessage() for r in caplog.records if r.name == "equipments.modes"]
    assert lines == ["forcing radiator to 1000 W for 60 s (regul/mode)", "radiator is no longer forced (regul/mode)",
                     "radiator is not forced: unforce ignored (regul/mode)"]


def test_an_unforce_of_a_load_not_forced_publishes_no_status(relays: Harness) -> None:
    # It changes nothing; each published a whole status document, outside the status pacing (a stranger's 1000 of
    # them in a second: 1000 documents).
    relays.meters(300, 300, NOON)
    before = len(relays.statuses())
    for i in range(100):
        relays.reg.handle(MODE, b'{"command":"unforce","name":"radiator"}', NOON + 1 + i / 100)
    assert len(relays.statuses()) == before
    relays.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000}', NOON + 3)
    relays.reg.handle(MODE, b'{"command":"unforce","name":"radiator"}', NOON + 4)
    assert len(relays.statuses()) == before + 2  # (a force and its unforce: news, at once)


def test_a_burst_of_mode_commands_publishes_a_status_a_second(relays: Harness) -> None:
    # Each force published a whole status document at once: 100 alternating forces in a second, 100 documents to
    # every reader of regul/status. Now one a second at most, the last one's state within the second.
    relays.meters(300, 300, NOON)
    before = len(relays.statuses())
    for i in range(100):
        relays.reg.handle(MODE, b'{"command":"force","name":"radiator","power":%d}' % (1000 * (i % 2)),
                          NOON + 1 + i / 100)
    assert len(relays.statuses()) == before + 1  # (one, at once: a second after the readings' at NOON + 0.01)
    due = relays.reg.next_deadline()
    assert due == pytest.approx(NOON + 2.01)  # (a second after it)
    relays.reg.tick(due - 0.001)
    assert len(relays.statuses()) == before + 1
    relays.reg.tick(due)
    assert len(relays.statuses()) == before + 2
    radiator = next(load for load in relays.statuses()[-1]["equipments"] if load["name"] == "radiator")
    assert (radiator["forced"], radiator["forced_power"]) == (True, 1000)  # (the last force's, 1000 W)
    relays.reg.tick(NOON + 5)
    assert len(relays.statuses()) == before + 2  # (nothing more held)



@pytest.mark.parametrize("source", ["domoticz force switch", "variator gate"])
def test_a_burst_of_news_from_outside_publishes_a_status_a_second(tmp_path: Path, source: str) -> None:
    # A force by a Domoticz switch, a variator's output gated by another client: each published a whole status at
    # once, 100 flips in a second 100 documents (the README: after each force, a second apart at most). Paced as the
    # mode topic's forces now: one at once, the last one's state a second after it.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)  # (Domoticz's answer to the connect's question)
    h.meters(300, 300, NOON + 0.5)
    before = len(h.statuses())
    for i in range(100):
        if source == "variator gate":
            h.reg.handle(ECS_STATUS, json.dumps({"percent": 0, "power": 0, "mode": 0, "state": "OFF" if i % 2 else "ON",
                                                 "msg": "setpower"}).encode(), NOON + 2 + i / 100)
        else:
            h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, i % 2 == 0), NOON + 2 + i / 100)
    assert len(h.statuses()) == before + 1
    h.reg.tick(NOON + 3.5)  # (a second after the first flip that changed something)
    assert len(h.statuses()) == before + 2
    last = {load["name"]: load for load in h.statuses()[-1]["equipments"]}
    if source == "variator gate":
        assert last["ecs"].get("output_off") is True  # (the last flip's, OFF)
    else:
        assert last["radiator"]["forced"] is False  # (the last flip's, Off)

def test_unforce_hands_back_to_regulation(relays: Harness) -> None:
    relays.meters(300, 300, NOON)
    relays.reg.handle(MODE, b'{"command":"force","name":"small","power":300}', NOON + 1)
    assert relays.last(SMALL) == "1"
    relays.reg.tick(NOON + 30 * 24 * 3600)  # no duration: no expiry
    assert relays.load("small").is_forced()
    relays.reg.handle(MODE, b'{"command":"unforce","name":"small"}', NOON + 2)
    assert relays.last(SMALL) == "0"
    assert not relays.load("small").is_forced()


def test_force_above_the_max_switches_the_relay_on(relays: Harness) -> None:
    relays.meters(300, 300, NOON)
    relays.reg.handle(MODE, b'{"command":"force","name":"radiator","power":5000}', NOON + 1)
    assert relays.last(RADIATOR) == "ON" and relays.load("radiator").forced_power_w == 1000


def test_refused_force_changes_nothing(relays: Harness) -> None:
    relays.meters(300, 300, NOON)
    before = list(relays.sent)
    relays.reg.handle(MODE, b'{"command":"force","name":"radiator","power":-5}', NOON + 1)
    relays.reg.handle(MODE, b'{"command":"force","name":"nope","power":50}', NOON + 1)
    relays.reg.handle(MODE, b'{oops', NOON + 1)
    assert relays.sent == before


def test_status_has_the_seed_fields(relays: Harness) -> None:
    relays.meters(342, 2000, NOON)
    doc = relays.statuses()[-1]
    for key in ("date", "date_str", "power_consumption", "power_production", "grid", "injection",
                "power_equipments", "power_house", "production_energy", "equipments", "schema_version"):
        assert key in doc
    assert doc["date_str"] == "2023-11-14 12:00:00"
    assert doc["time"].startswith("2023-11-14T12:00:00+01:00")
    assert doc["grid"] == 0 and doc["injection"] == -1658
    assert doc["meters"]["production"]["age_s"] == 0
    for entry in doc["equipments"]:
        assert set(entry) >= {"name", "current_power", "energy", "forced", "overed", "forced_until"}


def test_energy_counts_and_resets_at_local_midnight(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("radiator",)))
    before_midnight = 1_699_999_200.0  # 2023-11-14 23:00 Paris
    h.meters(100, 1500, before_midnight)
    assert h.last(RADIATOR) == "ON"
    for k in range(1, 1800):  # an hour of readings every 2 s, radiator on throughout
        h.meters(1100, 1500, before_midnight + 2 * k)
    doc = h.reg.status(before_midnight + 3599)
    assert doc["equipments"][0]["energy"] == pytest.approx(1000 * 3599 / 3600, abs=1)
    assert doc["production_energy"] == pytest.approx(1500 * 3598 / 3600, abs=2)
    h.reg.tick(before_midnight + 3601)  # 00:00:01
    doc = h.reg.status(before_midnight + 3601)
    assert doc["equipments"][0]["energy"] == pytest.approx(1000 * 1 / 3600, abs=0.1)
    assert doc["equipments"][0]["energy_yesterday"] == pytest.approx(1000, abs=1)
