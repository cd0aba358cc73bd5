"""Recorded day files as the recorder writes them, for the report's and the replay's tests (test_report_day,
test_short_day_plot, test_recorded_*): a row, a Paris time, the file, and the figure a plot saves."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.decisions import DecisionRecord
from recording.format import format_rows, header_text

PARIS = ZoneInfo("Europe/Paris")


def write_day(path: Path, records: Sequence[DecisionRecord], names: tuple[str, ...] = ("ecs", "radiator"),
              relays: tuple[bool, ...] = (False, True)) -> Path:
    """A day file as the recorder writes it (each row at the house's offset of its own instant; each row's drew_w the
    row before's believed_w, as the regulator records loads no reading measured)."""
    records = [replace(record, drew_w=(records[i - 1] if i else record).believed_w) for i, record in enumerate(records)]
    path.write_bytes(gzip.compress((header_text(names, relays, 10) + format_rows(records, PARIS)).encode()))
    return path


def rec(t: float, cons: float, prod: float, believed: tuple[float, float] = (0, 0),
        room: tuple[float, float] = (0, 0)) -> DecisionRecord:
    """A decision at `t` (epoch s): house `cons` and PV `prod` (W), each load's believed and room watts."""
    return DecisionRecord(t, cons, prod, tuple(1.0 if w else 0.0 for w in believed), believed, room, believed)


def paris(day: str, hhmm: str) -> float:
    """The instant (epoch s) of `day` (YYYY-MM-DD) at `hhmm` (HH:MM[:SS]) on a Paris clock."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=PARIS).timestamp()


def drawn_figure(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures `plot_report` saves, kept to read their axes back."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    saved: list[Any] = []
    real_savefig = Figure.savefig

    def keep(fig: Any, *args: Any, **kwargs: Any) -> None:
        saved.append(fig)
        real_savefig(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved
