"""Every real switch command sent to a relay counts once in the day's figures (the status's report_today, the
midnight report), not only those a decision made: the day's switches were counted from one decision to the next,
so a relay the stale guard switched off and a decision switched on again counted no switch for the two, and the
stop's switch off, after the last decision, none."""

from __future__ import annotations

from pathlib import Path

from tests.configs import write_config
from tests.harness import NOON, Harness

RADIATOR = "cmnd/radiator/POWER"


def switches(h: Harness, now: float) -> int:
    return int(h.reg.status(now)["report_today"]["loads"]["radiator"]["switches"])


def commands_sent(h: Harness) -> int:
    payloads = h.on(RADIATOR)
    return sum(1 for before, after in zip(["OFF", *payloads], payloads, strict=False) if before != after)


def test_a_stale_shed_and_the_stop_count_as_switches(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("radiator",)))
    now = NOON
    for _ in range(3):
        now += 2
        h.meters(300, 1800, now)
    assert h.last(RADIATOR) == "ON" and switches(h, now) == 1
    now += 15
    h.reg.tick(now)  # the meters silent past meter_timeout: off
    assert h.last(RADIATOR) == "OFF"
    for _ in range(3):
        now += 2
        h.meters(300, 1800, now)  # back: on again
    assert h.last(RADIATOR) == "ON"
    assert switches(h, now) == commands_sent(h) == 3
    h.reg.shutdown(now + 1)
    assert h.last(RADIATOR) == "OFF"
    assert switches(h, now + 1) == commands_sent(h) == 4


def test_a_force_between_two_decisions_counts(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("radiator",)))
    now = NOON
    for _ in range(3):
        now += 2
        h.meters(1500, 0, now)
    h.reg.handle("regul/mode", b'{"command": "force", "name": "radiator", "power": 1000}', now + 0.5)
    h.reg.handle("regul/mode", b'{"command": "unforce", "name": "radiator"}', now + 1)
    now += 2
    h.meters(1500, 0, now)
    assert commands_sent(h) == 2 and switches(h, now) == 2
