"""The Domoticz link: domoticz/out parsing with the real bytes, the grid / injection sensors with the seed's
rules, the water-heater mode selector, the config. The per-load force switch: test_domoticz_force_switch."""

from __future__ import annotations

import configparser
import json
import logging
import re

import pytest

from integrations.domoticz import GridPublisher, parse_domoticz_out, split_grid
from integrations.domoticz_control import EcsMode, EcsModeSelector, parse_levels
from integrations.domoticz_settings import (
    DEFAULT_LEVELS,
    DOMOTICZ_EVALUATE_OPTIONS,
    DomoticzSettings,
    read_domoticz_settings,
)
from settings.section_reader import SectionReader
from tests.domoticz_payloads import SELECTOR, device, selector, switch

# --- parsing domoticz/out --------------------------------------------------------------------------------

def test_the_real_selector_message() -> None:
    d = device(SELECTOR)
    assert (d.idx, d.nvalue, d.svalue1, d.name, d.is_selector, d.level, d.switch_state()) == \
        (338, 2, "20", "Automate_Cumulus", True, 20, (True, None))


def test_a_switch_state_is_nvalue() -> None:
    assert device(switch(359, True)).switch_state() == (True, None)
    assert device(switch(359, False)).switch_state() == (False, None)
    assert device(switch(359, False)).is_selector is False


def test_a_selector_at_level_0_is_off() -> None:
    assert device(selector(0)).switch_state() == (False, None)


@pytest.mark.parametrize("payload", [
    b"not json", b"\xff\xfe", b"[338, 2]", b'{"nvalue": 1}', b'{"idx": "338", "nvalue": 1}',
    b'{"idx": true, "nvalue": 1}', b'{"idx": 338, "nvalue": "1"}', b'{"idx": 338, "svalue1": ["20"]}',
    b'{"idx": 338, "nvalue": 1.5}',
    # the smart meter's boot message (not JSON) if it ever lands on a Domoticz topic
    b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": v3, '
    b'"srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}',
])
def test_malformed_messages_are_logged_and_dropped(payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="integrations.domoticz")
    assert parse_domoticz_out(payload) is None
    assert "domoticz/out" in caplog.text


@pytest.mark.parametrize("svalue1", ["¹", "2²", "-¹", "１０", "1" * 4301, "-" + "1" * 4301, "0" * 10 + "20"])
def test_a_level_in_other_digits_is_no_level_not_an_internal_error(svalue1: str) -> None:
    # str.isdigit() takes superscripts and full-width digits; int() refuses some of them: ASCII only. And int()
    # refuses over 4300 digits (a ValueError out of the regulator's handle): a level has a few.
    payload = f'{{"idx": 338, "nvalue": 2, "svalue1": "{svalue1}", "switchType": "Selector"}}'.encode()
    d = device(payload)
    assert d.level is None and d.switch_state()[0] is None and d.selector_problem() is not None


def test_a_numeric_svalue1_is_taken_as_text() -> None:
    assert device(b'{"idx": 338, "nvalue": 2, "svalue1": 20, "switchType": "Selector"}').level == 20


def test_the_meter_s_own_domoticz_update_parses_without_svalue1() -> None:
    d = device(b'{ "idx": 651, "nvalue": 0, "svalue": "276.00"}')
    assert (d.idx, d.nvalue, d.svalue1, d.level) == (651, 0, None, None)


# --- grid and injection sensors ------------------------------------------------------------------------------

def publisher(**kw: object) -> GridPublisher:
    args: dict[str, object] = {"idx_grid": 651, "idx_injection": 648}
    args.update(kw)
    return GridPublisher("domoticz/in", **args)  # type: ignore[arg-type]


def test_injection_is_published_negative_as_text() -> None:
    grid_w, injection_w = split_grid(342 - 2000)  # the seed's status example
    out = publisher().update(grid_w, injection_w, 0.0)
    assert out == [("domoticz/in", '{"idx": 651, "nvalue": 0, "svalue": "0"}'),
                   ("domoticz/in", '{"idx": 648, "nvalue": 0, "svalue": "-1658"}')]


def test_injection_given_positive_is_still_published_negative() -> None:
    assert publisher(send_grid=False).update(0, 28, 0.0) == [
        ("domoticz/in", '{"idx": 648, "nvalue": 0, "svalue": "-28"}')]


def test_values_are_rounded_watts() -> None:
    assert publisher(send_injection=False).update(27.6, 0, 0.0) == [
        ("domoticz/in", '{"idx": 651, "nvalue": 0, "svalue": "28"}')]


def test_a_single_zero_when_a_flow_stops_then_a_keepalive_every_30_min() -> None:
    pub = publisher(send_injection=False)
    steps = [(0, 500, ["500"]), (3, 480, ["480"]), (6, 0, ["0"]), (9, 0, []), (1805, 0, []),
             (1806, 0, ["0"]), (3605, 0, []), (3606, 0, ["0"]), (3609, 0, [])]
    for t, grid_w, expected in steps:
        sent = pub.update(grid_w, 0, float(t))
        assert [json.loads(p)["svalue"] for _, p in sent] == expected, f"at t={t}"
        assert all(topic == "domoticz/in" for topic, _ in sent)


def test_the_first_value_is_sent_even_when_zero() -> None:
    assert len(publisher().update(0, 0, 0.0)) == 2


def test_a_flow_restarting_is_sent_at_once_and_its_stop_again() -> None:
    pub = publisher(send_grid=False)
    assert [json.loads(p)["svalue"] for t, i in [(0, -10), (3, 0), (6, -20), (9, 0), (12, 0)]
            for _, p in pub.update(0, i, t)] == ["-10", "0", "-20", "0"]


def test_flows_without_idx_or_disabled_send_nothing() -> None:
    assert publisher(idx_grid=0, idx_injection=0).update(100, -5, 0.0) == []
    assert publisher(send_grid=False, send_injection=False).update(100, -5, 0.0) == []


# --- the water-heater mode selector ---------------------------------------------------------------------------

def test_mode_follows_the_selector_levels() -> None:
    modes = EcsModeSelector(338, parse_levels("0:off, 10:solar, 20:solar+fallback, 30:forced"))
    assert modes.mode is EcsMode.SOLAR_FALLBACK  # the seed's default level 20 before Domoticz speaks
    assert modes.on_device(device(SELECTOR)) is None  # level 20: no change
    assert modes.on_device(device(selector(10))) is EcsMode.SOLAR
    assert modes.mode.allows_solar and not modes.mode.allows_fallback
    assert modes.on_device(device(selector(0))) is EcsMode.OFF
    assert not modes.mode.allows_solar
    assert modes.on_device(device(selector(30))) is EcsMode.FORCED
    assert modes.on_device(device(switch(359, False))) is None  # another device


def test_an_unmapped_level_keeps_the_mode(caplog: pytest.LogCaptureFixture) -> None:
    modes = EcsModeSelector(338, parse_levels("0:off, 10:solar, 20:solar+fallback"))
    assert modes.on_device(device(selector(40))) is None
    assert modes.mode is EcsMode.SOLAR_FALLBACK
    assert "level '40' is not mapped" in caplog.text


def test_mode_request_asks_domoticz_for_the_selector() -> None:
    modes = EcsModeSelector(338, parse_levels("20:solar+fallback"))
    assert modes.request() == ("domoticz/in", '{"command": "getdeviceinfo", "idx": 338}')


@pytest.mark.parametrize("text", ["", "10", "10:sunny", "x:off", "10:off,"])
def test_level_mapping_errors(text: str) -> None:
    if text == "10:off,":
        assert parse_levels(text) == {10: EcsMode.OFF}  # a trailing comma is fine
        return
    with pytest.raises(ValueError):
        parse_levels(text)


@pytest.mark.parametrize(("text", "said"), [
    # the later one won, without a word: level 10 was forced, not solar
    ("0:off, 10:solar, 10:forced", "level 10 is given twice"),
    # a selector's levels are 0, 10, 20...: level 15 never comes, its mode could never be chosen
    ("0:off, 15:solar", "level 15 is no selector level (0, 10, 20, ... 1000)"),
    ("-10:off", "level -10 is no selector level"),
])
def test_levels_a_selector_cannot_have_are_refused(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=re.escape(said)):
        parse_levels(text)


def test_level_modes_are_read_in_any_case() -> None:
    assert parse_levels("0:Off, 10:Solar, 20:SOLAR+FALLBACK") == {0: EcsMode.OFF, 10: EcsMode.SOLAR,
                                                                  20: EcsMode.SOLAR_FALLBACK}


# --- config ------------------------------------------------------------------------------------------------

def read(text: str) -> tuple[DomoticzSettings, SectionReader]:
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    cp.optionxform = str.lower  # type: ignore[assignment,method-assign]
    cp.read_string(text)
    reader = SectionReader()
    evaluate = reader.read(cp, "evaluate", DOMOTICZ_EVALUATE_OPTIONS)
    return read_domoticz_settings(cp, reader, evaluate), reader


def test_the_seed_section_keeps_working() -> None:
    s, reader = read("[domoticz]\nidx_injection = 648\nidx_grid = 651\nsend_domoticz = True\n"
                     "send_injection = true\nsend_grid = true\n")
    assert reader.problems == [] and reader.warnings == []
    assert (s.send, s.send_grid, s.send_injection, s.idx_grid, s.idx_injection) == (True, True, True, 651, 648)
    assert s.ecs_mode_levels[20] is EcsMode.SOLAR_FALLBACK and s.keepalive_s == 1800


def test_the_oldest_seed_sent_injection_from_evaluate() -> None:
    s, reader = read("[domoticz]\nidx_injection = 648\n[evaluate]\nsend_injection = false\n")
    assert s.send and not s.send_injection and reader.problems == []


@pytest.mark.parametrize("evaluate", ["true", "false"])
def test_send_injection_in_both_places_is_warned(evaluate: str) -> None:
    # Two copies that may differ, as [mqtt] host and broker_ip: [domoticz]'s was used without a word.
    s, reader = read("[domoticz]\nidx_injection = 648\nsend_injection = true\n"
                     f"[evaluate]\nsend_injection = {evaluate}\n")
    assert s.send_injection and reader.problems == []
    assert [w.render("c.ini") for w in reader.warnings] == [
        "c.ini: [domoticz] send_injection: given as both [domoticz] send_injection and [evaluate] send_injection (the "
        "oldest seed's place); using [domoticz]'s"]


def test_nothing_is_sent_without_a_domoticz_section() -> None:
    s, reader = read("")
    assert not s.send and reader.problems == []
    assert s.subscriptions() == ("domoticz/out/#",)
    assert s.is_out_topic("domoticz/out") and s.is_out_topic("domoticz/out/Automate_Cumulus")
    assert not s.is_out_topic("domoticz/outside")


@pytest.mark.parametrize("text, key", [
    ("[domoticz]\nsend_domoticz = true\nsend_grid = true\nidx_injection = 648\n", "idx_grid"),
    ("[domoticz]\necs_mode_levels = 20:solaire\n", "ecs_mode_levels"),
    ("[domoticz]\necs_mode_default = sometimes\n", "ecs_mode_default"),
    ("[domoticz]\nidx_grid = -1\n", "idx_grid"),
])
def test_config_problems(text: str, key: str) -> None:
    _, reader = read(text)
    assert [(p.section, p.key) for p in reader.problems] == [("domoticz", key)]


def test_the_old_echo_window_is_ignored_with_a_warning() -> None:
    _, reader = read("[domoticz]\necho_window_s = 10\n")
    assert reader.problems == []
    assert [(w.key, "no time window" in w.message) for w in reader.warnings] == [("echo_window_s", True)]


# hardware/MQTT.cpp, SendSceneInfo: a scene or group switched, published on domoticz/out (toStyledString's layout).
SCENE = (b'{\n   "LastUpdate" : "2024-05-01 12:00:00",\n   "Name" : "Night",\n   "Status" : "On",\n'
         b'   "Timers" : "false",\n   "Type" : "%s",\n   "idx" : 338\n}\n')


@pytest.mark.parametrize("kind", [b"Scene", b"Group"])
def test_a_scene_is_no_device_update_even_with_a_device_s_idx(kind: bytes, caplog: pytest.LogCaptureFixture) -> None:
    # Scenes have idx of their own, which meet devices' (scene 338 beside the mode selector 338): its update was
    # read as the selector's and dropped with "switchType None is not a selector", and the same on a force switch.
    caplog.set_level(logging.WARNING)
    assert parse_domoticz_out(SCENE % kind) is None
    assert caplog.text == ""


def with_level_names(payload: bytes, names: str) -> bytes:
    """The selector's update with its level names, as Domoticz adds the device's options (hardware/MQTT.cpp)."""
    doc = json.loads(payload)
    doc["LevelNames"] = names
    return json.dumps(doc).encode()


def test_level_names_from_a_message_are_cut_in_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    # Taken whole into the line: 60 KB a line, five a minute (the flood limiter's), the default log gone in minutes.
    caplog.set_level(logging.INFO)
    modes = EcsModeSelector(338, parse_levels(DEFAULT_LEVELS))
    for count in (2, 3):  # (a new count of levels: said again)
        modes.on_device(device(with_level_names(SELECTOR, "|".join(["x" * 20000] * count))))
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(said) == 2 and all(len(line) < 600 for line in said) and "... (40001 characters)" in said[0]


@pytest.mark.parametrize("names", ["Off|Solar|Fallback", "T2ZmfFNvbGFyfEZhbGxiYWNr"], ids=["plain", "base64"])
def test_a_mode_whose_level_the_selector_lacks_is_not_sent_to_it(names: str, caplog: pytest.LogCaptureFixture) -> None:
    # The seed's three-level selector (0, 10, 20) with the default mapping's 30:forced: forced set from Home
    # Assistant sent "Set Level" 30, which Domoticz refuses ("Setting a wrong level value"); under its Prevent Loop
    # the refused update's idx stays marked and the user's next change of the selector was not published at all.
    caplog.set_level(logging.INFO)
    modes = EcsModeSelector(338, parse_levels(DEFAULT_LEVELS))
    assert modes.on_device(device(with_level_names(SELECTOR, names))) is None
    assert modes.on_device(device(with_level_names(selector(10), names))) is EcsMode.SOLAR
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # (what to do said too: the seed's selector meets the default mapping at every start of a seed user's PySEB)
    assert said == ["water-heater mode selector idx 338 has levels 0 to 20 (Off|Solar|Fallback), not 30:forced of "
                    "ecs_mode_levels: such a mode cannot be chosen or shown there; add the level to the selector in "
                    "Domoticz, or map only its levels: [domoticz] ecs_mode_levels = 0:off, 10:solar, "
                    "20:solar+fallback"]
    assert modes.show(EcsMode.FORCED) is None and modes.mode is EcsMode.FORCED
    assert modes.show(EcsMode.OFF) == ("domoticz/in", '{"command": "switchlight", "idx": 338, "switchcmd": '
                                                      '"Set Level", "level": 0}')


def test_a_mapping_with_no_level_the_selector_has_suggests_none(caplog: pytest.LogCaptureFixture) -> None:
    modes = EcsModeSelector(338, parse_levels("30:forced, 40:solar"))
    modes.on_device(device(with_level_names(selector(10), "Off|Solar|Fallback")))
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "has levels" in r.getMessage()]
    assert len(said) == 1 and said[0].endswith("add the level to the selector in Domoticz")
