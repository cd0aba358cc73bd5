"""What every module of the sweep and the lag measure shares, and imports first: their refusal (SweepError), their
early end (SweepStopped) and a percent as the variator and the CSV take it. (Out of calibration.sweep_link and
calibration.sweep_measure, which still export them.)"""

from __future__ import annotations

__all__ = ["SweepError", "SweepStopped", "format_percent"]


class SweepError(RuntimeError):
    """The sweep cannot start (broker unreachable, regulator online, nothing to resume...)."""


class SweepStopped(Exception):
    """The sweep (or the lag measure: LagStopped) must end early, for the reason in the message."""


def format_percent(percent: float) -> str:
    """A percent as the variator and the CSV take it: `100.0`, `42.5`, `42.25`."""
    text = f"{percent:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
