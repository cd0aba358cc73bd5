"""A recorded day's file as a replay takes it (simulation/recorded.py makes a trace of a day's parts): its header and
four figures a decision (its time, the meters' watts, what the loads drew), where the file read holds every figure of
every decision; and the checks of a file a replay refuses. `tune` keeps a day's parts so, from its one read of each to
the daylight window of the day they make (about 1.4 MB a day at 2 s, where the day read takes 25 MB)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path

import numpy as np

from recording.format import RecordedDay, read_record
from simulation.trace import TraceError
from values.local_time import offset_hhmm

__all__ = ["RecordedPart", "check_one_day", "check_zone", "read_part", "recorded_part"]


@dataclass(frozen=True, slots=True)
class RecordedPart:
    """A recorded file's header and flags (`day`, its `records` left out) and, for each decision, its time (epoch s),
    its meters' watts and the sum of what the loads drew in its reading (DecisionRecord.drew_w)."""

    day: RecordedDay
    time_s: np.ndarray
    production_w: np.ndarray
    consumption_w: np.ndarray
    drew_w: np.ndarray

    def rows(self) -> Iterator[tuple[float, float, float, float]]:
        """Each decision's (time_s, production_w, consumption_w, drew_w), as Python floats."""
        return zip(self.time_s.tolist(), self.production_w.tolist(), self.consumption_w.tolist(),
                   self.drew_w.tolist(), strict=True)


def recorded_part(day: RecordedDay) -> RecordedPart:
    """What a replay takes of the recorded `day`."""
    records = day.records
    # (each load's draw summed as the trace made of it sums it, left to right: the same floats)
    return RecordedPart(replace(day, records=[]), np.array([r.time_s for r in records], dtype=np.float64),
                        np.array([r.production_w for r in records], dtype=np.float64),
                        np.array([r.consumption_w for r in records], dtype=np.float64),
                        np.array([sum(r.drew_w) for r in records], dtype=np.float64))


def read_part(path: Path) -> RecordedPart:
    """The recorded file `path`, read (RecordError when it cannot be), as a replay takes it."""
    return recorded_part(read_record(path))


# A recorded day holds one day: 25 h at most (the day the clocks go back), and its last decision may be just past
# midnight (the recorder's last batch)
MAX_DAY_SPAN_S = 25 * 3600.0 + 600.0


def check_one_day(part: RecordedPart) -> None:
    """Refuse a file whose decisions span more than a day (rows of two days under one header, joined by hand): it
    was replayed, and tuned on, as one day of 48 h, every figure a day's doubled."""
    times = part.time_s
    if len(times) >= 2 and (span_s := float(times[-1] - times[0])) > MAX_DAY_SPAN_S:
        raise TraceError(f"{part.day.path}: its decisions span {span_s / 3600:.1f} h, more than a day (two days' rows "
                         "under one header?): the daemon writes one file a day; give each day as its own file")


def check_zone(part: RecordedPart, tz: tzinfo | None) -> None:
    """Refuse a day recorded at another UTC offset than the replay's zone gives it (the config's timezone, else
    this machine's): its clock times, its daylight and the regulator's midnight would all be off by the
    difference (a day recorded in Paris, tuned on a machine in UTC, had every daylight window on the day before:
    tune failed, `--from 08:00` asked 08:00 UTC)."""
    day = part.day
    if not len(part.time_s) or day.tz is None:
        return
    first = float(part.time_s[0])
    recorded = datetime.fromtimestamp(first, day.tz).utcoffset()
    here = datetime.fromtimestamp(first, tz).utcoffset() if tz is not None else \
        datetime.fromtimestamp(first).astimezone().utcoffset()
    if recorded == here:
        return
    zone = f"[evaluate] timezone = {tz}" if tz is not None else \
        "this machine's time zone: the config sets no [evaluate] timezone"
    if tz is None:
        fix = "set [evaluate] timezone in the config to the house's zone (e.g. Europe/Paris)"
    else:  # (the zone set may be the house's: then the day was recorded at the daemon's machine's zone)
        zone_like = "timezone = UTC" if not recorded else "the zone of the machine that recorded it"
        fix = (f"if {tz} is not the house's zone, set [evaluate] timezone to it; if it is, the daemon recorded this "
               "day at its machine's zone (its config set no timezone: set it there), and the day replays with one "
               f"at UTC{offset_hhmm(recorded)} ({zone_like}, in a copy of this config)")
    raise TraceError(f"{day.path}: recorded at UTC{offset_hhmm(recorded)} (the recording daemon's clock), replayed at "
                     f"UTC{offset_hhmm(here)} ({zone}): its times of day and its midnight would be "
                     f"off by the difference; {fix}")
