"""Coturex's hourly heartbeat to Domoticz ([domoticz] idx_keep_alive): {"idx": N, "nvalue": 1} on topic_in when the
house's clock reads hh:21 (the seed's minute 20 -> 21), once an hour, only while the broker link is up; its idx refused
when it is another role's device. The daemon on a real broker: tests/test_domoticz_keep_alive_daemon.py."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from field.domoticz_keep_alive import KEEP_ALIVE_MINUTE, next_minute_of_hour
from settings.check_notes import link_notes
from settings.config import load_settings
from tests.configs import problems_of, write_config
from tests.field_domoticz import DZ_IN
from tests.field_house import PARIS, at, field_config
from tests.harness import NOON, Harness
from tests.test_domoticz_config_idx import BOOT
from values.local_time import next_local_midnight

BEAT = {"idx": 658, "nvalue": 1}


def harness(tmp_path: Path, domoticz: str = "idx_keep_alive = 658\n", evaluate: str = "") -> Harness:
    path = field_config(tmp_path, extra=f"[domoticz]\n{domoticz}")
    if evaluate:
        path.write_text(path.read_text().replace("timezone = Europe/Paris\n", evaluate))
    return Harness(path)


def beats(h: Harness) -> list[dict[str, int]]:
    return [json.loads(payload) for payload in h.on(DZ_IN)]


def beat_times(h: Harness, start: float, end: float, step_s: float) -> list[float]:
    """Ticks from `start` to `end` every `step_s`: the ticks a heartbeat went at."""
    times = []
    now = start
    while now <= end:
        before = len(h.on(DZ_IN))
        h.reg.tick(now)
        times += [now] * (len(h.on(DZ_IN)) - before)
        now += step_s
    return times


# --- the option --------------------------------------------------------------------------------------------------

def test_the_option_is_read_and_off_by_default(tmp_path: Path) -> None:
    assert load_settings(write_config(tmp_path)).field.domoticz.idx_keep_alive == 0
    path = write_config(tmp_path, extra="[domoticz]\nidx_keep_alive = 658\n")
    assert load_settings(path).field.domoticz.idx_keep_alive == 658


@pytest.mark.parametrize("value", ["-1", "heartbeat"])
def test_a_wrong_value_is_refused(tmp_path: Path, value: str) -> None:
    path = write_config(tmp_path, extra=f"[domoticz]\nidx_keep_alive = {value}\n")
    assert [p for p in problems_of(path) if "idx_keep_alive" in p]


@pytest.mark.parametrize(("domoticz", "radiator", "other"), [
    ("idx_ecs_mode = 658\n", "", "[domoticz] idx_ecs_mode"),
    ("idx_grid = 658\n", "", "idx_grid"),
    ("idx_injection = 658\n", "", "idx_injection"),
    ("", "domoticz_idx_force = 658\n", "the force switch of radiator"),
])
def test_another_role_s_device_is_refused(tmp_path: Path, domoticz: str, radiator: str, other: str) -> None:
    # Its "nvalue": 1 every hour would switch a force switch On (the load forced each hour), the selector to its
    # last level, a sensor to 1.
    path = field_config(tmp_path, radiator=radiator, extra=f"[domoticz]\nidx_keep_alive = 658\n{domoticz}")
    assert [p.removeprefix(f"{path}: ") for p in problems_of(path) if "idx_keep_alive" in p] == [
        f"[domoticz] idx_keep_alive: idx 658 is also {other}: the heartbeat's \"nvalue\": 1 would be written to it "
        "every hour"]


def test_a_relay_s_device_is_refused(tmp_path: Path) -> None:
    path = field_config(tmp_path, extra="[domoticz]\nidx_keep_alive = 658\n")
    text = path.read_text().replace(
        "topic_set_power = cmnd/radiator/POWER\njson_on = ON\njson_off = OFF\n",
        'topic_set_power = domoticz/in\njson_on = {"command": "switchlight", "idx": 658, "switchcmd": "On"}\n'
        'json_off = {"command": "switchlight", "idx": 658, "switchcmd": "Off"}\n')
    assert text != path.read_text()
    path.write_text(text)
    assert [p.removeprefix(f"{path}: ") for p in problems_of(path) if "idx_keep_alive" in p] == [
        "[domoticz] idx_keep_alive: idx 658 is also the device radiator is switched with: the heartbeat's "
        "\"nvalue\": 1 would be written to it every hour"]


def test_check_names_the_heartbeat(tmp_path: Path) -> None:
    said = {line.split(":")[0]: line for line in link_notes(load_settings(
        write_config(tmp_path, extra="[domoticz]\nidx_keep_alive = 658\n")))}
    assert said["Domoticz"] == ('Domoticz:    heartbeat {"idx": 658, "nvalue": 1} on domoticz/in every hour at '
                                "hh:21")


# --- when it goes ------------------------------------------------------------------------------------------------

def test_once_an_hour_at_21_across_a_day(tmp_path: Path) -> None:
    h = harness(tmp_path)
    times = beat_times(h, at(2024, 1, 10, 0, 0), at(2024, 1, 11, 0, 0), 20.0)
    assert times == [at(2024, 1, 10, hour, 21) for hour in range(24)]
    assert beats(h) == [BEAT] * 24
    assert [retain for topic, _, retain in h.sent if topic == DZ_IN] == [False] * 24


def test_not_before_21_and_once_however_many_ticks_that_minute(tmp_path: Path) -> None:
    h = harness(tmp_path)
    assert beat_times(h, at(2024, 1, 10, 10, 19), at(2024, 1, 10, 10, 20, 59.9), 0.1) == []
    assert beat_times(h, at(2024, 1, 10, 10, 21), at(2024, 1, 10, 10, 23), 0.1) == [at(2024, 1, 10, 10, 21)]
    assert beat_times(h, at(2024, 1, 10, 10, 23, 0.1), at(2024, 1, 10, 11, 20, 59.5), 0.5) == []


def test_not_at_the_start_in_minute_21(tmp_path: Path) -> None:
    # (the seed's first evaluation neither: it compared the minute with the one before)
    h = harness(tmp_path)
    assert beat_times(h, at(2024, 1, 10, 10, 21, 5), at(2024, 1, 10, 11, 21), 5.0) == [at(2024, 1, 10, 11, 21)]


@pytest.mark.parametrize(("month", "day", "hours"), [(3, 31, 23), (10, 27, 25)])
def test_the_days_the_clocks_change(tmp_path: Path, month: int, day: int, hours: int) -> None:
    # 31 March: 02:21 never shows; 27 October: it shows twice, an hour apart. One every hour all the same.
    h = harness(tmp_path)
    start = at(2024, month, day, 0, 0)
    times = beat_times(h, start, next_local_midnight(start, PARIS), 30.0)
    assert len(times) == hours
    assert [later - earlier for earlier, later in zip(times, times[1:], strict=False)] == [3600.0] * (hours - 1)


def test_the_house_s_zone_not_utc(tmp_path: Path) -> None:
    # India is 5 h 30 min ahead of UTC: its hh:21 is UTC's hh:51.
    h = harness(tmp_path, evaluate="timezone = Asia/Kolkata\n")
    start = datetime(2024, 1, 10, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()
    times = beat_times(h, start, start + 2 * 3600, 10.0)
    assert times == [start + 21 * 60, start + 81 * 60]
    assert [datetime.fromtimestamp(t, timezone.utc).minute for t in times] == [51, 51]


def test_none_without_the_option(tmp_path: Path) -> None:
    h = harness(tmp_path, domoticz="idx_grid = 0\n")
    assert beat_times(h, at(2024, 1, 10, 0, 0), at(2024, 1, 11, 0, 0), 60.0) == []


# --- the clock's steps and the link ------------------------------------------------------------------------------

def test_a_clock_stepped_forward_over_21_sends_one_at_the_step(tmp_path: Path) -> None:
    h = harness(tmp_path)
    assert beat_times(h, at(2024, 1, 10, 10, 0), at(2024, 1, 10, 10, 15), 10.0) == []
    h.reg.clock_stepped_forward(15 * 60.0)  # (NTP: the daemon hands the step over, then ticks)
    assert beat_times(h, at(2024, 1, 10, 10, 30), at(2024, 1, 10, 11, 20, 50), 10.0) == [at(2024, 1, 10, 10, 30)]
    assert beat_times(h, at(2024, 1, 10, 11, 21), at(2024, 1, 10, 11, 30), 10.0) == [at(2024, 1, 10, 11, 21)]


def test_a_clock_stepped_forward_by_a_day_sends_one_not_24(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.reg.tick(at(2024, 1, 10, 10, 0))
    h.reg.clock_stepped_forward(86400.0)
    assert beat_times(h, at(2024, 1, 11, 10, 0), at(2024, 1, 11, 10, 20), 10.0) == [at(2024, 1, 11, 10, 0)]


def test_a_clock_stepped_back_over_21_does_not_send_it_again(tmp_path: Path) -> None:
    h = harness(tmp_path)
    assert beat_times(h, at(2024, 1, 10, 10, 20), at(2024, 1, 10, 10, 30), 10.0) == [at(2024, 1, 10, 10, 21)]
    # set back a quarter of an hour: 10:21 shows again, its heartbeat sent 15 min ago
    assert beat_times(h, at(2024, 1, 10, 10, 15), at(2024, 1, 10, 11, 20, 50), 10.0) == []
    assert beat_times(h, at(2024, 1, 10, 11, 21), at(2024, 1, 10, 11, 30), 10.0) == [at(2024, 1, 10, 11, 21)]


def test_a_clock_stepped_back_hours_goes_on_every_hour(tmp_path: Path) -> None:
    h = harness(tmp_path)
    assert beat_times(h, at(2024, 1, 10, 10, 20), at(2024, 1, 10, 10, 30), 10.0) == [at(2024, 1, 10, 10, 21)]
    assert beat_times(h, at(2024, 1, 10, 7, 0), at(2024, 1, 10, 9, 30), 10.0) == [at(2024, 1, 10, 7, 21),
                                                                                   at(2024, 1, 10, 8, 21),
                                                                                   at(2024, 1, 10, 9, 21)]


def test_not_while_the_link_is_down_and_at_the_next_hour_after(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.reg.tick(at(2024, 1, 10, 10, 0))
    h.reg.on_connected(at(2024, 1, 10, 10, 0))
    h.reg.on_disconnected(at(2024, 1, 10, 10, 10))
    assert beat_times(h, at(2024, 1, 10, 10, 10), at(2024, 1, 10, 10, 40), 10.0) == []
    h.reg.on_connected(at(2024, 1, 10, 10, 40))  # (the 10:21 one missed: not sent late)
    assert beat_times(h, at(2024, 1, 10, 10, 40), at(2024, 1, 10, 11, 30), 10.0) == [at(2024, 1, 10, 11, 21)]


def test_a_meter_that_publishes_to_the_heartbeat_s_idx_is_named_at_its_boot(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # (its readings and the heartbeat's 1 written to one device by turns)
    h = harness(tmp_path, domoticz="idx_keep_alive = 652\n")
    h.reg.tick(NOON)
    h.reg.handle("smeter/pzem", BOOT, NOON + 1)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "pzem_idx" in r.getMessage()]
    assert said == ["[domoticz] idx_keep_alive = 652 is also the pzem_idx2 of meter CONSOMMATION (its boot message "
                    "on smeter/pzem): the meter publishes its own readings to that Domoticz device, which shows both "
                    "by turns; give idx_keep_alive another device, or the meter another pzem_idx2"]


def scanned(moment: float, tz: ZoneInfo) -> float:
    """The next instant after `moment` the clock reads minute 21, found minute by minute."""
    at = math.floor(moment) + 1
    at += (60 - at % 60) % 60
    while datetime.fromtimestamp(at, tz).minute != KEEP_ALIVE_MINUTE:
        at += 60
    return float(at)


@pytest.mark.parametrize(("zone", "day"), [("Europe/Paris", (2024, 3, 30)), ("Europe/Paris", (2024, 10, 26)),
                                           ("Australia/Lord_Howe", (2024, 4, 6)),
                                           ("Australia/Lord_Howe", (2024, 10, 5))])
def test_the_next_hh_21_across_an_offset_change(zone: str, day: tuple[int, int, int]) -> None:
    # Lord Howe Island moves its clocks by half an hour: 02:00 -> 02:30 in October (02:21 never shows; 01:21 -> 03:21),
    # 02:00 -> 01:30 in April (01:21 then 02:21, 90 min apart).
    tz = ZoneInfo(zone)
    start = datetime(*day, 12, tzinfo=tz).timestamp()
    for k in range(0, 2 * 86400, 7 * 60 + 3):
        assert next_minute_of_hour(start + k + 0.25, KEEP_ALIVE_MINUTE, tz) == scanned(start + k + 0.25, tz)
        assert next_minute_of_hour(start + k, KEEP_ALIVE_MINUTE, tz) == scanned(start + k, tz)
