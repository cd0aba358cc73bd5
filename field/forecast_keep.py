"""What the forecast book keeps, and for how long (the MQTT forecasts' dates, an OpenWeatherMap answer's age), and
what it takes back from a status file at start: the OpenWeatherMap answer and the last failure while the server's wait
holds, the MQTT forecasts, and what the last check used. A part of ForecastBook (field.forecast_book), its own module
for size."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, TypeGuard

from field.forecast import (
    CAUSE_MAX_CHARS,
    SOURCE_DEFAULT,
    SOURCE_MQTT,
    SOURCE_OWM,
    SOURCE_SEED_FILE,
    CloudPick,
    DayForecast,
    ForecastError,
    ForecastFailure,
    OwmForecast,
    parse_mqtt_forecast,
    saved_owm_failure,
    saved_owm_forecast,
)
from values.local_time import local_date
from values.saved_numbers import saved_instant

log = logging.getLogger("field.forecast_book")  # (its lines were the book's: said under the same name)

KEEP_PAST_DAYS = 2  # MQTT forecasts for dates older than this are dropped (memory stays bounded)
# At most this many MQTT forecasts for dates after the local today are kept, the nearest: no rule looks past
# tomorrow, and each date kept is one more entry in memory and in every status document (Open-Meteo, the longest free
# horizon, gives 16 days). A count, not a distance from the clock: a Pi whose clock is behind (fake-hwclock after weeks
# switched off, before NTP) sees the real tomorrow weeks ahead, and its retained forecast is not sent again.
KEEP_AHEAD_DATES = 16
FULL_AHEAD = f"only the {KEEP_AHEAD_DATES} nearest dates ahead are kept"
# The oldest OpenWeatherMap answer a check takes: yesterday's round's (every try of tonight's failed), not older. OWM's
# 5 days still cover the day asked about for 4 days, but a sky forecast 2 days ahead is a guess, and a grey day taken
# for a sunny one leaves the water cold (the seed's 100 % forces more: the safe side).
MAX_OWM_AGE_S = 36 * 3600.0
# Beside daytime_clouds in the status file: the digest of what [openweathermap] asked (another's not taken back).
KEPT_DIGEST = "daytime_request_digest"


def iso_at(at: float | None, tz: tzinfo | None) -> str | None:
    """`at` as a local time in ISO 8601 with its offset, as the status document says it; None for None."""
    if at is None:
        return None
    moment = datetime.fromtimestamp(at, tz) if tz else datetime.fromtimestamp(at).astimezone()
    return moment.isoformat(timespec="seconds")


def _is_percent(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100


def _saved_pick(used: Any) -> CloudPick:
    """A CloudPick from the status document's `forecast.used`; ValueError naming what is wrong."""
    if not isinstance(used, dict):
        raise ValueError("not an object")
    clouds, source, cause, time = (used.get(k) for k in ("clouds_percent", "source", "cause", "time"))
    if not _is_percent(clouds):
        raise ValueError(f"clouds_percent must be a number from 0 to 100, got {str(clouds)[:40]!r}")
    if source not in (SOURCE_OWM, SOURCE_MQTT, SOURCE_DEFAULT, SOURCE_SEED_FILE):
        raise ValueError(f"unknown source {str(source)[:40]!r}")
    if not (cause is None or isinstance(cause, str)):
        raise ValueError("cause must be text or null")
    received_at = None if time is None else saved_instant(time)
    return CloudPick(date.fromisoformat(str(used.get("date"))), float(clouds), source, received_at,
                     None if cause is None else cause[:CAUSE_MAX_CHARS])


class KeptForecasts:
    """ForecastBook's keeping and taking back (its attributes, set by ForecastBook.__init__)."""

    tz: tzinfo | None
    owm_enabled: bool
    owm_digest: str | None
    mqtt_topic: str | None
    owm: OwmForecast | None
    owm_failure: ForecastFailure | None
    mqtt: dict[date, DayForecast]
    last_pick: CloudPick | None

    def _drop_furthest_ahead(self, now: float) -> list[date]:
        """Drop the dates ahead of the local today at `now` beyond the KEEP_AHEAD_DATES nearest; the dates dropped."""
        today = local_date(now, self.tz)
        dropped = sorted(d for d in self.mqtt if d > today)[KEEP_AHEAD_DATES:]
        for day in dropped:
            del self.mqtt[day]
        return dropped

    def restore(self, saved: Any, now: float) -> list[str]:
        """The OpenWeatherMap forecast (`_restore_owm`) and the MQTT forecasts of a status file (its
        `forecast.mqtt.days`), so that a forecast published once and not retained survives a restart. Each is checked
        as a message would be; those older than KEEP_PAST_DAYS or received after `now` are dropped, and the dates ahead
        beyond the KEEP_AHEAD_DATES nearest. Returns warnings."""
        warnings = self._restore_owm(saved.get(SOURCE_OWM) if isinstance(saved, dict) else None, now)
        mqtt = saved.get(SOURCE_MQTT) if isinstance(saved, dict) else None
        days = mqtt.get("days") if isinstance(mqtt, dict) else None
        if not self.mqtt_topic or not isinstance(days, dict):
            return warnings
        oldest = local_date(now, self.tz) - timedelta(days=KEEP_PAST_DAYS)
        for text, entry in days.items():
            try:
                if not isinstance(entry, dict):
                    raise ForecastError("not an object")
                received_at = saved_instant(entry.get("time"))
                if received_at > now:
                    raise ForecastError(f"received at {entry.get('time')}, after now")
                doc = {"date": text, "clouds_percent": entry.get("clouds_percent"), "pv_wh": entry.get("pv_wh")}
                forecast = parse_mqtt_forecast(json.dumps(doc).encode(), received_at)
                if entry.get("clouds_time") is not None and forecast.clouds_percent is not None:
                    clouds_at = saved_instant(entry.get("clouds_time"))
                    if clouds_at > received_at:
                        raise ForecastError(f"clouds received at {entry.get('clouds_time')}, after its time")
                    forecast = replace(forecast, clouds_at=clouds_at)
            except (ForecastError, ValueError, OverflowError, OSError) as exc:
                warnings.append(f"status file's forecast for {str(text)[:40]!r} ignored: {exc}")
                continue
            if forecast.day >= oldest:
                self.mqtt[forecast.day] = forecast
        warnings += [f"status file's forecast for {day.isoformat()!r} ignored: {FULL_AHEAD}"
                     for day in self._drop_furthest_ahead(now)]
        return warnings

    def _restore_owm(self, saved: Any, now: float) -> list[str]:
        """The OpenWeatherMap forecast a status file kept, up to MAX_OWM_AGE_S old (a check takes no older), and the
        last failure while the server's wait holds; the start does not fetch again within KEEP_AT_START_S of the one,
        nor before the other's ask_again_after (shell.forecast_fetch). Returns warnings."""
        if not self.owm_enabled:
            return []
        warnings: list[str] = []
        try:
            self.owm_failure = saved_owm_failure(saved, now)
        except (ValueError, TypeError, OverflowError, OSError) as exc:
            warnings.append(f"status file's openweathermap failure ignored: {exc}")
        if isinstance(saved, dict) and saved.get("daytime_clouds") is not None \
                and saved.get(KEPT_DIGEST) != self.owm_digest:
            # (the place corrected within 3 h: the start fetched nothing, the check read the old town's clouds)
            log.info("status file's openweathermap forecast: [openweathermap] changed since: not kept")
            return warnings
        try:
            kept = saved_owm_forecast(saved, now, MAX_OWM_AGE_S)
        except (ValueError, TypeError, OverflowError, OSError) as exc:
            return [*warnings, f"status file's openweathermap forecast ignored: {exc}"]
        if kept is not None:
            self.owm = kept
            log.info("forecast from openweathermap fetched at %s kept from the status file (%d daytime entries)",
                     iso_at(kept.fetched_at, self.tz), len(kept.clouds_by_utc))
        return warnings

    def restore_last_pick(self, doc: dict[str, Any], saved_at: float, now: float) -> list[str]:
        """What the last check used, from a status file: PySEB's `forecast.used`, or the seed's CLOUD_forecast (the
        seed read it back and published it until its next check; without this the status said null until the next
        check after every restart). One about a day older than KEEP_PAST_DAYS is no longer "the last". Returns
        warnings."""
        forecast = doc.get("forecast")
        used = forecast.get("used") if isinstance(forecast, dict) else None
        try:
            if "schema_version" in doc:
                pick = None if used is None else _saved_pick(used)
            else:
                # (the seed's day is the one it was saved: its 01:00 check asked about that day; Coturex wrote its
                # fetch's errors, -404 and -1, and null: no cover, nothing to show)
                clouds = doc.get("CLOUD_forecast")
                pick = (CloudPick(local_date(saved_at, self.tz), float(clouds), SOURCE_SEED_FILE, saved_at)
                        if _is_percent(clouds) else None)
        except (ValueError, TypeError, OverflowError, OSError) as exc:
            return [f"status file's forecast.used ignored: {exc}"]
        if pick is not None and pick.day >= local_date(now, self.tz) - timedelta(days=KEEP_PAST_DAYS):
            self.last_pick = pick
        return []
