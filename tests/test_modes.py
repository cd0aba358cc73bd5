"""Forced-mode command validation: anything wrong is refused with a reason."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from equipments.modes import ForceCommand, ModeCommandError, UnforceCommand, apply_mode_command, parse_mode_command
from settings.config import load_settings
from tests.configs import write_config


@pytest.fixture
def loads(tmp_path: Path):
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator", "plug")))
    return {e.name: e for e in settings.equipments}


def test_force_with_duration(loads) -> None:
    cmd = parse_mode_command(b'{"command":"force","name":"ecs","power":1500,"duration":3600}', loads)
    assert cmd == ForceCommand("ecs", 1500.0, 3600.0)


def test_the_load_and_the_command_are_read_in_any_case(loads) -> None:
    # Names are read in lower case from the config (`ECS = variable` under a section [ECS] is the load `ecs`): a
    # command naming the load as its own section does ("ECS"), or typed with a capital, was refused as unknown.
    assert parse_mode_command(b'{"command":"Force","name":"ECS","power":1500}', loads) == \
        ForceCommand("ecs", 1500.0, None)
    assert parse_mode_command(b'{"command":" UNFORCE ","name":" Radiator "}', loads) == UnforceCommand("radiator")


def test_force_without_duration_is_until_unforced(loads) -> None:
    assert parse_mode_command(b'{"command":"force","name":"radiator","power":1000}', loads) == \
        ForceCommand("radiator", 1000.0, None)


def test_power_above_the_max_is_held_at_the_max(loads) -> None:
    # The seeds clamped to 100 % and their docs force the heater at its 2400 W nameplate.
    assert parse_mode_command(b'{"command":"force","name":"ecs","power":2400}', loads) == \
        ForceCommand("ecs", 2000.0, None, asked_w=2400.0)
    assert parse_mode_command(b'{"command":"force","name":"radiator","power":"1500","duration":60}', loads) == \
        ForceCommand("radiator", 1000.0, 60.0, asked_w=1500.0)
    assert parse_mode_command(b'{"command":"force","name":"ecs","power":2000}', loads).asked_w is None


def test_a_relay_forced_at_any_power_is_forced_on_at_its_watts(loads) -> None:
    # On or off: 300 W asked of a 1000 W radiator switches it on, and the status must not say 300 W.
    radiator = loads["radiator"]
    sent: list[tuple[str, str]] = []
    radiator.bind(lambda topic, payload, retain: sent.append((topic, payload)))
    apply_mode_command(parse_mode_command(b'{"command":"force","name":"radiator","power":300}', loads), radiator,
                       1000.0, "user", "regul/mode")
    assert radiator.is_on and radiator.forced_power_w == 1000 and radiator.current_power_w == 1000
    apply_mode_command(parse_mode_command(b'{"command":"force","name":"radiator","power":0}', loads), radiator,
                       1001.0, "user", "regul/mode")
    assert not radiator.is_on and radiator.forced_power_w == 0
    assert [payload for _, payload in sent] == ["ON", "OFF"]


def test_a_force_whose_command_is_not_published_says_so_and_changes_nothing(loads,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    # A full paho queue, say: the load's error said so, but "forcing radiator..." read as a force made, and the
    # mode command reported a change (a status for nothing), the load not forced and nothing retrying it.
    radiator = loads["radiator"]

    def refused(topic: str, payload: str, retain: bool) -> None:
        raise RuntimeError("the queue is full")

    radiator.bind(refused)
    command = parse_mode_command(b'{"command":"force","name":"radiator","power":1000,"duration":600}', loads)
    with caplog.at_level(logging.INFO):
        assert apply_mode_command(command, radiator, 1000.0, "user", "regul/mode") is False
    assert not radiator.is_forced() and not radiator.is_on and radiator.force_end_at is None
    assert "radiator: that force is not made: its command could not be published; send it again" in caplog.text
    radiator.bind(lambda topic, payload, retain: None)
    assert apply_mode_command(command, radiator, 1001.0, "user", "regul/mode") is True
    assert radiator.is_forced() and radiator.is_on


def test_a_load_of_unknown_power_forced_on_is_believed_at_its_measured_watts(tmp_path: Path) -> None:
    plug = next(e for e in load_settings(write_config(tmp_path, ("plug",))).equipments)
    plug.bind(lambda topic, payload, retain: None)
    plug.learned_power_w = 600.0
    apply_mode_command(parse_mode_command(b'{"command":"force","name":"plug","power":300}', {"plug": plug}), plug,
                       1000.0, "user", "regul/mode")
    assert plug.is_on and plug.forced_power_w == 600 and plug.current_power_w == 600


def test_a_force_over_the_max_of_a_measured_plug_says_its_watts(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # "forcing plug to 3680 W, its max (asked 5000 W)" of a plug measured at 1800 W, forced on at 1800 W.
    plug = next(e for e in load_settings(write_config(tmp_path, ("plug",))).equipments)
    plug.bind(lambda topic, payload, retain: None)
    plug.learned_power_w = 1800.0
    caplog.set_level(logging.INFO)
    apply_mode_command(parse_mode_command(b'{"command":"force","name":"plug","power":5000}', {"plug": plug}), plug,
                       1000.0, "user", "regul/mode")
    assert plug.forced_power_w == 1800
    assert [r.getMessage() for r in caplog.records if r.name == "equipments.modes"] == [
        f"forcing plug to 1800 W (asked 5000 W, over its max {plug.max_power_w:.0f} W) until unforced (regul/mode)"]


def test_a_held_force_says_so_in_one_line(loads, caplog: pytest.LogCaptureFixture) -> None:
    ecs = loads["ecs"]
    sent: list[str] = []
    ecs.bind(lambda topic, payload, retain=False: sent.append(payload))
    command = parse_mode_command(b'{"command":"force","name":"ecs","power":2400,"duration":600}', loads)
    with caplog.at_level(logging.INFO, logger="equipments.modes"):
        apply_mode_command(command, ecs, 1_700_000_000.0, "user", "regul/mode")
    lines = [r for r in caplog.records if r.name == "equipments.modes"]
    assert [(r.levelname, r.getMessage()) for r in lines] == \
        [("WARNING", "forcing ecs to 2000 W, its max (asked 2400 W) for 600 s (regul/mode)")]
    assert ecs.forced_power_w == 2000 and ecs.force_end_at == 1_700_000_600.0 and sent[-1] == "100"


@pytest.mark.parametrize(("name", "power", "said"), [
    ("radiator", "1e-9", "forcing radiator to 1000 W (asked 1e-09 W) until unforced"),  # a relay is on or off
    ("radiator", "1000", "forcing radiator to 1000 W until unforced"),
    ("ecs", "1234", "forcing ecs to 1220 W (asked 1234 W) until unforced"),  # the whole percent under it
    ("ecs", "5", "forcing ecs to 0 W (asked 5 W) until unforced"),  # under min_power (150 W): off, not 5 % at 100 W
    ("ecs", "100", "forcing ecs to 0 W (asked 100 W) until unforced"),
    ("ecs", "150", "forcing ecs to 140 W (asked 150 W) until unforced"),  # min_power itself: its whole percent
    ("plug", "1e-9", "forcing plug to 600 W (asked 1e-09 W) until unforced"),  # on at what it was measured at
    ("plug", "300", "forcing plug to 600 W (asked 300 W) until unforced"),
])
def test_a_force_says_what_the_load_is_set_to(loads, caplog: pytest.LogCaptureFixture, name: str, power: str,
                                              said: str) -> None:
    loads[name].bind(lambda topic, payload, retain=False: None)
    if name == "plug":
        loads[name].learned_power_w = 600.0
    command = parse_mode_command(f'{{"command":"force","name":"{name}","power":{power}}}'.encode(), loads)
    with caplog.at_level(logging.INFO, logger="equipments.modes"):
        apply_mode_command(command, loads[name], 1_700_000_000.0, "user", "regul/mode")
    assert [r.getMessage() for r in caplog.records if r.name == "equipments.modes"] == [f"{said} (regul/mode)"]


def test_unforce(loads) -> None:
    assert parse_mode_command(b'{"command":"unforce","name":"ecs"}', loads) == UnforceCommand("ecs")


def test_keys_of_their_own_are_left_alone_and_minus_zero_is_zero(loads) -> None:
    # (a home-automation box may add its own keys: only one that looks like ours is refused)
    command = parse_mode_command(b'{"command":"force","name":"ecs","power":"-0","idx":12,"time":"5","mode":1,'
                                 b'"command_id":7,"owner":"ha","named":"x"}', loads)
    assert command == ForceCommand("ecs", 0.0, None) and math.copysign(1.0, command.power_w) == 1.0  # (not "-0 W")
    # (its own keys twice, or ours in an object of its own: left alone too)
    assert parse_mode_command(b'{"command":"force","name":"ecs","power":10,"id":1,"id":2,"meta":{"name":"a",'
                              b'"Name":"b"}}', loads) == ForceCommand("ecs", 10.0, None)


@pytest.mark.parametrize("stamp", [b'"12:30"', b"1765100000", b"1765100000123", b"0", b"true"])
def test_a_time_of_its_own_is_left_alone(loads, stamp: bytes) -> None:
    # (a box's stamp: text, an epoch time in s or ms, or no length a force may have)
    doc = b'{"command":"force","name":"ecs","power":10,"time":' + stamp + b"}"
    assert parse_mode_command(doc, loads) == ForceCommand("ecs", 10.0, None)


@pytest.mark.parametrize("seconds", [b"3600", b"5", b"604800", b"90.5"])
def test_a_time_in_seconds_without_a_duration_is_refused_as_one(loads, seconds: bytes) -> None:
    # `"time": 3600` meant for an hour forced the heater until unforced, from the grid at night
    with pytest.raises(ModeCommandError, match="unknown key 'time' = [0-9.]+: did you mean \"duration\" \\(seconds\\)"):
        parse_mode_command(b'{"command":"force","name":"ecs","power":1500,"time":' + seconds + b"}", loads)
    assert parse_mode_command(b'{"command":"force","name":"ecs","power":1500,"time":3600,"duration":60}', loads) == \
        ForceCommand("ecs", 1500.0, 60.0)
    assert parse_mode_command(b'{"command":"unforce","name":"ecs","time":3600}', loads) == UnforceCommand("ecs")


def test_an_unforce_is_not_refused_for_a_key_only_a_force_reads(loads) -> None:
    # `"end": 5` or `"durations": 0` beside an unforce: refused as a misspelt duration, the load stayed forced
    for extra in (b'"end":5', b'"durations":0', b'"Power":0', b'"minutes":1'):
        assert parse_mode_command(b'{"command":"unforce","name":"ecs",%s}' % extra, loads) == UnforceCommand("ecs")


@pytest.mark.parametrize(("payload", "fragment"), [
    (b"not json", "not JSON"),
    (b"[]", "JSON object"),
    (b'{"command":"boost","name":"ecs"}', "command must be"),
    (b'{"command":"force","name":"pool","power":10}', "unknown load"),
    # (which load, and what to add: the bare refusal left the user to find the key and a value)
    (b'{"command":"force","name":"ecs"}', r'force needs a power \(watts\) for ecs: add "power": \d+ \(its max\)$'),
    (b'{"command":"force","name":"ecs","power":-1}', "power must be >= 0 W"),
    (b'{"command":"force","name":"ecs","power":"lots"}', "must be a number"),
    (b'{"command":"force","name":"ecs","power":true}', "must be a number"),
    (b'{"command":"force","name":"ecs","power":"1_000"}', "must be a number"),  # (float() takes it: ASCII only)
    (b'{"command":"force","name":"ecs","power":"\\uff11\\uff10"}', "must be a number"),
    (b'{"command":"force","name":"ecs","power":100,"duration":"6\\u00a0"}', "must be a number"),
    (b'{"command":"force","name":"ecs","power":100,"duration":0}', "leave it out to force until unforced"),
    (b'{"command":"force","name":"ecs","power":2400,"duration":0}', "duration must be"),
    (b'{"command":"force","name":"ecs","power":100,"duration":-5}', "duration must be"),
    (b'{"command":"force","name":"ecs","power":100,"duration":604801}', "duration must be"),
    (b'{"command":"force","name":"ecs","power":100,"duration":0.4}', "duration must be >= 1 s"),  # (said "for 0 s")
    # the value as sent, not rounded to 6 digits: "must be >= 1 s ..., got 1" and "<= 604800 s ..., got 604800" refused
    # a value the line itself said was in range
    (b'{"command":"force","name":"ecs","power":100,"duration":0.9999999}', r", got 0\.9999999; "),
    (b'{"command":"force","name":"ecs","power":100,"duration":604800.4}', r", got 604800\.4; "),
    (b'{"command":"force","name":"ecs","power":-0.0000001}', r"got -1e-07$"),
    # a key misspelt: read as absent, the force lasted until unforced (a heater from the grid for days)
    (b'{"command":"force","name":"ecs","power":2000,"Duration":3600}', 'unknown key \'Duration\': did you mean '
                                                                      '"duration"\\?$'),
    (b'{"command":"force","name":"ecs","power":2000,"durations":3600}', 'did you mean "duration"'),
    (b'{"command":"force","name":"ecs","power":2000,"duraton":3600}', 'did you mean "duration"'),
    (b'{"command":"force","Name":"ecs","power":2000}', 'did you mean "name"'),
    # another word for a duration, too far from "duration" to be taken for it misspelt: the force had no end
    (b'{"command":"force","name":"ecs","power":2000,"timeout":3600}', 'unknown key \'timeout\': did you mean '
                                                                     r'"duration" \(seconds\)\?$'),
    (b'{"command":"force","name":"ecs","power":2000,"Timer":3600}', 'did you mean "duration"'),
    (b'{"command":"force","name":"ecs","power":2000,"dur\xc3\xa9e":3600}', 'did you mean "duration"'),
    (b'{"command":"force","name":"ecs","power":2000,"minutes":60}', 'did you mean "duration"'),
    # a key given twice: JSON's parser kept the last, and this one forced the radiator where "ecs" came first
    (b'{"command":"force","name":"ecs","name":"radiator","power":1000}', "key 'name' given twice$"),
    (b'{"command":"force","name":"ecs","power":100,"Power":2000}', "key 'Power' given twice"),
    # a JSON integer too large for a float (float() raises OverflowError on it): refused, its digits not logged
    (b'{"command":"force","name":"ecs","power":' + b"9" * 400 + b"}", "power must be a finite number, got inf$"),
    (b'{"command":"force","name":"ecs","power":100,"duration":' + b"9" * 400 + b"}", "finite number, got inf$"),
])
def test_refused(loads, payload: bytes, fragment: str) -> None:
    with pytest.raises(ModeCommandError, match=fragment) as refused:
        parse_mode_command(payload, loads)
    # (the log's flood limit is kept per reason: the code's few words, never the payload's, which a stranger varies)
    assert refused.value.reason in REASONS


REASONS = {"too large", "not JSON", "not an object", "unknown command", "unknown load", "no power", "negative power",
           "power not a number", "power not finite", "duration not a number", "duration not finite",
           "duration out of range", "misspelt key", "key twice"}


@pytest.mark.parametrize(("payload", "quoted"), [
    (b'{"command":"force","name":"Pool ","power":10}', "unknown load 'Pool '"),
    (b'{"command":"unforce","name":"ECS2"}', "unknown load 'ECS2'"),
    (b'{"command":" Boost","name":"ecs"}', "got ' Boost'"),
])
def test_a_refusal_quotes_what_was_sent(loads, payload: bytes, quoted: str) -> None:
    # Names are read in any case ("ECS" is the load ecs), but the refusal quoted the name lower-cased and trimmed:
    # "unknown load 'pool'" for "Pool ", not what the user looks for in the automation that sent it.
    with pytest.raises(ModeCommandError) as refused:
        parse_mode_command(payload, loads)
    assert quoted in str(refused.value)


def test_a_variable_load_forced_under_what_it_can_draw_is_off_and_says_why(tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    # A heater whose sweep conducts only from 20 % (400 W): a force at 5 W sent the lowest percent that conducts,
    # 400 W, eighty times the power asked; at 200 W (over min_power) still twice it. The whole percent under the
    # power asked draws nothing: off, and the log says why. At 400 W it runs.
    config = write_config(tmp_path, ("ecs",))
    (tmp_path / "linear.csv").write_text("".join(f"{p};0\n" for p in range(20))
                                         + "".join(f"{p};{20.0 * p}\n" for p in range(20, 101)))
    ecs = load_settings(config).equipments[0]
    sent: list[str] = []
    ecs.bind(lambda topic, payload, retain=False: sent.append(payload))
    for power_w, percent, drawn_w in ((5.0, "0", 0.0), (200.0, "0", 0.0), (400.0, "20", 400.0), (100.0, "0", 0.0)):
        caplog.clear()
        command = parse_mode_command(f'{{"command":"force","name":"ecs","power":{power_w}}}'.encode(), {"ecs": ecs})
        with caplog.at_level(logging.INFO):
            apply_mode_command(command, ecs, 1_700_000_000.0, "user", "regul/mode")
        assert ecs.current_command().payload == percent and ecs.current_power_w == drawn_w
        # (the status's forced_power, as a relay's its max: a force off, not 100 W beside current_power 0)
        assert ecs.forced_power_w == drawn_w
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        if drawn_w == 0:
            assert warned == [f"ecs: a force at {power_w:g} W is under the least it draws steadily (400 W: min_power "
                              "150 W, min_percent 4 %, and the lowest percent that conducts, 20 %, 400 W): off"]
        else:
            assert warned == []


def test_a_command_from_a_windows_file_is_read(loads) -> None:
    # `mosquitto_pub -t regul/mode -f force.json`, the file saved by Notepad: a byte order mark and CRLF, refused
    # as "not JSON: b'\xef\xbb\xbf{...'" (the bytes a user does not see in the editor).
    payload = b'\xef\xbb\xbf{"command": "force", "name": "ecs", "power": 1500, "duration": 3600}\r\n'
    assert parse_mode_command(payload, loads) == ForceCommand("ecs", 1500.0, 3600.0)


@pytest.mark.parametrize("payload", [
    b"{'command': 'force', 'name': 'ecs', 'power': 1500}",
    # Saved by Notepad (a byte order mark, which lstrip leaves, and CRLF): the hint was missed.
    b"\xef\xbb\xbf{'command': 'force', 'name': 'ecs', 'power': 1500}\r\n",
    b"{ 'command': 'force', 'name': 'ecs', 'power': 1500 }",  # (laid out by hand)
])
def test_a_command_in_python_s_quotes_says_json_takes_double_quotes(loads, payload: bytes) -> None:
    with pytest.raises(ModeCommandError, match="JSON's strings take double quotes"):
        parse_mode_command(payload, loads)


def test_the_power_suggested_is_the_max_rounded_down(tmp_path: Path) -> None:
    # (596.7 W rounded to 597 would be above the max: the suggestion itself clamped, with a warning)
    config = write_config(tmp_path, ("radiator",))
    config.write_text(config.read_text().replace("max_power = 1000", "max_power = 596.7"))
    loads = {e.name: e for e in load_settings(config).equipments}
    with pytest.raises(ModeCommandError, match=r'add "power": 596 \(its max\)$'):
        parse_mode_command(b'{"command":"force","name":"radiator"}', loads)
