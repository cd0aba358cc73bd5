"""What the demo shows of the daemon besides the minute table: the house in one line, and the daemon's own
decision lines ("ecs: 0 W -> 1456 W (surplus ...)") read from its log as it writes them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from simulation.config import LoadSpec

__all__ = ["DecisionLines", "describe_house"]

# A load's change as the daemon logs it: "<time> INFO    equipments.base: ecs: 0 W -> 1456 W (surplus ...)"
_DECISION = re.compile(r"^\S+ \S+ INFO\s+[\w.]+: (\S+: \d+ W -> \d+ W \(.*\))$")
MAX_LINES_PER_MINUTE = 4  # at x30 a busy minute holds a dozen changes: the table stays readable


def describe_house(loads: Sequence[LoadSpec]) -> str:
    """'The house: a water heater behind a variator (ecs), a radiator on a relay (1050 W), ...'."""
    parts = []
    for spec in loads:
        if spec.type == "variable":
            parts.append(f"a water heater behind a triac variator ({spec.name})")
        elif spec.type == "constant":
            parts.append(f"a {spec.name} on a relay ({spec.power_w:.0f} W)")
        else:
            parts.append(f"a {spec.name} on a relay, of unknown power (it really draws {spec.power_w:.0f} W; "
                         "the daemon learns it)")
    return "The house: " + ", ".join(parts) + ", in this priority order."


class DecisionLines:
    """New decision lines of the daemon's log since the last call (complete lines only)."""

    def __init__(self, log_path: Path) -> None:
        self.path = log_path
        self._offset = 0
        self._partial = b""

    def new(self) -> list[str]:
        """The decisions logged since the last call, at most MAX_LINES_PER_MINUTE (then '+N more')."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except OSError:
            return []
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        found = [m[1] for m in map(_DECISION.match, (ln.decode("utf-8", "replace") for ln in lines)) if m]
        if len(found) > MAX_LINES_PER_MINUTE:
            more = len(found) - MAX_LINES_PER_MINUTE + 1
            found = [*found[:MAX_LINES_PER_MINUTE - 1], f"(+{more} more changes in the daemon's log)"]
        return found
