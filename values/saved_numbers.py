"""A number read back from a saved status file (outside data: a disk error, a hand edit, another version), taken
only when it is plausible: the fallback rules' windows, the loads' energies and forces, the file's own date."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from values.numbers import finite_json_float

# A saved time outside these years is a damaged file, not a date: 1e20 or inf would overflow every
# datetime conversion (the status document's, the rules'), and 0 or a negative one means nothing here.
EPOCH_MIN_S = 946_684_800.0  # 2000-01-01 UTC
EPOCH_MAX_S = 4_102_444_800.0  # 2100-01-01 UTC


def saved_number(value: Any, low: float = -math.inf, high: float = math.inf) -> float | None:
    """`value` from a status file as a float when it is a finite number in [low, high], else None
    (JSON reads NaN and 1e400 = inf: neither may reach a counter or the published status)."""
    number = finite_json_float(value)
    return number if number is not None and low <= number <= high else None


def saved_epoch(value: Any) -> float | None:
    """A saved time (epoch seconds) when it is a plausible one (years 2000 to 2100), else None."""
    return saved_number(value, EPOCH_MIN_S, EPOCH_MAX_S)


def unset_clock_epoch(value: Any) -> float | None:
    """A saved time before 2000 (epoch seconds, not negative): the clock of a machine not set yet (a Raspberry Pi
    without a clock chip boots on 1970 until NTP sets it, and saves its status meanwhile), else None."""
    number = saved_number(value, 0.0, EPOCH_MIN_S)
    return number if number is not None and number < EPOCH_MIN_S else None


def saved_energy(value: Any) -> float | None:
    """A saved energy (Wh) when it is finite and not negative, else None."""
    return saved_number(value, 0.0)


def saved_instant(text: Any) -> float:
    """A saved ISO 8601 time (the status document's `time`s) as epoch seconds; ValueError when it is not one, or not
    a plausible time (years 2000 to 2100: one of year 1 or 9999, restored, overflowed the status document's own
    rendering in a zone away from UTC, and no status was published nor saved again)."""
    epoch = saved_epoch(datetime.fromisoformat(str(text)).timestamp())
    if epoch is None:
        raise ValueError(f"{str(text)[:40]!r} is not a time from 2000 to 2100")
    return epoch
