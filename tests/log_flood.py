"""The flood limiter's clock and the log lines it lets through, for the tests of what floods the log (test_shell_faults,
test_field_homeassistant_refusals)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from shell.loglimit import FloodLimiter


class Clock:
    """A FloodLimiter's clock the test moves by hand (`now`, s)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def lines_let_through(caplog: pytest.LogCaptureFixture, send: Callable[[], None]) -> list[str]:
    """The log lines a FloodLimiter (5 of a kind a minute) lets through while `send()` runs."""
    limiter = FloodLimiter(burst=5, window_s=60, clock=Clock())
    passed: list[str] = []
    handler = logging.Handler()
    handler.addFilter(limiter)
    handler.emit = lambda rec: passed.append(rec.getMessage())  # type: ignore[method-assign]
    caplog.set_level(logging.INFO)
    logging.getLogger().addHandler(handler)
    try:
        send()
    finally:
        logging.getLogger().removeHandler(handler)
    return passed
