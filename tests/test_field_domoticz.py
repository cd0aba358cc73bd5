"""The Domoticz link wired into the regulator, in-process: grid and injection sensors after each decision
(the seed's config as users bring it), the water heater's mode selector, and the per-load force switch
with a Domoticz that echoes every update (no loop, the forced state right) and with one that echoes none (its
default)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import LINEAR_CSV, seed_sample_text
from tests.field_house import ECS_CMD, RADIATOR, at, field_config, ticks
from tests.harness import MODE, NOON, Harness

DZ_IN, DZ_OUT = "domoticz/in", "domoticz/out"
SELECTOR_IDX, ECS_SWITCH, RADIATOR_SWITCH = 338, 359, 360
DOMOTICZ = f"[domoticz]\nidx_ecs_mode = {SELECTOR_IDX}\n"
ECHOED = "[domoticz]\nprevent_loop = false\n"  # Domoticz's "Prevent Loop" at No: it echoes our updates


def selector(level: int, idx: int = SELECTOR_IDX) -> bytes:
    """The real selector update (PROTOCOL.md), at `level` (the mode selector's, or another selector's `idx`)."""
    return json.dumps({"Battery": 255, "RSSI": 12, "dtype": "Light/Switch", "id": "00014051", "idx": idx,
                       "name": "Automate_Cumulus", "nvalue": 2 if level else 0, "stype": "Selector Switch",
                       "svalue1": str(level),
                       "switchType": "Selector", "unit": 1, "LastUpdate": "2023-01-01 12:00:00"}).encode()


def switch(idx: int, on: bool) -> bytes:
    """An On/Off switch update as Domoticz publishes it on domoticz/out."""
    return json.dumps({"Battery": 255, "RSSI": 12, "dtype": "Light/Switch", "id": "0001405A", "idx": idx,
                       "name": f"Force_{idx}", "nvalue": int(on), "stype": "Switch", "svalue1": "0",
                       "switchType": "On/Off", "unit": 1}).encode()


def asked(idx: int) -> dict:
    """What PySEB asks Domoticz at each connect for a device: to publish it (its answer says what it is)."""
    return {"command": "getdeviceinfo", "idx": idx}


class EchoingDomoticz:
    """Reads what the regulator sent on domoticz/in and echoes every switchlight back on domoticz/out (and on each
    of `copies_on`, as Domoticz's publish topic "Flat + Floor/Room" does: the same message, one after the other);
    answers getdeviceinfo with the switch's state (Off until switched), as Domoticz does."""

    def __init__(self, h: Harness, copies_on: tuple[str, ...] = ()) -> None:
        self.h, self.read_upto, self.echoes = h, len(h.sent), 0
        self.topics = (DZ_OUT, *copies_on)
        self.state: dict[int, bool] = {}

    def switch_messages(self, since: int = 0) -> list[dict]:
        return [json.loads(p) for t, p, _ in self.h.sent[since:] if t == DZ_IN and "switchlight" in p]

    def deliver(self, now: float) -> None:
        while self.read_upto < len(self.h.sent):
            topic, payload, _ = self.h.sent[self.read_upto]
            self.read_upto += 1
            if topic == DZ_IN and '"getdeviceinfo"' in payload:
                idx = json.loads(payload)["idx"]
                for topic in self.topics:
                    self.h.reg.handle(topic, switch(idx, self.state.get(idx, False)), now)
            if topic == DZ_IN and '"switchlight"' in payload:
                doc = json.loads(payload)
                self.echoes += 1
                assert self.echoes < 20, "the regulator and Domoticz are ping-ponging"
                self.state[doc["idx"]] = doc["switchcmd"] == "On"
                for topic in self.topics:
                    self.h.reg.handle(topic, switch(doc["idx"], doc["switchcmd"] == "On"), now)


# --- grid and injection ------------------------------------------------------------------------------------

def test_the_seed_config_publishes_grid_and_injection(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text(seed_sample_text())
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    h = Harness(tmp_path / "config.ini")
    # (ecs_full_capacity: the seed never read it; said once, at start.)
    assert not [w for w in h.reg.settings.warnings if ("[evaluate]" in w or "[domoticz]" in w)
                and "ecs_full_capacity: ignored" not in w]
    h.meters(342, 2000, NOON)  # exporting 1658 W before the loads react
    sensors = lambda: [p for p in h.on(DZ_IN) if "svalue" in p]  # noqa: E731 (the resille relay is on DZ_IN too)
    assert sensors() == ['{"idx": 651, "nvalue": 0, "svalue": "0"}', '{"idx": 648, "nvalue": 0, "svalue": "-1658"}']
    h.meters(2000, 2000, NOON + 3)  # the heater took the surplus: grid still 0 (not repeated), injection 0
    assert sensors()[2:] == ['{"idx": 648, "nvalue": 0, "svalue": "0"}']
    h.meters(2500, 2000, NOON + 6)  # importing 500 W
    assert sensors()[3:] == ['{"idx": 651, "nvalue": 0, "svalue": "500"}']
    h.meters(2000, 2000, NOON + 9)
    h.meters(2000, 2000, NOON + 12)  # a single 0 when the import stops, then nothing...
    assert sensors()[4:] == ['{"idx": 651, "nvalue": 0, "svalue": "0"}']
    h.meters(2000, 2000, NOON + 1815)  # ...until the 30-minute keepalive (the meters were silent: the stale
    h.meters(2000, 2000, NOON + 1818)  # guard's commands came after that first reading, the next one decides)
    assert sensors()[5:] == ['{"idx": 651, "nvalue": 0, "svalue": "0"}', '{"idx": 648, "nvalue": 0, "svalue": "0"}']


def test_no_domoticz_traffic_without_its_section(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path))
    h.meters(300, 2000, NOON)
    h.reg.on_connected(NOON)
    assert not [t for t, _, _ in h.sent if t.startswith("domoticz")]
    assert not [t for t in h.reg.subscriptions() if t.startswith("domoticz")]


# --- the mode selector -------------------------------------------------------------------------------------

@pytest.fixture
def moded(tmp_path: Path) -> Harness:
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    assert h.on(DZ_IN) == [json.dumps({"command": "getdeviceinfo", "idx": SELECTOR_IDX})]
    assert "domoticz/out/#" in h.reg.subscriptions()
    return h


def test_mode_off_keeps_the_heater_at_0(moded: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    moded.meters(300, 2000, NOON + 1)
    assert moded.last(ECS_CMD) == "84"
    moded.reg.handle("domoticz/out/Automate_Cumulus", selector(0), NOON + 2)  # a per-device subtopic
    assert moded.last(ECS_CMD) == "0"
    assert "water-heater mode: solar+fallback -> off (Domoticz idx 338 level 0)" in caplog.text
    moded.meters(300, 2000, NOON + 4)
    assert moded.last(ECS_CMD) == "0" and moded.last(RADIATOR) == "ON"  # the surplus goes to the next load
    assert moded.statuses()[-1]["water_heater"]["mode"] == "off"


def test_mode_forced_holds_the_heater_at_max_until_the_mode_changes(moded: Harness) -> None:
    moded.reg.handle(DZ_OUT, selector(30), NOON + 1)
    assert moded.last(ECS_CMD) == "100" and moded.load("ecs").forced_by == "mode"
    moded.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', NOON + 2)
    moded.reg.tick(NOON + 2.5)  # the selector says forced: held again
    assert moded.last(ECS_CMD) == "100"
    moded.reg.handle(DZ_OUT, selector(20), NOON + 3)
    assert moded.last(ECS_CMD) == "0" and not moded.load("ecs").is_forced()
    assert moded.reg.status(NOON + 3)["water_heater"]["mode"] == "solar+fallback"


def test_a_selector_domoticz_never_answers_for_is_named_in_the_log(moded: Harness,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # An idx with no such device in Domoticz (or a Domoticz not reading domoticz/in): the mode stayed the default
    # and the user's selector did nothing, with no word in the log.
    caplog.set_level(logging.INFO)
    moded.reg.tick(NOON + 59)
    assert "idx 338" not in caplog.text
    moded.reg.tick(NOON + 61)
    moded.reg.tick(NOON + 200)
    said = [r.getMessage() for r in caplog.records if "has not answered" in r.getMessage()]
    assert said == ["[domoticz] idx_ecs_mode = 338: Domoticz has not answered for the water-heater mode selector in 60 "
                    "s: no device with this idx, or Domoticz does not read domoticz/in; the mode stays solar+fallback "
                    "until it answers"]
    caplog.clear()
    moded.reg.on_connected(NOON + 300)  # asked again: this time it answers
    moded.reg.handle(DZ_OUT, selector(20), NOON + 301)
    moded.reg.tick(NOON + 400)
    assert "has not answered" not in caplog.text


def test_a_scene_with_the_selector_s_idx_is_not_its_answer(moded: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # A scene switched in Domoticz is published on domoticz/out with the scene's idx, which may be the selector's.
    caplog.set_level(logging.INFO)
    scene = {"LastUpdate": "2024-05-01 12:00:00", "Name": "Night", "Status": "On", "Timers": "false",
             "Type": "Scene", "idx": SELECTOR_IDX}
    moded.reg.handle(DZ_OUT, json.dumps(scene).encode(), NOON + 1)
    assert "not a selector" not in caplog.text
    moded.reg.tick(NOON + 61)
    assert "idx_ecs_mode = 338: Domoticz has not answered for the water-heater mode selector" in caplog.text


def test_an_unmapped_level_keeps_the_mode(moded: Harness) -> None:
    moded.reg.handle(DZ_OUT, selector(40), NOON + 1)
    assert moded.reg.status(NOON + 1)["water_heater"]["mode"] == "solar+fallback"


def test_mode_solar_makes_no_fallback_force_across_check_at(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 10, 12))
    h.reg.handle(DZ_OUT, selector(10), at(2024, 1, 10, 12, 0, 30))
    ticks(h, at(2024, 1, 10, 12, 1), at(2024, 1, 11, 2))
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
    assert "7000 Wh missing but the water-heater mode excludes the fallback" in caplog.text
    assert h.reg.status(at(2024, 1, 11, 2))["water_heater"]["mode"] == "solar"


def test_the_mode_is_restored_after_a_restart(moded: Harness, tmp_path: Path) -> None:
    moded.reg.handle(DZ_OUT, selector(10), NOON + 1)
    saved = json.loads(json.dumps(moded.reg.status(NOON + 2)))
    again = Harness(field_config(tmp_path, extra=DOMOTICZ))
    again.reg.restore(saved, NOON + 10)
    assert again.reg.status(NOON + 10)["water_heater"]["mode"] == "solar"
    again.reg.handle(DZ_OUT, selector(10), NOON + 11)  # Domoticz confirms: no change, nothing logged
    assert again.reg.status(NOON + 11)["water_heater"]["mode_source"] == "restored"


# --- force switches -------------------------------------------------------------------------------------------

@pytest.fixture(params=[ECHOED, ""], ids=["prevent_loop_false", "default"])
def switched(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Harness, EchoingDomoticz]:
    """A Domoticz that echoes (PROTOCOL.md's), told so or left at the default (prevent_loop = true, which expects
    no echo): a seed user's echoing Domoticz left at the default must work the same, each echo showing a state
    the load is already in."""
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                        radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=request.param)
    h = Harness(path)
    dz = EchoingDomoticz(h)
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)  # asks what every switch is and shows
    assert [json.loads(p) for p in h.on(DZ_IN)] == [asked(ECS_SWITCH), asked(RADIATOR_SWITCH)]
    dz.deliver(NOON + 0.2)
    assert dz.switch_messages() == []  # both answered Off: they show the loads' state already
    return h, dz


def test_a_regulator_force_shows_once_and_its_echo_changes_nothing(switched: tuple[Harness, EchoingDomoticz]) -> None:
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 1)
    assert dz.switch_messages(mark) == [{"command": "switchlight", "idx": ECS_SWITCH, "switchcmd": "On"}]
    dz.deliver(NOON + 1.3)
    ticks(h, NOON + 2, NOON + 5, step_s=0.5)
    dz.deliver(NOON + 5)
    assert h.load("ecs").forced_power_w == 1000 and len(dz.switch_messages(mark)) == 1


def test_force_then_unforce_at_once(switched: tuple[Harness, EchoingDomoticz]) -> None:
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 1)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', NOON + 1.5)
    dz.deliver(NOON + 1.8)  # both echoes come back after the unforce
    assert not h.load("ecs").is_forced() and len(dz.switch_messages(mark)) == 2


def test_an_echo_published_on_two_topics_is_one_echo(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Domoticz's publish topic "Flat + Floor/Room" sends each update on domoticz/out and domoticz/out/<floor>/<room>:
    # the second copy of the On's echo was taken for a user's On while the Off's echo was awaited, and the radiator
    # was forced "by its Domoticz switch" and switched on again, for a moment, after its unforce.
    caplog.set_level(logging.INFO)
    path = field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=ECHOED)
    h = Harness(path)
    dz = EchoingDomoticz(h, copies_on=("domoticz/out/Home/Bathroom",))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    dz.deliver(NOON + 0.2)
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 1)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 1.5)
    dz.deliver(NOON + 1.8)
    assert [p for t, p, _ in h.sent[mark:] if t == RADIATOR] == ["ON", "OFF"]
    assert not h.load("radiator").is_forced() and "by its Domoticz switch" not in caplog.text
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)  # a user's On, in two copies too: obeyed
    h.reg.handle("domoticz/out/Home/Bathroom", switch(RADIATOR_SWITCH, True), NOON + 30)
    assert h.load("radiator").forced_by == "domoticz"


@pytest.mark.parametrize("junk", [b"", b"offline", b'{"idx": "x"}', b"\xff", switch(999, False)])
def test_junk_between_two_copies_of_an_update_does_not_make_the_second_an_order(tmp_path: Path,
                                                                                junk: bytes) -> None:
    # Found by the fuzz: the answer's first copy was remembered, junk on domoticz/out (another client's) replaced it,
    # and the answer's second copy on the publish scheme's other topic was taken for a user's On: the radiator forced
    # from the grid by a switch nobody touched. Another device's update between the copies did the same.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)  # the answer: an On left from before
    h.reg.handle(DZ_OUT, junk, NOON + 0.2)
    h.reg.handle("domoticz/out/Home/Bathroom", switch(RADIATOR_SWITCH, True), NOON + 0.3)  # its second copy
    assert not h.load("radiator").is_forced()


def user_on_then_unforced(tmp_path: Path) -> Harness:
    """The radiator forced by a user's On on its Domoticz switch at NOON + 30 (answered Off at the connect), then
    unforced from regul/mode at NOON + 40: the switch still shows On, a Domoticz under Prevent Loop told nothing."""
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)  # Domoticz's answer
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)
    assert h.load("radiator").forced_by == "domoticz"
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 40)
    assert not h.load("radiator").is_forced()
    return h


def test_the_same_user_on_again_after_an_unforce_elsewhere_is_obeyed(tmp_path: Path) -> None:
    # A Domoticz under its default "Prevent Loop" echoes nothing, and one without "LastUpdate" in its updates
    # (before 2020) sends the very same bytes for each On: the second On, after an unforce from regul/mode, is a
    # user's order, not a copy of the first on another topic of the publish scheme.
    h = user_on_then_unforced(tmp_path)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 60)
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_a_user_switch_forces_and_unforces_and_nothing_is_sent_back(
        switched: tuple[Harness, EchoingDomoticz], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)
    assert h.last(RADIATOR) == "ON" and h.load("radiator").forced_by == "domoticz"
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 40)
    assert h.last(RADIATOR) == "OFF" and not h.load("radiator").is_forced()
    assert dz.switch_messages(mark) == []
    # One line for each change made in Domoticz (a second, "force switch idx 360: radiator forced from Domoticz",
    # said the same thing), besides the load's own line of its watts.
    said = [r.getMessage() for r in caplog.records
            if r.levelno >= logging.INFO and "idx 360" in r.getMessage() and "->" not in r.getMessage()]
    assert said == ["radiator forced to 1000 W by its Domoticz switch idx 360 (until switched off)",
                    "radiator unforced by its Domoticz switch idx 360"]


def test_expiry_and_fallback_forces_show_on_the_switch(switched: tuple[Harness, EchoingDomoticz]) -> None:
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 5}', NOON + 1)
    dz.deliver(NOON + 1.2)
    ticks(h, NOON + 2, NOON + 7, step_s=0.5)
    dz.deliver(NOON + 7.2)
    assert [m["switchcmd"] for m in dz.switch_messages(mark)] == ["On", "Off"]
    assert not h.load("radiator").is_forced()


def test_a_mode_that_no_longer_allows_a_force_ends_it(moded: Harness, tmp_path: Path) -> None:
    moded.reg.handle(DZ_OUT, selector(30), NOON + 1)
    saved = json.loads(json.dumps(moded.reg.status(NOON + 2)))
    assert saved["equipments"][0]["forced_by"] == "mode"
    again = Harness(field_config(tmp_path))  # the selector was removed from the config
    again.reg.restore(saved, NOON + 10)
    again.reg.tick(NOON + 10)
    assert not again.load("ecs").is_forced() and again.last(ECS_CMD) == "0"


def test_leaving_solar_fallback_ends_the_seed_rule_force(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 1))
    assert h.load("ecs").forced_by == "seed_rule"
    h.reg.handle(DZ_OUT, selector(10), at(2024, 1, 11, 1, 2))
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"


@pytest.mark.parametrize("radiator, extra, problem", [
    (f"domoticz_idx_force = {SELECTOR_IDX}\n", DOMOTICZ, "[radiator] domoticz_idx_force: idx 338 is also"),
    (f"domoticz_idx_force = {ECS_SWITCH}\n", "", "is also the force switch of ecs"),
    ('domoticz_idx_force = 42\njson_on = {"command": "switchlight", "idx": 42, "switchcmd": "On"}\n', "",
     "the force switch must be another device"),
    # Another load's relay device: showing ecs's force switched the radiator on and off, and (Prevent Loop at No)
    # the echoes of the radiator's own commands forced and unforced ecs.
    (f'json_on = {{"command": "switchlight", "idx": {ECS_SWITCH}, "switchcmd": "On"}}\n', "",
     f"[ecs] domoticz_idx_force: idx {ECS_SWITCH} is also the device radiator is switched with"),
])
def test_force_switch_config_problems(tmp_path: Path, radiator: str, extra: str, problem: str) -> None:
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n", radiator=radiator, extra=extra)
    path.write_text(path.read_text().replace("json_on = ON\n", "json_on = ON\n" if "json_on" not in radiator else ""))
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_settings(path)


@pytest.mark.parametrize("extra, problem", [
    # the two flows wrote one sensor by turns
    ("idx_grid = 651\nidx_injection = 651\n", "[domoticz] idx_injection: idx 651 is also idx_grid"),
    # the grid's watts written to the heater's force switch at each decision: its nvalue 0 switched it off
    (f"idx_grid = {ECS_SWITCH}\n", f"[domoticz] idx_grid: idx {ECS_SWITCH} is also the force switch of ecs"),
    (f"idx_injection = {SELECTOR_IDX}\nidx_ecs_mode = {SELECTOR_IDX}\n",
     f"[domoticz] idx_injection: idx {SELECTOR_IDX} is also [domoticz] idx_ecs_mode"),
    ("idx_grid = 42\n", "[domoticz] idx_grid: idx 42 is also the device radiator is switched with"),
])
def test_a_sensor_idx_that_is_another_device_is_refused(tmp_path: Path, extra: str, problem: str) -> None:
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n", extra=f"[domoticz]\n{extra}")
    path.write_text(path.read_text().replace("json_on = ON\njson_off = OFF\n", 'json_on = {"command": "switchlight", '
                                             '"idx": 42, "switchcmd": "On"}\njson_off = {"command": "switchlight", '
                                             '"idx": 42, "switchcmd": "Off"}\n'))
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_settings(path)
    path.write_text(path.read_text().replace("[domoticz]\n", "[domoticz]\nsend_domoticz = false\n"))
    if "idx_ecs_mode" not in extra:
        load_settings(path)  # not sent: no clash


@pytest.mark.parametrize("topics", ["topic_out = domoticz/in\n", "topic_in = domoticz/out\n",
                                    "topic_in = domoticz/out/pyseb\n", "topic_out = domoticz\n"])
def test_domoticz_in_and_out_topics_that_meet_are_refused(tmp_path: Path, topics: str) -> None:
    # PySEB read its own updates back as Domoticz's (a warning for each of its switch's), and never Domoticz's:
    # the force switches and the mode selector did nothing.
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n", extra=f"[domoticz]\n{topics}")
    with pytest.raises(ConfigError, match=r"\[domoticz\] topic_out: .* PySEB would read its own updates"):
        load_settings(path)


def test_domoticz_in_and_out_topics_that_meet_only_warn_when_no_domoticz_device_steers(tmp_path: Path) -> None:
    # Only the grid sensors: topic_out is not read, the two topics meeting is harmless. Refused (exit 2, which
    # systemd does not restart), it left the house unregulated; a warning says why it matters once a device steers.
    path = field_config(tmp_path, extra="[domoticz]\nidx_grid = 651\ntopic_out = domoticz/in\n")
    settings = load_settings(path)
    assert [w for w in settings.warnings if "topic_out" in w] == [
        f"{path}: [domoticz] topic_out: 'domoticz/in' meets topic_in ('domoticz/in'): harmless while no Domoticz "
        "device steers PySEB (no idx_ecs_mode, no domoticz_idx_force), refused with one: PySEB would read its own "
        "updates as Domoticz's, and not Domoticz's; Domoticz reads domoticz/in and publishes on domoticz/out by "
        "default"]
    path.write_text(path.read_text().replace("[domoticz]\n", f"[domoticz]\nidx_ecs_mode = {SELECTOR_IDX}\n"))
    with pytest.raises(ConfigError, match=r"\[domoticz\] topic_out: 'domoticz/in' meets topic_in \('domoticz/in'\): "
                       "PySEB would read its own updates"):
        load_settings(path)


# --- a Domoticz with its default "Prevent Loop: Yes": PySEB's own updates are not echoed ------------------------

@pytest.fixture
def unechoed(tmp_path: Path) -> Harness:
    """Force switches on a Domoticz as installed (its MQTT hardware's "Prevent Loop" at Yes, the default, and the
    value every older install was migrated to): a switchlight from domoticz/in comes back on domoticz/out never."""
    h = Harness(field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                             radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)  # Domoticz's answers (even under Prevent Loop)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)
    return h


def test_a_users_off_unforces_what_the_regulator_forced_without_echoes(unechoed: Harness) -> None:
    # The switch was shown On for a regul/mode force (not echoed). The user then switches it Off in Domoticz: that Off
    # was taken for the echo of an Off shown at connect, and the heater stayed forced.
    h = unechoed
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 1)
    assert h.load("ecs").is_forced()
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 60)
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"


def test_a_users_on_forces_after_a_regulator_force_came_and_went_without_echoes(unechoed: Harness) -> None:
    h = unechoed
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 10)  # the user's On, then Off: both obeyed
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 20)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 5}', NOON + 30)
    ticks(h, NOON + 31, NOON + 40, step_s=1)  # expired: On then Off shown on the switch, not echoed
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 60)  # the user's On, taken for an echo
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_a_selector_force_switch_shown_on_at_level_0_is_moved_to_a_level(tmp_path: Path) -> None:
    # A selector force switch never set above level 0, before PySEB has seen an update of it (Domoticz's answer at
    # connect lost): the "On" PySEB shows for a regul/mode force lands at level 0 (Domoticz takes an On to its
    # LastLevel), and its echo unforced the load.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=ECHOED))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.tick(NOON + 61)  # no answer: shown Off, as an On/Off switch
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 61.1)  # (that Off, echoed)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 62)
    mark = len(h.sent)
    echo = json.loads(selector(0))
    echo.update(idx=RADIATOR_SWITCH, nvalue=1)  # the On, at the selector's LastLevel 0
    h.reg.handle(DZ_OUT, json.dumps(echo).encode(), NOON + 62.2)
    assert h.load("radiator").forced_power_w == 1000 and h.last(RADIATOR) == "ON"
    assert [json.loads(p) for t, p, _ in h.sent[mark:] if t == DZ_IN] == [  # shown at a level, as a selector is
        {"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Set Level", "level": 10}]
    mark = len(h.sent)
    echo.update(nvalue=2, svalue1="10")
    h.reg.handle(DZ_OUT, json.dumps(echo).encode(), NOON + 62.4)  # its echo: nothing more
    assert h.load("radiator").is_forced() and [p for t, p, _ in h.sent[mark:] if "switchlight" in p] == []


# --- what a force switch is: Domoticz asked at each connect -----------------------------------------------------

def switchlights(h: Harness, since: int) -> list[dict]:
    return [json.loads(p) for t, p, _ in h.sent[since:] if t == DZ_IN and "switchlight" in p]


def domoticz_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith(("integrations.domoticz", "field.domoticz"))]


@pytest.fixture
def asking(tmp_path: Path) -> Harness:
    """Two force switches on a Domoticz at its default (Prevent Loop): connected, Domoticz not answered yet."""
    h = Harness(field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                             radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    return h


def test_connect_asks_domoticz_what_each_force_switch_is_before_showing_anything(asking: Harness) -> None:
    assert [json.loads(p) for p in asking.on(DZ_IN)] == [asked(ECS_SWITCH), asked(RADIATOR_SWITCH)]


def test_the_answer_is_what_the_switch_shows_not_a_users_order(asking: Harness,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # The radiator's switch still On from before a restart (a user's On, then PySEB stopped): Domoticz's answer
    # looks exactly like a user's On, and must not force the radiator; the switch is set to what PySEB does.
    caplog.set_level(logging.INFO)
    h, mark = asking, len(asking.sent)
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)
    assert not h.load("radiator").is_forced() and "by its Domoticz switch" not in caplog.text
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Off"}]
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)  # then a user's On: obeyed
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"
    h.reg.tick(NOON + 100)
    assert "has not answered" not in caplog.text


def test_a_selector_force_switch_is_set_by_level_from_the_start(tmp_path: Path) -> None:
    # PySEB did not know a force switch was a selector until a user's update of it: it showed Off at connect, then
    # "On" for a regul/mode force, which Domoticz takes to the selector's last level, level 0 if never set above.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    mark = len(h.sent)
    h.reg.on_connected(NOON)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 0.05)  # before the answer
    h.reg.handle(DZ_OUT, selector(0, idx=RADIATOR_SWITCH), NOON + 0.1)  # the answer: a selector at level 0
    assert h.load("radiator").forced_by == "user"  # (the answer's level 0 unforced nothing)
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Set Level",
                                      "level": 10}]


def test_an_answer_on_at_level_0_while_forced_sets_the_selector_at_a_level_once(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 0.05)
    mark = len(h.sent)
    answer = json.loads(selector(0, idx=RADIATOR_SWITCH))
    answer.update(nvalue=1)  # (an On that found no level to go to)
    h.reg.handle(DZ_OUT, json.dumps(answer).encode(), NOON + 0.1)
    assert h.load("radiator").forced_by == "user"
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Set Level",
                                      "level": 10}]


def test_a_force_switch_domoticz_never_answers_for_is_named_once(asking: Harness,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    # A domoticz_idx_force that is no device in Domoticz: only Domoticz's log said so ("unknown idx received").
    h = asking
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)  # only the heater's switch answers
    h.reg.tick(NOON + 59)
    mark = len(h.sent)
    assert not domoticz_warnings(caplog)
    h.reg.tick(NOON + 61)
    h.reg.tick(NOON + 200)
    assert domoticz_warnings(caplog) == [
        "[radiator] domoticz_idx_force = 360: Domoticz has not answered for this force switch in 60 s: no device "
        "with this idx (or one not in use), or Domoticz does not read domoticz/in; radiator's forced state is "
        "shown on it as on an On/Off switch"]
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Off"}]
    # The switch's first update since the connect, however late, is what it is (an On left from before the restart,
    # from a Domoticz slow at boot), not a user's order; the next one is.
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 300)
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 400)
    assert h.load("radiator").forced_by == "domoticz"


def test_a_force_switch_that_is_no_switch_is_named_and_never_switched(asking: Harness,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    # The idx of a blind (or a sensor): PySEB's force of the radiator was "shown" on it, opening the blind.
    h = asking
    blind = {"idx": RADIATOR_SWITCH, "name": "Volet_salon", "nvalue": 1, "dtype": "Light/Switch", "stype": "Switch",
             "switchType": "Blinds", "svalue1": "0"}
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, json.dumps(blind).encode(), NOON + 0.1)
    assert domoticz_warnings(caplog) == [
        "[radiator] domoticz_idx_force = 360: Domoticz's device idx 360 ('Volet_salon') is no switch PySEB can use: "
        "switchType 'Blinds' is not an On/Off switch or a selector; it forces nothing, and radiator's forced state "
        "is not shown on it"]
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 1)
    h.reg.tick(NOON + 100)
    assert h.load("radiator").is_forced() and switchlights(h, mark) == []
    assert len(domoticz_warnings(caplog)) == 1


def test_a_reconnect_asks_again_and_a_forced_load_is_shown(asking: Harness) -> None:
    h = asking
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)
    h.reg.on_disconnected(NOON + 5)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 10)  # while the link is down
    mark = len(h.sent)
    h.reg.on_connected(NOON + 20)
    assert [json.loads(p) for t, p, _ in h.sent[mark:] if t == DZ_IN] == [asked(ECS_SWITCH), asked(RADIATOR_SWITCH)]
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 20.1)  # the switch says Off: the load stays forced
    assert h.load("ecs").forced_by == "user"
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": ECS_SWITCH, "switchcmd": "On"}]
