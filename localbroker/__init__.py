"""A private mosquitto on a free loopback port, for the tests, the demo and the benchmarks.

It never touches a broker it did not start (the machine's own one on 1883 included): it picks a free
port on 127.0.0.1, runs its own process with its own config in a temporary directory, and stops that
process by its PID.
"""

from __future__ import annotations

import ctypes
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from localbroker.leftovers import claim_dir, mark_users, remove_stale

__all__ = ["BrokerError", "PrivateBroker", "ephemeral_ports", "find_mosquitto", "free_port", "picked_ports"]


class BrokerError(RuntimeError):
    """The private broker could not be found or started."""


FOLDER_PREFIX = "pyseb-mosquitto-"
PORT_ATTEMPTS = 3
PORT_TAKEN = "Address already in use"
_STAMP = re.compile(r"^\d+: ")  # mosquitto's own time stamp, before each line


def _said(logs: tuple[Path, ...], sizes: list[int]) -> str:
    """What mosquitto wrote to `logs` after `sizes`: its errors (the reason it exited), else its last line. Said in
    the error itself: the folder holding the logs is removed by the cleanup that follows."""
    lines: list[str] = []
    for log, size in zip(logs, sizes, strict=True):
        try:
            with open(log, "rb") as handle:
                handle.seek(size)
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            continue
        lines += [_STAMP.sub("", line).strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    return "; ".join(errors or lines[-1:]) or "no message"


def find_mosquitto() -> str:
    """Path of the mosquitto binary (Debian puts it in /usr/sbin, often off a user's PATH)."""
    debian_path = "/usr/sbin/mosquitto"
    found = shutil.which("mosquitto") or (debian_path if os.path.exists(debian_path) else None)
    if not found:
        raise BrokerError("mosquitto is not installed: 'make demo' installs it (as does 'make test'), or "
                          "'sudo apt-get install mosquitto mosquitto-clients'")
    return found


MQTT_PORT = 1883  # (the machine's own broker's: never ours)
LOWEST_PICKED_PORT = 10000
# "FIRST-LAST": the ports free_port() picks in, when set (1000 of them at least, else the OS picks). The test suite
# runs in parallel workers (pytest-xdist), each given a range of its own by tests/conftest.py (the subprocesses of its
# tests, a demo or a sweep, inherit it): picking in one range, a test's "nothing listens there" port, or the port of a
# broker it stopped to restart, could be taken meanwhile by another worker's broker.
PORTS_VARIABLE = "PYSEB_BROKER_PORTS"


def ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of source ports for outgoing connections (Linux; the usual default elsewhere)."""
    try:
        low, high = (int(word) for word in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def picked_ports() -> tuple[int, int]:
    """The ports free_port() picks in, [first, end): PYSEB_BROKER_PORTS's range when it names one, else from
    LOWEST_PICKED_PORT up to the kernel's ephemeral range."""
    first, dash, last = os.environ.get(PORTS_VARIABLE, "").partition("-")
    if dash and first.strip().isdigit() and last.strip().isdigit() and 0 < int(first) <= int(last) < 65536:
        return int(first), int(last) + 1
    return LOWEST_PICKED_PORT, ephemeral_ports()[0]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now, below the kernel's ephemeral range when there is room. Inside it, a
    client retrying a port nothing listens on (a broker down, stopped for a test) is, once in many thousands of
    attempts, given that very port as its own source and connects to itself (TCP's simultaneous open): paho read its
    own CONNECT back as the broker's answer ('Protocol error', a CI run of a broker-down test), and a broker started
    there meanwhile could not bind it."""
    first, end = picked_ports()
    picker = random.SystemRandom()
    for _ in range(200 if end - first >= 1000 else 0):
        port = picker.randrange(first, end)
        if port == MQTT_PORT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:  # (taken, or in TIME_WAIT from an earlier broker)
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))  # (no room below the range: the OS picks)
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """`preexec_fn` of a child process: if the process that started it dies hard (SIGKILL), the kernel sends the
    child SIGTERM, so no orphan outlives a killed test run or demo (the broker, the demo's daemon). Linux only."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class PrivateBroker:
    """One mosquitto process of our own on 127.0.0.1:<free port>; `start()`/`stop()` or a `with` block."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None, extra_conf: str = "") -> None:
        self.port = port or free_port(self.host)
        self._port_picked = not port  # ours to change when another process takes it before mosquitto binds it
        self.extra_conf = extra_conf  # more listeners (e.g. TLS), appended to the config as is
        # (a folder left by a broker whose test run or demo was killed outright goes first: SIGKILL runs no cleanup)
        remove_stale(FOLDER_PREFIX)
        self._dir = claim_dir(FOLDER_PREFIX)
        self._proc: subprocess.Popen[bytes] | None = None
        self._exit_code: int | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running broker, or None."""
        return self._proc.pid if self._proc else None

    @property
    def log_path(self) -> Path:
        """Where the broker's own log goes (handy when a test fails)."""
        return self._dir / "mosquitto.log"

    def start(self, timeout_s: float = 10.0) -> PrivateBroker:
        """Start the broker and wait until it accepts connections."""
        attempt = 1
        while (said := self._start_once(timeout_s)) is not None:
            # free_port() found the port free a moment ago: another test run or demo may have taken it since.
            if not (self._port_picked and PORT_TAKEN in said and attempt < PORT_ATTEMPTS):
                raise BrokerError(f"mosquitto exited at start (code {self._exit_code}): {said}")
            self.port = free_port(self.host)
            attempt += 1
        self._port_picked = False  # a restart (a test's) keeps the port its clients know
        return self

    def _start_once(self, timeout_s: float) -> str | None:
        """One start: None once it listens, else what mosquitto said before exiting."""
        conf = self._dir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {self.host}\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "set_tcp_nodelay true\n"
            f"log_dest file {self.log_path}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            # Started as root, mosquitto drops to user "mosquitto", who cannot read our private
            # temporary files (its log, test certificates): stay who we are.
            + ("user root\n" if os.geteuid() == 0 else "")
            + self.extra_conf
        )
        logs = (self._dir / "stdout.log", self.log_path)
        # (both are appended to, by a restart in a test too: only what this start writes is its reason)
        sizes = [log.stat().st_size if log.exists() else 0 for log in logs]
        # The same port is reused after a restart in a test (stop + start again): the config keeps it.
        with open(logs[0], "ab") as log:
            # Its own session: a Ctrl-C meant for the demo reaches the demo, which then stops the broker.
            self._proc = subprocess.Popen([find_mosquitto(), "-c", str(conf)], stdout=log, stderr=log,
                                          stdin=subprocess.DEVNULL, start_new_session=True,
                                          preexec_fn=die_with_parent)
        mark_users(self._dir, [os.getpid(), self._proc.pid])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._exit_code = self._proc.returncode
                self._proc = None
                return _said(logs, sizes)
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    pass
            except OSError:
                time.sleep(0.02)
                continue
            time.sleep(0.05)
            if self._proc.poll() is None:  # still alive: the listener is ours, not a port race's loser
                return None
        self.stop()
        raise BrokerError(f"mosquitto did not listen on {self.host}:{self.port} within {timeout_s} s")

    def stop(self) -> None:
        """Stop the broker we started, by its PID (SIGTERM, then SIGKILL)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def cleanup(self) -> None:
        """Stop and remove the temporary directory."""
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PrivateBroker:
        try:
            return self.start()
        except BaseException:
            self.cleanup()  # __exit__ will not run: remove the temporary directory here
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cleanup()
