"""A duration as a log line says it: read at a glance, not counted in seconds."""

from __future__ import annotations

import pytest

from values.durations import spoken_duration


@pytest.mark.parametrize(("seconds", "said"), [
    (0.0, "0 s"), (0.4, "0 s"), (10.5, "10 s"), (59.6, "1 min 0 s"), (60.0, "1 min 0 s"), (130.0, "2 min 10 s"),
    (3599.0, "59 min 59 s"), (3600.0, "1 h 00 min"), (3600.0 * 5 + 7 * 60 + 40, "5 h 08 min"), (3599.6, "1 h 00 min"),
    (3600.0 * 50, "50 h 00 min"), (-3.0, "0 s"),
])
def test_a_duration_is_said_in_its_largest_units(seconds: float, said: str) -> None:
    assert spoken_duration(seconds) == said
