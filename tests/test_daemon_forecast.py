"""The daemon with OpenWeatherMap configured, against a local HTTP server on a loopback port: a server
that never answers does not delay a decision nor the stale-meter guard; a good answer reaches the status
through the main loop; the key is never logged; nothing is fetched when no rule reads the forecast."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from localbroker import PrivateBroker
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe
from tests.owm_server import Answer, OwmServer, fixture, serving
from tests.test_daemon import AVAIL, RADIATOR, feed

KEY = "0123456789abcdef-never-logged"


@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(Answer(hang=True))


# The seed rule, the forecast's one reader, on the radiator: without a water heater nothing is fetched.
READER = "\n[fallback]\nwater_heater = radiator\n"


def start(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe, server: OwmServer,
          timeout_s: float, after: int = 0, fallback: str = READER) -> DaemonProcess:
    extra = (f"\n[openweathermap]\nkey = {KEY}\nlocation = Chambery,FR\nurl = {server.url}\n"
             f"timeout_s = {timeout_s}\nattempts = 1\n{fallback}")
    config = write_config(tmp_path, ("radiator",), port=broker.port, period=0.2, meter_timeout=1.5, extra=extra)
    # (the check 12 h away, on the zone's clock: the daemon's is the real one, and with check_at 1 a run in the hour
    # before it or the 3 h after it made the fetch at start a round for that check, its log and its tries another's)
    far_off = (datetime.now(ZoneInfo("Europe/Paris")).hour + 12) % 24
    config.write_text(config.read_text().replace("timezone = Europe/Paris", f"timezone = Europe/Paris\ncheck_at = "
                                                                            f"{far_off}", 1))
    proc = DaemonProcess(config)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15, after=after)
    except TimeoutError:
        proc.close()
        pytest.fail(f"daemon did not come online; its output:\n{proc.output}")
    return proc


def test_a_server_that_never_answers_delays_nothing(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe,
                                                    server: OwmServer) -> None:
    daemon = start(tmp_path, broker, probe, server, timeout_s=60)
    try:
        deadline = time.monotonic() + 10
        while not server.requests:  # the fetch at start is under way, and will hang for 60 s
            assert time.monotonic() < deadline, daemon.output
            time.sleep(0.05)
        for consumption_w, production_w, expected in ((300, 1800, "ON"), (1500, 1000, "OFF"), (300, 1800, "ON")):
            mark = probe.mark()
            sent_at = time.monotonic()
            feed(probe, consumption_w, production_w)
            probe.wait_for(RADIATOR, lambda m, e=expected: m.text == e, after=mark, timeout_s=2)
            assert time.monotonic() - sent_at < 1.0  # decided at once, not after the fetch
            time.sleep(0.25)
        mark = probe.mark()
        silent_at = time.monotonic()
        probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark, timeout_s=5)  # the stale-meter guard
        assert time.monotonic() - silent_at < 3.0
        status = json.loads(probe.wait_for("regul/status", after=mark).text)
        assert status["state"] == "stale" and status["forecast"]["openweathermap"] == {"enabled": True}
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    assert KEY not in daemon.output


def test_a_fetched_forecast_reaches_the_status(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe,
                                               server: OwmServer) -> None:
    server.serve(Answer(200, fixture("forecast-chambery-2026-06-26T12.json")))
    daemon = start(tmp_path, broker, probe, server, timeout_s=5)
    try:
        msg = probe.wait_for("regul/status", lambda m: "entries" in json.loads(m.text)["forecast"]["openweathermap"],
                             timeout_s=10)
        owm = json.loads(msg.text)["forecast"]["openweathermap"]
        assert owm["entries"] == 40 and owm["until_utc"] == "2026-07-01T09:00:00+00:00"
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    assert "forecast from openweathermap: 40 entries from 2026-06-26 12:00 to 2026-07-01 09:00 UTC" in daemon.output
    assert KEY not in daemon.output


def test_a_restart_soon_after_a_fetch_does_not_fetch_again(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe,
                                                           server: OwmServer) -> None:
    # A daemon in a restart loop (systemd's Restart=) asked OWM at every start: the forecast is kept in the status file.
    server.serve(Answer(200, fixture("forecast-chambery-2026-06-26T12.json")))
    for run in (1, 2):
        mark = probe.mark()
        daemon = start(tmp_path, broker, probe, server, timeout_s=5, after=mark)
        try:
            msg = probe.wait_for("regul/status", lambda m: "time" in json.loads(m.text)["forecast"]["openweathermap"],
                                 timeout_s=10, after=mark)
            kept = json.loads(msg.text)["forecast"]["openweathermap"]
            if run == 2:
                time.sleep(0.5)  # (a fetch at start would have been asked by now)
            assert daemon.terminate() == 0
        finally:
            daemon.close()
        if run == 1:
            fetched_at = kept["time"]
    assert len(server.requests) == 1 and kept["time"] == fetched_at
    assert "forecast: no fetch at start: the one kept from the status file was fetched 0 min ago" in daemon.output


def test_a_restart_while_the_server_asks_to_wait_does_not_ask(tmp_path: Path, broker: PrivateBroker,
                                                              probe: MqttProbe, server: OwmServer) -> None:
    # A daemon restarted every few seconds asked a rate-limited OWM at every start: its 429 is kept in the status file.
    server.serve(Answer(429, b'{"cod": 429, "message": "limited"}', headers={"Retry-After": "600"}))
    for run in (1, 2):
        mark = probe.mark()
        daemon = start(tmp_path, broker, probe, server, timeout_s=5, after=mark)
        try:
            msg = probe.wait_for("regul/status",
                                 lambda m: "ask_again_after" in json.loads(m.text)["forecast"]["openweathermap"],
                                 timeout_s=10, after=mark)
            if run == 2:
                time.sleep(0.5)  # (a fetch at start would have been asked by now)
            assert daemon.terminate() == 0
        finally:
            daemon.close()
    assert len(server.requests) == 1, daemon.output
    assert "HTTP 429: limited" in json.loads(msg.text)["forecast"]["openweathermap"]["error"]
    assert "forecast: no fetch at start: the last fetch, 0 min ago, failed (HTTP 429: limited)" in daemon.output
    assert KEY not in daemon.output and KEY not in (tmp_path / "status.json").read_text()


@pytest.mark.parametrize(("fallback", "why"), [
    ("", "there is no water heater for it"),
    (READER + "seed_rule = false\n", "[fallback] seed_rule = false"),
    (READER + "\n[domoticz]\necs_mode_default = solar\n", "which never forces: the water heater's mode is solar"),
], ids=["no water heater", "seed rule off", "mode solar for good"])
def test_a_forecast_no_rule_reads_is_not_fetched(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe,
                                                 server: OwmServer, fallback: str, why: str) -> None:
    # Fetched for nobody (no water heater for the seed rule, the rule off, or a mode that excludes it which nothing
    # changes), it spent a free key's counted calls at every start and every night.
    server.serve(Answer(200, fixture("forecast-chambery-2026-06-26T12.json")))
    daemon = start(tmp_path, broker, probe, server, timeout_s=5, fallback=fallback)
    try:
        status = json.loads(probe.wait_for("regul/status", timeout_s=10).text)
        time.sleep(1.0)  # (a fetch at start is asked within milliseconds of it)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    assert server.requests == [], daemon.output
    assert status["forecast"]["openweathermap"] == {"enabled": False}
    assert "forecast: [openweathermap] is not fetched: its one reader is the seed rule, " in daemon.output
    assert why in daemon.output
