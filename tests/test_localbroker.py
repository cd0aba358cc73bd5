"""The private broker fixture itself: its own port, real traffic, stopped by PID."""

from __future__ import annotations

import os

from localbroker import PrivateBroker


def test_private_broker_round_trip(broker: PrivateBroker, probe) -> None:
    assert broker.port != 1883
    probe.publish("t/x", b"hello")
    assert probe.wait_for("t/x").payload == b"hello"


def test_stop_kills_only_our_process() -> None:
    b = PrivateBroker().start()
    pid = b.pid
    assert pid is not None
    b.cleanup()
    # the process is gone (reaped), and a second cleanup is harmless
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
    b.cleanup()
