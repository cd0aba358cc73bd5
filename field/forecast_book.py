"""The forecasts the regulator holds: the last OpenWeatherMap answer (or why the last fetch failed) and
the MQTT forecasts by local date. At the seed rule's check it picks the cloud cover of the day asked
about, the freshest valid source winning, else the seed's 100 % with one warning naming the cause."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone, tzinfo
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
    unit_doubts,
)
from values.local_time import local_date
from values.saved_numbers import saved_instant

log = logging.getLogger(__name__)

DEFAULT_CLOUDS_PERCENT = 100.0  # the seed: no forecast counts as a fully cloudy sky (the rule forces more)
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
# The earlier answers kept beside the newest, at most (each under MAX_OWM_AGE_S old when the newest came: a fetch
# at each start and each night's check, and retries, make a few a day).
KEEP_EARLIER_ANSWERS = 8
# Beside daytime_clouds in the status file: the digest of what [openweathermap] asked (another's not taken back).
KEPT_DIGEST = "daytime_request_digest"


def _iso(at: float | None, tz: tzinfo | None) -> str | None:
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


class ForecastBook:
    """Forecasts received so far; `clouds_for(day)` at a check, `pv_wh_for(day)` for the deadline rule."""

    def __init__(self, tz: tzinfo | None, owm_enabled: bool, mqtt_topic: str | None,
                 owm_digest: str | None = None) -> None:
        """`owm_digest`: what [openweathermap] asks (forecast_settings.request_digest), saved with its forecast."""
        self.tz = tz
        self.owm_enabled = owm_enabled
        self.owm_digest = owm_digest
        self.mqtt_topic = mqtt_topic
        self.owm: OwmForecast | None = None
        # The good answers before `owm`, newest first, while under MAX_OWM_AGE_S old when it came: a day `owm` does
        # not cover is read from the newest of them that does. An answer cut short (valid, a few entries) took the place
        # of a complete one, and the night's check counted the day asked about as 100 % cloudy; keeping only the one
        # that reached furthest, a complete answer two nights old beat a short one of last night that covered the day,
        # and the check then found the first too old.
        self.owm_earlier: tuple[OwmForecast, ...] = ()
        self.owm_failure: ForecastFailure | None = None
        self.mqtt: dict[date, DayForecast] = {}
        self.mqtt_error: str | None = None
        self.last_pick: CloudPick | None = None  # what the last check used
        self._unit_warned: set[str] = set()  # values warned as in the wrong unit, until one looks right

    # --- input --------------------------------------------------------------------------------------------
    def on_fetched(self, result: OwmForecast | ForecastFailure) -> None:
        """A fetch's outcome, or a failed try of a round not over (`final` False: kept for a check meanwhile, not warned
        of: the fetch thread logged it, and the round's outcome is warned of). A failure keeps an earlier good answer
        (its days may still be covered)."""
        if isinstance(result, ForecastFailure):
            self.owm_failure = result
            if result.final:
                log.warning("forecast from %s not usable: %s", result.source, result.cause)
            return
        # (each earlier answer kept with where it ends; one with no entries covers no day)
        earlier = [(owm, span[1]) for owm in (self.owm, *self.owm_earlier)
                   if owm is not None and not self._owm_too_old(result.fetched_at, owm)
                   and (span := owm.span()) is not None][:KEEP_EARLIER_ANSWERS]
        self.owm, self.owm_earlier, self.owm_failure = result, tuple(owm for owm, _ in earlier), None
        span = result.span()
        log.info("forecast from openweathermap: %d entries from %s to %s UTC", len(result.clouds_by_utc),
                 *(t.strftime("%Y-%m-%d %H:%M") for t in span) if span else ("-", "-"))
        # (the newest earlier answer that reaches further: a day after this one's end is read from it)
        further = next(((owm, end) for owm, end in earlier if span is not None and end > span[1]), None)
        if further is not None and span is not None:
            log.warning("forecast from openweathermap: this answer ends at %s UTC, the one before (fetched at %s) at "
                        "%s UTC: a day this one does not cover is taken from that one while it is up to %.0f h old",
                        span[1].strftime("%Y-%m-%d %H:%M"), _iso(further[0].fetched_at, self.tz),
                        further[1].strftime("%Y-%m-%d %H:%M"), MAX_OWM_AGE_S / 3600)

    def on_mqtt(self, payload: bytes, now: float) -> bool:
        """A message on the forecast topic; True when it was taken. A bad one: a warning, nothing changes."""
        try:
            forecast = parse_mqtt_forecast(payload, now)
        except ForecastError as exc:
            self.mqtt_error = str(exc)
            log.warning("forecast message on %s refused: %s", self.mqtt_topic, exc)
            return False
        oldest = local_date(now, self.tz) - timedelta(days=KEEP_PAST_DAYS)
        if forecast.day < oldest:  # (it was logged as taken, then dropped with the old dates: a wrong date unsaid)
            self.mqtt_error = f"date {forecast.day} is more than {KEEP_PAST_DAYS} days past: not kept"
            log.warning("forecast message on %s refused: %s", self.mqtt_topic, self.mqtt_error,
                        extra={"limit_key": self.mqtt_topic})
            return False
        self.mqtt_error = None
        self._warn_units(forecast)
        earlier = self.mqtt.get(forecast.day)
        if earlier is not None:
            forecast = self._merged(earlier, forecast, now)
            if forecast is earlier:
                log.debug("forecast from mqtt for %s: the values kept already, kept with their time", earlier.day)
                return True
        self.mqtt[forecast.day] = forecast
        for day in [d for d in self.mqtt if d < oldest]:
            del self.mqtt[day]
        if forecast.day in self._drop_furthest_ahead(now):
            self.mqtt_error = FULL_AHEAD
            log.warning("forecast message on %s for %s not kept: %s", self.mqtt_topic, forecast.day, FULL_AHEAD,
                        extra={"limit_key": self.mqtt_topic})
            return False
        # (anyone on the broker can send one: bounded in the log, each still taken)
        log.info("forecast from mqtt for %s: clouds %s %%, PV %s Wh", forecast.day, forecast.clouds_percent,
                 forecast.pv_wh, extra={"limit_key": self.mqtt_topic})
        return True

    @staticmethod
    def _merged(earlier: DayForecast, message: DayForecast, now: float) -> DayForecast:
        """A message for a date already kept: one value keeps the other from the earlier one, with the time it came.
        A message that repeats the values kept is `earlier` itself: the broker sends a retained forecast again at every
        reconnect and start, and taken as received then, a forecast of days before beat a newer OpenWeatherMap answer
        at the check (the freshest source wins); so did old clouds under a message bringing the PV only."""
        clouds = earlier.clouds_percent if message.clouds_percent is None else message.clouds_percent
        pv_wh = earlier.pv_wh if message.pv_wh is None else message.pv_wh
        if clouds == earlier.clouds_percent and pv_wh == earlier.pv_wh:
            return earlier
        clouds_at = earlier.clouds_received_at() if clouds is not None and clouds == earlier.clouds_percent else None
        return DayForecast(earlier.day, clouds, pv_wh, now, clouds_at=clouds_at)

    def _drop_furthest_ahead(self, now: float) -> list[date]:
        """Drop the dates ahead of the local today at `now` beyond the KEEP_AHEAD_DATES nearest; the dates dropped."""
        today = local_date(now, self.tz)
        dropped = sorted(d for d in self.mqtt if d > today)[KEEP_AHEAD_DATES:]
        for day in dropped:
            del self.mqtt[day]
        return dropped

    def _warn_units(self, forecast: DayForecast) -> None:
        """A value that looks like the wrong unit (a fraction of clouds, kWh of PV) is warned once, again only after
        one that looked right: an automation that sends it every hour is one line, not one an hour."""
        for key, doubt in unit_doubts(forecast).items():
            if doubt is None:
                self._unit_warned.discard(key)
            elif key not in self._unit_warned:
                self._unit_warned.add(key)
                log.warning("forecast on %s for %s: %s (warned once until a value looks right)", self.mqtt_topic,
                            forecast.day, doubt, extra={"limit_key": self.mqtt_topic})

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
                     _iso(kept.fetched_at, self.tz), len(kept.clouds_by_utc))
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

    # --- use ----------------------------------------------------------------------------------------------
    def clouds_for(self, day: date, now: float | None = None) -> CloudPick:
        """The cloud cover (%) of `day` for a check at `now`: the freshest source that has it (an OpenWeatherMap
        answer up to MAX_OWM_AGE_S old; `now` None: any), else 100 with one warning naming the cause. Remembered as
        `last_pick` for the status."""
        candidates: list[CloudPick] = []
        # (the newest answer that covers the day: one cut short does not hide the day the one before it covered)
        for owm in (self.owm, *self.owm_earlier):
            clouds = None if owm is None or self._owm_too_old(now, owm) else owm.clouds_on(day, self.tz)
            if owm is not None and clouds is not None:
                candidates.append(CloudPick(day, clouds, SOURCE_OWM, owm.fetched_at))
                break
        mqtt = self.mqtt.get(day)
        if mqtt is not None and mqtt.clouds_percent is not None:
            candidates.append(CloudPick(day, mqtt.clouds_percent, SOURCE_MQTT, mqtt.clouds_received_at()))
        if candidates:
            pick = max(candidates, key=lambda c: c.received_at or 0.0)
        else:
            cause = self._missing_cause(day, now)
            # One warning per cause: a round's failure was warned about when it came (a try of a round not over was
            # not); no source at all is normal.
            warned = (self.owm_failure is not None and self.owm_failure.final) or not (self.owm_enabled
                                                                                         or self.mqtt_topic)
            log.log(logging.INFO if warned else logging.WARNING, "no cloud forecast for %s (%s): counted as "
                    "%.0f %% cloudy, as the seed did", day, cause, DEFAULT_CLOUDS_PERCENT)
            pick = CloudPick(day, DEFAULT_CLOUDS_PERCENT, SOURCE_DEFAULT, None, cause)
        self.last_pick = pick
        return pick

    def _owm_too_old(self, now: float | None, owm: OwmForecast | None = None) -> bool:
        """Whether `owm` (else the newest answer) is older than a check takes at `now`."""
        owm = self.owm if owm is None else owm
        return owm is not None and now is not None and now - owm.fetched_at > MAX_OWM_AGE_S

    def _missing_cause(self, day: date, now: float | None) -> str:
        too_old = ""
        if self.owm is not None and now is not None and self._owm_too_old(now):
            too_old = (f"the openweathermap forecast fetched at {_iso(self.owm.fetched_at, self.tz)} is "
                       f"{(now - self.owm.fetched_at) / 3600:.0f} h old: a check uses one up to "
                       f"{MAX_OWM_AGE_S / 3600:.0f} h old")
        if self.owm_failure is not None:
            failed = f"{self.owm_failure.source}: {self.owm_failure.cause}"
            if not self.owm_failure.final:
                tried_at = datetime.fromtimestamp(self.owm_failure.at, self.tz) if self.tz else \
                    datetime.fromtimestamp(self.owm_failure.at).astimezone()
                failed += f" (the try at {tried_at:%H:%M:%S}; its round not over)"
            return f"{failed}; {too_old}" if too_old else failed
        if too_old:
            return too_old
        if self.owm is not None:
            span = self.owm.span()
            covered = f"{span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M} UTC" if span else "nothing"
            return (f"the openweathermap forecast fetched at {_iso(self.owm.fetched_at, self.tz)} has no entries "
                    f"from 09:00 to 15:00 local time for {day} (it covers {covered})")
        if not self.owm_enabled and not self.mqtt_topic:
            return "no forecast source configured"
        return "no forecast received for that day"

    def pv_wh_for(self, day: date) -> DayForecast | None:
        """The MQTT forecast with a PV energy for `day`, if any (OpenWeatherMap gives none)."""
        forecast = self.mqtt.get(day)
        return forecast if forecast is not None and forecast.pv_wh is not None else None

    # --- status -------------------------------------------------------------------------------------------
    def _day_status(self, forecast: DayForecast) -> dict[str, Any]:
        """An MQTT forecast in the status document; `clouds_time` when its cloud cover came before its `time`."""
        doc = {"clouds_percent": forecast.clouds_percent, "pv_wh": forecast.pv_wh,
               "time": _iso(forecast.received_at, self.tz)}
        if forecast.clouds_at is not None:
            doc["clouds_time"] = _iso(forecast.clouds_at, self.tz)
        return doc

    def status(self) -> dict[str, Any]:
        """The `forecast` block of the status document, and the seed's CLOUD_forecast (last check's value)."""
        pick = self.last_pick
        used = None if pick is None else {
            "date": pick.day.isoformat(), "clouds_percent": round(pick.clouds_percent, 1), "source": pick.source,
            "time": _iso(pick.received_at, self.tz), "cause": pick.cause}
        owm: dict[str, Any] = {"enabled": self.owm_enabled}
        if self.owm is not None:
            span = self.owm.span()
            owm.update({"time": _iso(self.owm.fetched_at, self.tz), "entries": len(self.owm.clouds_by_utc),
                        "until_utc": span[1].astimezone(timezone.utc).isoformat() if span else None,
                        "daytime_clouds": self.owm.daytime(self.tz), KEPT_DIGEST: self.owm_digest})
        failure = self.owm_failure
        if failure is not None:
            owm.update({"error": failure.cause, "error_time": _iso(failure.at, self.tz)})
            if failure.ask_again_after is not None:  # (a start before it does not ask: shell.forecast_fetch)
                owm.update({"ask_again_after": _iso(failure.ask_again_after, self.tz),
                            "request_digest": failure.request_digest})
        mqtt = {"topic": self.mqtt_topic, "error": self.mqtt_error,
                "days": {d.isoformat(): self._day_status(f) for d, f in sorted(self.mqtt.items())}}
        return {"CLOUD_forecast": None if pick is None else round(pick.clouds_percent, 1),
                "forecast": {"used": used, SOURCE_OWM: owm, SOURCE_MQTT: mqtt}}
