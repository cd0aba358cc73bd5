"""What a failed connection to the broker means for the [mqtt] keys: nothing listening on the port, a host name that
does not resolve, a TLS setting that does not match the broker's listener. The daemon's link and the calibration
sweep's say it alike (no paho here: `python3 -m calibration fit` runs without)."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import Protocol


class BrokerEndpoint(Protocol):
    """The [mqtt] keys the hints name: the daemon's MqttSettings and the sweep's SweepTarget both have them."""

    @property
    def host(self) -> str: ...

    @property
    def tls(self) -> bool: ...

    @property
    def ca_file(self) -> str | None: ...

    @property
    def port(self) -> int: ...

    @property
    def cert_file(self) -> str | None: ...


# getaddrinfo's answers that the name does not exist (not EAI_AGAIN: a name server that did not answer, no network yet)
_UNKNOWN_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def connect_failure_hint(exc: BaseException, settings: BrokerEndpoint) -> str:
    """What a failed connection attempt means for the [mqtt] keys ('' when the error says enough): the socket's
    failures first ('[Errno 111] Connection refused' alone named no key), then a TLS mismatch."""
    if isinstance(exc, ConnectionRefusedError):
        told = (f" (nothing listens on {settings.host} port {settings.port}: check [mqtt] host and port, and that the "
                "broker")
        if _loopback(settings.host):
            return f"{told} runs on this machine: systemctl status mosquitto)"
        # (mosquitto 2 without a listener line listens on the loopback only: the Pi's own address is refused too)
        return (f"{told} runs there and takes connections from other machines: mosquitto 2 does only with a "
                "listener line, see docs/running-on-a-pi.md)")
    if isinstance(exc, socket.gaierror) and exc.errno in _UNKNOWN_NAME:
        return (f" (this machine knows no host of that name: check [mqtt] host ({settings.host!r}); the broker's "
                "address, 192.168.1.10 say, needs no name)")
    return tls_mismatch_hint(exc, settings)


def _loopback(host: str) -> bool:
    """Whether `host` is this machine's loopback, as written (no name is looked up)."""
    if host.lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_mismatch_hint(exc: BaseException, settings: BrokerEndpoint) -> str:
    """What a failed connection attempt means when TLS is on and the broker ended the handshake ('' for any other
    failure): a plain MQTT listener reads the TLS hello as a malformed packet and resets the connection; a TLS one
    that asks for a client certificate ends the handshake (paho 1.6: 'EOF occurred in violation of protocol')."""
    if not settings.tls:
        return ""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _untrusted_hint(getattr(exc, "verify_code", None), settings)
    if isinstance(exc, ConnectionResetError) or getattr(exc, "reason", None) == "WRONG_VERSION_NUMBER":
        return (f" (the broker ended the TLS handshake at once: port {settings.port} is not a TLS listener, most "
                "likely; give the broker's TLS port, 8883 by convention, or set tls = false)")
    if isinstance(exc, ssl.SSLError):
        return f" (the broker ended the TLS handshake: {_client_certificate_hint(settings)})"
    return ""


# OpenSSL's X509_V_ERR_* codes: what each says of the [mqtt] keys ('self-signed certificate in certificate chain'
# named no file; 'certificate has expired' not whose)
_OTHER_CA = {2, 18, 19, 20, 21}  # unable to get the issuer (locally), self-signed (in the chain), leaf unverifiable
_NOT_YET_VALID, _EXPIRED = 9, 10
_NOT_FOR_HOST = {62, 64}  # hostname, IP address mismatch


def _untrusted_hint(code: int | None, settings: BrokerEndpoint) -> str:
    """What the broker's certificate not verifying by `code` means, for the user ('' when OpenSSL says enough)."""
    if code in _OTHER_CA and settings.ca_file is None:
        return (" (no ca_file: the system's CA certificates do not hold the CA that signed the broker's certificate: "
                "a broker with a CA of its own needs ca_file = that CA's certificate, mosquitto's cafile)")
    if code in _OTHER_CA:
        return (f" (ca_file ({settings.ca_file}) does not hold the CA that signed the broker's certificate: give the "
                "broker's CA certificate, mosquitto's cafile)")
    if code in _NOT_FOR_HOST:
        return (f" (set [mqtt] host to a name or address the broker's certificate is for, not {settings.host!r}: "
                "openssl x509 -noout -ext subjectAltName -in <its certificate> lists them)")
    if code == _EXPIRED:
        return (" (the broker's certificate (or its CA's) has expired: renew it on the broker; or this machine's "
                "clock is ahead)")
    if code == _NOT_YET_VALID:
        return (" (the broker's certificate is not valid yet by this machine's clock: is this machine's clock right? A "
                "Pi has no clock of its own before network time)")
    return ""


def _client_certificate_hint(settings: BrokerEndpoint) -> str:
    if settings.cert_file:
        return "does the broker take cert_file's certificate (not expired, from a CA it trusts)? Its log says why"
    return "if the broker asks for a client certificate, set cert_file and key_file; else its own log says why"


def unanswered_reason(reason: str, settings: BrokerEndpoint) -> str:
    """Why a connection that ended before the broker answered PySEB's CONNECT failed, as far as we can tell: a TLS
    listener reads the CONNECT as a broken TLS hello and drops it, a connection closed (paho_compat.reason_text); a TLS
    listener that asks for a client certificate drops one that came without (paho 2 passes the handshake)."""
    told = f"the connection ended before the broker answered ({reason})"
    if settings.tls:
        return f"{told}; {_client_certificate_hint(settings)}"
    return (f"{told}; if port {settings.port} is a TLS listener, set tls = true with ca_file, else the broker's own "
            "log says why")


def silent_broker_reason(settings: BrokerEndpoint) -> str:
    """Why an attempt failed whose TCP connection was taken and held open with no answer to PySEB's CONNECT (no
    CONNACK, nor a close): paho waits for one up to [mqtt] keepalive. A refused port or a TLS mismatch fails at once;
    this is a broker that is stalled (its process stopped, swamped), or a port that is not the broker's: a web server
    reads the CONNECT as the start of a request and waits for the rest; a port forward or a firewall that takes the
    connection for a machine that is down."""
    return (f"the broker at {settings.host}:{settings.port} takes the connection but does not answer PySEB's CONNECT "
            f"(check that port {settings.port} is the broker's MQTT port, not another service's: a web server, say, "
            "waits for more; and that the broker is running and not stalled: its log, systemctl status mosquitto on "
            "its machine; a port forward or a firewall in between can hold connections so too)")


def refusal_hint(failure: str, username: str | None, client_id: str) -> str:
    """What to fix when the broker answered the CONNECT with `failure` ('' when its words are enough). mosquitto
    answers a wrong password and an unknown user alike, 'not authorised'; paho 2 and 1.6 word the refusals
    differently ('Not authorized', 'Connection Refused: not authorised.'), so only their key words are read."""
    said = failure.lower()
    if "authori" in said or "user name or password" in said:
        if username:
            return (f" (check [mqtt] username ({username!r}) and password: the broker does not take them; mosquitto: "
                    "its password_file)")
        return " (the broker takes no anonymous client: set [mqtt] username and password)"
    if "identifier" in said:
        return (f" (the broker refuses client_id {client_id!r}: give [mqtt] client_id another one; every broker "
                "takes 1 to 23 letters and digits)")
    return ""
