"""The seed rule's window: the heater's energy counted since the last night's check, and the window before it (for
the two-day threshold); rolled at each check, saved in the status file with the rule's own force, and taken back.
A mixin of SeedFallback (field/fallback_seed.py), which sets the state it declares."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from field.fallback_answers import VariatorAnswers
from field.fallback_resume import OwnForce
from values.saved_numbers import EPOCH_MAX_S, saved_energy, saved_epoch, saved_number
from values.shown import shown

# The rule's own lines, moved here with the code that writes them: the logger name is part of what the log shows (and
# of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.fallback_seed")


class SeedWindow:
    """The part of SeedFallback that keeps its window: its roll, its snapshot and its restore."""

    # The rule's state these use (set by SeedFallback.__init__, which says what each is).
    today_wh: float
    yesterday_wh: float
    window_start: float | None
    _window_stamped_here: bool
    checked_until: float | None
    full_in_window: bool
    _count_from: float
    _full_before: bool | None
    _own: OwnForce | None
    _variator: VariatorAnswers
    _saved_check_at_hour: int | None

    def _roll(self, yesterday_wh: float, count_from: float, window_start: float) -> None:
        """A new window from `window_start`, the closed one's energy `yesterday_wh`; the heater's energy counted
        from `count_from` (the end of the rule's own force). Not before the closed one's start when this run's clock
        stamped that: a Pi started on 1970 and set by NTP at 14:00 skipped the night's check (13 h late), and the
        next window, from 01:00, took the jump's 13 h for counted ones: a 7 kWh force from the grid the next night."""
        if self._window_stamped_here and self.window_start is not None and self.window_start > window_start:
            window_start = self.window_start
        self.yesterday_wh, self.today_wh = yesterday_wh, 0.0
        self.full_in_window = False
        self._count_from = count_from
        self.window_start, self._window_stamped_here = window_start, True

    def snapshot(self) -> dict[str, Any]:
        """What to persist across a restart (JSON-ready)."""
        return {"today_wh": round(self.today_wh, 1), "yesterday_wh": round(self.yesterday_wh, 1),
                "window_start": self.window_start, "checked_until": self.checked_until,
                "count_from": self._count_from, "full_in_window": self.full_in_window,
                "own_force": self._own.snapshot() if self._own is not None else None,
                **self._variator.snapshot()}

    def restore(self, saved: Mapping[str, Any], heater_forced: bool = True) -> None:
        """Take back a snapshot; missing or malformed fields (not finite, a negative energy, a time
        outside 2000..2100) keep their defaults, with a warning. `heater_forced`: the same file has the heater
        forced (by the rule, or by another over it)."""
        def checked(key: str, parse: Callable[[Any], float | None]) -> float | None:
            value = saved.get(key)
            number = parse(value)
            if value is not None and number is None:
                log.warning("low-energy fallback: saved %s %s ignored (not a plausible value)", key, shown(value, 40))
            return number

        self.today_wh = checked("today_wh", saved_energy) or 0.0
        self.yesterday_wh = checked("yesterday_wh", saved_energy) or 0.0
        self.window_start, self._window_stamped_here = checked("window_start", saved_epoch), False
        self.checked_until = checked("checked_until", saved_epoch)
        # 0 is the value saved before the rule ever forced (count everything).
        self._count_from = checked("count_from", lambda v: saved_number(v, 0.0, EPOCH_MAX_S)) or 0.0
        self.full_in_window = saved.get("full_in_window") is True  # (absent or not a boolean: not seen)
        saved_hour = saved.get("check_at")  # (the status's, beside the snapshot: the hour the window was checked at)
        self._saved_check_at_hour = saved_hour if type(saved_hour) is int and 0 <= saved_hour <= 23 else None
        self._full_before = None
        self._own = _restored_own_force(saved.get("own_force"))
        # (the variator's answers judge its force resumed now or made before it is heard again: PySEB, just started,
        # has heard nothing from it yet)
        self._variator.restore(saved)
        if self._own is not None and not self._own.given_up and \
                (self.checked_until is None or self.checked_until < self._own.planned_end):
            # Saved before its planned end: PySEB stopped during it, and the heater drew nothing meanwhile. Owed as
            # one displaced: the first tick forces what is still missing while the night lasts, else credits only what
            # was drawn (restored with its remaining time, a stop from 02:00 to 03:00 left 2000 Wh of the 7000 credited
            # undrawn, and the next night's check took the water for hot). Not one the file has unforced and not owed
            # already (its command refused): that is the user's unforce, saved at once as an order before the rule's
            # tick saw it; owed, it was forced again from the grid. Cut, as that tick would have.
            if heater_forced or self._own.displaced:
                self._own.displaced = True
            else:
                self._own.cut = True


def _restored_own_force(saved: Any) -> OwnForce | None:
    """The rule's own force from a snapshot (absent in a file from before it was saved: none); a damaged one is
    dropped with a warning (the night's force then runs as restored, its rest not forced again)."""
    if saved is None:
        return None
    try:
        return OwnForce.from_snapshot(saved)
    except (KeyError, TypeError, ValueError):
        log.warning("low-energy fallback: saved own_force %s ignored (not a plausible value)", str(saved)[:200])
        return None
