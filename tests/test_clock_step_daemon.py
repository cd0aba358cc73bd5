"""The daemon's side of the wall clock jumping forward (NTP setting a Pi's clock): its steady clock did not move, so
its ClockWatch tells a jump from time passing and hands a forward one to the regulator; a reading queued across the
jump is handled at the new time, and the broker's outage is timed on the steady clock. The regulator's side:
test_clock_step_forward."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import shell.daemon
import shell.daemon_link
import shell.daemon_link_down
import shell.daemon_messages
from settings.config import load_settings
from shell.clock_watch import ClockWatch, steady_s
from shell.daemon import Daemon
from shell.link_events import Connected, Disconnected, Message
from shell.lock import InstanceLock
from tests.configs import reading, write_config
from tests.harness import CONS, PROD


def test_the_clock_watch_tells_a_jump_from_time_passing() -> None:
    watch = ClockWatch(1000.0, 50.0)
    assert watch.jumped_s(1060.0, 110.0) == 0.0  # a minute passed (a main loop held up: both clocks moved)
    assert watch.jumped_s(4660.5, 110.5) == 3600.0  # NTP set the clock an hour ahead
    assert watch.jumped_s(4661.0, 111.0) == 0.0  # and time passes again from there
    assert watch.jumped_s(3661.0, 111.0) == -1000.0  # set back
    assert watch.jumped_s(3670.0, 111.0 + 9.0 - 9.9) == 0.0  # under CLOCK_JUMP_S: no jump (NTP slewing, a stamp)
    assert watch.back_s == 0.0
    assert watch.jumped_s(3670.1, 111.1) == 0.0  # set back 0.9 s: no jump,
    assert watch.back_s == pytest.approx(0.9)  # but a step back, for the decisions' evidence
    assert watch.jumped_s(3671.1, 112.15) == 0.0 and watch.back_s == 0.0  # (50 ms: a slew)


def test_the_steady_clock_goes_on() -> None:
    first = steady_s()
    time.sleep(0.02)
    assert 0.01 < steady_s() - first < 5.0


def set_clocks(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """`daemon` on a wall and a steady clock the test sets: the two, now at their real readings."""
    clocks = {"wall": time.time(), "steady": time.monotonic()}
    for module in (shell.daemon, shell.daemon_messages):  # (the loop's clock, and the messages' stamps)
        monkeypatch.setattr(module, "time", SimpleNamespace(time=lambda: clocks["wall"]))
    for module in (shell.daemon, shell.daemon_messages):
        monkeypatch.setattr(module, "steady_s", lambda: clocks["steady"])
    daemon._clock_watch = ClockWatch(clocks["wall"], clocks["steady"])
    return clocks


def test_the_daemon_hands_a_forward_jump_to_the_regulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))  # (never run: nothing connects)
    clocks = set_clocks(daemon, monkeypatch)
    steps: list[float] = []
    monkeypatch.setattr(daemon.reg, "clock_stepped_forward", steps.append)
    clocks["wall"] += 2.0
    clocks["steady"] += 2.0
    daemon._follow_the_clock()
    clocks["wall"] -= 3600.0  # set back: the regulator sees that by itself
    daemon._follow_the_clock()
    assert steps == []
    clocks["wall"] += 3 * 3600.0 + 0.5
    clocks["steady"] += 0.5
    daemon._follow_the_clock()
    assert steps == [3 * 3600.0]
    assert "the clock jumped forward by 3 h 00 min" in caplog.text
    # (a force to 0 W keeps the time it had left, core.forces.keep_forces_off_lengths: the line said every timed force
    # ended earlier)
    assert "timed forces on and relay dwells end that much earlier (a timed force to 0 W keeps" in caplog.text


def test_a_step_back_is_handed_to_the_regulator_however_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    # Under 10 s the core cannot tell a step back from two threads' stamps out of order: the readings after it were
    # stamped before the last command until the clock came back to it, and no decision was taken meanwhile (a step of
    # 5 s held them 6 s: test_clock_step_back_evidence). The steady clock measures it exactly, a big one too.
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    clocks = set_clocks(daemon, monkeypatch)
    steps: list[tuple[float, float]] = []
    monkeypatch.setattr(daemon.reg, "clock_stepped_back", lambda step_s, now: steps.append((step_s, now)))
    caplog.set_level(logging.INFO)
    walls = []
    for wall_s, steady_s_ in ((2.0, 2.0), (-5.0 + 0.5, 0.5), (0.45, 0.5), (-3600.0, 0.0), (0.45, 0.5)):
        clocks["wall"] += wall_s
        clocks["steady"] += steady_s_
        walls.append(clocks["wall"])
        daemon._follow_the_clock()  # (a slew of 50 ms, the third and the last: nothing)
    assert steps == [(pytest.approx(5.0), walls[1]), (pytest.approx(3600.0), walls[3])]
    assert caplog.text.count("the clock stepped back by 5.0 s (NTP correcting it)") == 1
    assert "stepped back by 3600" not in caplog.text  # (the core says it, with the forces that keep their time)


def test_a_small_step_forward_is_handed_to_the_regulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    # Under 10 s it was no jump: the meters' readings 9.5 s older at once (a meter's timeout 10 s: every load cut at the
    # next pass, "consumption meter silent for 10 s"), and a house reading within `settle` of a command stamped the step
    # later, taken for one that shows it (test_clock_step_forward). Told as a step back is, said at INFO from a second.
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    clocks = set_clocks(daemon, monkeypatch)
    steps: list[float] = []
    monkeypatch.setattr(daemon.reg, "clock_stepped_forward", steps.append)
    caplog.set_level(logging.DEBUG)
    for wall_s, steady_s_ in ((2.05, 2.0), (0.5 + 0.5, 0.5), (9.5 + 1.0, 1.0), (3600.0, 0.0)):
        clocks["wall"] += wall_s
        clocks["steady"] += steady_s_
        daemon._follow_the_clock()  # (a slew of 50 ms, the first: nothing)
    assert steps == [pytest.approx(0.5), pytest.approx(9.5), pytest.approx(3600.0)]
    assert "the clock stepped forward by 9.5 s (NTP correcting it)" in caplog.text
    assert caplog.text.count("the clock jumped forward by") == 1  # (the hour's: said as before)


def test_a_step_back_while_an_event_is_handled_is_told_before_the_timers_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The loop's pass at each event tells the regulator every step back so far; its commands are all moved by the
    # step (core/decision_gate.py). A step while a reading was handled, then the timers' pass at the new time: the
    # commands it made, stamped on the new clock, were moved by the step at the next event's pass, "sent" that much
    # earlier than they were, and a reading within `settle` of them taken for one that shows them.
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9, algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    daemon._started = True  # (as after the first connection)
    clocks = {"wall": time.time(), "steady": time.monotonic()}
    for module in (shell.daemon, shell.daemon_messages):  # (the loop's clock, and the messages' stamps)
        monkeypatch.setattr(module, "time", SimpleNamespace(time=lambda: clocks["wall"], monotonic=time.monotonic))
    for module in (shell.daemon, shell.daemon_messages):
        monkeypatch.setattr(module, "steady_s", lambda: clocks["steady"])
    daemon._clock_watch = ClockWatch(clocks["wall"], clocks["steady"])
    calls: list[tuple[str, float]] = []

    def handle(topic: str, payload: bytes, now: float) -> None:
        clocks["wall"] -= 2.0  # NTP steps the clock back while the reading is handled
        daemon._on_signal(signal.SIGTERM, None)  # (the loop's next pass stops it)

    monkeypatch.setattr(daemon.reg, "handle", handle)
    monkeypatch.setattr(daemon.reg, "clock_stepped_back", lambda step_s, now: calls.append(("stepped back", step_s)))
    monkeypatch.setattr(daemon.reg, "tick", lambda now: calls.append(("tick", now)))
    daemon.events.put(Message(CONS, reading(300.0), clocks["steady"], False))
    daemon._loop()
    assert calls[:2] == [("stepped back", pytest.approx(2.0)), ("tick", clocks["wall"])]


def test_a_step_back_just_over_10_s_is_said_and_kept_by_the_forces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # A step of 10.4 s, 0.8 s after the last tick: the core measured 9.6 s from that tick's time, no step to it, and
    # the daemon left steps of 10 s or more for the core to say: said by no one, the timed force 10.4 s longer.
    settings = load_settings(write_config(tmp_path, ("ecs",), port=9, algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    daemon._started = True
    clocks = set_clocks(daemon, monkeypatch)
    daemon.reg.tick(clocks["wall"])
    daemon._on_message(Message("regul/mode", b'{"command": "force", "name": "ecs", "power": 2000, "duration": 1800}',
                               clocks["steady"], False))
    ecs = daemon.reg.loads_by_name["ecs"]
    assert ecs.force_end_at is not None
    end_at = ecs.force_end_at
    clocks["wall"] += 1.0
    clocks["steady"] += 1.0
    daemon._follow_the_clock()
    daemon.reg.tick(clocks["wall"])
    clocks["wall"] += 0.8 - 10.4  # NTP sets the clock back 10.4 s, 0.8 s after that tick
    clocks["steady"] += 0.8
    daemon._follow_the_clock()
    daemon.reg.tick(clocks["wall"])
    assert "the clock stepped back by 10 s" in caplog.text
    assert ecs.force_end_at == pytest.approx(end_at - 10.4, abs=0.01)


def _daemon_on_set_clocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                          ) -> tuple[Daemon, dict[str, float], list[tuple[str, float]]]:
    """A daemon as after its first connection, on a wall and a steady clock the test sets (`clocks`), its readings
    handed to the regulator listed (topic, time) in `handed`."""
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    daemon._started = True  # (as after the first connection)
    clocks = set_clocks(daemon, monkeypatch)
    handed: list[tuple[str, float]] = []
    monkeypatch.setattr(daemon.reg, "handle", lambda topic, payload, now: handed.append((topic, now)))
    monkeypatch.setattr(daemon.reg, "clock_stepped_forward", lambda step_s: None)
    return daemon, clocks, handed


def test_a_reading_queued_across_the_jump_is_handled_at_the_new_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # Stamped by the network thread a moment before NTP set the clock, handled after: it was dropped as one that
    # "waited 3600 s in the queue (the main loop was held up)".
    daemon, clocks, handed = _daemon_on_set_clocks(tmp_path, monkeypatch)
    queued = Message(CONS, reading(300.0), clocks["steady"] - 0.2, False)
    clocks["wall"] += 3600.0 + 0.3
    clocks["steady"] += 0.3
    daemon._follow_the_clock()
    after = Message(PROD, reading(300.0), clocks["steady"] - 0.1, False)
    daemon._on_message(queued)
    daemon._on_message(after)
    assert handed == [(CONS, pytest.approx(clocks["wall"] - 0.5)), (PROD, pytest.approx(clocks["wall"] - 0.1))]
    assert "in the queue" not in caplog.text


def test_a_reading_after_the_clock_is_set_back_keeps_its_age(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The clock jumped an hour forward (a wrong time server), then was set back an hour: a reading received after the
    # step back, before the jump's midpoint, was moved by the jump's hour into the future, its meter taken for fresh
    # an hour longer than it is (a meter that went silent then would not have stopped the regulation).
    daemon, clocks, handed = _daemon_on_set_clocks(tmp_path, monkeypatch)
    clocks["wall"] += 3600.0 + 1.0
    clocks["steady"] += 1.0
    daemon._follow_the_clock()
    clocks["wall"] -= 3600.0 - 1.0  # set right a second later
    clocks["steady"] += 1.0
    daemon._follow_the_clock()
    later = Message(CONS, reading(300.0), clocks["steady"] - 0.1, False)
    daemon._on_message(later)
    assert handed == [(CONS, pytest.approx(clocks["wall"] - 0.1))]


@pytest.mark.parametrize("back_s", [3600.0 - 0.3, 2.0])
def test_a_message_received_before_a_step_back_keeps_its_age(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             back_s: float) -> None:
    # Queued across an NTP step back, handed on at its stamp (an hour ahead of the new clock): the regulator saw the
    # clock go forward again, and the next tick saw a second step back, a timed force shortened twice. Then handed on
    # as received now: a reading 0.25 s older than that, after a step of 2 s, was taken as the evidence of a command
    # 3 s old where it came 2.75 s after it.
    daemon, clocks, handed = _daemon_on_set_clocks(tmp_path, monkeypatch)
    monkeypatch.setattr(daemon.reg, "clock_stepped_back", lambda step_s, now: None)
    queued = Message(CONS, reading(300.0), clocks["steady"] - 0.2, False)
    clocks["wall"] -= back_s - 0.3
    clocks["steady"] += 0.3
    daemon._follow_the_clock()
    daemon._on_message(queued)
    assert handed == [(CONS, pytest.approx(clocks["wall"] - 0.5))]


def test_a_reading_held_up_across_a_step_back_is_dropped_as_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # The main loop held up 30 s, the clock set back 25 s meanwhile: on the wall clock the reading looked 5 s old,
    # and was decided on as news.
    daemon, clocks, handed = _daemon_on_set_clocks(tmp_path, monkeypatch)
    monkeypatch.setattr(daemon.reg, "clock_stepped_back", lambda step_s, now: None)
    queued = Message(CONS, reading(300.0), clocks["steady"], False)
    clocks["wall"] += 30.0 - 25.0
    clocks["steady"] += 30.0
    daemon._follow_the_clock()
    daemon._on_message(queued)
    assert handed == []
    assert "waited 30 s in the queue" in caplog.text


def test_a_force_keeps_its_length_when_messages_queued_across_a_step_back_come_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole sequence on the real regulator: a force, the clock set back an hour, a tick, then a message received
    # before the step and handled after it: the force must run its 30 minutes on the new clock, to the step's second
    # (the daemon measured it; the core alone measures it from its last tick, the time since not counted).
    settings = load_settings(write_config(tmp_path, ("ecs",), algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    daemon._started = True
    clocks = set_clocks(daemon, monkeypatch)
    daemon.reg.tick(clocks["wall"])
    daemon._on_message(Message("regul/mode", b'{"command": "force", "name": "ecs", "power": 2000, "duration": 1800}',
                               clocks["steady"], False))
    received_before = clocks["steady"] + 0.5
    clocks["wall"] += 1.0 - 3600.0  # NTP sets the clock back an hour
    clocks["steady"] += 1.0
    daemon._follow_the_clock()
    daemon.reg.tick(clocks["wall"])
    daemon._on_message(Message("regul/other", b"x", received_before, False))  # (waited 0.5 s in the queue)
    daemon.reg.tick(clocks["wall"] + 1.0)
    ecs = daemon.reg.loads_by_name["ecs"]
    assert ecs.is_forced() and ecs.force_end_at == pytest.approx(clocks["wall"] + 1799.0, abs=0.01)


def test_the_broker_s_outage_is_timed_on_the_steady_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    # The network back after a Pi's boot: NTP sets the clock 3 h forward as the broker answers. The outage, 12 s,
    # was said to have lasted 10812 s (and a clock set back held the reminder back as long as the step).
    caplog.set_level(logging.INFO)
    settings = load_settings(write_config(tmp_path, ("ecs",), algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))  # (never run: nothing connects)
    steady = [1000.0]
    for module in (shell.daemon_link, shell.daemon_link_down):  # (the drop said in one, the connection in the other)
        monkeypatch.setattr(module, "steady_s", lambda: steady[0], raising=False)
    wall = time.time()
    daemon._on_disconnected(Disconnected(at=wall, reason="connection refused"))
    steady[0] += 12.0
    daemon._say_connected(Connected(at=wall + 3 * 3600.0 + 12.0, first=False))
    assert "connected to the broker again after 12 s (1 failed attempt)" in caplog.text


def test_a_lost_link_is_no_failed_attempt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The connection lost, back at paho's first retry: "after 1 s (1 failed attempt)" said an attempt had failed.
    caplog.set_level(logging.INFO)
    daemon = Daemon(load_settings(write_config(tmp_path, ("ecs",))), InstanceLock(tmp_path / "test.lock"))
    wall = time.time()
    daemon._on_disconnected(Disconnected(at=wall, reason="connection lost", connected_for_s=600.0))
    daemon._say_connected(Connected(at=wall + 1.0, first=False))
    daemon._on_disconnected(Disconnected(at=wall + 5, reason="connection lost", connected_for_s=4.0))
    daemon._on_disconnected(Disconnected(at=wall + 6, reason="connection refused"))
    daemon._say_connected(Connected(at=wall + 8.0, first=False))
    said = [line for line in caplog.messages if line.startswith("connected to the broker again")]
    assert [line.split(" (")[-1] for line in said] == ["0 failed attempts)", "1 failed attempt)"], said


def test_a_forward_jump_saves_the_status_on_the_new_clock_at_once(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by a bug hunt: a Pi booted weeks behind (its file set aside as dated ahead, the 0 W force kept) saved its
    # status dated on the old clock; NTP set the clock, and a restart before the next save (status_time) read the file
    # as weeks old: the force "until unforced" was dropped as older than the 7 days a force may last.
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), algorithm="closed_loop"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    assert daemon.saver is not None
    daemon._started = True  # (as after the first connection)
    clocks = {"wall": time.time() - 40 * 86400, "steady": time.monotonic()}
    monkeypatch.setattr(shell.daemon, "time", SimpleNamespace(time=lambda: clocks["wall"]))
    for module in (shell.daemon, shell.daemon_messages):
        monkeypatch.setattr(module, "steady_s", lambda: clocks["steady"])
    daemon._clock_watch = ClockWatch(clocks["wall"], clocks["steady"])
    woken: list[bool] = []
    monkeypatch.setattr(daemon.saver, "save_soon", lambda: woken.append(True))
    clocks["wall"] += 40 * 86400 + 1.0
    clocks["steady"] += 1.0
    daemon._follow_the_clock()
    assert woken == [True]
    assert daemon._offered is not None and abs(daemon._offered["date"] - clocks["wall"]) <= 1
