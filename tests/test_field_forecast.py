"""Forecasts in the regulator: the MQTT source through `handle`, a fetched forecast through `on_forecast`,
both in the status document; a replayed real day where the forecast changes the night's force; the
config of both sources."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from field.forecast import ForecastFailure, parse_owm_answer
from regulation import Regulator
from settings.config import load_settings
from settings.problems import ConfigError
from simulation.replay import PublishFn, replay
from tests.field_house import ECS_CMD, at, field_config, ticks
from tests.harness import Harness
from tests.owm_server import forecast_doc, utc
from tests.replay_days import write_config as replay_config

TOPIC = "forecast/tomorrow"
TRACE = Path(__file__).resolve().parent.parent / "simulation" / "traces" / "serf-east-2022-03-19.csv"


def forecast_config(tmp_path: Path, evaluate: str = "check_at = 23\n") -> Path:
    return field_config(tmp_path, evaluate=evaluate, extra=f"\n[forecast]\ntopic = {TOPIC}\n")


def saved_count(yesterday_wh: float, saved_at: float, loads: tuple[str, ...] = ("ecs",)) -> dict:
    """A status saved at `saved_at` whose seed rule counted `yesterday_wh` at the check an hour before."""
    return {"schema_version": 1, "date": int(saved_at), "equipments": [{"name": n, "energy": 0.0} for n in loads],
            "water_heater": {"name": "ecs", "seed_rule": {"yesterday_wh": yesterday_wh, "window_start": saved_at
                                                          - 3600, "checked_until": saved_at}}}


def test_the_mqtt_forecast_decides_the_night_and_shows_in_the_status(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(forecast_config(tmp_path))
    assert TOPIC in h.reg.subscriptions()
    h.reg.tick(at(2024, 1, 9, 23, 30))
    saved = saved_count(9500.0, at(2024, 1, 9, 23, 30), ("ecs", "radiator"))
    assert h.reg.restore(saved, at(2024, 1, 9, 23, 30)) == []
    ticks(h, at(2024, 1, 9, 23, 31), at(2024, 1, 10, 20))
    h.reg.handle(TOPIC, b'{"date": "2024-01-11", "clouds_percent": 10, "pv_wh": 14000}', at(2024, 1, 10, 20))
    # A forecast taken is published within a second: paced as any news from outside, and the silent meters' status
    # went out at this very tick (every status_interval while they suspend the regulation).
    h.reg.tick(at(2024, 1, 10, 20) + 1)
    doc = h.statuses()[-1]
    assert doc["forecast"]["mqtt"]["days"] == {"2024-01-11": {"clouds_percent": 10, "pv_wh": 14000,
                                                              "time": "2024-01-10T20:00:00+01:00"}}
    ticks(h, at(2024, 1, 10, 20, 1), at(2024, 1, 10, 23, 1))
    # Today 0 Wh, two days 9500 < 11000, sunny tomorrow: the smaller shortfall, 1500 Wh = 2700 s at 2000 W.
    assert h.last(ECS_CMD) == "100"
    assert h.load("ecs").force_end_at == pytest.approx(at(2024, 1, 10, 23) + 2700)
    doc = h.reg.status(at(2024, 1, 10, 23, 2))
    assert doc["CLOUD_forecast"] == 10
    assert doc["forecast"]["used"] == {"date": "2024-01-11", "clouds_percent": 10, "source": "mqtt",
                                       "time": "2024-01-10T20:00:00+01:00", "cause": None}
    assert "clouds 10 % on 2024-01-11 (mqtt); short today and over two days, sunny" in caplog.text


def test_an_mqtt_forecast_survives_a_restart(tmp_path: Path) -> None:
    # Published once at 20:00, not retained: the daemon restarted at 22:00 still has it at its 23:00 check.
    h = Harness(forecast_config(tmp_path))
    ticks(h, at(2024, 1, 9, 22), at(2024, 1, 10, 19), step_s=3600.0)  # (running since the day before: a whole window)
    h.reg.handle(TOPIC, b'{"date": "2024-01-11", "clouds_percent": 10, "pv_wh": 14000}', at(2024, 1, 10, 20))
    saved = h.reg.status(at(2024, 1, 10, 22))
    again = Harness(h.config)
    assert again.reg.restore(saved, at(2024, 1, 10, 22, 1)) == []
    ticks(again, at(2024, 1, 10, 22, 2), at(2024, 1, 10, 23, 1))
    used = again.reg.status(at(2024, 1, 10, 23, 2))["forecast"]["used"]
    assert used == {"date": "2024-01-11", "clouds_percent": 10, "source": "mqtt",
                    "time": "2024-01-10T20:00:00+01:00", "cause": None}


def test_saved_forecasts_are_checked_and_old_ones_dropped(tmp_path: Path) -> None:
    h = Harness(forecast_config(tmp_path))
    days = {"2024-01-11": {"clouds_percent": 10, "pv_wh": None, "time": "2024-01-10T20:00:00+01:00"},
            "2024-01-05": {"clouds_percent": 50, "pv_wh": None, "time": "2024-01-04T20:00:00+01:00"},  # too old
            "2024-01-12": {"clouds_percent": 250, "pv_wh": None, "time": "2024-01-10T20:00:00+01:00"},
            "2024-01-13": {"clouds_percent": 20, "pv_wh": None, "time": "2024-01-11T20:00:00+01:00"},  # future
            "tomorrow": {"clouds_percent": 20, "pv_wh": None, "time": "2024-01-10T20:00:00+01:00"},
            "2024-01-14": "sunny"}
    saved = {"schema_version": 1, "date": int(at(2024, 1, 10, 22)), "equipments": [],
             "forecast": {"mqtt": {"days": days}}}
    warnings = [w for w in h.reg.restore(saved, at(2024, 1, 10, 22, 1)) if "forecast" in w]
    assert len(warnings) == 4 and all(w.startswith("status file's forecast for ") for w in warnings)
    assert "'2024-01-12' ignored: `clouds_percent` must be a number from 0 to 100, got 250" in warnings[0]
    assert "after now" in warnings[1] and "YYYY-MM-DD" in warnings[2] and "not an object" in warnings[3]
    assert list(h.reg.status(at(2024, 1, 10, 22, 2))["forecast"]["mqtt"]["days"]) == ["2024-01-11"]


def test_no_forecast_restored_without_a_forecast_topic(tmp_path: Path) -> None:
    h = Harness(forecast_config(tmp_path))
    h.reg.handle(TOPIC, b'{"date": "2024-01-11", "clouds_percent": 10}', at(2024, 1, 10, 20))
    saved = h.reg.status(at(2024, 1, 10, 22))
    (tmp_path / "plain").mkdir()
    plain = Harness(field_config(tmp_path / "plain"))
    assert plain.reg.restore(saved, at(2024, 1, 10, 22, 1)) == []
    assert plain.reg.status(at(2024, 1, 10, 22, 2))["forecast"]["mqtt"]["days"] == {}


def test_without_a_forecast_the_seed_counts_100_percent(tmp_path: Path) -> None:
    h = Harness(forecast_config(tmp_path))
    ticks(h, at(2024, 1, 9, 22), at(2024, 1, 10, 23, 1))
    assert h.load("ecs").force_end_at == pytest.approx(at(2024, 1, 10, 23) + 12600)  # 7000 Wh at 2000 W
    used = h.reg.status(at(2024, 1, 10, 23, 2))["forecast"]["used"]
    assert used["source"] == "default" and used["clouds_percent"] == 100
    assert used["cause"] == "no forecast received for that day"


def test_a_bad_forecast_message_changes_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(forecast_config(tmp_path))
    h.reg.tick(at(2024, 1, 10, 12))
    before = h.reg.status(at(2024, 1, 10, 12))
    sent = len(h.sent)
    caplog.set_level(logging.WARNING)
    h.reg.handle(TOPIC, b'{"date": "tomorrow", "clouds_percent": 10}', at(2024, 1, 10, 12))
    after = h.reg.status(at(2024, 1, 10, 12))
    assert after["forecast"]["mqtt"]["error"] == "`date` must be a local date as YYYY-MM-DD, got 'tomorrow'"
    after["forecast"]["mqtt"]["error"] = None
    assert after == before and len(h.sent) == sent
    assert [r.getMessage() for r in caplog.records] == [
        "forecast message on forecast/tomorrow refused: `date` must be a local date as YYYY-MM-DD, got 'tomorrow'"]


def test_a_fetched_forecast_is_published_in_the_status(tmp_path: Path) -> None:
    h = Harness(forecast_config(tmp_path))
    now = at(2024, 1, 10, 22, 10)
    h.reg.tick(now)
    doc = forecast_doc(utc(2024, 1, 10, 0), lambda t: 30)
    h.reg.on_forecast(parse_owm_answer(200, json.dumps(doc).encode(), now), now)
    owm = h.statuses()[-1]["forecast"]["openweathermap"]
    assert owm["time"] == "2024-01-10T22:10:00+01:00" and owm["entries"] == 40
    h.reg.on_forecast(ForecastFailure("HTTP 401: Invalid API key.", now + 60), now + 60)
    owm = h.statuses()[-1]["forecast"]["openweathermap"]
    assert owm["error"] == "HTTP 401: Invalid API key." and owm["time"] == "2024-01-10T22:10:00+01:00"


@pytest.mark.parametrize("fetched_at, source", [
    (at(2024, 1, 10, 22, 10), "openweathermap"),  # the round before the check: 51 min old
    (at(2024, 1, 9, 22, 10), "openweathermap"),  # the last good one, every try of tonight's round failed: a day old
    (at(2024, 1, 8, 12), "default"),  # 2.5 days old: its days are covered still, but not its sky
])
def test_a_fetched_forecast_too_old_does_not_decide_the_night(tmp_path: Path, fetched_at: float, source: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(forecast_config(tmp_path))
    h.reg.tick(at(2024, 1, 8, 11))
    doc = forecast_doc(utc(2024, 1, 8, 0), lambda t: 10)  # 5 days of clear sky from the 8th: the 11th covered
    h.reg.on_forecast(parse_owm_answer(200, json.dumps(doc).encode(), fetched_at), fetched_at)
    ticks(h, at(2024, 1, 8, 11, 1), at(2024, 1, 10, 23, 1))
    used = h.reg.status(at(2024, 1, 10, 23, 2))["forecast"]["used"]
    assert (used["date"], used["source"]) == ("2024-01-11", source)
    if source == "default":
        assert used["clouds_percent"] == 100
        assert "fetched at 2024-01-08T12:00:00+01:00 is 59 h old: a check uses one up to 36 h old" in used["cause"]


# --- a replayed real day ---------------------------------------------------------------------------------

class WithForecast:
    """The real regulator, told yesterday's energy by a restored status, and a forecast at 20:00."""

    def __init__(self, config_path: str, publish: PublishFn, deliver: Callable[[Regulator, float], None]) -> None:
        self.reg = Regulator.from_config(config_path, publish=publish)
        self.deliver = deliver
        self.delivered = False
        self.restored = False

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        if not self.restored:
            self.restored = True
            assert self.reg.restore(saved_count(6000.0, now), now) == []
        if not self.delivered and now >= at(2022, 3, 19, 20):
            self.delivered = True
            self.deliver(self.reg, now)
        self.reg.handle(topic, payload, now)

    def tick(self, now: float) -> None:
        self.reg.tick(now)


def replay_day(tmp_path: Path, deliver: Callable[[Regulator, float], None]) -> Regulator:
    config = replay_config(tmp_path, "ecs = variable")
    # A grey March day: the real day's production at 20 %.
    rows = TRACE.read_text().splitlines()
    trace = tmp_path / "grey.csv"
    trace.write_text("\n".join([rows[0]] + [f"{t},{float(pv) * 0.2:g},{house}" for t, pv, house in
                                             (r.split(",") for r in rows[1:])]) + "\n")
    # (meters every 10 s, for a whole day's replay in little time: a meter_timeout above it, as the daemon needs)
    text = config.read_text().replace("meter_timeout = 10\n", "meter_timeout = 30\ntimezone = Europe/Paris\n"
                                      "check_at = 23\n").replace("[simulation]\nperiod = 2\n",
                                                                 f"[forecast]\ntopic = {TOPIC}\n\n"
                                                                 "[simulation]\nperiod = 10\n")
    config.write_text(text)
    holder: list[WithForecast] = []

    def make(path: str, publish: PublishFn) -> WithForecast:
        holder.append(WithForecast(path, publish, deliver))
        return holder[0]

    replay(config, trace, "00:00", "23:59", make_regulator=make)
    return holder[0].reg


def test_a_replayed_day_where_the_forecast_changes_the_night_s_force(tmp_path: Path) -> None:
    def nothing(reg: Regulator, now: float) -> None:
        pass

    def sunny(reg: Regulator, now: float) -> None:
        reg.handle(TOPIC, b'{"date": "2022-03-20", "clouds_percent": 5}', now)

    def owm_cloudy(reg: Regulator, now: float) -> None:
        doc = forecast_doc(utc(2022, 3, 19, 21), lambda t: 90)
        reg.on_forecast(parse_owm_answer(200, json.dumps(doc).encode(), now), now)

    forces = {}
    for name, deliver in (("none", nothing), ("sunny", sunny), ("owm_cloudy", owm_cloudy)):
        directory = tmp_path / name
        directory.mkdir()
        reg = replay_day(directory, deliver)
        heater = reg.loads_by_name["ecs"]
        assert heater.forced_by == "seed_rule"
        seed = reg.status(at(2022, 3, 19, 23, 59))["water_heater"]["seed_rule"]
        forces[name] = (round(heater.force_end_at - at(2022, 3, 19, 23)), seed["yesterday_wh"],
                        reg.status(at(2022, 3, 19, 23, 59))["forecast"]["used"]["source"])
    # yesterday := today + the force: today's threshold when cloudy, the two-day one less 6000 when sunny.
    assert forces["none"][1] == forces["owm_cloudy"][1] == pytest.approx(7000, abs=1)
    assert forces["sunny"][1] == pytest.approx(5000, abs=1)
    none_s, sunny_s, cloudy_s = forces["none"][0], forces["sunny"][0], forces["owm_cloudy"][0]
    assert forces["none"][2] == "default" and forces["sunny"][2] == "mqtt" and forces["owm_cloudy"][2] == \
        "openweathermap"
    assert none_s == cloudy_s  # 90 % is as cloudy as no forecast: today's shortfall
    # Sunny tomorrow: only the two days' shortfall (11000 - 6000 - today) instead of today's (7000 - today).
    assert none_s - sunny_s == pytest.approx(3600 * 2000 / 2000, abs=1)
    assert 0 < sunny_s < none_s


# --- config ------------------------------------------------------------------------------------------------

def test_owm_config_problems(tmp_path: Path) -> None:
    path = field_config(tmp_path, extra="\n[openweathermap]\nkey = abc\nurl = ftp://example.org/x\n"
                                        "attempts = 10\nretry_interval_s = 1800\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = err.value.render()
    assert "[openweathermap] location: is required with a key" in text
    assert "[openweathermap] url: expected an http(s):// URL, got 'ftp://example.org/x'" in text
    assert "[openweathermap] attempts: 10 tries of 10 s 1800 s apart do not fit in the 50 min before check_at" \
        in text


@pytest.mark.parametrize(("url", "shown"), [
    ("api.openweathermap.org/data/2.5/forecast?q=Chambery&appid=0123456789abcdef",
     "expected an http(s):// URL, got 'api.openweathermap.org/data/2.5/forecast?q=Chambery&appid=***'"),
    ("https://[api.openweathermap.org/data/2.5/forecast?APPID=0123456789abcdef",
     "not a URL (Invalid IPv6 URL): 'https://[api.openweathermap.org/data/2.5/forecast?APPID=***'"),
    ("api.openweathermap.org/0123456789abcdef/forecast", "got 'api.openweathermap.org/***/forecast'")])
def test_an_owm_url_refused_does_not_show_the_key(tmp_path: Path, url: str, shown: str) -> None:
    # OWM's example request pasted without its scheme: the refusal printed the key, on --check and in the journal.
    path = field_config(tmp_path, extra=f"\n[openweathermap]\nkey = 0123456789abcdef\nlocation = Chambery,FR\n"
                                        f"url = {url}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = err.value.render()
    assert shown in text and "0123456789abcdef" not in text


@pytest.mark.parametrize(("url", "said"), [("https://[api.openweathermap.org/data/2.5/forecast", "Invalid IPv6 URL"),
                                           ("https://api.openweathermap.org:99999/data/2.5/forecast", "out of range")])
def test_an_owm_url_urllib_cannot_split_is_a_config_problem(tmp_path: Path, url: str, said: str) -> None:
    # A bracket typo raised "ValueError: Invalid IPv6 URL" out of --check and the start (a traceback, exit 1, and a
    # restart loop under systemd); a port over 65535 passed, and Linux wrapped it to another at the fetch.
    path = field_config(tmp_path, extra=f"\n[openweathermap]\nkey = abc\nlocation = Chambery,FR\nurl = {url}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = err.value.render()
    assert "[openweathermap] url: not a URL (" in text and said in text and url in text


def test_a_pv_share_without_a_pv_forecast_is_warned(tmp_path: Path) -> None:
    # OpenWeatherMap gives no PV: without a [forecast] topic the share counted nothing, every night, unsaid.
    deadline = "\n[fallback]\nmin_energy_wh = 3000\ndeadline_pv_share = 0.5\n"
    warned = [w for w in load_settings(field_config(tmp_path, extra=deadline)).warnings if "deadline_pv_share" in w]
    assert len(warned) == 1 and "no [forecast] topic gives a PV forecast" in warned[0]
    with_topic = field_config(tmp_path, extra=deadline + "\n[forecast]\ntopic = forecast/tomorrow\n")
    assert not any("deadline_pv_share" in w for w in load_settings(with_topic).warnings)


def test_owm_settings_never_show_the_key(tmp_path: Path) -> None:
    path = field_config(tmp_path, extra="\n[openweathermap]\nkey = s3cr3t-k3y\nlocation = Chambery,FR\n")
    owm = load_settings(path).field.forecast.owm
    assert owm is not None and owm.url == "https://api.openweathermap.org/data/2.5/forecast"
    assert "s3cr3t-k3y" not in repr(owm)


def test_plain_http_to_another_host_is_warned_about(tmp_path: Path) -> None:
    path = field_config(tmp_path, extra="\n[openweathermap]\nkey = k\nlocation = Chambery,FR\n"
                                        "url = http://api.openweathermap.org/data/2.5/forecast\n")
    assert any("[openweathermap] url: plain http: the API key would travel unencrypted" in w
               for w in load_settings(path).warnings)
    path.write_text(path.read_text().replace("api.openweathermap.org", "127.0.0.1:8080"))
    assert not [w for w in load_settings(path).warnings if "openweathermap" in w]
