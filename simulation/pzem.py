"""Messages of the Wifi MQTT Energy Smartmeter (PZEM-004T v3, firmware 1.3a), byte for byte as PROTOCOL.md
shows them: Arduino `String(float)` numbers with two decimals, power clamped to >= 0."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PzemMeter", "pzem_boot"]

VOLTAGE_V = 231.4
FREQUENCY_HZ = 50.0
# The mains voltage moves a little at every reading (a real meter never sends the same bytes twice, even at
# 0 W: a repeat is a frozen meter's). A fixed pattern of 11 readings keeps replays reproducible; its volts
# and their text are made once (two meters, every period of a replay).
_VOLTAGES = [(volts, f"{volts:.2f}") for volts in (VOLTAGE_V + ((n * 4 + 5) % 11 - 5) * 0.07 for n in range(11))]
_FREQUENCY = f"{FREQUENCY_HZ:.2f}"


@dataclass(slots=True)
class PzemMeter:
    """One meter's readings; it keeps its energy counter running like the real module."""

    field: str = "power"  # the JSON key of the watts (`[mqtt] json_power`)
    energy_wh: float = 0.0
    readings: int = 0

    def reading(self, power_w: float, dt_s: float) -> str:
        """The reading published after `dt_s` seconds at `power_w` watts."""
        # (the firmware clamps: the consumption meter never shows export; max(0.0, power_w) by a comparison, as
        # max()'s call parses its keywords on Python 3.11, at every reading)
        power = power_w if power_w > 0.0 else 0.0
        self.energy_wh += power * dt_s / 3600.0
        voltage, voltage_text = _VOLTAGES[self.readings % 11]  # the first at 231.40 V
        self.readings += 1
        return (f'{{ "voltage": {voltage_text}, "current": {power / voltage:.2f}, '
                f'"{self.field}": {power:.2f}, "energy": {self.energy_wh:.2f}, '
                f'"frequency": {_FREQUENCY}, "powerfactor": 1.00, "ppm_err": 0}}')


def pzem_boot(meter_id: str, pzem_idx: int = 651, srate_ms: int = 2000) -> str:
    """The boot message (unquoted strings: not valid JSON, as the firmware sends it); `srate_ms`: how often it reads
    (the daemon warns of a meter that reads meter_timeout or more apart: the demo's reads faster)."""
    return (f'{{ "type": pzem, "id": {meter_id}, "fw_version": 1.3a, "chip_id": 1234567, '
            f'"pzem_version": v3, "srate": {srate_ms}, "pzem_idx1": {pzem_idx}, "pzem_idx2": {pzem_idx + 1}, '
            f'"DomoPubTimer": 0, "ip": 10.3.141.21}}')
