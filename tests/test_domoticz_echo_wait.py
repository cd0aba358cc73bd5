"""A Domoticz that echoes PySEB's own switch updates (`prevent_loop = false`) echoes each within a second or so, in
order. An echo still awaited ECHO_WAIT_S after its update was sent will not come (Domoticz, or its link to the broker,
was down and domoticz/in is not retained): awaited for ever, it ate the user's next click that showed its state."""

from __future__ import annotations

from pathlib import Path

from integrations.domoticz_control import ForceLink
from integrations.domoticz_echoes import ECHO_WAIT_S
from tests.domoticz_payloads import device, switch
from tests.field_domoticz import DZ_OUT, ECHOED, RADIATOR_SWITCH, selector
from tests.field_domoticz import switch as dz_switch
from tests.field_house import RADIATOR, field_config
from tests.harness import MODE, NOON, Harness
from tests.test_domoticz_answer_order import HA_MODE, mode, selector_connected


def test_echoes_lost_while_domoticz_was_down_do_not_eat_a_users_clicks() -> None:
    link = ForceLink("ecs", 359)
    link.publish_state(True, 0.0)  # shown On, then Off: Domoticz was down, both lost
    link.publish_state(False, 1.0)
    later = 1.0 + ECHO_WAIT_S
    assert link.on_device(device(switch(359, True)), load_forced=False, now=later) is True  # the user's On
    assert link.on_device(device(switch(359, False)), load_forced=True, now=later + 1) is False  # and Off
    assert link.pending == ()


def test_an_echo_within_the_wait_is_an_echo() -> None:
    # Domoticz echoes in order: the update that shows the oldest state awaited is its echo, however busy Domoticz was.
    link = ForceLink("ecs", 359)
    link.publish_state(True, 0.0)
    link.publish_state(False, 1.0)
    assert link.on_device(device(switch(359, True)), load_forced=False, now=0.9 * ECHO_WAIT_S) is None
    assert link.on_device(device(switch(359, False)), load_forced=False, now=0.95 * ECHO_WAIT_S) is None
    assert link.pending == ()


def test_only_the_echoes_past_their_wait_are_given_up() -> None:
    link = ForceLink("ecs", 359)
    link.publish_state(True, 0.0)  # On then Off shown while Domoticz was down: lost
    link.publish_state(False, 0.1)
    link.publish_state(True, 0.5 * ECHO_WAIT_S)  # shown once Domoticz was back: its echo comes
    assert link.pending == (True, False, True)
    assert link.on_device(device(switch(359, True)), load_forced=True, now=1.2 * ECHO_WAIT_S) is None  # the echo
    assert link.pending == ()
    # (matched with the lost On, it left the lost Off awaited: the user's Off taken for its echo)
    assert link.on_device(device(switch(359, False)), load_forced=True, now=1.3 * ECHO_WAIT_S) is False


def test_an_echo_sent_before_the_clock_stepped_back_waits_its_own_length(tmp_path: Path) -> None:
    # Dated an hour ahead, a lost echo was awaited an hour and ECHO_WAIT_S, taking the user's click for it meanwhile.
    h = echoed_radiator(tmp_path)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 10)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 11)  # On, Off shown: both lost
    back = NOON + 12 - 3600  # the clock set back an hour
    for now in range(int(back), int(back + ECHO_WAIT_S + 2)):
        h.reg.tick(now)
    h.reg.handle(DZ_OUT, dz_switch(RADIATOR_SWITCH, True), back + ECHO_WAIT_S + 2)  # the user's On
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_a_clock_stepped_forward_keeps_the_echoes_awaited() -> None:
    link = ForceLink("ecs", 359)
    link.publish_state(True, NOON)  # a force that came and went at once
    link.publish_state(False, NOON + 0.2)
    link.echoes.clock_stepped_forward(3600)  # NTP set the clock an hour ahead with no time passing
    # (given up at the jump, the On's echo forced the load, the Off's unforced it)
    assert link.on_device(device(switch(359, True)), load_forced=False, now=NOON + 3600.5) is None
    assert link.on_device(device(switch(359, False)), load_forced=False, now=NOON + 3600.6) is None
    assert link.pending == ()


def echoed_radiator(tmp_path: Path) -> Harness:
    """The radiator's force switch on a Domoticz that echoes (Prevent Loop at No), answered Off at the connect."""
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=ECHOED))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, dz_switch(RADIATOR_SWITCH, False), NOON + 0.1)  # Domoticz's answer
    return h


def test_a_users_on_after_a_force_shown_while_domoticz_was_down_forces(tmp_path: Path) -> None:
    # Domoticz was down while a regul/mode force came and went: the switch shown On then Off, both lost. Back, the
    # user switches On: that On was taken for the first echo, and the load not forced; the user's Off for the second.
    h = echoed_radiator(tmp_path)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 10)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 20)
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, dz_switch(RADIATOR_SWITCH, True), NOON + 120)  # the user's On
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"
    h.reg.handle(DZ_OUT, dz_switch(RADIATOR_SWITCH, False), NOON + 130)  # and Off
    assert not h.load("radiator").is_forced() and h.last(RADIATOR) == "OFF"


def test_echoes_after_ntp_set_the_clock_ahead_are_echoes(tmp_path: Path) -> None:
    # A force that came and went at once; NTP sets the clock an hour ahead before Domoticz echoed: given up at the
    # jump, the echoes were taken for changes made in Domoticz, and the radiator switched on for nothing.
    h = echoed_radiator(tmp_path)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 10)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 10.2)
    mark = len(h.sent)
    h.reg.clock_stepped_forward(3600)  # (the daemon, which sees the jump)
    h.reg.handle(DZ_OUT, dz_switch(RADIATOR_SWITCH, True), NOON + 3600.5)  # the echoes
    h.reg.handle(DZ_OUT, dz_switch(RADIATOR_SWITCH, False), NOON + 3600.6)
    assert not h.load("radiator").is_forced() and (RADIATOR, "ON") not in [(t, p) for t, p, _ in h.sent[mark:]]


# --- the water heater's mode selector: the levels PySEB shows on it for a mode chosen in Home Assistant ----------

def selector_answered(tmp_path: Path) -> Harness:
    """The mode selector on a Domoticz that echoes, answered at level 20 (solar+fallback) at the connect."""
    h = selector_connected(tmp_path, ECHOED)
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    return h


def test_two_quick_home_assistant_choices_are_not_undone_by_the_first_one_s_echo(tmp_path: Path) -> None:
    # HA's forced then off (an automation): the echo of the forced level, coming after the off, was taken for the
    # user's choice in Domoticz: the heater forced at full power for a moment, HA shown forced, then off again.
    h = selector_answered(tmp_path)
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    h.reg.handle(HA_MODE, b"off", NOON + 10.2)
    h.reg.handle(DZ_OUT, selector(30), NOON + 10.3)  # the echoes
    assert mode(h, NOON + 10.3) == "off" and not h.load("ecs").is_forced()
    h.reg.handle(DZ_OUT, selector(0), NOON + 10.4)
    assert mode(h, NOON + 10.4) == "off"
    h.reg.handle(DZ_OUT, selector(30), NOON + 30)  # the user's forced in Domoticz: obeyed
    assert mode(h, NOON + 30) == "forced"


def test_a_level_shown_while_domoticz_was_down_does_not_eat_the_user_s_choice(tmp_path: Path) -> None:
    h = selector_answered(tmp_path)
    h.reg.handle(HA_MODE, b"forced", NOON + 10)  # Set Level 30, then 10: lost
    h.reg.handle(HA_MODE, b"solar", NOON + 11)
    h.reg.handle(DZ_OUT, selector(30), NOON + 120)  # back, the user chooses forced
    assert mode(h, NOON + 120) == "forced"
