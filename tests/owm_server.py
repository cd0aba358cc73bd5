"""OpenWeatherMap 2.5 `forecast` answers shaped as OWM documents them (40 entries, 3 h apart, `dt` in UTC
seconds, `dt_txt` in UTC, `clouds.all` in %, `cod` a string on success), its documented error bodies,
and a local HTTP server on a loopback port serving them. Nothing here ever contacts the real OWM."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

FIXTURES = Path(__file__).resolve().parent / "data" / "owm"
ERROR_401 = {"cod": 401, "message": "Invalid API key. Please see https://openweathermap.org/faq#error401 "
                                    "for more info."}
ERROR_404 = {"cod": "404", "message": "city not found"}


def noon_clock() -> Callable[[], float]:
    """A wall clock for a fetcher on a real server: noon of a winter day in Paris, moving on in real time. On the real
    clock, a test with check_at 1 run in the hour before it (or in the 3 h after: a late check) had the round at start
    stand for the daily one, its tries bounded by the check (two tests failed in a run between 00:53 and 01:00)."""
    offset_s = datetime(2024, 1, 10, 12, tzinfo=ZoneInfo("Europe/Paris")).timestamp() - time.time()
    return lambda: time.time() + offset_s


def forecast_doc(first_utc: datetime, clouds: Callable[[datetime], int], count: int = 40,
                 city: str = "Chambéry") -> dict:
    """An OWM forecast answer: `count` entries every 3 h from `first_utc`, cloud cover `clouds(t)`."""
    entries = []
    for i in range(count):
        t = first_utc + timedelta(hours=3 * i)
        cover = clouds(t)
        entries.append({
            "dt": int(t.timestamp()),
            "main": {"temp": 21.3, "feels_like": 21.0, "temp_min": 20.1, "temp_max": 21.3, "pressure": 1015,
                     "sea_level": 1015, "grnd_level": 933, "humidity": 64, "temp_kf": 1.2},
            "weather": [{"id": 804 if cover > 84 else 802, "main": "Clouds",
                         "description": "overcast clouds" if cover > 84 else "scattered clouds", "icon": "04d"}],
            "clouds": {"all": cover},
            "wind": {"speed": 1.14, "deg": 17, "gust": 1.57},
            "visibility": 10000,
            "pop": 0,
            "sys": {"pod": "d" if 6 <= t.hour < 18 else "n"},
            "dt_txt": t.strftime("%Y-%m-%d %H:%M:%S"),
        })
    return {"cod": "200", "message": 0, "cnt": count, "list": entries,
            "city": {"id": 3027422, "name": city, "coord": {"lat": 45.5667, "lon": 5.9333}, "country": "FR",
                     "population": 58272, "timezone": 7200, "sunrise": int(first_utc.timestamp()),
                     "sunset": int(first_utc.timestamp()) + 15 * 3600}}


def utc(y: int, m: int, d: int, h: int = 0) -> datetime:
    """A UTC time."""
    return datetime(y, m, d, h, tzinfo=timezone.utc)


@dataclass
class Answer:
    """What the server sends: a status and a body, or nothing at all (`hang`), or the status and the start of
    the body, the rest never (`stall`: a proxy in trouble), or the start of the body and the connection closed (`cut`:
    its Content-Length 100 bytes more), or the body a byte every `trickle_s` seconds, or the status line and headers
    a byte every `trickle_head_s` seconds (then the body at once)."""

    status: int = 200
    body: bytes = b""
    hang: bool = False
    stall: bool = False
    cut: bool = False
    trickle_s: float = 0.0
    trickle_head_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)  # sent beside Content-Type (Retry-After...)
    raw: bytes = b""  # sent as is instead of an HTTP answer (a port where another server than an HTTP one listens)


@dataclass
class OwmServer:
    """A local HTTP server answering every GET with the next of `answers` (the last one repeats)."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[dict[str, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append(parse_qs(urlsplit(self.path).query))
                answer = server.answers[min(len(server.requests), len(server.answers)) - 1]
                if answer.hang:
                    server._release.wait(60)  # holds the connection open, says nothing
                    return
                if answer.raw:
                    self.wfile.write(answer.raw)
                    return
                if answer.trickle_head_s:
                    head = (f"HTTP/1.0 {answer.status} OK\r\nServer: owm-fake\r\nX-Padding: {'.' * 60}\r\n"
                            f"Content-Type: application/json; charset=utf-8\r\n"
                            f"Content-Length: {len(answer.body)}\r\n\r\n").encode()
                    for index in range(len(head)):
                        if server._release.wait(answer.trickle_head_s):
                            return
                        self.wfile.write(head[index:index + 1])
                        self.wfile.flush()
                    self.wfile.write(answer.body)
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body) + (100 if answer.stall or answer.cut else 0)))
                self.end_headers()
                if answer.trickle_s:
                    for index in range(len(answer.body)):
                        if server._release.wait(answer.trickle_s):
                            return
                        self.wfile.write(answer.body[index:index + 1])
                        self.wfile.flush()
                    return
                self.wfile.write(answer.body)
                if answer.stall:
                    self.wfile.flush()
                    server._release.wait(60)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="owm-server",
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The forecast endpoint's URL on this server."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/data/2.5/forecast"

    def serve(self, *answers: Answer) -> None:
        """Answer the next requests with these."""
        self.answers = list(answers)
        self.requests.clear()

    def close(self) -> None:
        """Release hung requests and stop."""
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


def serving(*answers: Answer) -> Iterator[OwmServer]:
    """A test fixture's body: a server answering `answers`, closed after the test."""
    s = OwmServer(list(answers))
    try:
        yield s
    finally:
        s.close()


def json_answer(doc: object, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    """A JSON body."""
    return Answer(status, json.dumps(doc).encode(), headers=headers or {})


def fixture(name: str) -> bytes:
    """A stored fixture's bytes."""
    return (FIXTURES / name).read_bytes()
