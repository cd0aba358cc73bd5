"""What to write for a time zone name that names none ([evaluate] timezone): the name in its right case, the zone of a
city given alone, the names close to a misspelt one. Python's ZoneInfo said only "unknown time zone 'Europe/Pari'"."""

from __future__ import annotations

import difflib
import re
import zoneinfo

# An offset written as a zone (UTC+1, GMT+2, CET+1). Etc/GMT+1 exists, but is UTC-1 (POSIX's sign): never advised.
_OFFSET = re.compile(r"[A-Z]{2,5}\s*[+-]\s*\d", re.IGNORECASE)
_EXAMPLE = "an IANA name such as Europe/Paris (timedatectl list-timezones lists them)"


def zone_advice(name: str) -> str:
    """The advice that follows "unknown time zone 'name'": what to write instead, as far as it can be told."""
    names = zoneinfo.available_timezones()
    wanted = name.strip()
    by_case = {zone.lower(): zone for zone in names}
    if (zone := by_case.get(wanted.lower())) is not None:
        return f"write {zone} (the names are read with their capitals)"
    if _OFFSET.match(wanted):
        return (f"an offset is no zone: it would not follow daylight saving, and midnight would be an hour off half "
                f"the year; write {_EXAMPLE}")
    cities = sorted(zone for zone in names if "/" in zone and zone.rsplit("/", 1)[1].lower() == wanted.lower())
    if cities:
        return f"write {' or '.join(cities)} (a zone is named region/city)"
    close = difflib.get_close_matches(wanted, sorted(names), 1, 0.75)
    if close:
        return f"did you mean {close[0]}?"
    return f"write {_EXAMPLE}"
