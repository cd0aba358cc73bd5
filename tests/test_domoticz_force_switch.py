"""The Domoticz link's per-load force switch: a user's On and Off, the echoes of PySEB's own updates told
from commands (no loop with a Domoticz that echoes), the values an On/Off switch takes, a selector as force
switch, and Domoticz asked at each connect what the switch is."""

from __future__ import annotations

import json
import logging

import pytest

from integrations.domoticz import parse_domoticz_out
from integrations.domoticz_control import EcsMode, EcsModeSelector, ForceLink, parse_levels
from integrations.domoticz_settings import DEFAULT_LEVELS
from tests.domoticz_payloads import SELECTOR, device, selector, switch


def test_a_user_switching_forces_and_unforces() -> None:
    link = ForceLink("ecs", 359)
    assert link.on_device(device(switch(359, True)), load_forced=False, now=0.0) is True
    assert link.on_device(device(switch(359, True)), load_forced=True, now=1.0) is None  # repeated: no change
    assert link.on_device(device(switch(359, False)), load_forced=True, now=2.0) is False
    assert link.on_device(device(switch(360, True)), load_forced=False, now=3.0) is None  # another idx


def test_our_own_update_is_an_on_off_switchlight() -> None:
    link = ForceLink("ecs", 359)
    assert link.publish_state(True, 0.0) == ("domoticz/in",
                                             '{"command": "switchlight", "idx": 359, "switchcmd": "On"}')


def test_our_echoes_are_not_commands_even_out_of_order_with_the_load() -> None:
    link = ForceLink("ecs", 359)
    link.publish_state(True, 0.0)  # the fallback forced the heater...
    link.publish_state(False, 0.5)  # ...and the tank was full at once: unforced
    # Both echoes arrive after the load is unforced: the "On" one must not force it again.
    assert link.on_device(device(switch(359, True)), load_forced=False, now=0.8) is None
    assert link.on_device(device(switch(359, False)), load_forced=False, now=0.9) is None
    assert link.on_device(device(switch(359, True)), load_forced=False, now=5.0) is True  # now a user


def test_a_user_off_after_a_user_on_is_obeyed_while_the_start_up_off_is_awaited() -> None:
    # The fault campaign's case: the daemon announced Off at connect (no echo yet), then a user switched
    # On and, a second later, Off. The On is not the echo awaited: a user's change; the Off then too.
    link = ForceLink("ecs", 359)
    link.publish_state(False, 0.0)
    assert link.on_device(device(switch(359, True)), load_forced=False, now=2.0) is True
    assert link.pending == ()  # the start-up Off's echo can no longer come before anything else
    assert link.on_device(device(switch(359, False)), load_forced=True, now=3.0) is False


def test_an_echo_that_comes_after_a_users_change_is_what_the_switch_shows() -> None:
    # Domoticz processed the user's On before our Off: its last word is our Off, and the load follows it.
    link = ForceLink("ecs", 359)
    link.publish_state(True, 0.0)  # the regulator forced it
    assert link.on_device(device(switch(359, False)), load_forced=True, now=0.1) is False  # the user's Off
    assert link.on_device(device(switch(359, True)), load_forced=False, now=0.2) is True  # our On, processed last


def test_a_disconnection_forgets_the_echoes_awaited() -> None:
    link = ForceLink("ecs", 359)
    link.publish_state(False, 0.0)
    link.forget_pending()  # the echo was published while we were not subscribed: lost
    assert link.on_device(device(switch(359, True)), load_forced=False, now=1.0) is True
    assert link.on_device(device(switch(359, False)), load_forced=True, now=2.0) is False


def test_a_domoticz_that_never_echoes_does_not_grow_the_queue() -> None:
    link = ForceLink("ecs", 359)
    for i in range(1000):
        link.publish_state(bool(i % 2), float(i))
    assert len(link.pending) <= 32


ON_OFF = b'{"idx": 360, "nvalue": %s, "switchType": "On/Off"}'


@pytest.mark.parametrize("nvalue", [b"-1", b"2", b"3", b"255", b"-2147483648", b"99999999999999999999", b"null",
                                    b"1.0", b"true", b'"1"'])
def test_only_0_and_1_act_on_an_on_off_switch(nvalue: bytes, caplog: pytest.LogCaptureFixture) -> None:
    # The fault campaign forced a relay on with nvalue -1 and with 2 on an On/Off switch.
    link = ForceLink("radiator", 360)
    parsed = parse_domoticz_out(ON_OFF % nvalue)
    with caplog.at_level(logging.WARNING):
        assert parsed is None or link.on_device(parsed, load_forced=False, now=0.0) is None
        assert parsed is None or link.on_device(parsed, load_forced=True, now=0.0) is None
    assert "dropped" in caplog.text


@pytest.mark.parametrize("payload, forced, wanted", [
    (ON_OFF % b"1", False, True), (ON_OFF % b"0", True, False),
    (b'{"idx": 360, "nvalue": 1, "switchType": "On/Off", "svalue1": "junk"}', False, True),
])
def test_the_values_domoticz_sends_on_an_on_off_switch_act(payload: bytes, forced: bool, wanted: bool) -> None:
    assert ForceLink("radiator", 360).on_device(device(payload), load_forced=forced, now=0.0) is wanted


@pytest.mark.parametrize("payload", [
    b'{"idx": 360, "nvalue": 1}',  # no switchType
    b'{"idx": 360, "nvalue": 1, "switchType": "Push On Button"}',
    b'{"idx": 360, "nvalue": 1, "switchType": "Dimmer", "svalue1": "50"}',
    b'{"idx": 360, "nvalue": 2, "switchType": "Selector", "svalue1": "-10"}',
    b'{"idx": 360, "nvalue": 2, "switchType": "Selector", "svalue1": "15"}',
    b'{"idx": 360, "nvalue": 2, "switchType": "Selector", "svalue1": "99999"}',
    b'{"idx": 360, "nvalue": 2, "switchType": "Selector", "svalue1": "ten"}',
    b'{"idx": 360, "nvalue": 2, "switchType": "Selector"}',
    b'{"idx": 360, "nvalue": -1, "switchType": "Selector", "svalue1": "10"}',
    b'{"idx": 360, "nvalue": 7, "stype": "Selector Switch", "svalue1": "10"}',
])
def test_other_switch_updates_are_dropped(payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert ForceLink("radiator", 360).on_device(device(payload), load_forced=False, now=0.0) is None
    assert "update dropped" in caplog.text


@pytest.mark.parametrize("payload", [
    b'{"idx": 338, "nvalue": 2, "switchType": "On/Off", "svalue1": "10"}',
    b'{"idx": 338, "nvalue": 9, "switchType": "Selector", "svalue1": "10"}',
    b'{"idx": 338, "nvalue": 2, "switchType": "Selector", "svalue1": "-20"}',
])
def test_the_mode_selector_takes_only_selector_updates(payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    modes = EcsModeSelector(338, parse_levels(DEFAULT_LEVELS))
    with caplog.at_level(logging.WARNING):
        assert modes.on_device(device(payload)) is None
    assert modes.mode is EcsMode.SOLAR_FALLBACK and "update dropped" in caplog.text


def test_a_selector_force_switch_is_set_by_level() -> None:
    link = ForceLink("ecs", 338)
    assert link.on_device(device(SELECTOR), load_forced=False, now=0.0) is True
    assert link.on_device(device(selector(0)), load_forced=True, now=1.0) is False
    assert json.loads(link.publish_state(True, 2.0)[1]) == {"command": "switchlight", "idx": 338,
                                                            "switchcmd": "Set Level", "level": 20}
    assert json.loads(link.publish_state(False, 3.0)[1])["level"] == 0


def test_a_force_switch_asks_domoticz_what_it_is() -> None:
    assert ForceLink("radiator", 360).request() == ("domoticz/in", '{"command": "getdeviceinfo", "idx": 360}')


@pytest.mark.parametrize("answer, shows, forced_shown", [
    (selector(20), True, {"switchcmd": "Set Level", "level": 20}),  # a selector: by level, its own
    (selector(0), False, {"switchcmd": "Set Level", "level": 10}),
    (switch(338, True), True, {"switchcmd": "On"}),
])
def test_the_answer_says_what_the_switch_is_and_is_no_order(answer: bytes, shows: bool, forced_shown: dict) -> None:
    # PySEB sent "On" to a selector (which Domoticz takes to its last level, 0 if never set above) until a user's
    # update of it told it was one. The answer tells at once; it is what the switch shows, never an order.
    link = ForceLink("ecs", 338)
    assert link.on_answer(device(answer)) is shows
    assert json.loads(link.publish_state(True, 1.0)[1]) == {"command": "switchlight", "idx": 338, **forced_shown}
    assert link.usable


@pytest.mark.parametrize("answer, why", [
    (b'{"idx": 360, "name": "Salon", "nvalue": 0, "svalue1": "19.5", "dtype": "Temp", "stype": "LaCrosse TX3"}',
     "no switchType"),
    (b'{"idx": 360, "name": "Volet", "nvalue": 1, "switchType": "Blinds", "dtype": "Light/Switch"}',
     "switchType 'Blinds' is not an On/Off switch or a selector"),
])
def test_an_answer_that_is_no_switch_is_named_with_its_config_key(answer: bytes, why: str,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    link = ForceLink("radiator", 360)
    assert link.on_answer(device(answer)) is None
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and warned[0].getMessage().startswith("[radiator] domoticz_idx_force = 360: Domoticz's "
                                                                  "device idx 360 ")
    assert why in warned[0].getMessage() and not link.usable  # its state is not shown on it (Blinds would move)
    assert link.on_device(device(switch(360, True)), load_forced=False, now=5.0) is True  # made a switch since
    assert link.usable


class FakeDomoticz:
    """Echoes every switchlight on domoticz/in back on domoticz/out, as Domoticz does."""

    def __init__(self) -> None:
        self.state: dict[int, bool] = {}
        self.outbox: list[bytes] = []

    def receive(self, payload: str) -> None:
        doc = json.loads(payload)
        on = doc["switchcmd"] == "On" or doc.get("level", 0) > 0
        self.state[doc["idx"]] = on
        self.outbox.append(switch(doc["idx"], on))


def test_no_loop_between_the_regulator_and_a_domoticz_that_echoes() -> None:
    dz, link = FakeDomoticz(), ForceLink("ecs", 359)
    forced, messages, now = False, 0, 0.0

    def regulator_sets(state: bool) -> None:
        nonlocal forced
        forced = state
        dz.receive(link.publish_state(state, now)[1])

    def deliver() -> None:
        nonlocal messages, forced
        while dz.outbox:
            messages += 1
            assert messages < 20, "the regulator and Domoticz are ping-ponging"
            change = link.on_device(device(dz.outbox.pop(0)), forced, now)
            if change is not None:
                regulator_sets(change)  # what the regulator would do: force/unforce, then show it

    for state in (True, False, True, False):  # fallback force, expiry, force, full tank...
        regulator_sets(state)
        now += 0.2
    deliver()
    assert forced is False and dz.state[359] is False and messages == 4
    dz.outbox.append(switch(359, True))  # a user switches on in Domoticz
    now += 30
    deliver()
    assert forced is True


def on_at_level_0(idx: int) -> bytes:
    """What Domoticz publishes after a switchlight "On" to a selector never set above level 0: it takes an On to
    the selector's LastLevel (main/mainworker.cpp, SwitchLightInt), 0 there, so the On (nvalue 1) sits at level 0."""
    return selector(0).replace(b'"idx": 338', b'"idx": %d' % idx).replace(b'"nvalue": 0', b'"nvalue": 1')


@pytest.mark.parametrize("echoed", [True, False], ids=["prevent_loop_false", "default"])
def test_an_on_a_selector_took_at_level_0_is_on_not_a_users_off(echoed: bool) -> None:
    # Until PySEB has seen an update of a force switch it does not know it is a selector and shows a force with
    # "On". On a selector never set above level 0 that On lands at level 0: its echo, read as level 0 = off,
    # unforced the load PySEB had just forced (a regul/mode force undone within a second).
    link = ForceLink("ecs", 338, echoed=echoed)
    assert json.loads(link.publish_state(True, 0.0)[1])["switchcmd"] == "On"
    assert device(on_at_level_0(338)).switch_state() == (True, None)
    assert link.on_device(device(on_at_level_0(338)), load_forced=True, now=1.0) is None
    assert link.pending == () and link.selector
