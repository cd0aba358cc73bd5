"""Domoticz's domoticz/out updates as real bytes, shared by the Domoticz link's tests (test_domoticz,
test_domoticz_force_switch): the seed's water-heater mode selector, an On/Off switch, and their parsing."""

from __future__ import annotations

from integrations.domoticz import DomoticzDevice, parse_domoticz_out

# PROTOCOL.md: the seed's water-heater mode selector as Domoticz publishes it on domoticz/out.
SELECTOR = (b'{"Battery": 255, "RSSI": 12, "dtype": "Light/Switch", "id": "00014051", "idx": 338, '
            b'"name": "Automate_Cumulus", "nvalue": 2, "stype": "Selector Switch", "svalue1": "20", '
            b'"switchType": "Selector", "unit": 1, "LastUpdate": "2023-01-01 12:00:00"}')


def selector(level: int) -> bytes:
    return SELECTOR.replace(b'"svalue1": "20"', b'"svalue1": "%d"' % level).replace(
        b'"nvalue": 2', b'"nvalue": %d' % (2 if level else 0))


def switch(idx: int, on: bool) -> bytes:
    """An On/Off switch update, same shape as Domoticz's."""
    return (b'{"Battery": 255, "RSSI": 12, "dtype": "Light/Switch", "id": "00014052", "idx": %d, '
            b'"name": "Force_ECS", "nvalue": %d, "stype": "Switch", "switchType": "On/Off", "unit": 1, '
            b'"LastUpdate": "2023-01-01 12:00:00"}' % (idx, 1 if on else 0))


def device(payload: bytes) -> DomoticzDevice:
    parsed = parse_domoticz_out(payload)
    assert parsed is not None
    return parsed
