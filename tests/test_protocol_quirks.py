"""PROTOCOL.md's quirks the other tests left to a parser's unit test or to a config check, through the regulator
with the devices' exact bytes: a PZEM's all-NaN reading, the meter's own Domoticz update echoed on domoticz/out,
the variator's status (its `power` always 0), the variator's command range, the seed's Domoticz relay and its
uload topic family."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest

from tests.configs import LINEAR_CSV, reading, seed_sample_text, write_config
from tests.field_domoticz import DOMOTICZ
from tests.field_house import ECS_CMD, ECS_METER, ECS_STATUS, VLOAD, House, field_config
from tests.harness import CONS, MODE, NOON, PROD, Harness
from tests.test_field_boots import BOOT_DETECTED, PZEM_BOOT, SETPOWER_ECHO, VLOAD_BOOT
from tests.test_field_tank import EMPTY_TANK, live
from tests.test_field_tank import T as TANK_T

DZ_IN, DZ_OUT = "domoticz/in", "domoticz/out"
# A value the PZEM library returns as NaN is printed `nan` (PROTOCOL.md): no sensor, every field so.
PZEM_NAN = (b'{ "voltage": nan, "current": nan, "power": nan, "energy": nan, "frequency": nan, '
            b'"powerfactor": nan, "ppm_err": 0}')
# The consumption meter's own update to domoticz/in (PROTOCOL.md), and Domoticz publishing that device's change on
# domoticz/out as it publishes every device's.
PZEM_DOMOTICZ_IN = b'{ "idx": 651, "nvalue": 0, "svalue": "276.00"}'
PZEM_DEVICE_OUT = json.dumps({"Battery": 255, "RSSI": 12, "dtype": "Usage", "id": "00082651", "idx": 651,
                              "name": "Consommation", "nvalue": 0, "stype": "Electric", "svalue1": "276.00",
                              "unit": 1, "LastUpdate": "2023-01-01 12:00:00"}).encode()
PZEM_READ_ERROR = b'{ "PZEM_READ_ERROR": 3, "pzem_read ": 120, "ppm_err": 1}'  # (its key with a trailing space)
HEATER_DRAWING = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 2000.00')
BOOTED_AT_100 = BOOT_DETECTED.replace(b'"percent": 0.00', b'"percent": 100.00')
SEED_RELAY_ON = '{"command": "switchlight", "idx": 359, "switchcmd": "On" }'  # the seed sample's json_on, as written
SEED_RELAY_OFF = '{"command": "switchlight", "idx": 359, "switchcmd": "Off" }'


def test_a_pzem_reading_of_nans_carries_no_power_and_the_meter_s_age_runs_on(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("radiator",)))
    h.meters(300, 1800, NOON)
    assert h.last("cmnd/radiator/POWER") == "ON"
    before = len(h.sent)
    for i in range(1, 6):
        h.reg.handle(CONS, reading(300), NOON + 2 * i)
        h.reg.handle(PROD, PZEM_NAN, NOON + 2 * i + 0.5)
        h.reg.tick(NOON + 2 * i + 0.5)
        if i < 5:  # (not a reading: no decision on it, the production still the last good one)
            assert h.sent[before:] == [] and h.reg.production.power_w == 1800
    assert h.last("cmnd/radiator/POWER") == "OFF"  # 10.5 s after the last good reading: stale, the loads off
    reason = h.reg.status(NOON + 10.5)["stale_reason"]
    assert reason.startswith("production meter without a usable reading for 10 s (5 message(s) refused")


@pytest.fixture
def moded(tmp_path: Path) -> Harness:
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.meters(300, 1300, NOON + 1)
    return h


@pytest.mark.parametrize("payload", [PZEM_DOMOTICZ_IN, PZEM_DEVICE_OUT])
def test_the_meter_s_own_domoticz_update_on_domoticz_out_is_no_command(moded: Harness, payload: bytes,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    # Another device's update (the meter's sensor, idx 651) on the topic PySEB reads its selector from: not its
    # selector, nothing sent, nothing warned (Domoticz publishes it every 2 s: a warning would flood the log).
    mode, before = moded.reg.status(NOON + 2)["water_heater"]["mode"], len(moded.sent)
    with caplog.at_level(logging.WARNING):
        for i in range(3):
            moded.reg.handle(DZ_OUT, payload, NOON + 2 + i)
    assert moded.sent[before:] == [] and moded.reg.status(NOON + 5)["water_heater"]["mode"] == mode
    assert not caplog.records


def test_a_variator_s_status_power_of_0_is_not_what_the_heater_draws(tmp_path: Path) -> None:
    # `power` is always 0 in the variator's status (it does not measure): the heater at 49 % is still believed at
    # 49 %'s watts after its echo, and the next decision is made on that belief.
    h = Harness(field_config(tmp_path, ("ecs",)))
    h.meters(300, 1300, NOON)  # 980 W spare: 49 %
    assert h.last(ECS_CMD) == "49"
    believed = h.load("ecs").current_power_w
    assert believed == 980
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, SETPOWER_ECHO.replace(b"42.50", b"49.00"), NOON + 0.5)
    assert h.load("ecs").current_power_w == believed and h.sent[before:] == []
    h.meters(300 + believed, 1300, NOON + 3)  # the house shows the heater's draw: balanced, nothing to change
    assert h.last(ECS_CMD) == "49"
    assert h.reg.status(NOON + 3)["equipments"][0]["current_power"] == believed


@pytest.mark.parametrize("command", [
    b'{"command": "force", "name": "ecs", "power": 1500, "duration": 3600}',  # PROTOCOL.md's own example
    b'{"command": "force", "name": "ecs", "power": 99999}',
    b'{"command": "force", "name": "ecs", "power": 30}',
    b'{"command": "force", "name": "ecs", "power": 0}',
])
def test_the_variator_is_sent_whole_percents_from_0_to_100_only(tmp_path: Path, command: bytes) -> None:
    # The firmware ignores a percent outside 0..100 and runs x.5 % as x %: every command PySEB sends is a whole
    # percent in range, whatever the force asked or the sun gives.
    h = Harness(field_config(tmp_path, ("ecs",)))
    h.meters(300, 9000, NOON)  # far more surplus than the heater's 2000 W
    h.reg.handle(MODE, command, NOON + 1)
    h.meters(300, 9000, NOON + 4)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', NOON + 5)
    h.meters(5000, 0, NOON + 8)  # night: nothing to give
    sent = h.on(ECS_CMD)
    assert sent and all(p.isdigit() and 0 <= int(p) <= 100 for p in sent), sent
    assert "100" in sent and sent[-1] == "0"


def test_the_seed_s_domoticz_relay_is_switched_with_its_own_payloads(tmp_path: Path) -> None:
    # PROTOCOL.md's Domoticz switch as the seed's sample writes it (resille on domoticz/in, idx 359): sent as
    # written, not retained (Domoticz reads domoticz/in: a retained order would be replayed at its every restart).
    (tmp_path / "config.ini").write_text(seed_sample_text())
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    h = Harness(tmp_path / "config.ini")
    relay = lambda: [(p, r) for t, p, r in h.sent if t == DZ_IN and "switchlight" in p]  # noqa: E731
    h.reg.tick(NOON)
    assert relay() == [(SEED_RELAY_OFF, False)]  # every load off at the start
    later = NOON + 130  # (past the relay's min_off_s since that start's off)
    h.meters(300, 4000, later)  # 3680 W spare: the heater's 2000 W and the 596 W relay
    assert relay()[-1] == (SEED_RELAY_ON, False)
    h.reg.tick(later + 10.5)  # both meters silent past meter_timeout: every load off
    assert relay()[-1] == (SEED_RELAY_OFF, False) and len(relay()) == 3


@pytest.mark.parametrize("topic_in", ["domoticz/in", "dz/in"])
def test_a_relay_on_domoticz_s_own_input_is_not_retained_whatever_its_name(tmp_path: Path, topic_in: str) -> None:
    # [domoticz] topic_in names Domoticz's input: a relay switched there was retained when it was not literally
    # domoticz/in (its last On re-applied at Domoticz's next reconnect, after a crash of PySEB); a relay elsewhere is.
    text = seed_sample_text().replace("domoticz/in", topic_in)
    (tmp_path / "config.ini").write_text(text.replace("[domoticz]\n", f"[domoticz]\ntopic_in = {topic_in}\n", 1))
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    h = Harness(tmp_path / "config.ini")
    h.reg.tick(NOON)
    relay = [(p, r) for t, p, r in h.sent if t == topic_in and "switchlight" in p]
    assert relay == [(SEED_RELAY_OFF, False)]


def test_a_load_on_the_seed_s_uload_topic_family_is_driven_there(tmp_path: Path) -> None:
    # regul/uload/<id>: the seed's family for loads of unknown power, default payloads 1 / 0. It is not a topic PySEB
    # reads: its own command coming back from the broker is nothing to it.
    path = write_config(tmp_path, ("plug",))
    path.write_text(path.read_text().replace("topic_set_power = shellies/plug/relay/0/command\njson_on = on\n"
                                             "json_off = off\n", "topic_set_power = regul/uload/plug\n"))
    h = Harness(path)
    h.reg.tick(NOON)
    h.meters(300, 1800, NOON + 1)
    assert h.on("regul/uload/plug") == ["0", "1"]
    assert not [s for s in h.reg.subscriptions() if s.startswith("regul/uload") or s in ("#", "regul/#")]
    before = len(h.sent)
    h.reg.handle("regul/uload/plug", b"1", NOON + 1.5)
    assert h.sent[before:] == []


@pytest.mark.parametrize("payload", [PZEM_READ_ERROR, PZEM_NAN])
def test_the_heater_meter_s_read_errors_are_no_sign_of_a_full_tank(tmp_path: Path, payload: bytes) -> None:
    # The load's own PZEM (a third module, PROTOCOL.md) failing to read carries no power: never five "0 W" readings
    # of a heater whose thermostat cut it.
    h = Harness(field_config(tmp_path, ("ecs",), ecs=f"topic_read_power = {ECS_METER}\n"))
    h.meters(300, 2000, NOON)  # 1680 W of surplus: the heater takes it
    assert h.load("ecs").current_power_w > 1000
    for i in range(10):
        h.reg.handle(ECS_METER, payload, NOON + 1 + 2 * i)
    assert not h.load("ecs").overed


# (the status of a variator whose default is 100 %, and its boot message)
@pytest.mark.parametrize("topic, payload", [(ECS_STATUS, BOOTED_AT_100),
                                            (VLOAD, VLOAD_BOOT)])
def test_a_variator_rebooted_while_off_or_forced_gets_that_command_again(tmp_path: Path, topic: str,
                                                                          payload: bytes) -> None:
    # After a (re)boot the variator runs at its default, not at the regulator's last command (PROTOCOL.md): a heater
    # PySEB holds at 0 % (no surplus) gets its 0 again, as a forced one gets its forced percent; neither is taken for
    # a command already obeyed.
    h = Harness(field_config(tmp_path, ("ecs",)))
    h.meters(3000, 300, NOON)  # importing: the heater at 0
    assert h.last(ECS_CMD) == "0"
    before = len(h.sent)
    h.reg.handle(topic, payload, NOON + 1)
    assert h.sent[before:] == [(ECS_CMD, "0", False)]
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1500, "duration": 3600}', NOON + 2)
    forced = h.last(ECS_CMD)
    assert forced is not None and int(forced) > 0
    before = len(h.sent)
    h.reg.handle(topic, payload, NOON + 20)
    assert h.sent[before:] == [(ECS_CMD, forced, False)]


def test_an_own_meter_sending_only_read_errors_leaves_the_tank_to_the_house_meter(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A read error carries no power: the heater meter's last good reading ages (PROTOCOL.md). Its read errors, every
    # 2 s, are no sign of a meter that watches the tank: the house meter does, and a thermostat cut is still seen.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("ecs",), ecs=f"topic_read_power = {ECS_METER}\n", algorithm="closed_loop"))
    house = House(h, TANK_T, base_w=300, production_w=4000)
    for i in range(30):
        h.reg.handle(ECS_METER, live(HEATER_DRAWING) if i == 0 else PZEM_READ_ERROR, TANK_T + 2 * i)
        house.run(1)
    assert h.last(ECS_CMD) == "100"
    assert "ecs: its own meter (smeter/pzem/ECS) has given no usable reading for" in caplog.text
    house.full.add("ecs")  # the thermostat cuts: the house falls by the heater's watts
    for _ in range(152):
        h.reg.handle(ECS_METER, PZEM_READ_ERROR, house.now)
        house.run(1)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"


@pytest.mark.parametrize("topic, srate_ms, warned", [("smeter/pzem", 2000, False), ("smeter/pzem", 9000, False),
                                                     ("smeter/pzem", 10000, True), ("smeter/pzem", 15000, True),
                                                     (CONS, 15000, True)])  # (a boot on the readings' topic too)
def test_a_meter_whose_boot_says_it_reads_less_often_than_meter_timeout_is_warned_of(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, topic: str, srate_ms: int, warned: bool) -> None:
    # A PZEM reads every `srate` ms (its setting, ≥ 1.5 s; PROTOCOL.md), said in its boot message only. At
    # meter_timeout (10 s) or more, the meter is stale before each next reading: every load to 0 W, then on again.
    h = Harness(write_config(tmp_path, ("radiator",)))
    caplog.set_level(logging.WARNING)
    h.reg.handle(topic, PZEM_BOOT.replace(b'"srate": 2000', f'"srate": {srate_ms}'.encode()), NOON)
    said = [r.getMessage() for r in caplog.records if "srate" in r.getMessage()]
    if not warned:
        assert said == []
        return
    assert said == [f"consumption meter reads every {srate_ms / 1000:g} s (its srate, from its boot message): not "
                    f"under [evaluate] meter_timeout (10 s), it goes stale before each next reading, every load to "
                    f"0 W; lower its srate or raise meter_timeout"]


@pytest.mark.parametrize(("every_s", "warned"), [(2.0, False), (5.0, False), (5.2, True), (9.0, True)])
def test_meters_read_more_than_half_meter_timeout_apart_are_warned_of(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, every_s: float, warned: bool) -> None:
    # Hébert's meter firmware (pzem_mqtt) reads every 5 s or so, sends no boot message, and nothing at a failed read:
    # at the default meter_timeout of 10 s a single reading lost cut every load, a relay off and on again (found by
    # a bug hunt: two cuts in 90 s). Said once a run per meter, as soon as its pace is known (three gaps). The advice
    # is five readings: at the three it said before (30 s at 10 s), two readings lost in a row cut every load (a
    # slow-meter hunt: six cuts a day with 2 % of readings lost and some jitter at 10 s).
    h = Harness(write_config(tmp_path, ("radiator",)))
    caplog.set_level(logging.WARNING)
    for k in range(12):
        h.meters(300.0, 1800.0, NOON + every_s * k)
    said = [r.getMessage() for r in caplog.records if "a single reading lost" in r.getMessage()]
    if not warned:
        assert said == []
        return
    assert [line.split(" meter reads")[0] for line in said] == ["consumption", "production"]
    assert said[0] == (f"consumption meter reads every {every_s:.1f} s: a single reading lost leaves "
                       f"{2 * every_s:.1f} s without one, over [evaluate] meter_timeout (10 s), and every load not "
                       f"forced goes to 0 W until the next; set meter_timeout = {math.ceil(5 * every_s)} (five of its "
                       f"readings) or more")


@pytest.mark.parametrize("algorithm", ["hebert", "closed_loop"])
@pytest.mark.parametrize("sweep", ["ECS-01", "ECS-02", "ECS-03", "ECS-04"])
def test_the_heater_is_never_sent_a_percent_of_the_triac_s_misfire_zone(tmp_path: Path, sweep: str,
                                                                          algorithm: str) -> None:
    # The triac misfires at 1-2.5 % (60-90 W, PROTOCOL.md): a command there draws nothing steady. With the real
    # sweeps (no min_percent set), a small surplus, rising slowly, gets 0 % or a percent past that zone.
    path = write_config(tmp_path, ("ecs",), algorithm=algorithm)
    curve = Path(__file__).resolve().parent.parent / "calibration" / f"power_calibration_{sweep}.csv"
    path.write_text(path.read_text().replace("calibration = linear.csv", f"calibration = {curve}")
                    .replace("min_percent = 4\n", ""))
    house = House(Harness(path), NOON, base_w=300, production_w=300)
    for spare_w in range(0, 400, 5):
        house.production_w = 300 + spare_w
        house.run(6)
    sent = {int(p) for p in house.h.on(ECS_CMD)}
    assert sent & {1, 2} == set() and max(sent) > 3, sorted(sent)


def test_a_load_s_own_meter_reading_less_often_than_meter_timeout_is_not_warned_of_at_its_boot(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Its age passed meter_timeout before each next reading, and a warning said so at its boot: it is silent after five
    # of its readings now (test_full_tank_own_meter_pace), and the warning was no longer true.
    h = Harness(field_config(tmp_path, ("ecs",), ecs=f"topic_read_power = {ECS_METER}\n"))
    caplog.set_level(logging.WARNING)
    h.reg.handle("smeter/pzem", PZEM_BOOT.replace(b"CONSOMMATION", b"ECS").replace(b"2000", b"12000"), NOON)
    assert [r.getMessage() for r in caplog.records] == []


def test_a_meter_s_pace_is_not_judged_on_gaps_across_a_link_that_kept_dropping(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A link the broker drops every few seconds (a second PySEB with our client id, a status over the broker's
    # max_packet_size): meters reading every 0.5 s were heard only while it was up, and the gaps across the outages, 1
    # to 15 s, made the pace: "consumption meter reads every 1.6 s ... set meter_timeout = 8" (found by a bug hunt). A
    # gap the link was down in is not the meter's.
    h = Harness(write_config(tmp_path, ("radiator",), meter_timeout=3))
    caplog.set_level(logging.WARNING)
    now = NOON
    for outage_s in (2.0, 1.5, 2.5, 2.0, 2.0):
        h.meters(300.0, 1800.0, now)  # one reading of each meter while the link is up
        h.reg.on_disconnected(now + 0.1)
        now += outage_s
        h.reg.on_connected(now)
    assert [r.getMessage() for r in caplog.records if "a single reading lost" in r.getMessage()] == []
    assert h.reg.consumption.pace_s() is None  # (not known yet: no two readings with the link up between them)
    for _ in range(4):  # the link holds now
        h.meters(300.0, 1800.0, now)
        now += 0.5
    assert h.reg.consumption.pace_s() == pytest.approx(0.5)
