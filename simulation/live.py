"""The demo's live lines: one per simulated minute, the minute's mean watts."""

from __future__ import annotations

from typing import TextIO

from simulation.house import SimHouse
from simulation.record import Recorder
from simulation.trace import Trace

__all__ = ["LiveLines"]


class LiveLines:
    """Prints `time  PV  house  <each load>  grid` every simulated minute (a header first)."""

    def __init__(self, house: SimHouse, trace: Trace, period_s: float, out: TextIO) -> None:
        self._house = house
        self._trace = trace
        self._out = out
        self._day0 = trace.day_start_s()
        self._last_minute: int | None = None
        self._printed_rows = 0
        self._header_done = False

    def due(self, time_s: float) -> bool:
        """True when `time_s` (end of a period) starts a new simulated minute."""
        minute = int((time_s - self._day0 + 1e-6) // 60)
        if self._last_minute is None:
            self._last_minute = minute
            return False
        if minute == self._last_minute:
            return False
        self._last_minute = minute
        return True

    def _header(self) -> str:
        cells = [f"{'time':<6}", f"{'PV W':>7}", f"{'house W':>8}"]
        for load in self._house.loads:
            label = f"{load.name} W" + (" (%)" if load.kind == "variable" else "")
            cells.append(f"{label:>{max(14, len(label) + 1)}}")
        cells.append(f"{'grid W':>8}")
        return " ".join(cells)

    def print(self, time_s: float, recorder: Recorder) -> None:
        """One line: the means of the periods recorded since the last line."""
        if not self._header_done:
            print(self._header(), file=self._out)
            self._header_done = True
        fresh = len(recorder) - self._printed_rows
        self._printed_rows = len(recorder)
        rows = recorder.last(fresh) if fresh > 0 else []
        if not rows:
            return
        count = len(rows)
        production = sum(r[1] for r in rows) / count
        house = sum(r[2] - sum(r[5]) for r in rows) / count
        grid = sum(r[2] - r[1] for r in rows) / count
        cells = [f"{self._trace.clock(time_s)[:5]:<6}", f"{production:>7.0f}", f"{house:>8.0f}"]
        for i, load in enumerate(self._house.loads):
            watts = sum(r[5][i] for r in rows) / count
            label = f"{load.name} W" + (" (%)" if load.kind == "variable" else "")
            width = max(14, len(label) + 1)
            text = f"{watts:.0f}" + (f" ({rows[-1][3][i]:.1f})" if load.kind == "variable" else "")
            cells.append(f"{text:>{width}}")
        cells.append(f"{grid:>8.0f}")
        print(" ".join(cells), file=self._out, flush=True)
