"""The daily report's arithmetic on a hand-computable day, and the regulator publishing it after midnight."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest

from core.daily_report import DailyFigures, DailyReport
from core.decisions import DecisionRecord
from regulation import Regulator
from shell.mqtt_link import PublishFailed, PublishQueueFull
from tests.configs import reading, write_config

PARIS = ZoneInfo("Europe/Paris")


def rec(t: float, cons: float, prod: float, command: tuple[float, float], believed: tuple[float, float],
        room: tuple[float, float], drew: tuple[float, float]) -> DecisionRecord:
    """`drew`: what the loads drew in this reading, as a live record has it (the belief the decision before left)."""
    return DecisionRecord(t, cons, prod, command, believed, room, drew)


def test_a_hand_computable_day() -> None:
    day = DailyFigures(["heater", "radiator"], [False, True], max_gap_s=10)
    # t=0: the first decision only sets the state: the heater at 1000 W, room for 1000 W more, radiator off.
    day.add(rec(0, 1000, 3000, (50, 0), (1000, 0), (1000, 1000), (0, 0)))
    # 0..4 s: 1500 W exported; the loads drew 1000 W (the state t=0 left), the house 500 W. A perfect router
    # would have given the heater its 1000 W of room; the 500 W left do not cover the 1000 W radiator.
    day.add(rec(4, 1500, 3000, (100, 1), (2000, 1000), (0, 0), (1000, 0)))
    # 4..8 s: 500 W imported while the loads drew 3000 W: all of it caused. House 3500 - 3000 = 500 W.
    day.add(rec(8, 3500, 3000, (100, 0), (2000, 0), (0, 1000), (2000, 1000)))
    # 8..12 s: 2800 W exported, loads 2000 W, house 0 W; room: radiator only, covered: 1000 W missed.
    day.add(rec(12, 2000, 4800, (100, 0), (2000, 0), (0, 1000), (2000, 0)))
    # 12..112 s: a 100 s gap (meters silent): nothing counted, but the radiator's switch on counts.
    day.add(rec(112, 9999, 0, (100, 1), (2000, 1000), (0, 0), (2000, 0)))
    # The day so far in every status: the very document of the report, made without the report's objects.
    assert day.so_far_json("2026-06-01") == day.so_far("2026-06-01").as_json()
    report = day.close("2026-06-01", 200)
    wh = 4 / 3600  # each counted interval is 4 s: W * wh = Wh
    assert report.covered_h == pytest.approx(12 / 3600)
    assert report.pv_wh == pytest.approx((3000 + 3000 + 4800) * wh)
    assert report.house_wh == pytest.approx((500 + 500 + 0) * wh)
    assert report.diverted_wh == pytest.approx((1000 + 3000 + 2000) * wh)
    assert report.exported_wh == pytest.approx((1500 + 2800) * wh)
    assert report.imported_wh == pytest.approx(500 * wh)
    assert report.caused_import_wh == pytest.approx(500 * wh)
    assert report.missed_wh == pytest.approx((1000 + 1000) * wh)
    heater, radiator = report.loads
    assert heater.energy_wh == pytest.approx((1000 + 2000 + 2000) * wh) and heater.switches == 0
    assert radiator.energy_wh == pytest.approx(1000 * wh) and radiator.switches == 3
    doc = report.as_json()
    assert doc["date"] == "2026-06-01" and doc["loads"]["radiator"] == {"energy_wh": 1.1, "switches": 3,
                                                                         "relay": True}
    assert doc["missed_wh"] == round(2000 * wh, 1)
    assert "relay switches: radiator 3" in report.line() and "heater" not in report.line().split(";")[1]
    # The next day starts empty. The interval that straddles midnight ends a silence of 90 s (since 112 s): not
    # counted in the new day either (its 2 s after midnight were, until 2026-12-06); the next one is.
    day.add(rec(202, 1000, 2000, (100, 1), (2000, 1000), (0, 0), (2000, 1000)))
    day.add(rec(204, 1000, 2000, (100, 1), (2000, 1000), (0, 0), (2000, 1000)))
    nxt = day.close("2026-06-02", 204)
    assert nxt.covered_h == pytest.approx(2 / 3600) and nxt.pv_wh == pytest.approx(2000 * 2 / 3600)


def test_a_relay_only_counts_as_missed_when_the_export_covers_it() -> None:
    day = DailyFigures(["a", "b"], [True, False], max_gap_s=10)
    day.add(rec(0, 0, 0, (0, 0), (0, 0), (1000, 300), (0, 0)))
    day.add(rec(3600, 0, 900, (0, 0), (0, 0), (1000, 300), (0, 0)))  # an hour would be a gap: not counted
    day.add(rec(3602, 0, 900, (0, 0), (0, 0), (1000, 300), (0, 0)))
    # 900 W exported: the 1000 W relay does not fit, the variable load takes its 300 W.
    assert day.close("d", 4000).missed_wh == pytest.approx(300 * 2 / 3600)


def test_the_regulator_publishes_the_report_after_midnight(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    published: list[tuple[str, str, bool]] = []
    config = write_config(tmp_path, ("ecs", "radiator"))
    reg = Regulator.from_config(config, lambda topic, payload, retain=False: published.append(
        (topic, payload if isinstance(payload, str) else payload.decode(), retain)))
    start = datetime(2026, 6, 1, 23, 50, tzinfo=PARIS).timestamp()
    caplog.set_level(logging.INFO, logger="core.regulator")
    for k in range(320):  # 23:50 to 00:00:40, a reading of each meter every 2 s, 2000 W of sun, house 300 W
        now = start + 2 * k
        reg.handle("smeter/pzem/CONSOMMATION", reading(300 + sum(load.current_power_w for load in reg.loads)), now)
        reg.handle("smeter/pzem/PRODUCTION", reading(2000), now + 1)
        reg.tick(now + 1)
    reports = [(p, r) for t, p, r in published if t == "regul/report"]
    assert len(reports) == 1 and reports[0][1] is True
    doc = json.loads(reports[0][0])
    assert doc["date"] == "2026-06-01"
    assert doc["covered_h"] == pytest.approx(10 / 60, abs=0.01)
    # The first decision only sets the state, and decisions come every 4 s: 10 min less a few seconds.
    assert doc["pv_wh"] == pytest.approx(2000 / 6, rel=0.01)
    assert doc["house_wh"] == pytest.approx(300 / 6, rel=0.05)
    assert doc["exported_wh"] + doc["diverted_wh"] + doc["house_wh"] == pytest.approx(doc["pv_wh"], abs=1)
    assert set(doc["loads"]) == {"ecs", "radiator"}
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("day 2026-06-01")]
    assert len(lines) == 1 and "a perfect router would have added" in lines[0]


def test_a_report_paho_refuses_is_said_and_sent_again_at_the_reconnect(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    # paho's full queue (PAHO_QUEUE_MAX: a link dead but not yet known to be) refused the report: raised out of the
    # reading that rolled the day, that reading's decision was not made, and the log said an internal error.
    published: list[tuple[str, str, bool]] = []
    refusing = True

    def publish(topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic == "regul/report" and refusing:
            raise PublishQueueFull(mqtt.error_string(mqtt.MQTT_ERR_QUEUE_SIZE))  # (as MqttLink.publish raises it)
        published.append((topic, payload if isinstance(payload, str) else payload.decode(), retain))

    reg = Regulator.from_config(write_config(tmp_path, ("ecs", "radiator")), publish)
    decided: list[DecisionRecord] = []
    reg.add_decision_listener(decided.append)
    midnight = datetime(2026, 6, 2, tzinfo=PARIS).timestamp()
    _run(reg, midnight - 600, 600, 2000)
    before = len(decided)
    reg.handle("smeter/pzem/CONSOMMATION", reading(300 + sum(load.current_power_w for load in reg.loads)), midnight)
    reg.handle("smeter/pzem/PRODUCTION", reading(2000), midnight + 1)
    assert reg.counted_day == "2026-06-02" and len(decided) == before + 1
    assert not [t for t, _, _ in published if t == "regul/report"]
    assert "the report of 2026-06-01 could not be published (Message queue full.): sent again as soon as the " \
           "link takes it (at the next reconnect at the latest)" in caplog.text
    refusing = False
    reg.republish_report()
    assert [json.loads(p)["date"] for t, p, _ in published if t == "regul/report"] == ["2026-06-01"]


def test_a_report_refused_for_another_reason_is_not_said_to_be_sent_as_soon_as_the_link_takes_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Only a full queue's refusal is owed (sent once paho has room); one for another reason (paho's ValueError, another
    # error) is tried again only at the next reconnect: "sent again as soon as the link takes it" was said of it too.
    published: list[str] = []

    def publish(topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic == "regul/report":
            raise PublishFailed(mqtt.error_string(mqtt.MQTT_ERR_PAYLOAD_SIZE))
        published.append(topic)

    reg = Regulator.from_config(write_config(tmp_path, ("ecs", "radiator")), publish)
    midnight = datetime(2026, 6, 2, tzinfo=PARIS).timestamp()
    _run(reg, midnight - 600, 600, 2000)
    reg.handle("smeter/pzem/CONSOMMATION", reading(300 + sum(load.current_power_w for load in reg.loads)), midnight)
    reg.handle("smeter/pzem/PRODUCTION", reading(2000), midnight + 1)
    assert reg.counted_day == "2026-06-02"
    said = [r.getMessage() for r in caplog.records if "the report of 2026-06-01 could not" in r.getMessage()]
    refused = mqtt.error_string(mqtt.MQTT_ERR_PAYLOAD_SIZE)
    assert said == [f"the report of 2026-06-01 could not be published ({refused}): tried again at the next reconnect"]


def _run(reg: Regulator, start: float, seconds: int, production_w: float) -> None:
    """Readings every 2 s (house 300 W plus the loads), a tick after each."""
    for k in range(seconds // 2):
        now = start + 2 * k
        reg.handle("smeter/pzem/CONSOMMATION", reading(300 + sum(load.current_power_w for load in reg.loads)), now)
        reg.handle("smeter/pzem/PRODUCTION", reading(production_w), now + 1)
        reg.tick(now + 1)


def test_a_restart_in_the_evening_keeps_the_day_s_figures_for_the_report(tmp_path: Path) -> None:
    # Restarted at 23:50 after a sunny afternoon: the midnight's report covered the last 10 minutes only (PV
    # 0 kWh for the day): the day so far is in the status file, and the restart resumes it.
    published: list[tuple[str, str]] = []

    def publish(topic: str, payload: str | bytes, retain: bool = False) -> None:
        published.append((topic, payload if isinstance(payload, str) else payload.decode()))

    config = write_config(tmp_path, ("ecs", "radiator"))
    first = Regulator.from_config(config, publish)
    _run(first, datetime(2026, 6, 1, 15, 0, tzinfo=PARIS).timestamp(), 3600, 2000)  # 15:00-16:00, 2000 W of sun
    stop = datetime(2026, 6, 1, 23, 50, tzinfo=PARIS).timestamp()
    saved = json.loads(json.dumps(first.status(stop)))
    assert saved["report_today"]["date"] == "2026-06-01"
    second = Regulator.from_config(config, publish)
    assert second.restore(saved, stop + 5) == []
    _run(second, stop + 5, 640, 0)  # 23:50 to 00:00:45, night
    doc = json.loads([p for t, p in published if t == "regul/report"][-1])
    assert doc["date"] == "2026-06-01"
    assert doc["covered_h"] == pytest.approx(1 + 10 / 60, abs=0.01)
    assert doc["pv_wh"] == pytest.approx(2000, rel=0.01)
    assert doc["loads"]["ecs"]["energy_wh"] == saved["report_today"]["loads"]["ecs"]["energy_wh"]  # nothing at night
    assert doc["loads"]["radiator"]["switches"] >= saved["report_today"]["loads"]["radiator"]["switches"]


def test_a_day_whose_midnight_passed_while_stopped_is_reported_at_the_restart(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Stopped at 23:50 after a sunny afternoon, started at 00:10: no midnight passed while running, so the day's
    # report was never published; its figures, saved in report_today, were dropped as another day's.
    published: list[tuple[str, str, bool]] = []

    def publish(topic: str, payload: str | bytes, retain: bool = False) -> None:
        published.append((topic, payload if isinstance(payload, str) else payload.decode(), retain))

    config = write_config(tmp_path, ("ecs", "radiator"))
    first = Regulator.from_config(config, publish)
    _run(first, datetime(2026, 6, 1, 15, 0, tzinfo=PARIS).timestamp(), 3600, 2000)
    stop = datetime(2026, 6, 1, 23, 50, tzinfo=PARIS).timestamp()
    saved = json.loads(json.dumps(first.status(stop)))
    assert not [t for t, _, _ in published if t == "regul/report"]
    second = Regulator.from_config(config, publish)
    restart = datetime(2026, 6, 2, 0, 10, tzinfo=PARIS).timestamp()
    assert second.restore(saved, restart) == []
    caplog.set_level(logging.INFO, logger="core.regulator")
    _run(second, restart, 600, 0)
    reports = [(json.loads(p), r) for t, p, r in published if t == "regul/report"]
    assert len(reports) == 1 and reports[0][1] is True  # retained, as at a midnight
    doc = reports[0][0]
    assert doc == saved["report_today"] and doc["date"] == "2026-06-01"
    assert doc["pv_wh"] == pytest.approx(2000, rel=0.01)
    assert any(r.getMessage().startswith("the report of 2026-06-01") and "day 2026-06-01" in r.getMessage()
               for r in caplog.records)
    # Today's figures start from the restart, and the report is not sent again by a second restart today.
    assert second.daily.so_far("2026-06-02").pv_wh == 0
    third = Regulator.from_config(config, publish)
    third.restore(json.loads(json.dumps(second.status(restart + 700))), restart + 800)
    _run(third, restart + 800, 60, 0)
    assert len([t for t, _, _ in published if t == "regul/report"]) == 1


def test_a_stop_just_after_midnight_before_the_timers_ran_rolls_the_day(tmp_path: Path) -> None:
    # Stopped (the main loop held up) before the timers saw midnight: the status saved at the stop held the whole
    # past day's figures and energies under the new day's date, resumed at the restart as today's.
    published: list[tuple[str, str]] = []

    def publish(topic: str, payload: str | bytes, retain: bool = False) -> None:
        published.append((topic, payload if isinstance(payload, str) else payload.decode()))

    config = write_config(tmp_path, ("ecs", "radiator"))
    reg = Regulator.from_config(config, publish)
    _run(reg, datetime(2026, 6, 1, 15, 0, tzinfo=PARIS).timestamp(), 600, 2000)
    _run(reg, datetime(2026, 6, 1, 23, 59, 50, tzinfo=PARIS).timestamp(), 10, 0)
    stop = datetime(2026, 6, 2, 0, 0, 0, 300000, tzinfo=PARIS).timestamp()
    reg.shutdown(stop)
    saved = reg.status(stop)
    assert saved["report_today"]["date"] == "2026-06-02" and saved["report_today"]["pv_wh"] == 0
    assert saved["production_energy"] == 0 and saved["production_energy_yesterday"] > 300
    assert [json.loads(p)["date"] for t, p in published if t == "regul/report"] == ["2026-06-01"]


@pytest.mark.parametrize("damage", [{"covered_h": 99}, {"pv_wh": -5}, {"loads": {"ecs": {"energy_wh": 1,
                                                                                         "switches": "2"}}}])
def test_a_damaged_saved_report_is_not_resumed(tmp_path: Path, damage: dict) -> None:
    config = write_config(tmp_path, ("ecs", "radiator"))
    first = Regulator.from_config(config, lambda *args, **kwargs: None)
    start = datetime(2026, 6, 1, 15, 0, tzinfo=PARIS).timestamp()
    _run(first, start, 600, 2000)
    saved = json.loads(json.dumps(first.status(start + 600)))
    saved["report_today"].update(damage)
    second = Regulator.from_config(config, lambda *args, **kwargs: None)
    warnings = second.restore(saved, start + 700)
    assert any("report_today not restored" in w for w in warnings)
    assert second.daily.so_far("2026-06-01").pv_wh == 0


def test_a_day_covered_over_25_h_after_a_clock_step_back_is_resumed(tmp_path: Path) -> None:
    # A Pi whose clock chip keeps local time (2 h ahead of UTC in summer) starts PySEB, then NTP steps the clock back
    # 2 h: the decisions after the step cover those 2 h again (as the loads' energies do), and a day of sun covers
    # 26 h. Restarted that evening, the day's report so far was refused ("covered_h 25.9 is not a day's hours"),
    # and the midnight report counted from the restart: the morning's PV and energies lost.
    day = DailyFigures(["heater"], [False], max_gap_s=10)
    for t in (*range(0, 2 * 3600, 5), *range(0, 24 * 3600 - 60, 5)):
        day.add(steady(t))
    assert day.covered_s / 3600 > 25
    saved = day.so_far_json("2026-06-01")
    restored = DailyReport.from_json(saved, {"heater": False})
    assert restored.covered_h == saved["covered_h"] and restored.pv_wh == saved["pv_wh"]


def steady(t: float) -> DecisionRecord:
    return DecisionRecord(t, 500, 1000, (0.0,), (0.0,), (0.0,), (0.0,))


def test_a_house_believed_a_little_below_zero_is_0_00_kwh_not_minus() -> None:
    # Believed loads a little over the consumption (a curve's watts a few % high): the house's day is a few Wh
    # below zero, printed "-0.00 kWh". A real negative figure at the shown precision keeps its sign.
    day = DailyFigures(["heater"], [False], max_gap_s=10)
    day.add(rec(0, 2000, 3000, (100,), (2004,), (0,), (2004,)))
    day.add(rec(4, 2000, 3000, (100,), (2004,), (0,), (2004,)))  # 4 s at -4 W: -0.0044 Wh
    report = day.close("2026-06-01", 10)
    assert report.house_wh < 0
    assert "house (base load)       0.00 kWh" in report.text()
    assert "house 0.00 kWh," in report.line()
    assert "-0.00" not in report.text() + report.line()
    below = DailyReport.from_json({**report.as_json(), "house_wh": -1500.0}, {"heater": False})
    assert "house -1.50 kWh," in below.line()


def test_a_day_s_report_counts_its_last_seconds_before_midnight(tmp_path: Path) -> None:
    # The interval from the day's last decision to midnight was counted by nobody: the next decision counts from
    # midnight. A heater forced at 2000 W all day, read every 7 s: 47996 Wh reported, the load's own count 48000.
    from tests.field_house import at, field_config
    from tests.harness import CONS, MODE, PROD, Harness

    h = Harness(field_config(tmp_path, extra="[fallback]\nseed_rule = false\n"))
    t = at(2024, 1, 9, 20)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000}', t)
    while t < at(2024, 1, 12, 1):
        t += 7.0
        h.reg.handle(CONS, reading(300 + sum(load.current_power_w for load in h.reg.loads)), t)
        h.reg.handle(PROD, reading(0.0), t + 0.01)
        h.reg.tick(t + 0.02)
    reports = {r["date"]: r for r in map(json.loads, h.on("regul/report"))}
    for day in ("2024-01-10", "2024-01-11"):
        assert reports[day]["loads"]["ecs"]["energy_wh"] == pytest.approx(48000, abs=0.2)
        assert reports[day]["covered_h"] == pytest.approx(24)
        assert reports[day]["house_wh"] == pytest.approx(300 * 24, abs=0.2)
