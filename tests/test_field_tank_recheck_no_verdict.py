"""A tank's hourly re-check probe that tells nothing of the tank gives no verdict (field/full_tank_recheck.py): its
variator rebooting or off the network through it (its heater draws nothing whatever its tank), or its command
replaced by another (a force and its end, its variator's gate off and on again, between two ticks). Until 2026-12-07
each was judged "still full", and a tank that took power again lost an hour of sun."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from field.full_tank_recheck import PROBE_RETRY_S, PROBE_TIMEOUT_S, RECHECK_FULL_S, FullTankRecheck
from tests.field_house import ECS_CMD, ECS_STATUS, RADIATOR
from tests.field_tank import FOUND, T, full_an_hour, metered, sun, thermostat_cut
from tests.harness import MODE, Harness

BOOTED = b'{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}'


def echo(h: Harness, now: float) -> None:
    """The variator's answer on its status topic at the percent of PySEB's last command (a `status` asks for it)."""
    percents = [p for p in h.on(ECS_CMD) if p != "status"]
    h.reg.handle(ECS_STATUS, f'{{"percent": {float(percents[-1]):.2f}, "power": 0, "mode": 0, "state": "ON", '
                             f'"msg": "setpower"}}'.encode(), now)


def run(h: Harness, start: float, end: float, tank_takes: bool = False, answering: bool = True,
        drawing: bool = True) -> None:
    """The meters every 5 s, the regulator ticking between, the variator answering each command while `answering`;
    the heater draws its command while its tank takes power and its variator is `drawing` (not while it reboots)."""
    now, sent = start, len(h.on(ECS_CMD))
    while now <= end:
        heater_w = h.load("ecs").current_power_w if tank_takes and drawing else 0.0
        h.meters(300 + (1000 if h.last(RADIATOR) == "ON" else 0) + heater_w, 3500, now)
        h.reg.tick(now + 1)
        if answering and len(h.on(ECS_CMD)) > sent:  # (a command, or the question, since the last answer)
            sent = len(h.on(ECS_CMD))
            echo(h, now + 1.5)
        now += 5


def answering_full_an_hour(tmp_path: Path) -> Harness:
    """The heater found full at FOUND by its own meter (silent since: the house meter judges its probe), its variator
    answering PySEB's commands; the meters until just before its re-check."""
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    echo(h, FOUND + 0.5)  # (its answer to the 0 W: a variator that answers)
    run(h, FOUND + 1, FOUND + 3595)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    return h


def test_a_variator_that_answers_still_finds_a_full_tank_full(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    # (the question its first reading of nothing asks is answered at once: the verdict of the second reading stands)
    caplog.set_level(logging.INFO)
    h = answering_full_an_hour(tmp_path)
    run(h, FOUND + 3600, FOUND + 3615)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    assert any(m.startswith("ecs: still full at its re-check") for m in caplog.messages)
    assert h.on(ECS_CMD).count("status") == 1


def test_a_variator_rebooting_through_its_probe_gives_no_verdict(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    # The probe's command answered, then the variator reboots: its triac off, the house does not move by the probe's
    # watts for two readings, and its boot is said only after them. Judged "still full", the tank, taking power again,
    # was left out another hour. Its question unanswered, the readings decide nothing; its boot re-sends the probe's
    # command, and the tank is found drawing.
    caplog.set_level(logging.INFO)
    h = answering_full_an_hour(tmp_path)
    run(h, FOUND + 3600, FOUND + 3600, tank_takes=True)  # (the probe begins, answered)
    assert h.load("ecs").current_power_w > 0
    run(h, FOUND + 3605, FOUND + 3615, tank_takes=True, answering=False, drawing=False)  # (rebooting)
    assert not any("still full" in m for m in caplog.messages)
    h.reg.handle(ECS_STATUS, BOOTED, FOUND + 3617)  # (back: its command sent again)
    assert h.last(ECS_CMD) == h.on(ECS_CMD)[-1] != "0"
    run(h, FOUND + 3620, FOUND + 3640, tank_takes=True)
    assert not h.load("ecs").overed
    assert any(m.startswith("ecs: draws at its re-check") for m in caplog.messages)


def test_a_variator_off_the_network_through_its_probe_is_tried_again_soon(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    # Its probe's command unanswered, the heater drew nothing: no verdict, tried again five minutes later, not an hour.
    caplog.set_level(logging.INFO)
    h = answering_full_an_hour(tmp_path)
    run(h, FOUND + 3600, FOUND + 3600 + PROBE_TIMEOUT_S + 5, tank_takes=True, answering=False, drawing=False)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    assert not any("still full" in m for m in caplog.messages)
    assert any(m.startswith("ecs: no verdict at its re-check") and "its variator did not answer" in m
               and m.endswith("re-checked again in 5 min") for m in caplog.messages)
    run(h, FOUND + 3670, FOUND + 3600 + PROBE_TIMEOUT_S + PROBE_RETRY_S + 30, tank_takes=True)  # (back on the network)
    assert not h.load("ecs").overed


def test_a_variator_off_the_network_all_afternoon_is_probed_less_and_less_often(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Each probe with no verdict tried again five minutes later: a variator off the network all afternoon was probed
    # every six minutes (50 probes in these five hours), each taking its floor from the loads after it for a minute when
    # the export fell short, and two log lines. Each one in a row now waits twice as long, up to the hour a tank found
    # still full waits.
    caplog.set_level(logging.INFO)
    h = answering_full_an_hour(tmp_path)
    run(h, FOUND + 3600, FOUND + 6 * 3600, answering=False, drawing=False)
    given_up = [m for m in caplog.messages if m.startswith("ecs: no verdict at its re-check")]
    waits = [re.search(r"re-checked again in (\d+) min", m) for m in given_up]
    assert [int(w.group(1)) for w in waits if w is not None] == [5, 10, 20, 40, 60, 60, 60, 60]
    assert given_up[0].endswith("re-checked again in 5 min")
    assert given_up[1].endswith("re-checked again in 10 min (2 probes in a row with no verdict: each waits twice as "
                                "long, an hour at most)")
    assert len([m for m in caplog.messages if "for a moment" in m]) == 8


def test_a_verdict_starts_the_retries_afresh() -> None:
    recheck = FullTankRecheck(settle_s=1.0)
    recheck.found_full("ecs", 0.0)
    now = RECHECK_FULL_S
    for wait_s in (PROBE_RETRY_S, 2 * PROBE_RETRY_S, 4 * PROBE_RETRY_S):
        recheck.start("ecs", 140.0, now)
        assert recheck.give_up("ecs", now + PROBE_TIMEOUT_S)[1] == wait_s
        now += PROBE_TIMEOUT_S + wait_s
        assert recheck.due_at("ecs") == now
    recheck.start("ecs", 140.0, now)
    recheck.found_full("ecs", now + 10)  # (a verdict: still full)
    assert recheck.no_verdicts("ecs") == 0
    recheck.start("ecs", 140.0, now + 10 + RECHECK_FULL_S)
    assert recheck.give_up("ecs", now + 10 + RECHECK_FULL_S + PROBE_TIMEOUT_S)[1] == PROBE_RETRY_S
    recheck.forget("ecs")  # (cleared: not full any more)
    assert recheck.no_verdicts("ecs") == 0


@pytest.mark.parametrize("between", ["force and unforce", "gate off and on"])
def test_a_command_between_two_ticks_ends_the_probe_with_no_verdict(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                    between: str) -> None:
    # A force and its end (or the variator's gate off and on) between two ticks: the probe ran on, and the unforce's
    # 0 W read as a tank still full. Ended, the re-check is due at the next chance: a probe of its own decides.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    full_an_hour(h)
    sun(h, FOUND + 3600, FOUND + 3600)
    assert h.load("ecs").current_power_w > 0  # (probing)
    if between == "force and unforce":
        h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000}', FOUND + 3602)
        h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', FOUND + 3603)
    else:
        h.reg.handle(ECS_STATUS, b'{"percent": 7.00, "power": 0, "mode": 0, "state": "OFF", "msg": "setstate"}',
                     FOUND + 3602)
        h.reg.handle(ECS_STATUS, b'{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "setstate"}',
                     FOUND + 3603)
    run(h, FOUND + 3605, FOUND + 3630)  # (the tank still full; the variator answers, its gate's status an answer)
    probes = [i for i, m in enumerate(caplog.messages) if "for a moment" in m]
    verdicts = [i for i, m in enumerate(caplog.messages) if "still full at its re-check" in m]
    assert len(probes) == 2 and verdicts and verdicts[0] > probes[1]  # (the first one ended with no verdict)
    assert any(m.startswith("ecs: its re-check probe ended by another command") for m in caplog.messages)


def test_a_probe_after_a_long_force_takes_a_baseline_of_its_own(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # A force during the probe ended it (no verdict); the house's own draw rose by 100 W during the force (the fridge);
    # unforced, its tank still full, the probe that followed at once was judged against the house readings from before
    # the force, ten minutes old: +100 W, over half its 140 W, read as its tank taking power again.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    full_an_hour(h)
    sun(h, FOUND + 3600, FOUND + 3600)
    assert h.load("ecs").current_power_w > 0  # (probing)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', FOUND + 3602)
    now = FOUND + 3605
    while now <= FOUND + 3602 + 700:  # (the force, its tank full: it draws nothing; the house 100 W more from 5 min)
        base_w = 300 + (100 if now > FOUND + 3900 else 0)
        h.meters(base_w + (1000 if h.last(RADIATOR) == "ON" else 0), 3500, now)
        h.reg.tick(now + 1)
        now += 5
    assert h.load("ecs").overed and not h.load("ecs").is_forced()
    assert not any(m.startswith("ecs: draws at its re-check") for m in caplog.messages)
    assert any(m.startswith("ecs: still full at its re-check") for m in caplog.messages)
