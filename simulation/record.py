"""Collecting the periods of a run (replay or demo) into rows, with the regulator's belief and the oracle."""

from __future__ import annotations

import json
import logging
from array import array
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulation.metrics import PeriodRow
from simulation.oracle import OracleLoad, allocate

__all__ = ["Belief", "Raw", "Recorder"]

# time, production, consumption, then per load: command, believed watts, real watts (unrounded)
Raw = tuple[float, float, float, tuple[float, ...], tuple[float, ...], tuple[float, ...]]

log = logging.getLogger(__name__)


class Belief:
    """The watts the regulator believes each load draws, read from its latest status document."""

    def __init__(self, names: Sequence[str]) -> None:
        self._index = {name: i for i, name in enumerate(names)}
        self._watts: tuple[float, ...] = (0.0,) * len(names)
        self._latest: bytes | dict[str, Any] | None = None
        self._parsed: bytes | dict[str, Any] | None = None

    def offer(self, payload: str | bytes) -> None:
        """Keep a status payload; it is parsed only when read (most are superseded before that)."""
        self._latest = payload.encode() if isinstance(payload, str) else payload

    def take_document(self, document: dict[str, Any]) -> None:
        """Keep a status as its document (the real regulator in a replay hands it so: no JSON to decode)."""
        self._latest = document

    def watts(self) -> tuple[float, ...]:
        """Watts per load per the latest status (0 for a load it does not list)."""
        if self._latest is not None and self._latest is not self._parsed:
            self._parsed = self._latest
            try:
                doc = self._latest if isinstance(self._latest, dict) else json.loads(self._latest)
                watts = list(self._watts)
                for entry in doc.get("equipments", []):
                    i = self._index.get(str(entry.get("name", "")))
                    if i is not None:
                        watts[i] = float(entry.get("current_power", 0.0) or 0.0)
                self._watts = tuple(watts)
            except (ValueError, TypeError, AttributeError):
                log.warning("unreadable status document ignored: %.80r", self._latest)
        return self._watts


class Recorder:
    """Rows of a run, one per physical period; the oracle is worked out when the rows are asked for."""

    def __init__(self, names: Sequence[str], oracle_loads: Sequence[OracleLoad], period_s: float) -> None:
        self.names = tuple(names)
        self.period_s = period_s
        self._oracle_loads = list(oracle_loads)
        # A period's values flat in one array of C doubles: time, production, consumption, then per load its command,
        # commanded and real watts. A tuple of tuples a period took 600 bytes, 26 MB for a day at 2 s (Raw: 96).
        self._width = 3 + 3 * len(self.names)
        self._values = array("d")

    def add(self, time_s: float, production_w: float, consumption_w: float, command: Sequence[float],
            commanded_w: Sequence[float], real_w: Sequence[float]) -> None:
        """Record one period (rounding comes later, all at once)."""
        period = (time_s, production_w, consumption_w, *command, *commanded_w, *real_w)
        if len(period) != self._width:  # (a value missing or one too many would slip the table's rows)
            raise ValueError(f"a period of {len(self.names)} load(s) recorded with {len(command)}, {len(commanded_w)} "
                             f"and {len(real_w)} values")
        self._values.extend(period)

    def __len__(self) -> int:
        return len(self._values) // self._width

    def _table(self, count: int | None = None) -> np.ndarray:
        """The periods (the last `count`, else all) as a table, a row each: a copy, not a view, which would forbid
        the array to grow while it lives (BufferError at the next `add`)."""
        values = self._values if count is None else self._values[-count * self._width:]
        return np.array(values, dtype=np.float64).reshape(-1, self._width)

    def last(self, count: int) -> list[Raw]:
        """The unrounded values of the last `count` periods, for live display."""
        if count <= 0:
            return []
        loads = len(self.names)
        return [(row[0], row[1], row[2], tuple(row[3:3 + loads]), tuple(row[3 + loads:3 + 2 * loads]),
                 tuple(row[3 + 2 * loads:])) for row in self._table(count).tolist()]

    def rows(self) -> list[PeriodRow]:
        """All periods, watts rounded to 0.01 W, with the oracle's allocation (surplus = PV - house)."""
        if not self._values:
            return []
        count = len(self.names)
        table = self._table()
        times = table[:, 0].tolist()
        production = np.round(table[:, 1], 2)
        consumption = np.round(table[:, 2], 2)
        grid = np.round(consumption - production, 2)
        command = np.round(table[:, 3:3 + count], 2)
        believed = np.round(table[:, 3 + count:3 + 2 * count], 2)
        real = np.round(table[:, 3 + 2 * count:], 2)
        surplus = production - (consumption - real.sum(axis=1))
        oracle = np.round(np.array(allocate(surplus.tolist(), self._oracle_loads, self.period_s, times),
                                   dtype=float).reshape((len(times), count)), 2)
        return [PeriodRow(t, self.period_s, p, c, g, cmd, bel, rw, orc)
                for t, p, c, g, cmd, bel, rw, orc in zip(times, production.tolist(), consumption.tolist(),
                                                         grid.tolist(), _rows(command), _rows(believed),
                                                         _rows(real), _rows(oracle), strict=True)]


def _rows(table: np.ndarray) -> list[tuple[float, ...]]:
    """The rows of a 2-D table as tuples of floats (made from its columns: cheaper than a tuple per row)."""
    if table.shape[1] == 0:
        return [()] * table.shape[0]
    return list(zip(*table.T.tolist(), strict=True))
