"""A frozen meter (the same bytes again and again: the sensor loop hung, the MQTT loop still runs) goes
stale after meter_timeout exactly like a silent one; a real-looking meter never trips the rule; and the
silent-meter cut-off is due at meter_timeout itself (next_deadline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.pzem import PzemMeter
from tests.configs import reading, write_config
from tests.harness import CONS, NOON, PROD, Harness

RADIATOR = "cmnd/radiator/POWER"
# The campaign's payload, byte for byte: an ESP8266 whose sensor loop hung repeats its last reading.
FROZEN = (b'{ "voltage": 231.40, "current": 1.23, "power": 276.00, "energy": 1234.00, "frequency": 50.00, '
          b'"powerfactor": 0.98, "ppm_err": 0}')


@pytest.fixture
def relays(tmp_path: Path) -> Harness:
    return Harness(write_config(tmp_path, ("radiator", "small")))


def test_a_frozen_consumption_meter_goes_stale_like_a_silent_one(relays: Harness) -> None:
    relays.meters(300, 1800, NOON)
    assert relays.last(RADIATOR) == "ON"
    relays.reg.handle(CONS, FROZEN, NOON + 1)
    t = NOON + 1
    while t < NOON + 30:  # it goes on publishing the same bytes every 2 s; production stays alive
        t += 2
        relays.reg.handle(CONS, FROZEN, t)
        relays.reg.handle(PROD, reading(1800), t + 0.01)
        relays.reg.tick(t + 0.02)
        if t + 0.02 - (NOON + 1) >= 10:
            break
        assert relays.reg.stale_reason is None, t - NOON
    assert relays.last(RADIATOR) == "OFF"
    doc = relays.reg.status(t)
    assert doc["state"] == "stale" and "consumption meter frozen" in doc["stale_reason"]
    # A new reading (the sensor loop is back): regulation resumes.
    relays.meters(300, 1800, t + 2)
    relays.meters(300, 1800, t + 5)
    assert relays.reg.stale_reason is None and relays.last(RADIATOR) == "ON"


def test_a_repeat_is_not_a_new_reading(relays: Harness) -> None:
    relays.reg.handle(CONS, FROZEN, NOON)
    relays.reg.handle(PROD, reading(1800), NOON + 0.01)
    n = len(relays.statuses())
    relays.reg.handle(CONS, FROZEN, NOON + 3)
    relays.reg.handle(PROD, reading(1800), NOON + 3.01)
    assert len(relays.statuses()) == n  # no decision on a consumption that did not really come again
    assert relays.reg.consumption.repeats == 1 and relays.reg.consumption.last.received_at == NOON


def test_a_stale_cut_off_is_due_at_meter_timeout_itself(relays: Harness) -> None:
    relays.meters(300, 1800, NOON)
    assert relays.reg.next_deadline() == pytest.approx(NOON + 10)
    relays.reg.tick(NOON + 9.999)
    assert relays.reg.stale_reason is None
    relays.reg.tick(NOON + 10)  # the deadline itself: within meter_timeout, not up to a tick later
    assert relays.reg.stale_reason is not None and relays.last(RADIATOR) == "OFF"
    assert relays.reg.next_deadline() is not None  # midnight still comes


def test_a_force_end_is_a_deadline(relays: Harness) -> None:
    relays.meters(300, 1800, NOON)
    relays.reg.handle("regul/mode", b'{"command": "force", "name": "small", "power": 300, "duration": 3}', NOON + 1)
    assert relays.reg.next_deadline() == pytest.approx(NOON + 4)


def test_real_looking_meters_never_trip_the_rule(relays: Harness) -> None:
    # The simulator's PZEM moves its voltage and energy like the real module, even at night at 0 W.
    cons, prod = PzemMeter(), PzemMeter()
    t = NOON
    for _ in range(500):
        t += 2
        relays.reg.handle(CONS, cons.reading(300, 2).encode(), t)
        relays.reg.handle(PROD, prod.reading(0, 2).encode(), t + 0.01)
        relays.reg.tick(t + 0.02)
        assert relays.reg.stale_reason is None
    assert relays.reg.consumption.repeats == 0 and relays.reg.production.repeats == 0


def test_the_rule_can_be_turned_off_for_a_meter_that_sends_only_a_power(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("radiator", "small"))
    path.write_text(path.read_text().replace("timezone = Europe/Paris\n", "timezone = Europe/Paris\n"
                                             "frozen_meter = false\n"))
    h = Harness(path)
    t = NOON
    for _ in range(20):
        t += 2
        h.reg.handle(CONS, b'{"power": 300}', t)
        h.reg.handle(PROD, b'{"power": 1800}', t + 0.01)
        h.reg.tick(t + 0.02)
    assert h.reg.stale_reason is None and h.last(RADIATOR) == "ON"


def test_the_frozen_warning_says_how_to_tell_and_what_a_hand_fed_reading_needs(
        relays: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # An owner feeding readings by hand (mosquitto_pub, the same payload each time) saw regulation stop after 10 s
    # with "frozen" and nothing on what made it so, nor what to change.
    relays.meters(300, 1800, NOON)
    t = NOON
    while relays.reg.stale_reason is None:
        t += 2
        relays.reg.handle(CONS, FROZEN, t)
        relays.reg.handle(PROD, reading(1800), t + 0.01)
        relays.reg.tick(t + 0.02)
    warnings = [r.getMessage() for r in caplog.records if "every unforced load to 0 W" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "the very same bytes" in warnings[0] and "for 10 s" in warnings[0]
    assert "by hand" in warnings[0] and "vary" in warnings[0] and "frozen_meter = false" in warnings[0]
    # the status keeps its short reason (a dashboard shows it)
    assert "by hand" not in relays.reg.status(t)["stale_reason"]
