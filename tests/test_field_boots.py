"""Device boots with the firmware's exact bytes: a variator that rebooted gets its command again at once
(its status echo after each command changes nothing); a meter's boot message is logged and the meter
counts as fresh only after its next good reading."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from equipments.boot_resends import BootResendPace
from tests.configs import reading
from tests.field_house import ECS_CMD, ECS_STATUS, VLOAD, field_config
from tests.harness import CONS, NOON, PROD, Harness
from values.boots import (
    VariatorStatus,
    boot_message_id,
    is_boot_detected,
    pzem_reading_period_s,
    read_variator_status,
    split_device_topic,
    variator_status,
)

SETPOWER_ECHO = b'{"percent": 42.50, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}'
BOOT_DETECTED = b'{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}'
VLOAD_BOOT = (b'{"type": "vload", "id": "ECS", "fw_version": "1.1b", "PCB": "white", "chip_id": "1234567", '
              b'"ip": "10.3.141.20", "OTA": "mqtt"}')
VLOAD_BOOT_NO_OTA = (b'{"type": "vload", "id": "ECS", "fw_version": "1.1b", "PCB": "white", "chip_id": "1234567", '
                     b'"ip": "10.3.141.20, "OTA": "not implemented"}')
PZEM_BOOT = (b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": v3, '
             b'"srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}')


def test_boot_ids_from_the_real_messages() -> None:
    assert boot_message_id(VLOAD_BOOT) == "ECS"
    assert boot_message_id(VLOAD_BOOT_NO_OTA) == "ECS"  # malformed JSON: the id is still read
    assert boot_message_id(PZEM_BOOT) == "CONSOMMATION"  # unquoted strings
    assert boot_message_id(b'{"type": "vload"}') is None and boot_message_id(b"garbage") is None
    assert is_boot_detected(BOOT_DETECTED) and not is_boot_detected(SETPOWER_ECHO)
    assert not is_boot_detected(b"not json") and is_boot_detected(b'{"msg": "boot_detected", "percent": nan}')
    assert split_device_topic("smeter/pzem/CONSOMMATION") == ("smeter/pzem", "CONSOMMATION")
    assert split_device_topic("alone") is None


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(field_config(tmp_path, ("ecs",)))
    harness.meters(300, 1300, NOON)  # surplus 980 W: the heater gets 49 %
    assert harness.last(ECS_CMD) == "49"
    return harness


def test_topics_derived_from_the_command_topic(h: Harness) -> None:
    subs = h.reg.subscriptions()
    assert ECS_STATUS in subs and VLOAD in subs and "smeter/pzem" in subs
    assert len(subs) == len(set(subs))


@pytest.mark.parametrize("topic, payload", [(ECS_STATUS, BOOT_DETECTED), (VLOAD, VLOAD_BOOT),
                                            (VLOAD, VLOAD_BOOT_NO_OTA)])
def test_a_rebooted_variator_gets_its_command_again_at_once(h: Harness, topic: str, payload: bytes,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    before = len(h.sent)
    h.reg.handle(topic, payload, NOON + 1)
    assert h.sent[before:] == [(ECS_CMD, "49", False)]
    assert "re-sending its command 49" in caplog.text


def test_both_signals_of_one_reboot_get_the_command(h: Harness) -> None:
    # Its boot message, then boot_detected a second later: either may be the one it hears the command after.
    before = len(h.sent)
    h.reg.handle(VLOAD, VLOAD_BOOT, NOON + 100)
    h.reg.handle(ECS_STATUS, BOOT_DETECTED, NOON + 101)
    assert h.sent[before:] == [(ECS_CMD, "49", False)] * 2


def test_a_flood_of_boots_is_no_flood_of_commands(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # A variator rebooting every few seconds, or a client publishing its boot message in a loop: each signal had the
    # command sent again. At most twice in 30 s now, said once; the last boot still gets the command, when the
    # window lets it (the variator runs at its default after each boot).
    caplog.set_level(logging.INFO)
    before = len(h.on(ECS_CMD))

    def resent() -> list[str]:  # (its status asked 5 s after a re-send it did not answer: no command)
        return [payload for payload in h.on(ECS_CMD)[before:] if payload != "status"]

    def fresh_meters_and_tick(at: float) -> None:  # (the heater's 980 W in the house's reading: 49 % holds)
        h.meters(1280, 1300, at - 0.5)
        h.reg.tick(at)

    for i in range(100):  # (from NOON + 1 to NOON + 20.8)
        if i % 25 == 0:
            fresh_meters_and_tick(NOON + 1 + i * 0.2)
        h.reg.handle(VLOAD if i % 2 else ECS_STATUS, VLOAD_BOOT if i % 2 else BOOT_DETECTED, NOON + 1 + i * 0.2)
    assert resent() == ["49"] * 2
    assert caplog.text.count("boot signals in 30 s") == 1
    assert h.load("ecs").next_timer_at() == NOON + 31 and (h.reg.next_deadline() or 0) <= NOON + 31
    fresh_meters_and_tick(NOON + 25)
    fresh_meters_and_tick(NOON + 30.9)
    assert resent() == ["49"] * 2
    fresh_meters_and_tick(NOON + 31)
    assert resent() == ["49"] * 3
    assert "re-sending its command 49, held back from a flood of boot signals" in caplog.text
    fresh_meters_and_tick(NOON + 36)  # (one re-send for all the signals held back)
    assert resent() == ["49"] * 3
    # The loop over, a reboot 30 s after the last re-send gets its command at once again, for both its signals.
    for at in range(41, 61, 5):
        fresh_meters_and_tick(NOON + at)
    h.reg.handle(VLOAD, VLOAD_BOOT, NOON + 61)
    h.reg.handle(ECS_STATUS, BOOT_DETECTED, NOON + 62)
    assert resent() == ["49"] * 5
    assert h.load("ecs").next_timer_at() is None  # (nothing held back)


@pytest.mark.parametrize("topic, payload", [
    # the echo after every command: never a trigger (at our percent: one at another is judged, within 5 s of our
    # command too)
    (ECS_STATUS, SETPOWER_ECHO.replace(b"42.50", b"49.00")),
    (VLOAD, VLOAD_BOOT.replace(b'"ECS"', b'"POOL"')),  # another variator's boot
    (ECS_STATUS, b"garbage"),
])
def test_other_variator_messages_send_nothing(h: Harness, topic: str, payload: bytes) -> None:
    before = len(h.sent)
    h.reg.handle(topic, payload, NOON + 1)
    assert h.sent[before:] == []


def echo(percent: str) -> bytes:
    return SETPOWER_ECHO.replace(b"42.50", percent.encode())


def test_the_percent_of_a_variator_s_echo() -> None:
    assert variator_status(SETPOWER_ECHO) == (False, 42.5) and variator_status(echo("0.00")) == (False, 0)
    assert variator_status(BOOT_DETECTED) == (True, None)
    for bad in (b"garbage", echo("true"), echo('"42"'), echo("NaN"), echo("100.5"), echo("-1")):
        assert variator_status(bad) == (False, None)


def test_a_variator_s_status_read_once_gives_its_boot_percent_and_gate() -> None:
    gated = b'{"percent": 49.00, "power": 0, "mode": 0, "state": "OFF", "msg": "setstate"}'
    assert read_variator_status(SETPOWER_ECHO) == VariatorStatus(False, 42.5, False)
    assert read_variator_status(BOOT_DETECTED) == VariatorStatus(True, None, False)
    assert read_variator_status(gated) == VariatorStatus(False, 49.0, True)
    # Not JSON (a percent the firmware printed as nan): its msg and state read with a pattern, as before.
    assert read_variator_status(b'{"percent": nan, "state": "OFF", "msg": "boot_detected"}') == \
        VariatorStatus(True, None, True)
    assert read_variator_status(b'{"percent": nan, "state" :"ON", "msg": "setpower"}') == \
        VariatorStatus(False, None, False)
    for neither in (b"garbage", b"[1]", echo("42.00").replace(b'"ON"', b'"on"'), b'{"state": "OFF"}' * 10000):
        assert read_variator_status(neither).output_off is None


def test_the_variator_parses_its_status_once(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its gate (`state`) was searched for in the message apart from its JSON (`msg`, `percent`): an echo comes after
    # every command, so it was scanned twice a command.
    import json

    import values.boots

    parsed: list[bytes | str] = []

    class CountingJson:
        @staticmethod
        def loads(text: str) -> object:
            parsed.append(text)
            return json.loads(text)

    monkeypatch.setattr(values.boots, "json", CountingJson)
    monkeypatch.setattr(values.boots, "_STATE", None)  # (the pattern is for a message that is not JSON only)
    h.reg.handle(ECS_STATUS, echo("49.00"), NOON + 10)
    assert len(parsed) == 1


def test_an_echo_at_a_percent_not_ours_gets_our_command_again(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # The seed published its percents retained: the variator, reconnecting to the broker, takes that 80 % again
    # and says so; PySEB, whose command (49 %) holds, published nothing and believed the heater at 49 %.
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("80.00"), NOON + 60)
    assert h.sent[before:] == [(ECS_CMD, "49", False)]
    assert "ecs: the variator reports 80 % where PySEB's command is 49 %: sent again" in caplog.text
    h.reg.handle(ECS_STATUS, echo("80.00"), NOON + 62)  # (once in ECHO_LAG_S: two clients fighting is no flood)
    assert h.sent[before:] == [(ECS_CMD, "49", False)]
    h.reg.handle(ECS_STATUS, echo("80.00"), NOON + 70)
    assert h.sent[before:] == [(ECS_CMD, "49", False)] * 2


def nightfall(tmp_path: Path, algorithm: str) -> tuple[Harness, float]:
    """The heater at 49 % (answered), then the sun gone until PySEB sends 0 %: the harness and that command's time."""
    h = Harness(field_config(tmp_path, ("ecs",), algorithm=algorithm))
    h.meters(300, 1300, NOON)
    assert h.last(ECS_CMD) == "49"
    h.reg.handle(ECS_STATUS, echo("49.00"), NOON + 0.1)
    now = NOON
    while h.last(ECS_CMD) != "0":
        now += 2.0
        assert now < NOON + 120, h.on(ECS_CMD)
        h.meters(1280, 0, now)
        h.reg.tick(now + 0.02)
    return h, now


@pytest.mark.parametrize("algorithm", ["hebert", "closed_loop"])
def test_another_client_s_percent_soon_after_ours_gets_ours_again(tmp_path: Path, algorithm: str) -> None:
    # Night falls: PySEB sends 0 %, and another client's 100 % reaches the variator a second later. Any echo within
    # ECHO_LAG_S of a command was left alone, and none came after (0 % holds all night): the heater ran at 100 % from
    # the grid all night, believed at 0 W.
    h, now = nightfall(tmp_path, algorithm)
    h.reg.handle(ECS_STATUS, echo("49.00"), now + 0.1)  # (the answer to the command before ours: they crossed)
    h.reg.handle(ECS_STATUS, echo("0.00"), now + 0.2)
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("100.00"), now + 1.0)  # (another client's)
    assert h.sent[before:] == [(ECS_CMD, "0", False)]


def test_another_client_s_percent_soon_after_a_correction_is_asked_about(h: Harness) -> None:
    # Two clients fighting: our command is not sent again at the other's pace, but its status is asked when
    # ECHO_LAG_S is over, and a percent not ours then is corrected (left alone, it ran all night).
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("80.00"), NOON + 1)
    h.reg.handle(ECS_STATUS, echo("100.00"), NOON + 2)
    assert h.sent[before:] == [(ECS_CMD, "49", False)]
    assert h.reg.next_deadline() == pytest.approx(NOON + 6)
    h.reg.tick(NOON + 5.9)
    assert h.sent[before:] == [(ECS_CMD, "49", False)]
    h.reg.tick(NOON + 6)
    assert h.sent[before:] == [(ECS_CMD, "49", False), (ECS_CMD, "status", False)]
    h.reg.handle(ECS_STATUS, echo("100.00"), NOON + 6.1)
    assert h.sent[before:] == [(ECS_CMD, "49", False), (ECS_CMD, "status", False), (ECS_CMD, "49", False)]


def test_an_old_percent_of_ours_long_after_is_another_client_s(h: Harness) -> None:
    # A percent PySEB sent long ago that comes back is not a late answer (they come within a second or so): a retained
    # one taken again, sent again over.
    h.meters(680, 1300, NOON + 10)
    high = h.last(ECS_CMD)
    assert high is not None and high != "49"
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("49.00"), NOON + 60)
    assert h.sent[before:] == [(ECS_CMD, high, False)]


@pytest.mark.parametrize("percent", ["49.00", "49.50", "49"])
def test_an_echo_of_our_percent_sends_nothing(h: Harness, percent: str) -> None:
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo(percent), NOON + 60)
    assert h.sent[before:] == []


def test_configured_status_boot_topics_and_id(tmp_path: Path) -> None:
    path = field_config(tmp_path, ("ecs",), ecs="topic_status = vload/heater/state\ntopic_boot = vload/boot\n"
                                               "device_id = HEATER\n")
    h = Harness(path)
    h.meters(300, 1300, NOON)
    before = len(h.sent)
    h.reg.handle("vload/boot", VLOAD_BOOT.replace(b'"ECS"', b'"HEATER"'), NOON + 1)
    h.reg.handle("vload/heater/state", BOOT_DETECTED, NOON + 2)
    h.reg.handle(ECS_STATUS, BOOT_DETECTED, NOON + 3)  # no longer its topic
    assert h.sent[before:] == [(ECS_CMD, "49", False)] * 2


def test_two_variators_share_the_boot_topic(tmp_path: Path) -> None:
    path = field_config(tmp_path, ("ecs",), extra="[pool]\ntopic_set_power = regul/vload/POOL/cmd\n"
                                                  "calibration = linear.csv\n")
    path.write_text(path.read_text().replace("ecs = variable\n", "ecs = variable\npool = variable\n"))
    h = Harness(path)
    h.meters(300, 3000, NOON)
    assert h.last(ECS_CMD) == "100" and h.last("regul/vload/POOL/cmd") is not None
    before = len(h.sent)
    h.reg.handle(VLOAD, VLOAD_BOOT.replace(b'"ECS"', b'"POOL"'), NOON + 1)
    assert [t for t, _, _ in h.sent[before:]] == ["regul/vload/POOL/cmd"]


def test_a_meter_boot_is_logged_and_is_no_sign_of_life(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h.reg.handle(CONS, reading(300), NOON + 3)
    h.reg.handle("smeter/pzem", PZEM_BOOT, NOON + 8)  # the real boot topic: the readings' parent
    assert "consumption meter booted; it counts as fresh after its next good reading" in caplog.text
    h.reg.handle(PROD, reading(1300), NOON + 9)
    h.reg.tick(NOON + 13.5)  # 10.5 s after its last good reading: the boot did not refresh it
    assert h.reg.status(NOON + 13.5)["state"] == "stale" and h.last(ECS_CMD) == "0"
    h.reg.handle(PROD, reading(1300), NOON + 14)
    assert h.reg.stale_reason is not None  # consumption still silent
    h.reg.handle(CONS, reading(300), NOON + 15)  # its next good reading: fresh again, regulation resumes
    h.reg.handle(PROD, reading(1300), NOON + 16)
    assert h.reg.status(NOON + 16)["state"] == "regulating" and h.last(ECS_CMD) == "49"


# The firmware's boot topic is the readings' parent (PROTOCOL.md); a boot on the readings' own topic counts the same.
@pytest.mark.parametrize("boot_topic", ["smeter/pzem", CONS])
def test_no_decision_on_a_reading_from_before_the_boot(h: Harness, boot_topic: str) -> None:
    h.reg.handle(CONS, reading(1300), NOON + 3)  # import: a decision on it would shed the heater
    h.reg.handle(boot_topic, PZEM_BOOT, NOON + 4)
    before = len(h.statuses())
    h.reg.handle(PROD, reading(1300), NOON + 5)
    assert len(h.statuses()) == before and h.last(ECS_CMD) == "49"
    h.reg.handle(CONS, reading(300), NOON + 6)
    h.reg.handle(PROD, reading(1300), NOON + 7)
    assert len(h.statuses()) == before + 1


def test_an_echo_after_a_clock_step_back_is_judged(h: Harness) -> None:
    # The command at NOON, the clock stepped back an hour: "within 5 s of our command" held for the whole hour.
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("80.00"), NOON - 3600)
    assert h.sent[before:] == [(ECS_CMD, "49", False)]


def test_a_variator_whose_output_was_switched_off_is_said(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # PROTOCOL.md: `off` gates the variator's output without changing its percent; its status then says "state": "OFF"
    # at our very percent. Taken for our command obeyed, the heater drew nothing with no word why, and the full-tank
    # watch took the missing watts for a full tank.
    caplog.set_level(logging.INFO)
    gated = b'{"percent": 49.00, "power": 0, "mode": 0, "state": "OFF", "msg": "setstate"}'
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, gated, NOON + 10)
    h.reg.handle(ECS_STATUS, gated, NOON + 12)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["ecs: the variator reports its output off (\"state\": \"OFF\", an `off` sent by another "
                        "client): the load draws nothing whatever the percent until the variator is sent `on` "
                        "(mosquitto_pub -t regul/vload/ECS/cmd -m on); left out of the regulation meanwhile"]
    # (an `off` may be the owner's: PySEB does not undo it; the heater is commanded 0 W meanwhile, its percent only:
    # tests/test_variator_gate.py)
    assert [command for command in h.sent[before:] if command[0] == ECS_CMD] == [(ECS_CMD, "0", False)]
    h.reg.handle(ECS_STATUS, gated.replace(b'"OFF"', b'"ON"'), NOON + 14)
    assert "ecs: the variator reports its output on again: back in the regulation" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "WARNING"][1:]


@pytest.mark.parametrize("srate, period_s", [
    (b'"srate": 2000', 2.0), (b'"srate": "12000"', 12.0),  # its ms, bare (the real boot) or quoted as text
    (b'"srate": 0', None), (b'"rate": 2000', None),  # no period said
])
def test_a_pzem_s_reading_period_from_its_boot(srate: bytes, period_s: float | None) -> None:
    assert pzem_reading_period_s(PZEM_BOOT.replace(b'"srate": 2000', srate)) == period_s


def test_boot_resends_held_back_after_a_clock_step_back() -> None:
    # A re-send held back until a time the clock, stepped back an hour, reaches only an hour later: sent at once.
    pace = BootResendPace()
    assert [pace.on_boot(NOON + i) for i in range(3)] == ["send", "send", "hold first"]
    assert pace.on_boot(NOON + 3) == "hold" and pace.due_at == NOON + 30
    assert not pace.resend_due(NOON + 29) and pace.resend_due(NOON - 3600) and pace.due_at is None
    assert pace.on_boot(NOON - 3599) == "send"  # (a window from before the step is judged anew)


def test_another_client_s_percent_at_the_one_ours_replaced_is_asked_about(tmp_path: Path) -> None:
    # Our 49 % then 0 %, and another client's 49 % (the seed still running) after the echo of our 0 %: taken for the
    # late answer of our 49 %, left alone, the heater at 49 % all night believed at 0 W. Its status is asked when the
    # moment is over, and the answer judged.
    h, now = nightfall(tmp_path, "hebert")
    h.reg.handle(ECS_STATUS, echo("0.00"), now + 0.2)
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("49.00"), now + 1.0)
    assert h.sent[before:] == []  # (maybe our 49 %'s answer, late)
    due = h.reg.next_deadline()
    assert due == pytest.approx(now + 5.0)
    h.reg.tick(due)
    assert h.sent[before:] == [(ECS_CMD, "status", False)]
    h.reg.handle(ECS_STATUS, echo("49.00"), due + 0.1)  # (the variator runs at 49 %: another client's)
    assert h.sent[before:] == [(ECS_CMD, "status", False), (ECS_CMD, "0", False)]


def test_two_commands_at_one_time_keep_the_second_s_percent(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # A force expiring and the decision of the same tick: two commands at one `now`. The second's percent was not kept
    # as sent (told by the time, unchanged), and its late echo was taken for another client's: sent again, with a
    # warning.
    ecs = h.load("ecs")
    ecs.set_power(1000.0, NOON + 10, "test")  # 50 %
    ecs.set_power(600.0, NOON + 10, "test")  # 30 %, at the same time
    ecs.set_power(1600.0, NOON + 11, "test")  # 80 %
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("30.00"), NOON + 11.2)  # (the 30 %'s answer, crossed with the 80 %)
    assert [p for t, p, _ in h.sent[before:] if t == ECS_CMD] == []
    assert "another client" not in caplog.text


def test_a_meter_in_a_boot_loop_is_said_booting_not_unheard(tmp_path: Path) -> None:
    # A PZEM restarting again and again (its supply, its Wi-Fi) sends its boot message and no reading: it was said
    # "silent (no message on its topic since PySEB connected: ... the broker's ACL)", which sent the owner to the
    # broker while PySEB logged its boots.
    h = Harness(field_config(tmp_path, ("ecs",)))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    now = NOON
    for k in range(10):
        now += 2
        h.reg.handle(PROD, reading(1300), now)
        if k % 2 == 0:
            h.reg.handle("smeter/pzem", PZEM_BOOT, now + 0.3)
        h.reg.tick(now + 0.5)
    reason = h.reg.status(now + 0.5)["stale_reason"]
    assert reason is not None and "consumption meter without a reading for" in reason
    assert "booted 2 time(s) meanwhile (restarting again and again" in reason and "ACL" not in reason
    h.reg.handle(CONS, reading(300), now + 1)  # a reading: its boots are no longer the news
    assert h.reg.consumption.boots == 0


def test_one_boot_does_not_hide_why_the_readings_are_refused(tmp_path: Path) -> None:
    # The boots came before the refusals in the stale reason: one boot (a reflash, the power back), then readings
    # PySEB refuses, read as a boot loop.
    h = Harness(field_config(tmp_path, ("ecs",)))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle("smeter/pzem", PZEM_BOOT, NOON + 0.5)
    now = NOON
    for _ in range(6):
        now += 2
        h.reg.handle(PROD, reading(1300), now)
        h.reg.handle(CONS, b'{"power": "abc"}', now)
        h.reg.tick(now + 0.5)
    reason = h.reg.stale_reason
    assert reason is not None and "consumption meter without a usable reading for" in reason
    assert "message(s) refused" in reason and "booted" not in reason
    (tmp_path / "again").mkdir()
    again = Harness(field_config(tmp_path / "again", ("ecs",)))
    again.reg.tick(NOON)
    again.reg.on_connected(NOON)
    again.reg.handle("smeter/pzem", PZEM_BOOT, NOON + 0.5)  # one boot, then nothing
    for k in range(1, 7):
        again.reg.handle(PROD, reading(1300), NOON + 2 * k)
        again.reg.tick(NOON + 2 * k + 0.5)
    assert again.reg.stale_reason is not None and "consumption meter without a reading for" in again.reg.stale_reason
    assert "since it booted" in again.reg.stale_reason and "again and again" not in again.reg.stale_reason
