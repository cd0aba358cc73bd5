"""A variator's real response (percent -> watts), read from a measured calibration CSV."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ResponseCurve", "ResponseError", "read_response"]


class ResponseError(ValueError):
    """A calibration CSV that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class ResponseCurve:
    """Measured watts at each percent; between points, linear interpolation (no fit: this is the truth)."""

    path: str
    percents: tuple[float, ...]  # increasing
    watts: tuple[float, ...]

    @property
    def max_w(self) -> float:
        """The most this load can draw."""
        return max(self.watts)

    def watts_at(self, percent: float) -> float:
        """Real watts drawn at `percent` (clamped to the measured range)."""
        return float(np.interp(percent, self.percents, self.watts))


def _number(text: str) -> float:
    # The seed's tools wrote some files with a decimal comma ("42,5;980,25").
    return float(text.strip().replace(",", "."))


def read_response(path: str | Path) -> ResponseCurve:
    """Read `percent;watts` lines (decimal point or comma; an optional header line is skipped)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ResponseError(f"{name}: cannot read the calibration CSV: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ResponseError(f"{name}: not a UTF-8 text file") from None
    points: dict[float, list[float]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = line.split(";")
        try:
            if len(cells) != 2:
                raise ValueError
            percent, watts = _number(cells[0]), _number(cells[1])
        except ValueError:
            if number == 1 and not points:
                continue  # a header line such as "percent;watts"
            raise ResponseError(f"{name}:{number}: expected 'percent;watts', got {line.strip()!r}") from None
        if not (math.isfinite(percent) and math.isfinite(watts)) or not 0 <= percent <= 100 or watts < 0:
            raise ResponseError(f"{name}:{number}: percent must be 0..100 and watts >= 0, got {line.strip()!r}")
        points.setdefault(percent, []).append(watts)
    if len(points) < 2:
        raise ResponseError(f"{name}: needs at least two 'percent;watts' points, found {len(points)}")
    percents = sorted(points)
    # Repeated sweeps of one percent: their mean is the best guess of the truth.
    means = [sum(points[p]) / len(points[p]) for p in percents]
    return ResponseCurve(name, tuple(percents), tuple(means))
