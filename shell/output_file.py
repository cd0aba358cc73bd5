"""A tool's output file must not be one of its inputs: `replay --log day.csv` on the trace day.csv, or
`calibration fit sweep.csv --output sweep.csv`, overwrote the recorded day or the hour-long sweep without a
word."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def overwritten_input(output: Path, inputs: Iterable[Path]) -> Path | None:
    """The input that writing `output` would overwrite (the same file, by any name or link), or None."""
    for given in inputs:
        try:
            if output.exists() and given.exists() and output.samefile(given):
                return given
        except OSError:  # (unreadable: the write itself will say so)
            continue
        if output.resolve() == given.resolve():
            return given
    return None
