"""Shared fixtures: a private mosquitto on a free loopback port, an MQTT probe, and a thread-leak guard."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from localbroker import PrivateBroker  # noqa: E402
from tests.link_proxy import LinkProxy  # noqa: E402
from tests.mqtt_probe import MqttProbe  # noqa: E402
from tests.worker_ports import claim_worker_ports  # noqa: E402

if TYPE_CHECKING:
    from tests.sweep_support import SimulatedLoad

# The property tests (hypothesis) draw their cases from a seed of each test's own by default (`make test`, CI): the
# same cases at every run, so a red run is the change's, never a case the search happened upon that day (three CI runs
# in a row met a new one each, in code none of them had touched). `HYPOTHESIS_PROFILE=search make test` draws new
# cases at every run, the way to look for them (docs/architecture.md, Tests and checks).
hypothesis_settings.register_profile("fixed", derandomize=True)
hypothesis_settings.register_profile("search", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`make test`), this worker's brokers pick their ports apart from the other workers'."""
    claim_worker_ports()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on a real broker is marked `mqtt`: CI runs those again (with the ones marked `debian`)
    on Debian 12's paho-mqtt 1.6.1 and numpy 1.24 (`make test-paho16`)."""
    for item in items:
        if "broker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mqtt)


@pytest.fixture
def broker() -> Iterator[PrivateBroker]:
    """A private mosquitto for one test, stopped by its PID afterwards."""
    with PrivateBroker() as b:
        yield b


@pytest.fixture
def proxy(broker: PrivateBroker) -> Iterator[LinkProxy]:
    """A relay in front of the private broker that can freeze the link (a half-open TCP link: tests/link_proxy.py)."""
    relay = LinkProxy(broker.host, broker.port)
    try:
        yield relay
    finally:
        relay.close()


@pytest.fixture
def probe(broker: PrivateBroker) -> Iterator[MqttProbe]:
    """An MQTT client subscribed to '#' on the private broker, recording every message."""
    p = MqttProbe(broker.host, broker.port)
    try:
        yield p
    finally:
        p.close()


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Fail any test that leaves a thread running (a leaked paho loop or saver thread)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


@pytest.fixture
def restored_root_logger() -> Iterator[None]:
    """The root logger's handlers and level as they were, after a test that sets PySEB's logging up in this process
    (left there, its flood limiter, judging each record first, held back later tests' lines)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def load(broker: PrivateBroker) -> Iterator[SimulatedLoad]:
    """A simulated variator + its own PZEM meter on the private broker (the calibration sweep's tests)."""
    from tests.sweep_support import SimulatedLoad as Sim

    sim = Sim(broker)
    try:
        yield sim
    finally:
        sim.close()


@pytest.fixture
def sweep_locks(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sweeps' variator locks (one file per broker port and topic, in the temporary directory) in this test
    run's directory, not left in the machine's /tmp; TMPDIR too, for a sweep run as a subprocess."""
    import tempfile

    directory = tmp_path_factory.getbasetemp() / "sweep-locks"
    directory.mkdir(exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    monkeypatch.setenv("TMPDIR", str(directory))
    return directory
