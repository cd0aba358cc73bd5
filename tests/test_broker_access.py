"""A broker that takes the connection but not PySEB as configured, against a real mosquitto: a wrong password, an
unknown user, no user where the broker takes no anonymous client. The log must say which [mqtt] keys to fix."""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import logging
import os
import queue
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localbroker import PrivateBroker, free_port
from settings.config import load_settings
from shell.broker_hints import connect_failure_hint
from shell.link_events import Connected, Disconnected, Refused
from shell.mqtt_link import EchoWatch, MqttLink
from tests.configs import with_mqtt_lines, write_config
from tests.daemon_process import DaemonProcess
from tests.harness import CONS, PROD

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt 1.6.1 (make test-paho16)


@pytest.fixture
def strict_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A broker with one user, pyseb (password 'right'), and no anonymous client."""
    passwords = tmp_path / "passwd"
    passwords.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "pyseb", "right"], check=True, timeout=30)
    with PrivateBroker(extra_conf=f"allow_anonymous false\npassword_file {passwords}\n") as broker:
        yield broker


def refusal(config: Path, mqtt_keys: str = "") -> str:
    if mqtt_keys:
        with_mqtt_lines(config, mqtt_keys)
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    link = MqttLink(load_settings(config).mqtt, events, lambda: [])
    try:
        assert link.start() is None  # (the TCP connection is made: the broker answers the CONNECT with a refusal)
        event = events.get(timeout=10)
    finally:
        link.stop(timeout_s=0.1)
    assert isinstance(event, Refused), event
    return event.reason


@pytest.mark.parametrize("credentials", ["username = pyseb\npassword = wrong", "username = nobody\npassword = x"])
def test_credentials_the_broker_refuses_name_the_keys_to_fix(tmp_path: Path, strict_broker: PrivateBroker,
                                                            credentials: str) -> None:
    # (mosquitto answers a wrong password or an unknown user with 'not authorised': the line said only that)
    reason = refusal(write_config(tmp_path, ("radiator",), port=strict_broker.port), credentials)
    user = credentials.split()[2]
    assert f"check [mqtt] username ({user!r}) and password" in reason, reason
    assert "wrong" not in reason  # the password is never said


def test_no_user_on_a_broker_that_wants_one_says_to_set_one(tmp_path: Path, strict_broker: PrivateBroker) -> None:
    reason = refusal(write_config(tmp_path, ("radiator",), port=strict_broker.port))
    assert "takes no anonymous client: set [mqtt] username and password" in reason, reason


def test_a_stop_while_refused_says_so_in_one_line(tmp_path: Path, strict_broker: PrivateBroker) -> None:
    # The stop said it twice: 'stopping with the broker link down: the stop commands ... were not delivered', then
    # 'could not publish offline before stopping: Message publish failed: The client is not currently connected.'
    daemon = DaemonProcess(write_config(tmp_path, ("radiator",), port=strict_broker.port), "--log-level", "INFO")
    try:
        daemon.wait_for("the broker refused the connection", 15)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    warnings = [line for line in daemon.output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert len(warnings) == 2, daemon.output  # the refusal, and the stop that could not be delivered
    assert "retrying after 1 s, the wait doubling up to 60 s" in warnings[0], daemon.output  # (how soon a fix shows)
    assert "stopping with the broker link down" in warnings[1], daemon.output


def test_a_port_nothing_listens_on_says_the_retry_pace(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # ('retrying in the background' said nothing of when: a user who fixed the broker did not know how long to wait)
    config = write_config(tmp_path, ("radiator",), port=free_port())
    link = MqttLink(load_settings(config).mqtt, queue.SimpleQueue(), lambda: [])
    try:
        assert link.start() is not None
    finally:
        link.stop(timeout_s=0.1)
    said = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(said) == 1 and "Connection refused" in said[0], said
    assert "retrying after 1 s, the wait doubling up to 60 s" in said[0], said


# --- a user the broker's ACL refuses to publish: mosquitto acknowledges and drops, MQTT 3.1.1 says nothing -------

RADIATOR, AVAIL = "cmnd/radiator/POWER", "regul/availability"


@pytest.fixture
def acl_broker(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PrivateBroker]:
    """A broker whose user pyseb (password 'right') has the ACL `request.param`."""
    passwords, acl = tmp_path / "passwd", tmp_path / "acl"
    passwords.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "pyseb", "right"], check=True, timeout=30)
    acl.write_text(f"user pyseb\n{request.param}\n")
    with PrivateBroker(extra_conf=f"allow_anonymous false\npassword_file {passwords}\nacl_file {acl}\n") as broker:
        yield broker


def echo_link(config: Path, wait_s: float) -> tuple[MqttLink, queue.SimpleQueue[object]]:
    with_mqtt_lines(config, "username = pyseb\npassword = right")
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    link = MqttLink(load_settings(config).mqtt, events, lambda: [], echo_topics=lambda: [RADIATOR])
    link.echo = EchoWatch(wait_s)
    return link, events


def missing_after_the_wait(link: MqttLink, events: queue.SimpleQueue[object], wait_s: float) -> list[str]:
    assert link.start() is None
    assert isinstance(events.get(timeout=10), Connected)
    connected_at = time.monotonic()
    link.publish(RADIATOR, "OFF", retain=True)  # (the daemon's first command)
    while time.monotonic() < connected_at + wait_s + 0.5:
        time.sleep(0.1)
    return link.echo.missing(time.monotonic())


@pytest.mark.parametrize("acl_broker", ["topic read #"], indirect=True)
def test_publishing_the_acl_refuses_is_found(tmp_path: Path, acl_broker: PrivateBroker) -> None:
    link, events = echo_link(write_config(tmp_path, ("radiator",), port=acl_broker.port), wait_s=0.5)
    try:
        assert missing_after_the_wait(link, events, 0.5) == [RADIATOR, AVAIL]
        assert link.echo.missing(time.monotonic() + 3600) == []  # said once a run
    finally:
        link.stop(timeout_s=0.1)


@pytest.mark.parametrize("acl_broker", ["topic readwrite #"], indirect=True)
def test_publishing_the_acl_allows_is_not_said(tmp_path: Path, acl_broker: PrivateBroker) -> None:
    link, events = echo_link(write_config(tmp_path, ("radiator",), port=acl_broker.port), wait_s=3)
    try:
        assert missing_after_the_wait(link, events, 3) == []
    finally:
        link.stop(timeout_s=0.1)


@pytest.mark.parametrize("acl_broker", ["topic read #\ntopic write regul/#"], indirect=True)
def test_the_daemon_says_which_topics_the_acl_refuses(tmp_path: Path, acl_broker: PrivateBroker) -> None:
    # The daemon ran on 'connected', deciding, its log silent: the radiator never got a command.
    config = write_config(tmp_path, ("radiator",), port=acl_broker.port)
    with_mqtt_lines(config, "username = pyseb\npassword = right")
    daemon = DaemonProcess(config, "--log-level", "INFO")
    try:
        daemon.wait_for("did not pass", 40)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    # (the meters, never heard, say the ACL as one of their silence's causes: that line is not this one)
    said = [line for line in daemon.output.splitlines() if "ACL" in line and "meter silent" not in line]
    assert len(said) == 1, daemon.output
    assert f"did not pass PySEB's own messages on {RADIATOR} back to it" in said[0], said  # (regul/ is allowed)
    assert "refuses user 'pyseb' publishing there" in said[0], said


# --- a broker whose ACL checks subscriptions: it refuses one (SUBACK 0x80), where mosquitto's acl_file grants it --

def dynamic_security_file(path: Path, refused: tuple[str, ...]) -> Path:
    """mosquitto's dynamic security config: user pyseb (password 'right') may publish anywhere and subscribe anywhere
    but to `refused`. (Its password hash as mosquitto_ctrl's: PBKDF2-SHA512 of a base64 salt's bytes.)"""
    salt = os.urandom(12)
    hashed = hashlib.pbkdf2_hmac("sha512", b"right", salt, 101)
    acls = [{"acltype": "subscribePattern", "topic": "#", "allow": True},
            {"acltype": "publishClientSend", "topic": "#", "allow": True},
            {"acltype": "publishClientReceive", "topic": "#", "allow": True},
            *({"acltype": "subscribeLiteral", "topic": topic, "allow": False, "priority": 5} for topic in refused)]
    path.write_text(json.dumps({
        "clients": [{"username": "pyseb", "password": base64.b64encode(hashed).decode(),
                     "salt": base64.b64encode(salt).decode(), "iterations": 101, "roles": [{"rolename": "pyseb"}]}],
        "roles": [{"rolename": "pyseb", "acls": acls}],
        "defaultACLAccess": {"publishClientSend": False, "publishClientReceive": True, "subscribe": False,
                             "unsubscribe": True}}))
    return path


def test_a_subscription_the_broker_refuses_is_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A broker whose ACL checks subscriptions answers one it refuses with 0x80: PySEB ran on, its meter never heard,
    # and only the stale guard's guess ("... or the broker's ACL does not let PySEB read it") said why.
    import threading

    from shell.daemon import Daemon, StopRequest
    from shell.lock import InstanceLock

    plugins = glob.glob("/usr/lib/*/mosquitto_dynamic_security.so") + glob.glob("/usr/lib/mosquitto_dynamic_secur*")
    assert plugins, "Debian's mosquitto ships mosquitto_dynamic_security.so"
    security = dynamic_security_file(tmp_path / "dynsec.json", (CONS, RADIATOR, "regul/status"))
    caplog.set_level(logging.INFO)
    with PrivateBroker(extra_conf=f"plugin {plugins[0]}\nplugin_opt_config_file {security}\n") as broker:
        config = write_config(tmp_path, ("radiator",), port=broker.port)
        with_mqtt_lines(config, "username = pyseb\npassword = right")
        daemon = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))
        daemon.link.echo = EchoWatch(1.0)
        runner = threading.Thread(target=daemon.run)  # (not the main thread: no signal handlers installed)
        runner.start()
        try:
            deadline = time.monotonic() + 10
            while "subscription to " + RADIATOR not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.5)  # (the echo watch's wait over)
        finally:
            daemon.events.put(StopRequest("SIGTERM"))
            runner.join(30)
        assert not runner.is_alive()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"the broker refused PySEB's subscription to {CONS} (a meter's readings: they never reach "
                      "PySEB): its ACL does not let user 'pyseb' subscribe there; allow it (mosquitto's dynamic "
                      "security: a subscribe ACL for that topic in the client's role; EMQX: its authorization rules), "
                      "PySEB subscribes again at its next connection"], caplog.text
    assert f"the broker does not let PySEB subscribe to {RADIATOR}, where it publishes: whether the broker passes " \
           "PySEB's messages on there is not checked" in caplog.text
    assert "the broker does not let PySEB subscribe to regul/status, where it publishes: another PySEB publishing " \
           "there is not checked" in caplog.text
    assert "did not pass PySEB's own messages" not in caplog.text  # (one refused to be read back is not awaited)
    assert f"subscription to {PROD}" not in caplog.text  # (granted)


def test_a_takeover_s_backoff_is_not_contradicted(tmp_path: Path, broker: PrivateBroker) -> None:
    # Two PySEBs with one client_id: 'Next attempt in 15 s' was followed, for the same drop, by 'connection to the
    # broker lost (Unspecified error); retrying after 1 s ...'.
    procs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        config = write_config(tmp_path / name, ("radiator",), port=broker.port, client_id="twin", meter_timeout=30)
        procs.append(DaemonProcess(config, "--log-level", "INFO"))
    try:
        deadline = time.monotonic() + 40
        told: list[str] = []
        while time.monotonic() < deadline:
            told = [p.output for p in procs if "Next attempt in" in p.output.rsplit("\n", 2)[0]]
            if told:
                break
            time.sleep(0.2)
    finally:
        for proc in procs:
            proc.close()
    assert told, [p.output for p in procs]
    lines = told[0].splitlines()
    after = lines[[i for i, line in enumerate(lines) if "Next attempt in" in line][0] + 1:]
    assert after and "retrying after" not in after[0], told[0]


def test_a_broker_that_stops_is_said_alike_by_paho_2_and_1_6(tmp_path: Path, broker: PrivateBroker) -> None:
    # 'connection to the broker lost (Unspecified error)' with paho 2, '(The connection was lost.)' with 1.6
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    link = MqttLink(load_settings(write_config(tmp_path, ("radiator",), port=broker.port)).mqtt, events, lambda: [])
    try:
        assert link.start() is None
        assert isinstance(events.get(timeout=10), Connected)
        broker.stop()
        lost = events.get(timeout=10)
    finally:
        link.stop(timeout_s=0.1)
    assert isinstance(lost, Disconnected) and lost.connected_for_s is not None, lost
    assert lost.reason == "the broker or the network closed it", lost


def test_a_relay_s_start_command_comes_back_on_a_broker_that_allows_it(tmp_path: Path, broker: PrivateBroker) -> None:
    # The main loop's first tick (before the broker answered) started the regulator: the relays' start command (OFF)
    # was queued, sent at the connect before the subscription to its topic, and came back only as the broker's
    # retained copy, which is no echo: "the broker did not pass PySEB's own messages on cmnd/radiator/POWER ... its
    # ACL most probably refuses" at every start whose relays stayed off 15 s (a night, the demo below x10), on a
    # broker with no ACL at all. The regulation starts at the first connect, its subscriptions made.
    import threading

    from shell.daemon import Daemon, StopRequest
    from shell.lock import InstanceLock

    daemon = Daemon(load_settings(write_config(tmp_path, ("radiator",), port=broker.port)),
                    InstanceLock(tmp_path / "test.lock"))
    runner = threading.Thread(target=daemon.run)  # (not the main thread: no signal handlers installed)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while daemon.reg.last_status is None and time.monotonic() < deadline:  # (started: its first status)
            time.sleep(0.05)
        time.sleep(1.0)
        assert daemon.link.echo.missing(time.monotonic() + 3600) == []  # (the wait long over: what never came back)
    finally:
        daemon.events.put(StopRequest("SIGTERM"))
        runner.join(30)
    assert not runner.is_alive()


def test_a_port_nothing_listens_on_says_what_to_check(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # ('[Errno 111] Connection refused' alone: a user whose mosquitto was stopped, or on another port, or (mosquitto
    # 2 without a listener line) reached by the Pi's own address, was told nothing of the keys or the broker to check)
    port = free_port()
    config = write_config(tmp_path, ("radiator",), port=port)
    link = MqttLink(load_settings(config).mqtt, queue.SimpleQueue(), lambda: [])
    try:
        reason = link.start()
    finally:
        link.stop(timeout_s=0.1)
    said = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    for text in (reason or "", said[0]):
        assert f"nothing listens on 127.0.0.1 port {port}" in text, text
        assert "[mqtt] host and port" in text, text


@dataclass(frozen=True)
class Endpoint:
    """The [mqtt] keys a hint names (BrokerEndpoint), without a config file."""

    host: str
    port: int = 1883
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None


def test_a_host_name_that_does_not_resolve_says_the_key() -> None:
    settings = Endpoint("nosuchhost.invalid")
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert "check [mqtt] host ('nosuchhost.invalid')" in connect_failure_hint(unknown, settings)
    # a name server that did not answer (no network yet at boot) is no wrong name: the retries will tell
    assert connect_failure_hint(socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), settings) == ""


def test_a_refusal_from_another_machine_names_mosquitto_s_listener() -> None:
    # (mosquitto 2 as installed listens on the loopback only: the Pi's own address, or the Pi's from another machine,
    # is refused)
    hint = connect_failure_hint(ConnectionRefusedError(111, "Connection refused"), Endpoint("192.168.1.10"))
    assert "nothing listens on 192.168.1.10 port 1883" in hint and "listener line" in hint, hint
    assert "systemctl status mosquitto" in connect_failure_hint(ConnectionRefusedError(), Endpoint("localhost"))


def test_a_link_lost_to_the_keepalive_is_one_drop_not_a_drop_and_an_unanswered_attempt(tmp_path: Path) -> None:
    # A broker (or the Wi-Fi to it) gone silent: paho calls on_disconnect twice for that one link (its keepalive
    # check, then its loop's), and the second, the connection already counted, was read as an attempt the broker
    # never answered: a second WARNING at the same millisecond, "if port N is a TLS listener, set tls = true".
    import os
    import signal

    with PrivateBroker() as broker:
        config = with_mqtt_lines(write_config(tmp_path, ("radiator",), port=broker.port), "keepalive = 5")
        events: queue.SimpleQueue[object] = queue.SimpleQueue()
        link = MqttLink(load_settings(config).mqtt, events, lambda: [])
        assert broker.pid is not None
        try:
            assert link.start() is None
            assert isinstance(events.get(timeout=10), Connected)
            os.kill(broker.pid, signal.SIGSTOP)  # (silent: the socket stays open, nothing answers)
            try:
                first = events.get(timeout=20)
                time.sleep(0.5)
                after = []
                while not events.empty():
                    after.append(events.get())
            finally:
                os.kill(broker.pid, signal.SIGCONT)
        finally:
            link.stop(timeout_s=0.1)
    assert isinstance(first, Disconnected) and first.connected_for_s is not None, first
    assert not [e for e in after if isinstance(e, Disconnected)], after
