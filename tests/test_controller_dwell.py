"""A relay's dwell and on delay under the closed loop (core/relay_dwell.py's RelayClock): held on by min_on_s,
off by min_off_s after a start or a force; a relay forced on handed over on at its unforce; a clock stepped back
neither freezes nor frees it; an
on delay waits for a surplus that lasts, keeps the relay's place, and starts again at someone else's command.
The test house: tests/controller_house.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.relay_dwell import RelayClock
from tests.configs import reading, write_config
from tests.controller_house import PLUG, RADIATOR, SMALL, House, closed_loop, watts
from tests.harness import CONS, MODE, NOON, PROD, Harness


def test_dwell_holds_a_relay_on_then_releases_it(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator", dwell_s=(60, 60))
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    switched_on_at = house.now
    house.pv_w -= 600  # 2400 W left: 400 W short of keeping the radiator (hysteresis 100 W)
    house.read()
    # Held on by min_on_s: the heater gives back what the radiator takes instead (no import).
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 1400
    while house.now < switched_on_at + 58:
        house.read()
        assert h.last(RADIATOR) == "ON"
    house.read()
    house.read()
    assert h.last(RADIATOR) == "OFF" and watts(h, "ecs") == 2000
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 0


def test_a_relay_waits_its_off_time_after_a_start(tmp_path: Path) -> None:
    # At start every relay is commanded off: a restart (a crash loop) must not cycle the contactor.
    h = Harness(write_config(tmp_path, ("radiator",), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON)
    house = House(h, base_w=300, pv_w=300 + 1500)
    while house.now < NOON + 118:
        house.read()
        assert h.last(RADIATOR) == "OFF"
    # The status says what was commanded, and what waits: not "loads 0 W -> 1480 W" with all of them off.
    assert h.reg.last_decision == "grid -1500 W: loads 0 W -> 0 W (1480 W wanted; waiting: radiator (min_off_s))"
    house.read()
    house.read()
    assert h.last(RADIATOR) == "ON"  # 120 s (min_off_s) after the start
    assert h.reg.last_decision == "grid -500 W: loads 1000 W -> 1000 W"  # (nothing waits: no parenthesis)


def test_an_unforce_hands_a_relay_over_on_while_the_surplus_covers_it(tmp_path: Path) -> None:
    # Forced on, then unforced with the surplus covering it: commanded off at the unforce, it rested its min_off_s
    # (120 s) with its 1000 W exported, then came on again. Handed over on, the next decision keeps it on: no switch.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 500)
    house.read()
    assert h.last(RADIATOR) == "OFF"  # (500 W of surplus: not covered)
    switches = len(h.on(RADIATOR))
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', house.now + 0.5)
    house.pv_w += 2520  # the sun comes out while it is forced: 3000 W for the heater and the radiator
    for _ in range(3):
        house.read()
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now + 0.5)
    assert h.load("radiator").is_on and not h.load("radiator").is_forced()
    for _ in range(5):
        house.read()
    assert h.on(RADIATOR)[switches:] == ["ON"] and watts(h, "ecs") == 2000


def test_a_relay_forced_on_and_off_twice_before_a_decision_is_still_handed_over(tmp_path: Path) -> None:
    # The second force sent nothing (the first had switched it on): it is a force's command still, not the loop's,
    # and the relay is handed over at its end, off at the next decision (it was held on, importing, until the guard).
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 500)
    house.read()
    for at in (0.2, 0.4, 0.6, 0.8):
        command = b'{"command": "force", "name": "radiator", "power": 1000}' if at in (0.2, 0.6) else \
            b'{"command": "unforce", "name": "radiator"}'
        h.reg.handle(MODE, command, house.now + at)
    house.read()
    assert h.last(RADIATOR) == "OFF"
    assert h.reg.controller is not None and h.reg.controller.handover_offs_by == {"radiator": 1}
    assert h.reg.controller.guard_sheds == 0


def test_a_relay_on_before_a_force_that_sent_nothing_keeps_its_own_dwell(tmp_path: Path) -> None:
    # On by the loop, then forced on and off (a Home Assistant switch, an automation): the force sent nothing, yet its
    # end handed the relay over, judged whatever its dwell: the surplus 600 W down within its min_on_s, it went off 12 s
    # after it came on, where it is held on, the heater giving back.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20)
    for _ in range(3):
        house.read()
    assert h.load("radiator").is_on
    switches = len(h.on(RADIATOR))
    house.pv_w -= 600
    house.read()
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', house.now + 0.3)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now + 0.6)
    for _ in range(3):
        house.read()
    assert h.load("radiator").is_on and h.on(RADIATOR)[switches:] == []
    assert h.reg.controller is not None and h.reg.controller.handover_offs_by == {}


def test_a_relay_handed_over_that_the_surplus_does_not_cover_goes_off_at_the_next_decision(tmp_path: Path) -> None:
    # Forced on a second ago: its min_on_s (600 s) would have held it on, importing, until the guard shed it.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 500)
    house.read()
    switches = len(h.on(RADIATOR))
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', house.now + 0.5)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now + 1)
    assert h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(RADIATOR) == "OFF" and watts(h, "ecs") == 480
    assert h.reg.controller is not None and h.reg.controller.handover_offs_by == {"radiator": 1}
    assert h.reg.controller.guard_sheds == 0
    off_at = house.now
    house.pv_w += 2600  # then covered (the heater full, 1000 W over): its min_off_s holds it off, as any switch off
    while house.now < off_at + 118:
        house.read()
        assert h.last(RADIATOR) == "OFF"
    house.read()
    house.read()
    assert h.on(RADIATOR)[switches:] == ["ON", "OFF", "ON"]


def test_a_relay_handed_over_does_not_keep_the_watts_a_relay_before_it_waits_for(tmp_path: Path) -> None:
    # `small` (300 W, first) waits out its on delay on 1020 W of surplus when the radiator after it is unforced:
    # kept on, the radiator's min_on_s (counted from the force's on) would keep small off for ten minutes.
    h = closed_loop(tmp_path, "small", "radiator", relay_options={"small": "on_delay_s = 30\n"})
    house = House(h, base_w=300, pv_w=300 + 1020)
    house.read()
    assert h.last(SMALL) == "0" and h.last(RADIATOR) == "OFF"
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', house.now + 0.5)
    for _ in range(3):
        house.read()
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now + 0.5)
    house.read()
    assert h.last(RADIATOR) == "OFF"
    for _ in range(16):  # small's 30 s of cover
        house.read()
    assert h.last(SMALL) == "1"


def test_a_relay_unforced_while_a_meter_is_silent_goes_off_at_once(tmp_path: Path) -> None:
    # No decision would judge it: the regulation is suspended (every unforced load at 0 W).
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', house.now + 0.5)
    h.reg.tick(house.now + 11)  # both meters silent for meter_timeout (10 s): suspended
    assert h.reg.stale_reason is not None and h.last(RADIATOR) == "ON"  # (forced: the user's)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now + 12)
    assert h.last(RADIATOR) == "OFF"


def test_under_heberts_rule_an_unforce_switches_a_relay_off(tmp_path: Path) -> None:
    # The seed's behaviour, kept with its rule: the relay goes to 0 W and the rule decides at the next reading.
    h = Harness(write_config(tmp_path, ("radiator",), period=1, algorithm="hebert"))
    h.reg.tick(NOON)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 1)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 2)
    assert h.on(RADIATOR)[-2:] == ["ON", "OFF"]


def test_an_unforce_of_a_relay_forced_off_restarts_its_rest(tmp_path: Path) -> None:
    # Forced off, it was switched off by the force: its min_off_s runs from then, whoever sent the command.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    forced_at = house.now + 0.5
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 0}', forced_at)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', forced_at + 1)
    assert h.last(RADIATOR) == "OFF"
    while house.now < forced_at + 118:
        house.read()
        assert h.last(RADIATOR) == "OFF"
    house.read()
    house.read()
    assert h.last(RADIATOR) == "ON"


def test_an_unforce_of_a_load_that_is_not_forced_changes_nothing(tmp_path: Path) -> None:
    # An automation that sends unforce at the end of every off-peak period, or a second unforce, reaches a load
    # the regulation holds: nothing to undo. It switched the radiator off inside its min_on_s (then rested
    # min_off_s with its watts exported) and dropped the heater to 0 W.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 2000
    sent = len(h.sent)
    for name in ("radiator", "ecs"):
        h.reg.handle(MODE, f'{{"command": "unforce", "name": "{name}"}}'.encode(), house.now + 0.5)
    assert [t for t, _, _ in h.sent[sent:] if t != "regul/status"] == []
    assert h.load("radiator").is_on and watts(h, "ecs") == 2000
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 2000


@pytest.mark.parametrize(("name", "topic", "drawn_w", "commands"), [
    # a load of unknown power is measured by its force's end, not handed over: off, then held off by min_off_s
    ("plug", PLUG, 500, ["on", "off"]),
    # a relay of known watts is handed over on, and the surplus covers it: on, and nothing more
    ("radiator", RADIATOR, 1000, ["OFF", "ON"]),
])
def test_a_reading_stamped_just_before_a_timers_command_does_not_skip_the_dwell(
        tmp_path: Path, name: str, topic: str, drawn_w: float, commands: list[str]) -> None:
    # The force ends on the main loop's clock at T+60.05; a production reading stamped on paho's thread at T+60.04
    # is handled after it, then a house reading: no '0','1'.
    h = closed_loop(tmp_path, name)
    h.reg.handle(MODE, f'{{"command": "force", "name": "{name}", "power": {drawn_w}, "duration": 60}}'.encode(), NOON)
    t = NOON
    while t < NOON + 58:
        t += 2
        h.reg.handle(PROD, reading(3000), t - 1)
        h.reg.handle(CONS, reading(300 + drawn_w), t)
    h.reg.handle(CONS, reading(300 + drawn_w), NOON + 59.9)
    h.reg.tick(NOON + 60.05)
    h.reg.handle(PROD, reading(3000), NOON + 60.04)
    h.reg.handle(CONS, reading(300 + (drawn_w if name == "radiator" else 0)), NOON + 61)
    assert h.on(topic)[-2:] == commands


def test_a_clock_stepped_back_neither_freezes_nor_frees_a_relay(tmp_path: Path) -> None:
    # NTP stepped the clock back 10 minutes 2 s after the radiator went on: its dwell's start was in the future, and
    # the relay free to switch at once (a short stretch, the contactor's wear); held until the clock came back to it,
    # it would be frozen 10 minutes more. It keeps the time it has been on: its 600 s, on the new clock.
    h = closed_loop(tmp_path, "ecs", "radiator", dwell_s=(600, 120))
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    switched_at = house.now
    house.now -= 600
    house.pv_w = 300 + 990  # 10 W short of the radiator, the heater at 0 W: no guard's business
    while house.now + 600 < switched_at + 596:
        house.read()
        assert h.last(RADIATOR) == "ON", house.now + 600 - switched_at
    for _ in range(3):
        house.read()
    assert h.last(RADIATOR) == "OFF"  # its 600 s over, on the new clock


@pytest.mark.parametrize("made_by", ["start", "force"])
def test_a_clock_stepped_back_keeps_the_rest_of_a_command_no_decision_saw_yet(tmp_path: Path, made_by: str) -> None:
    # A command someone else made just before the step (the start's off, a force to 0 W and its unforce), stamped on
    # the old clock and taken by the first decision after the step, dated the relay's rest from a time still ahead:
    # free at once, the radiator was back on 2 s later (min_off_s 120 s).
    h = closed_loop(tmp_path, "ecs", "radiator", dwell_s=(600, 120))
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    if made_by == "start":
        h = Harness(write_config(tmp_path, ("radiator",), period=1, algorithm="closed_loop"))
        h.reg.tick(NOON)  # the start: the radiator commanded off
        house = House(h, base_w=300, pv_w=300 + 1500)
        house.now = NOON + 6
    else:
        house.read()
        assert h.last(RADIATOR) == "ON"
        h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 0}', house.now + 0.5)
        h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now + 1.5)
        assert h.last(RADIATOR) == "OFF"
    house.now -= 600  # NTP steps the clock back 10 minutes, before the next decision
    h.reg.tick(house.now)
    for _ in range(55):  # 110 s
        house.read()
        assert h.last(RADIATOR) == "OFF"
    for _ in range(10):
        house.read()
    assert h.last(RADIATOR) == "ON"  # its 120 s of rest over, on the new clock


def test_a_relays_on_delay_waits_for_a_surplus_that_lasts(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator", relay_options="on_delay_s = 30\n")
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20)
    house.read()  # the heater saturates at once; the radiator waits for its cover to last 30 s
    assert watts(h, "ecs") == 2000 and h.last(RADIATOR) == "OFF"
    for _ in range(14):  # 28 s
        house.read()
        assert h.last(RADIATOR) == "OFF"
    assert h.reg.last_decision.endswith("(3000 W wanted; waiting: radiator (on delay))")
    house.read()  # 30 s of cover
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 2000


@pytest.mark.parametrize("gap", ["force", "silence"])
def test_the_on_delay_starts_again_after_a_force_or_a_silence(tmp_path: Path, gap: str) -> None:
    # No decision judges a forced relay's cover, nor any relay's while the meters are silent: a cover counted from
    # before (40 s of a 60 s on_delay_s) survived a force off or ten minutes of silence, and the relay switched on at
    # the first decision after, 2 s into the cover that came back.
    h = closed_loop(tmp_path, "radiator", "ecs", dwell_s=(0, 0), relay_options="on_delay_s = 60\n")
    house = House(h, base_w=300, pv_w=1800)
    for _ in range(20):  # 40 s of cover, the radiator waiting for its on delay
        house.read()
    assert h.last(RADIATOR) != "ON"
    if gap == "force":
        house.now += 0.5
        h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 0}', house.now)
        for _ in range(300):
            house.read()
        house.now += 0.5
        h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now)
    else:
        house.now += 600
        h.reg.tick(house.now)
    for _ in range(5):
        house.read()
    assert h.last(RADIATOR) != "ON"
    for _ in range(30):
        house.read()
    assert h.last(RADIATOR) == "ON"  # (once the cover has lasted its 60 s again)


def test_the_on_delay_clock() -> None:
    clock = RelayClock(on=False)
    assert clock.covered(True, 100.0, 0.0)  # no delay: at once, as before
    clock = RelayClock(on=False)
    assert not clock.covered(True, 100.0, 30.0)
    assert not clock.covered(True, 129.0, 30.0) and clock.covered(True, 130.0, 30.0)
    assert not clock.covered(False, 131.0, 30.0)  # a decision without cover
    assert not clock.covered(True, 140.0, 30.0) and clock.covered(True, 170.0, 30.0)
    assert not clock.covered(True, 50.0, 30.0)  # a clock stepped back starts the wait again...
    assert not clock.covered(True, 79.0, 30.0) and clock.covered(True, 80.0, 30.0)  # ...from there
    clock.switched(True, 180.0, 600)
    assert clock.covered_since is None
    assert RelayClock(guard_sheds=1).on_delay_s(0.0, 120.0) == 0.0
    assert RelayClock(guard_sheds=2).on_delay_s(0.0, 120.0) == 60.0  # half its min_off_s
    assert RelayClock(guard_sheds=2).on_delay_s(0.0, 4.0) == 2.0  # (the sped-up demo's dwell)
    assert RelayClock(guard_sheds=2).on_delay_s(0.0, 600.0) == 60.0  # a minute at most
    assert RelayClock(guard_sheds=2).on_delay_s(300.0, 120.0) == 300.0  # a longer delay of its own is kept


def test_a_relay_waiting_out_its_on_delay_keeps_its_place(tmp_path: Path) -> None:
    # The radiator first, with a delay; the small relay after it, without. While the radiator waits, its
    # watts are not free for the small one: switched on, its dwell would keep the radiator off 10 minutes.
    h = closed_loop(tmp_path, "radiator", "small", relay_options={"radiator": "on_delay_s = 30\n"})
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    for _ in range(15):  # 30 s
        house.read()
        assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "0"
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "0"


def test_a_relay_resting_its_off_time_keeps_its_place_from_a_lower_one_that_would_outlast_its_rest(
        tmp_path: Path) -> None:
    # A cloud switched the radiator off; the sun back, the small relay came on in its place while it rested its
    # 120 s, and its own 600 s min_on_s then kept the radiator off for eight minutes more, covered, 700 W exported.
    h = closed_loop(tmp_path, "radiator", "small", dwell_s=(600, 120))
    house = House(h, base_w=300, pv_w=300 + 1000 + 100)
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "0"
    for _ in range(300):  # past its min_on_s
        house.read()
    house.pv_w -= 900  # a cloud: off, 200 W of surplus left, not enough for the small relay
    house.read()
    assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "0"
    house.pv_w += 900
    for _ in range(59):  # its 120 s rest: the small relay, whose 600 s would outlast it, stays off
        house.read()
        assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "0"
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "0"


def test_a_lower_relay_takes_a_resting_ones_place_when_its_dwell_ends_first(tmp_path: Path) -> None:
    # (a radiator resting 480 s, as one shed by the guard three times in a row: the small relay's 60 s dwell ends
    # long before, and its watts are not left exported meanwhile)
    h = closed_loop(tmp_path, "radiator", "small", dwell_s=(60, 480))
    house = House(h, base_w=300, pv_w=300 + 1000 + 100)
    for _ in range(31):  # past its min_on_s
        house.read()
    house.pv_w -= 900
    house.read()
    assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "0"
    house.pv_w += 900
    house.read()
    assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "1"


def test_someone_elses_command_restarts_the_on_delay(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator", relay_options="on_delay_s = 30\nmin_off_s = 0\n")
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20)
    for _ in range(10):  # 20 s of its 30 s of cover
        house.read()
    assert h.last(RADIATOR) == "OFF"
    # Someone else's commands, on then off (unforced at 0 W it stays off: a relay is handed over on only when
    # forced on)
    h.reg.handle("regul/mode", b'{"command": "force", "name": "radiator", "power": 1000}', house.now + 0.5)
    h.reg.handle("regul/mode", b'{"command": "force", "name": "radiator", "power": 0}', house.now + 0.55)
    h.reg.handle("regul/mode", b'{"command": "unforce", "name": "radiator"}', house.now + 0.6)
    for _ in range(15):  # the wait starts again at the first reading after the unforce: 28 s of it
        house.read()
        assert h.last(RADIATOR) == "OFF"
    house.read()  # 30 s
    assert h.last(RADIATOR) == "ON"
