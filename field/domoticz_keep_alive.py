"""Coturex's hourly heartbeat to Domoticz ([domoticz] idx_keep_alive): the seed published {"idx": 658, "nvalue": 1} on
domoticz/in when its clock went from minute 20 to 21 of each hour, for a Domoticz "last seen" / dead-device alarm on
that device. Here when the house's clock ([evaluate] timezone) reads hh:21:00, at the first tick since, once for each
such moment: not at the start (the seed compared a minute with the one before), one at a clock step forward over it
however long (not one for each hour stepped over), none again for a step back over the one just sent. The Domoticz
link sends it while the broker link is up: one missed is not sent late, the next hour's goes."""

from __future__ import annotations

import json
import math
from datetime import datetime, tzinfo

from integrations.domoticz import Message
from values.local_time import offset_change_before, utc_offset

KEEP_ALIVE_MINUTE = 21  # the seed's: minute 20 -> 21


def keep_alive_message(topic_in: str, idx: int) -> Message:
    """The seed's heartbeat: device `idx` updated to nvalue 1."""
    return topic_in, json.dumps({"idx": idx, "nvalue": 1})


def next_minute_of_hour(moment: float, minute: int, tz: tzinfo | None) -> float:
    """The earliest instant > `moment` at which the local clock in `tz` reads `minute` past an hour, second 0. Every
    hour as real time goes: an offset change of whole hours (summer time) moves the hours, not their minutes; one of
    half an hour (Lord Howe Island's) is taken from the instant it happens."""
    after = at = math.floor(moment)
    for _ in range(3):
        offset = utc_offset(at, tz)  # (after a miss: the offset the change set, from the change on)
        offset_s = int(offset.total_seconds()) if offset is not None else 0
        at = after + ((minute * 60 - (after + offset_s)) % 3600 or 3600)
        reads = datetime.fromtimestamp(at, tz)
        if reads.minute == minute and reads.second == 0:
            return float(at)
        # (the offset changed by a part of an hour in between: none before the change, the next one after it)
        after = max(after, math.floor(offset_change_before(at, tz)) - 1)
    return float(at)


class KeepAlive:
    """When the heartbeat to device `idx` is due; `due` is asked at each tick."""

    def __init__(self, idx: int, topic_in: str, tz: tzinfo | None) -> None:
        self.idx = idx
        self.message = keep_alive_message(topic_in, idx)
        self._tz = tz
        self._since: float | None = None  # the last tick (None: none yet)
        # The next hh:21 after any moment in [_from, _next) (computed again only past it, or after a step back)
        self._from, self._next = math.inf, -math.inf
        self._sent_for: float | None = None  # the hh:21 of the last heartbeat

    def _next_after(self, moment: float) -> float:
        if not self._from <= moment < self._next:
            self._from, self._next = moment, next_minute_of_hour(moment, KEEP_ALIVE_MINUTE, self._tz)
        return self._next

    def due(self, now: float) -> bool:
        """True when an hh:21 passed since the last tick (the link up or not: one missed is not sent late)."""
        since, self._since = self._since, now
        if since is None or now <= since:  # (the first tick; a clock stepped back: the next hh:21 from here)
            return False
        occurrence = self._next_after(since)
        if occurrence > now:
            return False
        # (a clock stepped forward over several: the last one passed, an hour before `now` at most)
        if occurrence <= (last := next_minute_of_hour(now - 3600.0, KEEP_ALIVE_MINUTE, self._tz)) <= now:
            occurrence = last
        if occurrence == self._sent_for:  # (shown again by a clock stepped back: sent already)
            return False
        self._sent_for = occurrence
        return True
