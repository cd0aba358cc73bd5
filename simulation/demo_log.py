"""What the demo shows of the daemon besides the minute table: the house in one line, and the daemon's own
decision lines ("ecs: 0 W -> 1456 W (surplus ...)") read from its log as it writes them, with its warnings (one that
gives a command on the demo's own config noted as such)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from simulation.config_loads import LoadSpec

__all__ = ["DecisionLines", "describe_house"]

# A load's change as the daemon logs it: "<time> INFO    equipments.base: ecs: 0 W -> 1456 W (surplus ...)"
_DECISION = re.compile(r"^\S+ \S+ INFO\s+[\w.]+: (\S+: \d+ W -> \d+ W \(.*\))$")
# ... and the lines that explain them: what a switch measured, a tank found full (or not), the relays' figures (the
# table showed "towel: 0 W -> 271 W (..., power to be measured)" then "towel: 600 W -> 0 W": the 600 W unexplained).
_EXPLAINS = re.compile(r"^\S+ \S+ INFO\s+[\w.]+: (\S+: measured .*|\S+ (?:is full|may be full|is not full after all).*"
                       r"|\S+: (?:re-probe|shed by the guard|switching o(?:n|ff) (?:moved|did not move) the house).*)$")
# ... and every warning or error, which the table must not hide.
_PROBLEM = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL)\s+[\w.]+: (.*)$")
MAX_LINES_PER_MINUTE = 4  # at x30 a busy minute holds a dozen changes: the table stays readable
# The note under a warning that gives a command on the demo's own config (the example curve's: run the sweep with
# `-c /tmp/pyseb-demo-.../demo.ini`): a first run showed an action on a file the demo removes at its end.
DEMO_CONFIG_NOTE = ("(the demo's own config, removed at its end, and its heater believed at that example curve on "
                    "purpose; on your Pi, the same command with your config.ini)")


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

    def __init__(self, log_path: Path, demo_config: Path | None = None) -> None:
        self.path = log_path
        self._demo_config = f"-c {demo_config} " if demo_config is not None else None
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
        found: list[str] = []
        problems: list[str] = []
        for line in (ln.decode("utf-8", "replace") for ln in lines):
            if (decision := _DECISION.match(line) or _EXPLAINS.match(line)) is not None:
                found.append(decision[1])
            elif (problem := _PROBLEM.match(line)) is not None:
                problems.append(f"{problem[1]}: {problem[2]}")
                if self._demo_config is not None and self._demo_config in problem[2]:
                    problems.append(DEMO_CONFIG_NOTE)
        if len(found) > MAX_LINES_PER_MINUTE:
            more = len(found) - MAX_LINES_PER_MINUTE + 1
            found = [*found[:MAX_LINES_PER_MINUTE - 1], f"(+{more} more lines in the daemon's log)"]
        return found + problems  # (a warning is never cut: there are few, and each may matter)
