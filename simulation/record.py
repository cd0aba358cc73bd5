"""Collecting the periods of a run (replay or demo) into rows, with the regulator's belief and the oracle."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
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
        # The real regulator keeps the document it publishes (`last_status`): reading it spares decoding
        # the JSON it was just encoded to, the replay's largest cost of its own.
        self.document_source: Callable[[], dict[str, Any] | None] | None = None

    def offer(self, payload: str | bytes) -> None:
        """Keep a status payload; it is parsed only when read (most are superseded before that)."""
        document = self.document_source() if self.document_source is not None else None
        if document is not None:
            self._latest = document
        else:
            self._latest = payload.encode() if isinstance(payload, str) else payload

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
        self._raw: list[Raw] = []

    def add(self, time_s: float, production_w: float, consumption_w: float, command: Sequence[float],
            commanded_w: Sequence[float], real_w: Sequence[float]) -> None:
        """Record one period (rounding comes later, all at once)."""
        self._raw.append((time_s, production_w, consumption_w, tuple(command), tuple(commanded_w),
                          tuple(real_w)))

    def __len__(self) -> int:
        return len(self._raw)

    def last(self, count: int) -> list[Raw]:
        """The unrounded values of the last `count` periods, for live display."""
        return self._raw[-count:] if count > 0 else []

    def rows(self) -> list[PeriodRow]:
        """All periods, watts rounded to 0.01 W, with the oracle's allocation (surplus = PV - house)."""
        if not self._raw:
            return []
        count = len(self.names)
        times = [r[0] for r in self._raw]
        production = np.round(np.array([r[1] for r in self._raw]), 2)
        consumption = np.round(np.array([r[2] for r in self._raw]), 2)
        grid = np.round(consumption - production, 2)
        shape = (len(self._raw), count)
        command = np.round(np.array([r[3] for r in self._raw], dtype=float).reshape(shape), 2)
        believed = np.round(np.array([r[4] for r in self._raw], dtype=float).reshape(shape), 2)
        real = np.round(np.array([r[5] for r in self._raw], dtype=float).reshape(shape), 2)
        surplus = production - (consumption - real.sum(axis=1))
        oracle = np.round(np.array(allocate(surplus.tolist(), self._oracle_loads, self.period_s),
                                   dtype=float).reshape(shape), 2)
        return [PeriodRow(t, self.period_s, p, c, g, cmd, bel, rw, orc)
                for t, p, c, g, cmd, bel, rw, orc in zip(times, production.tolist(), consumption.tolist(),
                                                         grid.tolist(), _rows(command), _rows(believed),
                                                         _rows(real), _rows(oracle), strict=True)]


def _rows(table: np.ndarray) -> list[tuple[float, ...]]:
    """The rows of a 2-D table as tuples of floats (made from its columns: cheaper than a tuple per row)."""
    if table.shape[1] == 0:
        return [()] * table.shape[0]
    return list(zip(*table.T.tolist(), strict=True))
