"""What ends the lag measure while it waits for a house reading, its events scripted (no broker): since its wait takes
the sweep's dispatcher (calibration.tool_events) for the events every tool takes alike, a lost link and a variator's
reboot still stop it (the sweep measures its step again for either: a trial's timing is gone), with the words it had."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration.lag import LagMeasure, LagPlan, LagStopped
from calibration.sweep_config import load_sweep_target
from calibration.sweep_measure import Event
from tests.lag_support import write_lag_config

BOOTED = b'{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}'
GATED_OFF = b'{"percent": 30.00, "power": 0, "mode": 0, "state": "OFF", "msg": "off"}'
ECHO = b'{"percent": 30.00, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}'


def _stopped_by(tmp_path: Path, *events: tuple[str, object]) -> str:
    """Why the measure stops, its wait for a house reading given `events` (the last ends it)."""
    measure = LagMeasure(load_sweep_target(write_lag_config(tmp_path, 1), "ecs", house_meter=True), LagPlan())
    script = iter(events)

    def next_event(deadline: float) -> Event | None:
        kind, data = next(script)
        return kind, 0.0, data

    measure._next_event = next_event  # type: ignore[method-assign]
    with pytest.raises(LagStopped) as stopped:
        measure._next_reading(0.0)
    return str(stopped.value)


@pytest.mark.parametrize("kind,why", [("disconnected", "connection lost"), ("refused", "not authorised")])
def test_a_lost_link_stops_the_lag_measure(tmp_path: Path, kind: str, why: str) -> None:
    # (a reconnect's gap and the will's percent would read as the meter's lag)
    said = _stopped_by(tmp_path, ("availability", "offline"), ("connected", None), ("variator", ECHO), (kind, why))
    assert said == f"the connection to the broker was lost ({why})"


def test_a_variator_reboot_stops_the_lag_measure(tmp_path: Path) -> None:
    assert _stopped_by(tmp_path, ("variator", BOOTED)) == ("the variator rebooted (it runs at its default percent): "
                                                           "start again")


def test_the_regulator_online_a_stop_and_the_output_off_stop_it_as_before(tmp_path: Path) -> None:
    assert _stopped_by(tmp_path, ("availability", "online")) == "the regulator came online (regul/availability)"
    assert _stopped_by(tmp_path, ("stop", "stopped by SIGTERM")) == "stopped by SIGTERM"
    assert "the heater" in _stopped_by(tmp_path, ("variator", GATED_OFF))
