"""How long OpenWeatherMap asks not to be asked again: a Retry-After (within a round: the next try waits), and the
wait kept across a restart with the status file (a daemon restarted by systemd every few seconds asked a rate-limited
or refusing server at every start, `attempts` times). Only the server's word holds a start back: no network at boot
is not it, and the start asks again."""

from __future__ import annotations

import email.utils
import re
from datetime import timezone

from field.forecast_settings import MAX_ASKED_WAIT_S, REFUSED_WAIT_S, request_digest

__all__ = ["RATE_LIMIT_WAIT_S", "REFUSED_WAIT_S", "ask_again_after", "request_digest", "retry_after_s"]

# A 429 without Retry-After: OWM counts its free plan's calls a minute; a retry sooner is refused too, and counted.
# Across a restart, a 429's wait is this at least (a Retry-After of 5 s, and a restart every 5 s, asked at each).
RATE_LIMIT_WAIT_S = 60.0


def retry_after_s(header: str, now: float) -> float | None:
    """A Retry-After header's wait in seconds: a number of seconds or an HTTP date (then from `now`); None for one
    that is neither."""
    text = header.strip()
    if re.fullmatch(r"[0-9]{1,9}", text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # (an HTTP date is in GMT)
    return max(0.0, when.timestamp() - now)


def ask_again_after(status: int, retry: bool, wait_s: float | None, failed_at: float) -> float | None:
    """Until when a start does not ask after this failure: a wait the server asked (Retry-After; a 429's at least
    RATE_LIMIT_WAIT_S), REFUSED_WAIT_S for an answer no retry mends; None for a failure that is not the server's word
    (a 500 without Retry-After, a proxy's page: the next try may get through)."""
    if not retry:
        return failed_at + REFUSED_WAIT_S
    if wait_s is None:
        return None
    return failed_at + min(max(wait_s, RATE_LIMIT_WAIT_S) if status == 429 else wait_s, MAX_ASKED_WAIT_S)
