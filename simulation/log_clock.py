"""The replay's log lines stamped with the replayed day's time, not the wall clock's: a decision logged at
`2022-03-19 12:28:06` says when in the day it happened (the replay runs a day in seconds)."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (types only: the command line makes a clock before it knows numpy is there)
    from simulation.replay import PublishFn, RegulatorFactory
    from simulation.replay_loop import RegulatorLike

__all__ = ["ReplayClock"]


class ReplayClock:
    """The time the replayed regulator was last given, and a log formatter that uses it."""

    def __init__(self) -> None:
        self.now: float | None = None  # None: no replay started yet (the config's own log lines)
        self.tz: tzinfo | None = None

    def starting(self, now: float, tz: tzinfo | None) -> None:
        """The replay about to start at `now`: the regulator's first lines (its loads' curves, the regulation), logged
        while it is built, are stamped with the replayed day's start, not the wall clock's date."""
        self.now, self.tz = now, tz

    def watching(self, make_regulator: RegulatorFactory) -> RegulatorFactory:
        """`make_regulator`, its regulator's handle and tick noting their `now` first."""
        def make(config_path: str, publish: PublishFn) -> RegulatorLike:
            regulator = make_regulator(config_path, publish)
            self.tz = getattr(regulator, "tz", None)
            return _Watched(regulator, self)
        return make

    def formatter(self, fmt: str) -> logging.Formatter:
        """A formatter stamping each line with the replayed time (local to the config's time zone)."""
        return _ReplayFormatter(fmt, self)


class _Watched:
    """A regulator whose clock the replay's log lines follow."""

    def __init__(self, regulator: RegulatorLike, clock: ReplayClock) -> None:
        self._regulator, self._clock = regulator, clock

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        self._clock.now = now
        self._regulator.handle(topic, payload, now)

    def tick(self, now: float) -> None:
        self._clock.now = now
        self._regulator.tick(now)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._regulator, name)


class _ReplayFormatter(logging.Formatter):
    def __init__(self, fmt: str, clock: ReplayClock) -> None:
        super().__init__(fmt)
        self._clock = clock

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        if self._clock.now is None:
            return super().formatTime(record, datefmt)
        return datetime.fromtimestamp(self._clock.now, self._clock.tz).strftime("%Y-%m-%d %H:%M:%S")
