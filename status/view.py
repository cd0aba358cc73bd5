"""What the status document and its restore need of the regulator, as a protocol: the status layer works on
what the regulator hands it and never imports the regulator (a lower layer never imports a higher one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any, Protocol

from core.daily_report import DailyFigures
from core.meters import EnergyCounter, MeterState
from core.removed_counters import RemovedCounters
from equipments.base import Command, Equipment


class FieldStatus(Protocol):
    """The field features' part of the status document and of its restore."""

    def status(self) -> dict[str, Any]:
        """Top-level fields of the status document."""

    def load_status(self, load: Equipment) -> dict[str, Any]:
        """Per-load fields of the status document."""

    def restore(self, doc: dict[str, Any], saved_at: float, age_days: int, now: float) -> list[str]:
        """Restore the field features' state from `doc` (saved at `saved_at`, read at `now`); returns warnings."""

    def force_owner_gone(self, load: Equipment) -> str | None:
        """Why the restored force of `load` is not to be kept (made by a rule or a switch this config does not
        have), said after "its saved force was"; None to keep it."""

    @property
    def seed_night_check_hour(self) -> int | None:
        """The local hour of the seed's daily check (`check_at`) when it is a night one (a seed's status file saved
        before it holds the day before's counts); None for an evening check (one saved before it holds today's)."""

    def restore_settings(self, doc: dict[str, Any]) -> list[str]:
        """The settings `doc` holds (Home Assistant's force settings), kept whatever its date; returns warnings."""

    def restore_mode_off(self, doc: dict[str, Any]) -> str | None:
        """From a file whose date cannot be trusted, only the water heater's mode off (safe at any date); returns
        what was restored, None for nothing."""


class RegulatorView(Protocol):
    """The regulator's state read by build_status and written by restore_status (core.regulator.Regulator)."""

    @property
    def loads(self) -> Sequence[Equipment]:
        """The loads in priority order."""

    @property
    def loads_by_name(self) -> Mapping[str, Equipment]:
        """The same loads by name."""

    @property
    def consumption(self) -> MeterState:
        """The house meter."""

    @property
    def production(self) -> MeterState:
        """The PV meter."""

    @property
    def production_energy(self) -> EnergyCounter:
        """Today's and yesterday's production energy."""

    @property
    def tz(self) -> tzinfo | None:
        """The local time zone (None: the system's)."""

    @property
    def counted_day(self) -> str | None:
        """The local date (YYYY-MM-DD) the day's energies and figures are counted for: the clock's, but for the day
        of a file restored from ahead of a clock still behind, or the day before from a midnight to its roll (None
        before start)."""

    @property
    def energy_counted_since(self) -> float | None:
        """The instant (epoch s) the day's energies are counted from: the counted day's midnight, the start when the
        regulator started without that day's energies, a restored day's own (None before start)."""

    @property
    def stale_reason(self) -> str | None:
        """Why regulation is suspended, if it is."""

    @property
    def last_decision(self) -> str:
        """The last decision, as a line of text."""

    @property
    def lowered_gain(self) -> float | None:
        """The closed loop's gain while halved for an overshoot, else None."""

    @property
    def daily(self) -> DailyFigures:
        """The day's figures for the daily report."""

    @property
    def removed_counters(self) -> RemovedCounters:
        """The energy counters of the loads taken out of the config at a restart, kept by name for their day."""

    @property
    def field(self) -> FieldStatus:
        """The field features."""

    def resume_day(self, saved_at: float) -> None:
        """The restored day's figures are of the day of `saved_at`, a time ahead of the clock (the clock is
        behind): that day's midnight is the first to roll at, not the clock's."""

    def resume_counting_since(self, since: float | None) -> None:
        """The restored day's energies were counted from `since` (None: none restored, they count from the
        start)."""

    def switch_off_at_start(self, name: str, off: Command, starts: int, since: float) -> None:
        """Publish `off` at the start, before the loads' own commands: it switches off `name`, a load the config no
        longer has that was left on; sent at `starts` starts (this one included) since `since`."""

    def removed_off_starts(self, name: str, topic: str) -> tuple[int, float] | None:
        """The starts that sent the off of `name` (a load no longer configured, or a moved one's old device) on
        `topic` and the first one's time."""

    def pending_offs(self) -> Sequence[tuple[str, Command]]:
        """The offs (name, off) of loads the config no longer has, not known to have reached the broker yet."""
