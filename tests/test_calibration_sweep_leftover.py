"""A percent left retained on the variator's command topic (the seed published its percents retained): the variator
takes it again at each of its reconnects, so a sweep that ends at 0 % would leave the heater at it after a Wi-Fi
blip, with the regulator stopped for the sweep. The sweep clears it once the regulator's check has passed (offline,
not heard of, or `online` with --ignore-availability); a refused sweep clears nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import AVAILABILITY, CMD, SimulatedLoad, delivered, sweep, write_config

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)


def _retained_on_cmd(broker: PrivateBroker) -> list[str]:
    """What a variator subscribing now would be handed on its command topic."""
    fresh = MqttProbe(broker.host, broker.port, (CMD, "test/marker"))
    try:
        return [m.text for m in delivered(fresh).on(CMD) if m.retain]
    finally:
        fresh.close()


def test_a_retained_percent_is_cleared_and_said(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe.publish(CMD, "37.77734375", retain=True)  # the seed's fractional percent, retained
    assert _retained_on_cmd(broker) == ["37.77734375"]
    assert sweep(write_config(tmp_path, broker.port), tmp_path / "x.csv") == 0
    assert _retained_on_cmd(broker) == []
    said = capsys.readouterr().out
    assert f"a percent was left retained on {CMD} ('37.77734375'" in said and "cleared" in said


def test_another_retained_payload_is_only_said(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe.publish(CMD, "on", retain=True)  # not a percent: someone's word, left for them to clear
    assert sweep(write_config(tmp_path, broker.port), tmp_path / "x.csv") == 0
    assert _retained_on_cmd(broker) == ["on"]
    said = capsys.readouterr().out
    assert f"-r -n -t {CMD}" in said and "left as it is" in said


def test_a_retained_percent_is_left_while_the_regulator_is_online(broker: PrivateBroker, probe: MqttProbe,
                                                                  load: SimulatedLoad, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # Refused (the regulator online): the check sends nothing at all, its clearing included.
    probe.publish(CMD, "37.77734375", retain=True)
    probe.publish(AVAILABILITY, "online", retain=True)
    assert sweep(write_config(tmp_path, broker.port), tmp_path / "x.csv") == 2
    assert _retained_on_cmd(broker) == ["37.77734375"]
    assert "cleared" not in capsys.readouterr().out


def test_a_retained_percent_is_cleared_when_the_user_vouches_the_online_is_stale(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # --ignore-availability over a retained `online`: the user says no regulator drives the variator (PySEB never
    # retains its commands), so the sweep commands it, and the retained percent is cleared as when offline.
    probe.publish(CMD, "37.77734375", retain=True)
    probe.publish(AVAILABILITY, "online", retain=True)
    assert sweep(write_config(tmp_path, broker.port), tmp_path / "x.csv", "--ignore-availability") == 0
    assert _retained_on_cmd(broker) == []
    assert f"a percent was left retained on {CMD} ('37.77734375'" in capsys.readouterr().out
