"""The forecasts the regulator holds: the last OpenWeatherMap answer (or why the last fetch failed) and
the MQTT forecasts by local date. At the seed rule's check it picks the cloud cover of the day asked
about, the freshest valid source winning, else the seed's 100 % with one warning naming the cause."""

from __future__ import annotations

import logging
from datetime import date, timedelta, timezone, tzinfo
from typing import Any

from field.forecast import (
    SOURCE_DEFAULT,
    SOURCE_MQTT,
    SOURCE_OWM,
    CloudPick,
    DayForecast,
    ForecastError,
    ForecastFailure,
    OwmForecast,
    parse_mqtt_forecast,
    unit_doubts,
)
from field.forecast_keep import FULL_AHEAD, KEEP_PAST_DAYS, KEPT_DIGEST, MAX_OWM_AGE_S, KeptForecasts, iso_at
from field.forecast_pending import FetchUnderWay, clock_time, clock_time_on, own_wait
from values.local_time import local_date

log = logging.getLogger(__name__)

DEFAULT_CLOUDS_PERCENT = 100.0  # the seed: no forecast counts as a fully cloudy sky (the rule forces more)
# The earlier answers kept beside the newest, at most (each under MAX_OWM_AGE_S old when the newest came: a fetch
# at each start and each night's check, and retries, make a few a day).
KEEP_EARLIER_ANSWERS = 8
# A failed round's warning stands for the night's others of the same cause: the fetch at start, the daily round and
# its tries again before the check warned three times of one night's cause. The next ones, until the check or a good
# answer and within this of the warning, are said at INFO (another cause, a key refused after the network was down,
# is warned of: the check names it).
FOLD_FAILURES_S = 12 * 3600.0


class ForecastBook(KeptForecasts):
    """Forecasts received so far; `clouds_for(day)` at a check, `pv_wh_for(day)` for the deadline rule; `restore` and
    `restore_last_pick` (field.forecast_keep) at start."""

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
        self.under_way: FetchUnderWay | None = None  # a fetch's try started, its outcome not come yet
        self._failures_warned: dict[str, float] = {}  # causes warned of (when), since the last check or good answer
        self.mqtt: dict[date, DayForecast] = {}
        self.mqtt_error: str | None = None
        self.last_pick: CloudPick | None = None  # what the last check used
        self._unit_warned: set[str] = set()  # values warned as in the wrong unit, until one looks right

    # --- input --------------------------------------------------------------------------------------------
    def on_fetched(self, result: OwmForecast | ForecastFailure | FetchUnderWay) -> None:
        """A fetch's outcome, or a failed try of a round not over (`final` False: kept for a check meanwhile, not warned
        of: the fetch thread logged it, and the round's outcome is warned of), or a try just started (a check waits for
        it: `awaited`). A failure keeps an earlier good answer (its days may still be covered)."""
        if isinstance(result, FetchUnderWay):
            self.under_way = result
            return
        # (the try's outcome: a check waits for the round's next try, if it says one follows in time, else no longer)
        under_way, self.under_way = self.under_way, None
        if isinstance(result, ForecastFailure):
            self.owm_failure = result
            if under_way is not None:
                self.under_way = under_way.next_try(result)
            warned_at = self._failures_warned.get(result.cause)
            if not result.final:
                return
            if warned_at is not None and 0.0 <= result.at - warned_at < FOLD_FAILURES_S:
                log.info("forecast from %s still not usable: %s (warned of at %s)", result.source, result.cause,
                         clock_time(warned_at, self.tz))
            else:
                # (those no longer folded dropped: a night with no check, the seed rule off by the mode, kept them)
                self._failures_warned = {cause: at for cause, at in self._failures_warned.items()
                                         if 0.0 <= result.at - at < FOLD_FAILURES_S}
                self._failures_warned[result.cause] = result.at
                log.warning("forecast from %s not usable: %s", result.source, result.cause)
            return
        self._failures_warned = {}
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
                        span[1].strftime("%Y-%m-%d %H:%M"), iso_at(further[0].fetched_at, self.tz),
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


    # --- use ----------------------------------------------------------------------------------------------
    def clock_stepped(self, step_s: float) -> None:
        """The wall clock stepped by `step_s` (forward > 0): the try a check waits for keeps its deadline's distance."""
        if self.under_way is not None:
            self.under_way = self.under_way.moved(step_s)

    def awaited(self, now: float | None = None) -> FetchUnderWay | None:
        """The fetch's try under way whose answer may still come at `now` (None: any), for a check to wait for."""
        under_way = self.under_way
        return under_way if under_way is not None and not under_way.past_round_wait and \
            (now is None or now < under_way.ends_by) else None

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
            # not, nor one kept from before a restart: warned of in the last run's log); no source at all is normal.
            failure = self.owm_failure
            warned = (failure is not None and failure.final and not failure.kept) or not (self.owm_enabled
                                                                                          or self.mqtt_topic)
            log.log(logging.INFO if warned else logging.WARNING, "no cloud forecast for %s (%s): counted as "
                    "%.0f %% cloudy, as the seed did", day, cause, DEFAULT_CLOUDS_PERCENT)
            pick = CloudPick(day, DEFAULT_CLOUDS_PERCENT, SOURCE_DEFAULT, None, cause)
        self.last_pick = pick
        self._failures_warned = {}  # (the night's check: the next night's failure is warned of afresh)
        return pick

    def _owm_too_old(self, now: float | None, owm: OwmForecast | None = None) -> bool:
        """Whether `owm` (else the newest answer) is older than a check takes at `now`."""
        owm = self.owm if owm is None else owm
        return owm is not None and now is not None and now - owm.fetched_at > MAX_OWM_AGE_S

    def _missing_cause(self, day: date, now: float | None) -> str:
        too_old = ""
        if self.owm is not None and now is not None and self._owm_too_old(now):
            too_old = (f"the openweathermap forecast fetched at {iso_at(self.owm.fetched_at, self.tz)} is "
                       f"{(now - self.owm.fetched_at) / 3600:.0f} h old: a check uses one up to "
                       f"{MAX_OWM_AGE_S / 3600:.0f} h old")
        if self.under_way is not None:  # (a check runs past its deadline, or when its answer comes too late for it)
            under_way = self.under_way
            return under_way.no_answer(self.tz) if now is None or now >= under_way.ends_by else \
                under_way.not_waited(self.tz)
        if self.owm_failure is not None:
            failed = f"{self.owm_failure.source}: {self.owm_failure.cause}"
            if self.owm_failure.kept:
                # (kept for it: the check went on, not waiting that long; the server's wait or, after a refused key or
                # place, PySEB's own; its date when not today's, the wait may end tomorrow)
                until, own = self.owm_failure.ask_again_after, own_wait(self.owm_failure.cause)
                held = "" if until is None else \
                    f"; {f'{own},' if own else 'the server asked to wait'} until {clock_time_on(until, now, self.tz)}"
                failed += f" (at {iso_at(self.owm_failure.at, self.tz)}, kept from before the restart{held})"
            elif not self.owm_failure.final:
                failed += f" (the try at {clock_time(self.owm_failure.at, self.tz)}; its round not over)"
            return f"{failed}; {too_old}" if too_old else failed
        if too_old:
            return too_old
        if self.owm is not None:
            span = self.owm.span()
            covered = f"{span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M} UTC" if span else "nothing"
            return (f"the openweathermap forecast fetched at {iso_at(self.owm.fetched_at, self.tz)} has no entries "
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
               "time": iso_at(forecast.received_at, self.tz)}
        if forecast.clouds_at is not None:
            doc["clouds_time"] = iso_at(forecast.clouds_at, self.tz)
        return doc

    def status(self) -> dict[str, Any]:
        """The `forecast` block of the status document, and the seed's CLOUD_forecast (last check's value)."""
        pick = self.last_pick
        used = None if pick is None else {
            "date": pick.day.isoformat(), "clouds_percent": round(pick.clouds_percent, 1), "source": pick.source,
            "time": iso_at(pick.received_at, self.tz), "cause": pick.cause}
        owm: dict[str, Any] = {"enabled": self.owm_enabled}
        if self.owm is not None:
            span = self.owm.span()
            owm.update({"time": iso_at(self.owm.fetched_at, self.tz), "entries": len(self.owm.clouds_by_utc),
                        "until_utc": span[1].astimezone(timezone.utc).isoformat() if span else None,
                        "daytime_clouds": self.owm.daytime(self.tz), KEPT_DIGEST: self.owm_digest})
        failure = self.owm_failure
        if failure is not None:
            owm.update({"error": failure.cause, "error_time": iso_at(failure.at, self.tz)})
            if failure.ask_again_after is not None:  # (a start before it does not ask: shell.forecast_fetch)
                owm.update({"ask_again_after": iso_at(failure.ask_again_after, self.tz),
                            "request_digest": failure.request_digest})
        mqtt = {"topic": self.mqtt_topic, "error": self.mqtt_error,
                "days": {d.isoformat(): self._day_status(f) for d, f in sorted(self.mqtt.items())}}
        return {"CLOUD_forecast": None if pick is None else round(pick.clouds_percent, 1),
                "forecast": {"used": used, SOURCE_OWM: owm, SOURCE_MQTT: mqtt}}
