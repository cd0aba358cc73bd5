"""Weather forecasts for the fallback rules, as values: what OpenWeatherMap answered (parsed here, pure,
so the shell's fetch thread and the tests share it), what an MQTT forecast message says, and a failure
with its cause. No socket, no clock: the shell fetches, the regulator's ForecastBook keeps them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone, tzinfo
from types import MappingProxyType
from typing import Any

from field.forecast_settings import MAX_ASKED_WAIT_S
from values.numbers import finite_json_float, finite_json_or_text_float
from values.readings import MAX_PAYLOAD_BYTES
from values.saved_numbers import saved_epoch, saved_instant
from values.shown import shown

SOURCE_OWM = "openweathermap"
SOURCE_MQTT = "mqtt"
SOURCE_DEFAULT = "default"  # no usable forecast: the seed's 100 % cloudy
SOURCE_SEED_FILE = "seed status file"  # the seed's status.ini's CLOUD_forecast, read at the move to PySEB
# The seed's getCloudAvg took the mean cloud cover at 09:00 and 12:00 UTC, which in France (its users' zone) are the
# late morning and early afternoon. Here: the entries (3 h apart) from 09:00 to before 15:00 local time, always two,
# the seed's very ones in France (10:00/13:00 CET, 11:00/14:00 CEST); at 09:00/12:00 UTC a house west of UTC-3 (or
# east of UTC+9) read the clouds of its night.
SUN_FROM_LOCAL, SUN_UNTIL_LOCAL = time(9), time(15)
CAUSE_MAX_CHARS = 200  # a server's error message is quoted in the log, never a whole page
# A day's PV forecast above 0 and under this is far likelier kWh than Wh (a dark winter day of a 1 kWp array still
# gives a few hundred Wh; 12.5 is a common day's forecast in kWh, as Forecast.Solar and Solcast show it).
LIKELY_KWH_BELOW = 100.0


# OWM's answers no retry mends, and the config key that does: 401, a key refused (wrong, or new: OWM activates a
# key up to 2 hours after sign-up); 404, a place it does not know ("city not found"; another message: the url).
KEY_FIX = "check [openweathermap] key (a new key works up to 2 hours after sign-up)"
PLACE_FIX = "check [openweathermap] location"
URL_FIX = "check [openweathermap] url and location"


class ForecastError(ValueError):
    """A forecast answer or message that cannot be used; the message names the cause. `retry` False: asking
    again gives the same answer until the owner changes the config (the message says what). `code`: the error code
    the answer's JSON gave (`cod`, as text) in an HTTP 200, else None."""

    def __init__(self, message: str, retry: bool = True, code: str | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.code = code


@dataclass(frozen=True, slots=True)
class OwmForecast:
    """A good OpenWeatherMap 2.5 `forecast` answer: cloud cover (%) by entry time (UTC)."""

    clouds_by_utc: Mapping[datetime, float]
    fetched_at: float

    def clouds_on(self, day: date, tz: tzinfo | None = timezone.utc) -> float | None:
        """The mean of `clouds.all` of the entries from 09:00 to before 15:00 local time (`tz`; None: the system's) of
        `day`; None when fewer than two (OWM's entries are 3 h apart: a day covered has two)."""
        values = [cover for at, cover in self.clouds_by_utc.items()
                  if at.astimezone(tz).date() == day and SUN_FROM_LOCAL <= at.astimezone(tz).time() < SUN_UNTIL_LOCAL]
        if len(values) < 2:
            return None
        return sum(values) / len(values)

    def span(self) -> tuple[datetime, datetime] | None:
        """The first and last entry times, for messages and the status."""
        return (min(self.clouds_by_utc), max(self.clouds_by_utc)) if self.clouds_by_utc else None

    def daytime(self, tz: tzinfo | None) -> dict[str, float]:
        """The entries a check may use (09:00 to 15:00 local time), by UTC time in ISO 8601, for the status file: a
        start within KEEP_AT_START_S of the fetch takes them back and does not fetch again. All 40 would grow every
        status published by a kilobyte and a half for entries no check reads."""
        return {at.astimezone(timezone.utc).isoformat(): cover for at, cover in sorted(self.clouds_by_utc.items())
                if SUN_FROM_LOCAL <= at.astimezone(tz).time() < SUN_UNTIL_LOCAL}


def saved_owm_forecast(saved: Any, now: float, max_age_s: float) -> OwmForecast | None:
    """The forecast a status file kept (its `forecast.openweathermap`: `time`, the fetch's, and `daytime_clouds`), when
    fetched at most `max_age_s` before `now`; None when it kept none (a file from before, the seed's) or an older one.
    ValueError naming what is wrong in one that cannot be used."""
    kept = saved.get("daytime_clouds") if isinstance(saved, dict) else None
    if kept is None:
        return None
    if not isinstance(kept, dict):
        raise ValueError("daytime_clouds is not an object")
    fetched_at = saved_instant(saved.get("time"))
    if fetched_at > now:
        raise ValueError(f"fetched at {saved.get('time')}, after now")
    if now - fetched_at > max_age_s:
        return None
    clouds: dict[datetime, float] = {}
    for text, cover in kept.items():
        at = datetime.fromisoformat(str(text))
        number = finite_json_float(cover)
        if at.tzinfo is None or number is None or not 0 <= number <= 100 or saved_epoch(at.timestamp()) is None:
            raise ValueError(f"entry {str(text)[:40]!r}: {str(cover)[:40]!r} is not a cloud cover at a UTC time")
        clouds[at.astimezone(timezone.utc)] = number
    return OwmForecast(MappingProxyType(clouds), fetched_at) if clouds else None


def saved_owm_failure(saved: Any, now: float) -> ForecastFailure | None:
    """The failure a status file kept that asks to wait (its `forecast.openweathermap`: `error`, `error_time`,
    `ask_again_after`, `request_digest`), while the wait holds at `now`; None when it kept none, or the wait is over.
    ValueError naming what is wrong in one that cannot be used (failed after now: a clock set back)."""
    until = saved.get("ask_again_after") if isinstance(saved, dict) else None
    if until is None:
        return None
    cause, digest = saved.get("error"), saved.get("request_digest")
    if not isinstance(cause, str) or not isinstance(digest, str):
        raise ValueError("error and request_digest must be text")
    failed_at = saved_instant(saved.get("error_time"))
    ask_again_after = saved_instant(until)
    if failed_at > now:
        raise ValueError(f"failed at {saved.get('error_time')}, after now")
    if ask_again_after - failed_at > MAX_ASKED_WAIT_S:
        raise ValueError(f"asks to wait until {until}, over {MAX_ASKED_WAIT_S / 3600:.0f} h after the failure")
    if ask_again_after <= now:
        return None
    # (a cause is the server's message, cut at CAUSE_MAX_CHARS, and what to fix)
    return ForecastFailure(cause[:CAUSE_MAX_CHARS * 2], failed_at, ask_again_after=ask_again_after,
                           request_digest=digest[:64], kept=True)


@dataclass(frozen=True, slots=True)
class ForecastFailure:
    """A fetch that gave nothing usable (HTTP error, no answer, garbage): the cause, without the key."""

    cause: str
    at: float
    source: str = SOURCE_OWM
    retry: bool = True  # False: a retry gets the same answer (a refused key, an unknown place): the round stops
    retry_after_s: float | None = None  # the server's Retry-After: no retry sooner
    # The server asked not to ask before this (a rate limit, a refused key): kept in the status file, a start before
    # it does not fetch (a restart loop asked at every start); None for a failure that is not the server's word.
    ask_again_after: float | None = None
    request_digest: str | None = None  # of the request that failed (url, place, key; never the key itself)
    # False: a try of a round whose next try is still to come, handed over at once (a check meanwhile says what failed,
    # not "no forecast received"); True: the round's outcome, warned of
    final: bool = True
    next_try_at: float | None = None  # not final: when the round's next try starts (a check waits for it)
    kept: bool = False  # restored from the status file: the last run's, warned of there, not in this run's log


@dataclass(frozen=True, slots=True)
class DayForecast:
    """One local date's forecast from an MQTT message: cloud cover (%) and/or the PV energy (Wh)."""

    day: date
    clouds_percent: float | None
    pv_wh: float | None
    received_at: float  # the last message that changed one of them
    source: str = SOURCE_MQTT
    clouds_at: float | None = None  # when the cloud cover came, if before received_at (a message with PV only since)

    def clouds_received_at(self) -> float:
        """When this cloud cover was received: how fresh it is against an OpenWeatherMap answer."""
        return self.received_at if self.clouds_at is None else self.clouds_at


@dataclass(frozen=True, slots=True)
class CloudPick:
    """The cloud cover a check used: its value, where it came from and when that source got it; `cause`
    says why the default was taken."""

    day: date
    clouds_percent: float
    source: str
    received_at: float | None
    cause: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def one_short_line(text: str) -> str:
    """`text` as a cause quotes a server's words: on one line (its line breaks and runs of blanks one space each),
    CAUSE_MAX_CHARS at most, then "..."."""
    text = " ".join(text.split())
    return text if len(text) <= CAUSE_MAX_CHARS else text[:CAUSE_MAX_CHARS] + "..."


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    dt = finite_json_float(entry.get("dt"))
    if dt is not None and 946_684_800 <= dt <= 4_102_444_800:  # years 2000..2100
        return datetime.fromtimestamp(dt, timezone.utc)
    text = entry.get("dt_txt")
    if isinstance(text, str):
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    return None


# The most entries an answer may hold: OpenWeatherMap's 5-day forecast has 40 (one every 3 h); the status document
# carries the day's entries, and the status file keeps them.
MAX_ENTRIES = 200


def parse_owm_answer(status: int, body: bytes, fetched_at: float) -> OwmForecast:
    """An OpenWeatherMap 2.5 `forecast` answer (HTTP status and body) as cloud cover by UTC time; raises
    ForecastError naming the cause (HTTP error with OWM's message, not JSON, no list, no usable entry).
    Entries without a time or a cloud cover in 0..100 are skipped."""
    try:
        doc: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = None
    message = doc.get("message") if isinstance(doc, dict) else None
    if status != 200:
        said = f": {one_short_line(str(message))}" if isinstance(message, str) and message else ""
        fix = _fix(str(status), message)
        raise ForecastError(f"HTTP {status}{said}" + (f"; no retry: {fix}" if fix else ""), retry=fix is None)
    if not isinstance(doc, dict):
        what = "not a JSON object" if doc is not None or body.strip() == b"null" else "not valid JSON (cut short?)"
        raise ForecastError(f"the answer is {what}: {one_short_line(body.decode('utf-8', 'replace'))!r}")
    if str(doc.get("cod", "200")) != "200":  # `cod` is a string on success, a number or a string on errors
        fix = _fix(str(doc.get("cod")), message)
        # (the code quoted short too: a `cod` of 500 KB was the whole cause, in the log and every status)
        raise ForecastError(f"error code {one_short_line(repr(doc.get('cod')))} in the answer: "
                            f"{one_short_line(str(message))}"
                            + (f"; no retry: {fix}" if fix else ""), retry=fix is None, code=str(doc.get("cod")))
    entries = doc.get("list")
    if not isinstance(entries, list):
        raise ForecastError("the answer has no `list` of forecast entries")
    if len(entries) > MAX_ENTRIES:
        # (23 000 entries of one day's hours, under the size cap, were all kept: each status 758 KB, the status
        # file 932 KB, saved and restored)
        raise ForecastError(f"the answer has {len(entries)} entries, where OpenWeatherMap's 5-day forecast has 40 "
                            "(one every 3 h): not its forecast")
    clouds: dict[datetime, float] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("clouds"), dict):
            continue
        when, cover = _entry_time(entry), finite_json_float(entry["clouds"].get("all"))
        if when is not None and cover is not None and 0 <= cover <= 100:
            clouds[when] = cover
    if not clouds:
        raise ForecastError(f"none of the {len(entries)} entries has a time and a cloud cover (clouds.all)")
    return OwmForecast(MappingProxyType(clouds), fetched_at)


def _fix(code: str, message: object) -> str | None:
    """What the owner changes for an error code no retry mends; None for the others (a server in trouble, a rate
    limit, a proxy's page: the next try may get through)."""
    if code == "401":
        return KEY_FIX
    if code == "404":
        return PLACE_FIX if isinstance(message, str) and "city" in message.lower() else URL_FIX
    return None


def parse_mqtt_forecast(payload: bytes, received_at: float) -> DayForecast:
    """`{"date": "2026-06-27", "clouds_percent": 35, "pv_wh": 12000}` (one of the two values at least);
    raises ForecastError naming what is wrong."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ForecastError(f"payload of {len(payload)} bytes is too large for a forecast")
    try:
        doc: Any = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ForecastError(f"not JSON: {one_short_line(payload.decode('utf-8', 'replace'))!r}") from None
    if not isinstance(doc, dict):
        raise ForecastError("expected a JSON object with date and clouds_percent and/or pv_wh")
    try:
        day = date.fromisoformat(doc.get("date"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ForecastError(f"`date` must be a local date as YYYY-MM-DD, got {shown(doc.get('date'))}") from None
    clouds, pv = doc.get("clouds_percent"), doc.get("pv_wh")
    # Numbers as text too, as regul/mode takes them: Home Assistant's quoted templates give "12000". Refused, every
    # forecast from them left the night's check at 100 % cloudy, forcing the heater from the grid before sunny days.
    clouds_percent, pv_wh = finite_json_or_text_float(clouds), finite_json_or_text_float(pv)
    if clouds is not None and (clouds_percent is None or not 0 <= clouds_percent <= 100):
        raise ForecastError(f"`clouds_percent` must be a number from 0 to 100, got {shown(clouds)}")
    if pv is not None and (pv_wh is None or pv_wh < 0):
        raise ForecastError(f"`pv_wh` must be a number of Wh >= 0, got {shown(pv)}")
    if clouds_percent is None and pv_wh is None:
        raise ForecastError("neither clouds_percent nor pv_wh given")
    return DayForecast(day, clouds_percent, pv_wh, received_at)


def unit_doubts(forecast: DayForecast) -> dict[str, str | None]:
    """For each value the message gave: why it looks like the wrong unit, or None when it looks right. A cloud cover
    strictly between 0 and 1 is a fraction (0.75 for 75 %; 1 % and 0 are a clear sky); a PV energy above 0 and under
    LIKELY_KWH_BELOW is kWh. Only a doubt: the value is taken as sent, as the documented unit says."""
    doubts: dict[str, str | None] = {}
    clouds, pv_wh = forecast.clouds_percent, forecast.pv_wh
    if clouds is not None:
        doubts["clouds_percent"] = None if not 0 < clouds < 1 else (
            f"clouds_percent {clouds:g} looks like a fraction: expected a percent (0-100), {clouds * 100:g} for "
            f"{clouds * 100:g} %; taken as {clouds:g} %")
    if pv_wh is not None:
        doubts["pv_wh"] = None if not 0 < pv_wh < LIKELY_KWH_BELOW else (
            f"pv_wh {pv_wh:g} looks like kWh: expected Wh, {pv_wh * 1000:g} for {pv_wh:g} kWh; taken as {pv_wh:g} Wh")
    return doubts
