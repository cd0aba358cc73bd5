"""Restarts for tests/test_properties_restart.py, on tests/property_house.py's houses: when and how the daemon restarts
(stopped or killed, after a gap, on what file), its saver on the simulated clock, the seed's format of a status, and
what a saved status says (its forces, its day, the reports published)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from status.saver import orders_of
from status.store import save_status
from tests.property_house import HEATERS, NOON, RELAYS, House

PARIS = ZoneInfo("Europe/Paris")
REPORT = "regul/report"
STATUS = "status.json"
# When the run starts: noon (restarts the same day), or just before midnight (a gap, or the run itself, across it).
STARTS = (NOON, NOON + 11 * 3600 + 45 * 60, NOON + 11 * 3600 + 58 * 60)
GAPS_S = (0.0, 5.0, 60.0, 900.0, 3600.0, 5 * 3600.0)
FILES = ("saved", "saved", "saved", "corrupt", "missing", "seed")


@dataclass(frozen=True)
class Restart:
    before: int  # the stretch of the script it comes before
    crash: bool  # killed (no stop: the file is the saver's last) rather than stopped
    gap_s: float
    file: str  # one of FILES: what the start finds
    # A force made just before it (load, watts, seconds or None: until unforced): forces with time left across it.
    force: tuple[str, int, int | None] | None


restarts = st.lists(st.builds(Restart, st.integers(0, 5), st.booleans(), st.sampled_from(GAPS_S),
                              st.sampled_from(FILES),
                              st.one_of(st.none(), st.tuples(st.sampled_from(sorted({*HEATERS, *RELAYS})),
                                                             st.sampled_from([0, 1000, 3000]),
                                                             st.sampled_from([None, 30, 600, 7200])))),
                    min_size=1, max_size=3)


class Saver:
    """The daemon's saver (status/saver.py) on the simulated clock: the last status published is written every
    status_time, and at once when its orders changed."""

    def __init__(self, path: Path, interval_s: float, now: float) -> None:
        self.path, self.interval_s = path, interval_s
        self.saved_at = now
        self.orders: tuple[Any, ...] = orders_of({})
        self.offered: dict[str, Any] | None = None

    def prime(self, on_disk: dict[str, Any] | None, now: float) -> None:
        self.orders, self.saved_at, self.offered = orders_of(on_disk or {}), now, None

    def offer(self, snapshot: dict[str, Any] | None, now: float) -> None:
        if snapshot is None or snapshot is self.offered:
            return
        self.offered = snapshot
        orders = orders_of(snapshot)
        if orders != self.orders or now - self.saved_at >= self.interval_s:
            save_status(self.path, snapshot)
            self.orders, self.saved_at = orders, now


def forces_of(doc: dict[str, Any], now: float) -> dict[str, tuple[Any, ...]]:
    """The forces in a status `doc` still running at `now` (one whose end passed is none: not restored), by load."""
    if "schema_version" not in doc:  # (the seed's file: its forces have no power, none is restored)
        return {}
    return {entry["name"]: (entry["forced_power"], entry["force_end"], entry.get("forced_by"))
            for entry in doc["equipments"]
            if entry["forced"] and (entry["force_end"] is None or entry["force_end"] > now)}


def local_day(at: float) -> str:
    return datetime.fromtimestamp(at, PARIS).date().isoformat()


def seed_of(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` as the seed's status.ini holds it (tests/data/seed-status.ini.example.json): no schema_version, no
    forced_power, no learned watts."""
    keep = ("date", "date_str", "power_consumption", "power_production", "power_equipments", "power_house", "grid",
            "injection", "production_energy", "ECS_energy_yesterday")
    seed = {key: doc[key] for key in keep if key in doc}
    seed["equipments"] = [{key: entry[key] for key in ("name", "current_power", "energy", "forced", "overed")}
                          for entry in doc["equipments"]]
    return seed


def reports(house: House, since: int) -> list[str]:
    """The daily reports published since `house.sent[since]`."""
    return [payload for _at, topic, payload in house.sent[since:] if topic == REPORT]


def saved_day_of(doc: dict[str, Any]) -> str:
    """The day a saved status's figures are of (status/restore_day.py): its report's, else its date's."""
    report = doc.get("report_today")
    return str(report["date"]) if isinstance(report, dict) else local_day(doc["date"])
