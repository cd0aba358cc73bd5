"""The day a restored status is of: the day its energies and figures were counted for, and since when they were
counted (Home Assistant's last_reset), from the saved file (status.restore calls these)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from values.local_time import local_instant
from values.shown import shown

if TYPE_CHECKING:
    from status.view import RegulatorView


def figures_day(doc: dict[str, Any], saved_day: date) -> date:
    """The day a file's energies and figures are of: the date of its `report_today`, the day the regulator counted,
    when it is `saved_day` (the day of the file's time) or one either side; else `saved_day` (the seed's file, an
    older one's, a hand edit). Either side: a file saved by a clock behind a day restored from ahead of it (a Pi
    booted at 23:30 by its clock on a file of 00:05, before NTP: its saves at 23:45 hold the new day's figures,
    restored after NTP as yesterday's, half an hour of it then published, retained, over the day before's report),
    or saved between a midnight and the timers' roll (the past day's figures, restored as today's)."""
    report = doc.get("report_today")
    text = report.get("date") if isinstance(report, dict) else None
    try:
        day = date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return saved_day
    return day if day is not None and abs((day - saved_day).days) <= 1 else saved_day


def counted_since(doc: dict[str, Any], day: date, reg: RegulatorView, warnings: list[str]) -> float:
    """When the restored energies of `day` were counted from (epoch s): the file's energy_counted_since when it is an
    instant of that day (its midnight, or a start without the day's figures), else the day's midnight: a file
    without it (saved by an earlier PySEB, the seed's status.ini) or, with a warning, one with something else. Home
    Assistant's last_reset: the restored day must keep the one HA saw, or HA counts it again from 0."""
    midnight_at = local_instant(day, time.min, reg.tz)
    saved = doc.get("energy_counted_since")
    if saved is None:
        return midnight_at
    try:
        moment = datetime.fromisoformat(saved) if isinstance(saved, str) else None
    except ValueError:
        moment = None
    since = moment.timestamp() if moment is not None and moment.utcoffset() is not None else None
    if since is not None and midnight_at <= since < local_instant(day + timedelta(days=1), time.min, reg.tz):
        return since
    warnings.append(f"status file's energy_counted_since {shown(saved, 40)} is not an instant of {day} with its "
                    "UTC offset: the day's energies taken as counted since its midnight")
    return midnight_at
