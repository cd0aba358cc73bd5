"""The broker's address and TLS files as the network code will take them: what it would refuse at start (a
traceback, exit 1, and systemd restarting PySEB into the same failure) is a config problem, found by --check."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any


class _Encrypted(Exception):
    """The client key asked for a password."""


def _no_password() -> str:
    raise _Encrypted


def host_problem(host: str) -> str | None:
    """Why `host` is no host name or address the socket library can look up (None: it can). A URL, a host with its
    port or its user (`mqtt://broker.lan`, `192.168.1.10:1883`, `user@broker`, as Home Assistant's and other tools'
    settings write them) is refused by name, saying where each part goes: it did not resolve, and the daemon retried
    it for ever."""
    if not host.strip():
        return "is empty"
    scheme, has_scheme, rest = host.partition("://")
    # (what comes before an @ is never echoed: a user and a password, and the error goes to the journal)
    _, at, address = (rest if has_scheme else host).rpartition("@")
    if has_scheme:
        bare, _ = _split_port(address.split("/")[0])
        if scheme.lower() in ("ws", "wss"):
            return (f"a URL ({scheme}://...): PySEB speaks MQTT over TCP, not over websockets: give the broker's host "
                    f"alone ({bare!r}) and its MQTT port (1883; 8883 with tls = true) in [mqtt] port")
        return (f"a URL ({scheme}://...): give the broker's host alone ({bare!r}), its port in [mqtt] port"
                + (" and tls = true (with ca_file)" if scheme.lower() in ("mqtts", "ssl", "tls") else ""))
    if at:
        return (f"holds a user name (and a password?) before an @: give the broker's host alone "
                f"({_split_port(address)[0]!r}), the user and password in [mqtt] username and password")
    bare, port = _split_port(host)
    if port:
        return f"{host!r} holds a port: give the host alone ({bare!r}) and the port in [mqtt] port ({port})"
    if bare != host:
        return f"{host!r}: give the address without its brackets ({bare!r})"
    if host.count(":") == 1 or any(c.isspace() or c in "/[]" for c in host):
        return f"{host!r} is not a host name or address: it holds a space, a single ':', a / or a bracket"
    try:
        host.encode("idna")  # what socket.getaddrinfo does with it
    except UnicodeError:
        return (f"{host!r} is not a host name or address: one of its dot-separated parts is empty or longer than "
                "63 characters")
    return None


def _split_port(host: str) -> tuple[str, str]:
    """`host` and the port ending it ("" if none): `broker.lan:1883`, `[::1]:1883`, `[::1]` (its brackets taken off);
    an IPv6 address's own colons (two or more, unbracketed: `fe80::1`) hold no port."""
    if host.startswith("["):
        address, bracket, after = host[1:].partition("]")
        if bracket and (not after or (after[:1] == ":" and after[1:].isdigit() and after.isascii())):
            return address, after[1:]
        return host, ""
    name, colon, port = host.rpartition(":")
    if colon and ":" not in name and port.isdigit() and port.isascii():
        return name, port
    return host, ""


def tls_problems(ca_file: str | None, cert_file: str | None, key_file: str | None) -> list[tuple[str, str]]:
    """(key, problem) for readable TLS files the TLS library refuses: a CA file with no certificate, a client
    certificate and key that do not load together, an encrypted key (PySEB gives it no password, and
    OpenSSL would ask for one on a terminal the service does not have). No `ca_file`: the system's CAs."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, ValueError) as exc:
        return [("ca_file", f"holds no CA certificate PySEB can read (PEM text expected): {_reason(exc)}")]
    if not cert_file:
        return []
    try:
        context.load_cert_chain(cert_file, key_file, password=_no_password)
    except _Encrypted:
        return [("key_file" if key_file else "cert_file", "the client key is encrypted: PySEB gives it no password; "
                 "store it unencrypted (openssl pkey -in KEY -out NEW), readable by PySEB's user only")]
    except ssl.SSLError as exc:
        return [("cert_file", "the client certificate and its key do not load together (a certificate and "
                 f"its own key, PEM text, expected): {_reason(exc)}")]
    return []


def unreadable(path: Path) -> str | None:
    """Why `path` cannot be read as a file, or None."""
    try:  # (exists() too raises OSError, on a name too long to be one)
        if not path.exists():
            return f"{path} does not exist"
        if not path.is_file():  # a directory, or a fifo that open() would block on
            return f"{path} is a directory, not a file" if path.is_dir() else f"{path} is not a regular file"
        with open(path, "rb"):  # permissions, as the daemon will meet them
            return None
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror}"


def tls_file_problems(paths: dict[str, str | None]) -> list[tuple[str, str]]:
    """(key, problem) for the TLS files `paths` names (ca_file, cert_file, key_file; None: not given): one that
    cannot be read, a client key without its certificate, else what the TLS library refuses in them. The daemon's
    --check and the sweep's, alike."""
    problems = [(key, problem) for key, given in paths.items() if given and (problem := unreadable(Path(given)))]
    if paths.get("key_file") and not paths.get("cert_file"):
        return [*problems, ("key_file", "needs cert_file (the client certificate)")]
    if problems:
        return problems
    return tls_problems(paths.get("ca_file"), paths.get("cert_file"), paths.get("key_file"))


PLAIN_PORT, TLS_PORT = 1883, 8883  # MQTT's, by convention


def broker_notes(host: str, port: int, tls: bool, resolve: Callable[..., Any] = socket.getaddrinfo) -> list[str]:
    """What --check can tell of the broker without connecting: a name that does not resolve (a typo the daemon
    would retry for ever; not a problem, since at boot the network may not be up yet), a port that is the
    other listener's by convention."""
    notes = []
    try:
        resolve(host, port, type=socket.SOCK_STREAM)  # (an address is no lookup: only a name asks the resolver)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        notes.append(f"{host!r} does not resolve here now ({getattr(exc, 'strerror', None) or exc}): a typo in "
                     "[mqtt] host? (at boot the network may not be up yet: PySEB retries it)")
    if tls and port == PLAIN_PORT:
        notes.append(f"port {PLAIN_PORT} is MQTT's plain port by convention, and tls = true: is the broker's TLS "
                     f"listener not on {TLS_PORT}?")
    elif not tls and port == TLS_PORT:
        notes.append(f"port {TLS_PORT} is MQTT's TLS port by convention, and tls = false: set tls = true with ca_file "
                     "if it is the broker's TLS listener")
    return notes


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "reason", None) or exc)
