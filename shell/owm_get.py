"""One GET of OpenWeatherMap's forecast, parsed: standard library HTTP, the whole try within its timeout (connection,
headers and body), TLS verified, the API key never in a cause. Every failure becomes a ForecastFailure naming its
cause. The fetch thread (shell.forecast_fetch) asks it."""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

from field.forecast import ForecastError, ForecastFailure, OwmForecast, one_short_line, parse_owm_answer
from field.forecast_settings import LOOPBACK, OwmSettings
from shell.forecast_wait import RATE_LIMIT_WAIT_S, ask_again_after, request_digest, retry_after_s
from shell.http_deadline import DeadlinePassed, opener_within

MAX_BODY_BYTES = 1_000_000  # a 5-day forecast is ~16 kB: anything far larger is not one

def request_url(settings: OwmSettings) -> str:
    """The seed's request: q=location, units=metric, appid=key."""
    query = urlencode({"q": settings.location, "units": "metric", "appid": settings.key})
    return f"{settings.url}{'&' if '?' in settings.url else '?'}{query}"


def _describe(exc: BaseException, timeout_s: float) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, DeadlinePassed):  # (it says what it cut: "no answer within 10 s (the name lookup ...)")
        return str(reason)
    if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError since 3.10
        return f"no answer within {timeout_s:g} s"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {reason.verify_message}"
    if isinstance(reason, http.client.IncompleteRead):  # (the network or the server cut it: no bad answer)
        return f"the connection was closed before the whole answer came{_bytes_of(reason)}"
    if isinstance(reason, http.client.BadStatusLine) and not isinstance(reason, http.client.RemoteDisconnected):
        # (reached, but what listens there is not an HTTP server: `url`'s port another service's)
        return f"the server's answer is not HTTP (check [openweathermap] url): {reason}"
    return f"cannot reach the server: {reason}"


def _bytes_of(cut: http.client.IncompleteRead) -> str:
    """How much of an answer cut short came (its Content-Length known), as the cause says it."""
    if cut.expected is None:  # (a chunked answer: its whole length is not said ahead)
        return ""
    return f": {len(cut.partial)} of its {len(cut.partial) + cut.expected} bytes"


# What a GET (or reading its answer) raises when the network or the server fails.
_FETCH_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)


def fetch_once(settings: OwmSettings, clock: Callable[[], float] = time.time) -> OwmForecast | ForecastFailure:
    """One GET of the forecast, parsed; every failure becomes a ForecastFailure naming its cause."""
    request = urllib.request.Request(request_url(settings), headers={"Accept": "application/json",
                                                                     "User-Agent": "PySEB"})
    # (the whole try within timeout_s, connection, headers and body: urllib's timeout is each socket read's, and a
    # server that sent its headers a byte every few seconds held the fetch, and the check's forecast, for as long).
    # A url on this machine is asked directly: with http_proxy set (an office's, a CI runner's), a local relay's
    # request went, key and all, to that proxy.
    asked_wait: str | None = None  # the server's Retry-After
    try:
        with opener_within(settings.timeout_s, direct=urlsplit(settings.url).hostname in LOOPBACK) as opener:
            try:
                with opener.open(request, timeout=settings.timeout_s) as answer:
                    status, body = answer.status, _read_within(answer, settings.timeout_s)
                    asked_wait = answer.headers.get("Retry-After")  # (read for a rate limit said in the JSON)
            except urllib.error.HTTPError as exc:  # 4xx/5xx: OWM's JSON says why
                asked_wait = exc.headers.get("Retry-After") if exc.headers is not None else None
                # (its body can stall or break as any other: a 502 from a proxy in trouble did. One cut short is its
                # start: the status and the Retry-After say what matters, its JSON only adds the server's words)
                status = exc.code
                try:
                    body = _read_within(exc, settings.timeout_s) if exc.fp is not None else b""
                except http.client.IncompleteRead as cut:
                    body = cut.partial
    except _FETCH_ERRORS as exc:
        # (one short line, the key cut out first: a server that is not an HTTP one had http.client quote the line it
        # could not read, up to 64 KB of its bytes and their CR LF, in each try's log line and in every status)
        return ForecastFailure(one_short_line(_redacted(_describe(exc, settings.timeout_s), settings.key)), clock())
    if len(body) > MAX_BODY_BYTES:
        if status == 200:
            return ForecastFailure(f"answer larger than {MAX_BODY_BYTES} bytes", clock())
        # (an error page that big, a proxy's or a CDN's, is no forecast either, but its status and its Retry-After
        # still say what it is and how long to wait: a 429 or a 503 said "answer larger than ...", its wait lost)
        body = body[:MAX_BODY_BYTES]
    try:
        # (the body redacted before the parse quotes a part of it: a hotspot's login page echoing the URL asked, cut
        # at 200 characters in the middle of the key, logged and published its first half, out of the redaction's
        # reach)
        return parse_owm_answer(status, _redacted_body(body, settings.key), clock())
    except ForecastError as exc:
        wait_s = retry_after_s(asked_wait, clock()) if asked_wait is not None else None
        # (a rate limit said in the JSON of an HTTP 200, as a relay or an older API answers it, is one too: retried
        # at the usual pace, it was asked `attempts` times in seconds, and at every start)
        limited_status = 429 if exc.code == "429" else status
        if limited_status == 429 and wait_s is None:
            wait_s = RATE_LIMIT_WAIT_S
        failed_at = clock()
        # (kept in the status file: a restart waits too)
        until = ask_again_after(limited_status, exc.retry, wait_s, failed_at)
        return ForecastFailure(_redacted(str(exc), settings.key), failed_at, retry=exc.retry, retry_after_s=wait_s,
                               ask_again_after=until,
                               request_digest=None if until is None else request_digest(settings))


def _read_within(answer: Any, timeout_s: float) -> bytes:
    """The answer's body (MAX_BODY_BYTES + 1 at most), read within `timeout_s` in all: urlopen's timeout is each
    socket read's, and a server that trickled its answer (a byte every half second) held the fetch, and the
    check's forecast, for hours."""
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the answer took longer than {timeout_s:g} s")
        chunk = answer.read1(MAX_BODY_BYTES + 1 - size)  # (what one read of the socket gives, not all of it)
        if not chunk:
            # (a read at the end of what came gives nothing, where read() raises: an answer cut short of its
            # Content-Length was parsed as a whole one, "not valid JSON", the network's fault taken for the server's)
            missing = getattr(answer, "length", None)  # (http.client's count of the bytes still to come)
            if isinstance(missing, int) and missing > 0:
                raise http.client.IncompleteRead(b"".join(chunks), missing)
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _redacted(text: str, key: str) -> str:
    # A server or a library may echo the URL: the key must not reach the log or the status (as written, and as
    # the URL carries it).
    for form in _key_forms(key):
        text = text.replace(form, "***")
    return text


def _redacted_body(body: bytes, key: str) -> bytes:
    """The answer's body with the key cut out, whole, before any part of it is quoted."""
    for form in _key_forms(key):
        body = body.replace(form.encode("utf-8"), b"***")
    return body


def _key_forms(key: str) -> list[str]:
    return [form for form in dict.fromkeys((key, quote_plus(key))) if form]
