"""The sweep's link to the broker on its own: the end percent when the broker has just gone down."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from calibration.sweep_config import load_sweep_target
from calibration.sweep_link import SweepLink
from localbroker import PrivateBroker
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import CMD, write_config

DOWN_S = 3.5  # the broker's outage: back before the link's try at 5 s (it tries 1, 3, 5... s after the crash)
AFTER_THE_FIRST_S = 1.0  # once back: how long the commands are collected after the first


def test_the_end_percent_is_sent_once_for_a_broker_that_has_just_gone_down(broker: PrivateBroker,
                                                                           tmp_path: Path) -> None:
    # The sweep ends just as the broker crashes (no will sent). paho 1.6 still says connected until its first try to
    # reconnect, a second later: the end percent, published again at every pass of the wait (0.1 s), was queued ten
    # times, and the variator got all ten once the broker was back.
    events: list[str] = []
    link = SweepLink(load_sweep_target(write_config(tmp_path, broker.port), "ecs"), 0.0,
                     lambda kind, data: events.append(kind))
    link.start()
    until(lambda: "connected" in events)
    link.set_percent(80.0)
    time.sleep(0.3)  # (delivered)
    assert broker.pid is not None
    os.kill(broker.pid, 9)
    until(lambda: "disconnected" in events)
    seen: list[str] = []

    def back() -> None:
        time.sleep(DOWN_S)
        broker.start()
        watcher = MqttProbe(broker.host, broker.port, (CMD,))
        try:
            watcher.wait_for(CMD, lambda m: True, timeout_s=20)
            time.sleep(AFTER_THE_FIRST_S)  # (every copy the link had queued comes at once with the first)
            seen.extend(m.text for m in watcher.messages)
        finally:
            watcher.close()

    thread = threading.Thread(target=back, name="broker-back")
    thread.start()
    try:
        assert link.finish(reconnect_wait_s=10.0)
    finally:
        thread.join(30)
    assert seen == ["0.0"]


def test_a_link_lost_to_the_keepalive_is_one_drop(broker: PrivateBroker, tmp_path: Path) -> None:
    # paho calls on_disconnect twice for a link its keepalive found dead: the second was said as a connection the
    # broker never answered, with a TLS hint, as the daemon's link said it until 2026-12-04.
    import signal

    config = write_config(tmp_path, broker.port)
    config.write_text(config.read_text().replace("topic_regul = regul\n", "topic_regul = regul\nkeepalive = 5\n"))
    events: list[tuple[str, object]] = []
    link = SweepLink(load_sweep_target(config, "ecs"), 0.0, lambda kind, data: events.append((kind, data)))
    link.start()
    assert broker.pid is not None
    try:
        until(lambda: ("connected", None) in events)
        os.kill(broker.pid, signal.SIGSTOP)  # (silent: the socket stays open, nothing answers)
        try:
            until(lambda: any(kind == "disconnected" for kind, _ in events), timeout_s=20)
            time.sleep(0.5)
        finally:
            os.kill(broker.pid, signal.SIGCONT)
    finally:
        link.finish(reconnect_wait_s=0.1)
    dropped = [data for kind, data in events if kind == "disconnected"]
    assert len(dropped) == 1 and "TLS" not in str(dropped[0]), dropped


def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition(), "not within the time"
