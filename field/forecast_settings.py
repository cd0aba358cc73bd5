"""Options of the forecast sources: [openweathermap] (the seed's key and location, plus where and how to
fetch) and [forecast] (an MQTT topic carrying forecasts)."""

from __future__ import annotations

import configparser
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from settings.options import Option
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader

_APPID_VALUE = re.compile(r"(?i)([?&;]appid=)[^&#;]*")


def shown_url(url: str, key: str | None = None) -> str:
    """`url` as a log or a config error may show it: a key a user wrote into the url itself (`?appid=...`, or the
    `key` anywhere in it) is cut out."""
    url = _APPID_VALUE.sub(r"\1***", url)
    return url.replace(key, "***") if key else url


OWM_URL = "https://api.openweathermap.org/data/2.5/forecast"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
FETCH_LEAD_S = 3000.0  # the daily fetch starts 50 min before check_at: retries fit in the hour before it
# A start within this of the fetch of the forecast the status file kept does not fetch at start: a daemon in a restart
# loop (systemd's Restart=) asked OWM at every start, burning a free key's calls. The round before check_at still runs
# when it came due since that fetch.
KEEP_AT_START_S = 3 * 3600.0
# The longest a start holds back on the server's word kept from a failed fetch (a Retry-After of days, a garbled date):
# the round before check_at asks anyway.
MAX_ASKED_WAIT_S = 24 * 3600.0
# A refused key or an unknown place (401, 404) holds a start back until the config changes (the request's digest),
# and this at most: OWM activates a new key up to 2 hours after sign-up, with no change to the config. PySEB's own wait,
# not the server's (shell.forecast_wait; said so: field.forecast_pending.own_wait).
REFUSED_WAIT_S = KEEP_AT_START_S

OWM_OPTIONS: tuple[Option, ...] = (
    Option("key", "text?", None, "OpenWeatherMap API key (appid; never logged); empty, or only x's (the seed "
           "sample's placeholder, with a warning): no fetch"),
    Option("location", "text?", None, "place name as OpenWeatherMap knows it (q=), e.g. Chambery,FR"),
    Option("url", str, OWM_URL, "the 2.5 forecast endpoint (http or https)"),
    Option("timeout_s", float, 10.0, "seconds a fetch may take before it counts as failed", min=0.1, max=120),
    Option("attempts", int, 3, "tries of the daily fetch before check_at (and of the one at start)", min=1,
           max=10),
    Option("retry_interval_s", float, 300.0, "seconds between two tries", min=0.1, max=1800),
)

FORECAST_OPTIONS: tuple[Option, ...] = (
    Option("topic", "text?", None, "MQTT topic carrying {\"date\": ..., \"clouds_percent\": ..., \"pv_wh\": ...} "
           "(empty: off)"),
)


@dataclass(frozen=True, slots=True)
class OwmSettings:
    """Where and how to fetch OpenWeatherMap's forecast."""

    key: str = field(repr=False)
    location: str
    url: str
    timeout_s: float
    attempts: int
    retry_interval_s: float


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """The forecast sources; both may be off."""

    owm: OwmSettings | None
    mqtt_topic: str | None


def is_placeholder_key(key: str) -> bool:
    """True for a key made only of x's (any case): the seed sample's `xxxxxxx`, never a real key."""
    return set(key.lower()) == {"x"}


def read_forecast_settings(cp: configparser.ConfigParser, reader: SectionReader) -> ForecastSettings:
    """[openweathermap] and [forecast], problems collected in `reader`."""
    raw = reader.read(cp, "openweathermap", OWM_OPTIONS)
    topic = reader.read(cp, "forecast", FORECAST_OPTIONS)["topic"]
    if raw["key"] and is_placeholder_key(raw["key"]):
        # The seed's config.ini.sample says `key = xxxxxxx`: fetched with it, every start asked
        # api.openweathermap.org for a 401.
        reader.warnings.append(ConfigProblem("openweathermap", "key", "only x's: this looks like the seed "
                                             "sample's placeholder, not an API key; no forecast will be fetched "
                                             "(as with an empty key, the seed rule then counts the clouds as "
                                             "100 % unless [forecast] topic gives them)"))
        raw["key"] = None
    owm = None
    url = raw["url"] or OWM_URL
    try:
        parts = urlsplit(url)
        _ = parts.port  # (a port over 65535 raises here, not at the fetch: Linux would wrap it to another)
    except ValueError as exc:  # (an unbalanced bracket: "Invalid IPv6 URL", a traceback at --check and start)
        reader.problems.append(ConfigProblem("openweathermap", "url", f"not a URL ({exc}): "
                                                   f"{shown_url(url, raw['key'])!r}"))
    else:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            reader.problems.append(ConfigProblem("openweathermap", "url", "expected an http(s):// URL, got "
                                                  f"{shown_url(url, raw['key'])!r}"))
        elif parts.scheme == "http" and raw["key"] and parts.hostname not in LOOPBACK:
            reader.warnings.append(ConfigProblem("openweathermap", "url", "plain http: the API key would travel "
                                                 "unencrypted; use https"))
    if raw["key"] and not raw["location"]:
        reader.problems.append(ConfigProblem("openweathermap", "location", "is required with a key"))
    attempts, interval_s, timeout_s = raw["attempts"] or 1, raw["retry_interval_s"] or 0.0, raw["timeout_s"] or 0.0
    if attempts * timeout_s + (attempts - 1) * interval_s > FETCH_LEAD_S:
        reader.problems.append(ConfigProblem("openweathermap", "attempts", f"{attempts} tries of {timeout_s:g} s "
                                             f"{interval_s:g} s apart do not fit in the {FETCH_LEAD_S / 60:.0f} "
                                             "min before check_at"))
    if raw["key"] and raw["location"]:
        owm = OwmSettings(raw["key"], raw["location"], url, timeout_s, attempts, interval_s)
    return ForecastSettings(owm, topic)


def request_digest(settings: OwmSettings) -> str:
    """A digest of what is asked (url, place, key), for the status file: a failure kept there holds a start back, and a
    forecast kept there is taken back, only while the config asks the same. Never the key itself (the status file is
    published, backed up, pasted in issues); a key is 128 random bits, out of a digest's reach."""
    asked = "\n".join((settings.url, settings.location, settings.key)).encode("utf-8")
    return hashlib.sha256(asked).hexdigest()[:32]
