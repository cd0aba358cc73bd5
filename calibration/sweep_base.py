"""What every module of the sweep and the lag measure shares, and imports first: their refusal (SweepError) and a
percent as the variator and the CSV take it. (Out of calibration.sweep_link, which still exports both.)"""

from __future__ import annotations

__all__ = ["SweepError", "format_percent"]


class SweepError(RuntimeError):
    """The sweep cannot start (broker unreachable, regulator online, nothing to resume...)."""


def format_percent(percent: float) -> str:
    """A percent as the variator and the CSV take it: `100.0`, `42.5`, `42.25`."""
    text = f"{percent:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
