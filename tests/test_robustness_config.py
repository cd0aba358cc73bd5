"""Config problems found by --check rather than at run time: non-finite numbers, a meter timeout not tied to
the decision period, one topic for two roles, and send_domoticz with nothing to send. Files the daemon opens later:
test_robustness_config_files; values that broke what reads them: test_robustness_config_values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings.config import load_settings
from tests.config_problems import problems_of, with_lines
from tests.configs import reading, write_config
from tests.field_house import field_config
from tests.harness import CONS, NOON, PROD, Harness


# --- B: NaN and infinity -------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value"), [("meter_timeout", "nan"), ("margin", "nan"), ("period", "inf"),
                                            ("balance_threshold", "-inf"), ("max_meter_power", "NaN"),
                                            ("status_time", "Infinity")])
def test_non_finite_float_is_a_problem(tmp_path: Path, key: str, value: str) -> None:
    path = write_config(tmp_path)
    text = re.sub(rf"^{key} = .*\n", "", path.read_text(), flags=re.MULTILINE)  # given once, below
    path.write_text(text.replace("timezone = Europe/Paris\n", f"timezone = Europe/Paris\n{key} = {value}\n"))
    report = problems_of(path)
    assert f"[evaluate] {key}: must be a finite number" in report


def test_non_finite_optional_float_of_a_load_is_a_problem(tmp_path: Path) -> None:
    path = field_config(tmp_path, ecs="max_power = nan\n")
    assert "[ecs] max_power: must be a finite number" in problems_of(path)


# --- E: meter_timeout and period -----------------------------------------------------------------------
@pytest.mark.parametrize(("period", "timeout"), [(10, 10), (30, 10), (2.5, 5), (0.0833, 1), (0.2, 0.5)])
def test_meter_timeout_is_not_tied_to_the_period(tmp_path: Path, period: float, timeout: float) -> None:
    # The meters publish every ~2 s whatever the period: the seed's `period = 10` under the default 10 s timeout
    # was refused ("the loads would flap") for a flapping that does not happen (test_a_long_period_...).
    settings = load_settings(write_config(tmp_path, period=period, meter_timeout=timeout))
    assert settings.evaluate.meter_timeout_s == timeout and settings.evaluate.period_s == period


def test_a_long_period_does_not_take_live_meters_for_silent(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs",), period=30, meter_timeout=10, algorithm="closed_loop"))
    now = NOON
    for _ in range(300):  # 10 minutes of sun, the meters every 2 s
        now += 2
        h.reg.handle(PROD, reading(2300), now - 0.01)
        h.reg.handle(CONS, reading(300 + h.load("ecs").current_power_w), now)
        h.reg.tick(now)
        assert h.reg.stale_reason is None
    assert h.load("ecs").current_power_w > 1500  # a decision every 30 s at least took the surplus


# --- F: topic collisions, send_domoticz without an idx -------------------------------------------------
def test_consumption_and_production_on_one_topic(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("topic_prod = smeter/pzem/PRODUCTION",
                                             "topic_prod = smeter/pzem/CONSOMMATION"))
    assert "[mqtt] topic_prod: 'smeter/pzem/CONSOMMATION' is also [mqtt] topic_cons" in problems_of(path)


@pytest.mark.parametrize(("line", "expected"), [
    ("topic_mode = regul/status\n", "[mqtt] topic_status: 'regul/status' is also [mqtt] topic_mode"),
    ("topic_availability = regul/mode\n", "[mqtt] topic_availability: 'regul/mode' is also [mqtt] topic_mode"),
    ("topic_status = regul/availability\n",
     "[mqtt] topic_availability: 'regul/availability' is also [mqtt] topic_status"),
    ("topic_force = smeter/pzem/PRODUCTION\n",  # the seed's name of topic_mode, named as the file has it
     "[mqtt] topic_force: 'smeter/pzem/PRODUCTION' is also [mqtt] topic_prod"),
])
def test_regulator_topics_must_differ(tmp_path: Path, line: str, expected: str) -> None:
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n", line)
    assert expected in problems_of(path)


@pytest.mark.parametrize(("topic", "other"), [("smeter/pzem/CONSOMMATION", "topic_cons"),
                                              ("regul/mode", "topic_mode"), ("regul/status", "topic_status")])
def test_load_command_topic_must_not_be_a_meter_or_regulator_topic(tmp_path: Path, topic: str,
                                                                   other: str) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("topic_set_power = cmnd/radiator/POWER", f"topic_set_power = {topic}"))
    assert f"[radiator] topic_set_power: {topic!r} is also [mqtt] {other}" in problems_of(path)


@pytest.mark.parametrize(("topic", "other"), [("smeter/pzem/CONSOMMATION", "topic_cons"),
                                              ("smeter/pzem/PRODUCTION", "topic_prod")])
def test_a_loads_own_meter_topic_must_not_be_the_house_or_pv_meter(tmp_path: Path, topic: str, other: str) -> None:
    # The heater's own meter read on the house meter's topic: every house reading was also taken for what the
    # heater alone draws (its full-tank watch judged the tank on the house's watts). Refused, as the sweep does.
    path = with_lines(write_config(tmp_path), "topic_set_power = regul/vload/ECS/cmd\n",
                      f"topic_read_power = {topic}\n")
    assert f"[ecs] topic_read_power: {topic!r} is also [mqtt] {other}" in problems_of(path)


@pytest.mark.parametrize(("topic", "other"), [("smeter/pzem/PRODUCTION", "topic_prod"),
                                              ("regul/status", "topic_status")])
def test_the_forecast_topic_must_not_be_a_meter_or_regulator_topic(tmp_path: Path, topic: str, other: str) -> None:
    # A forecast read on the production meter's topic would have each reading refused as a forecast (and
    # each forecast as a reading), or the daemon reading back its own status.
    path = write_config(tmp_path)
    path.write_text(path.read_text() + f"\n[forecast]\ntopic = {topic}\n")
    assert f"[forecast] topic: {topic!r} is also [mqtt] {other}" in problems_of(path)


@pytest.mark.parametrize(("topic", "other"), [("regul/vload/ECS", "a topic [ecs] reads (its device's answers)"),
                                              ("cmnd/radiator/POWER", "[radiator] topic_set_power"),
                                              ("smeter/pzem/ECS", "[ecs] topic_read_power")])
def test_the_forecast_topic_must_not_be_a_loads_topic(tmp_path: Path, topic: str, other: str) -> None:
    # Only the [mqtt] topics were compared: the heater's own meter named there passed --check, and each of its
    # readings, every 2 s, was refused as a forecast with a warning, the status saying a forecast error for good.
    path = with_lines(write_config(tmp_path), "topic_set_power = regul/vload/ECS/cmd\n",
                      "topic_read_power = smeter/pzem/ECS\n")
    path.write_text(path.read_text() + f"\n[forecast]\ntopic = {topic}\n")
    assert f"[forecast] topic: {topic!r} is also {other}" in problems_of(path)


def test_a_forecast_topic_with_a_wildcard_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text() + "\n[forecast]\ntopic = weather/+/pv\n")
    assert "[forecast] topic:" in problems_of(path)


def test_distinct_topics_are_fine(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path))
    assert not [w for w in settings.warnings if "topic" in w]


def test_send_domoticz_without_an_idx_warns(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, extra="\n[domoticz]\nsend_domoticz = true\n"))
    assert any("[domoticz] send_domoticz: is true but neither idx_grid nor idx_injection is set" in w
               for w in settings.warnings)
    quiet = load_settings(write_config(tmp_path, extra="\n[domoticz]\nsend_domoticz = true\nidx_grid = 5\n"))
    assert not [w for w in quiet.warnings if "send_domoticz" in w]


def test_absurdly_nested_relay_payload_is_not_a_crash(tmp_path: Path) -> None:
    # The force-switch check reads json_on as Domoticz JSON; json raises RecursionError on this one.
    path = field_config(tmp_path, radiator="domoticz_idx_force = 7\n")
    path.write_text(path.read_text().replace("json_on = ON", "json_on = " + "[" * 5000))
    assert load_settings(path).equipments[1].options["domoticz_idx_force"] == 7
