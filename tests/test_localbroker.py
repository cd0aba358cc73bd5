"""The private broker fixture itself: its own port, real traffic, stopped by PID."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from localbroker import (
    LOWEST_PICKED_PORT,
    PORTS_VARIABLE,
    BrokerError,
    PrivateBroker,
    ephemeral_ports,
    free_port,
    picked_ports,
)
from tests.worker_ports import claim_worker_ports, worker_range


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


def test_a_broker_that_exits_at_start_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo said "demo failed: mosquitto exited at start (code 3); see /tmp/pyseb-mosquitto-..." and removed
    # that folder in its cleanup: the reason, in mosquitto's own words, was nowhere.
    fake = tmp_path / "mosquitto"
    fake.write_text('#!/bin/sh\necho \'1796178236: Error: Unknown configuration variable "set_tcp_nodelay".\' >&2\n'
                    "exit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    broker = PrivateBroker()
    with pytest.raises(BrokerError) as caught:
        broker.start()
    broker.cleanup()
    assert str(caught.value) == ('mosquitto exited at start (code 3): Error: Unknown configuration variable '
                                 '"set_tcp_nodelay".')


def test_a_port_taken_after_it_was_picked_is_given_up_for_another() -> None:
    # free_port() finds a port free, then mosquitto binds it a moment later: another test run or a second demo may
    # take it in between, and the demo failed ("Address already in use") where another port would do.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = PrivateBroker()
        broker.port = taken.getsockname()[1]  # as if picked free, then taken before mosquitto could bind it
        try:
            broker.start()
            assert broker.port != taken.getsockname()[1]
            with socket.create_connection((broker.host, broker.port), timeout=5):
                pass
        finally:
            broker.cleanup()


def test_a_free_port_is_below_the_kernels_source_ports() -> None:
    # (a broker-down test retried a port inside that range: one attempt got it as its own source port, connected to
    # itself and read its own CONNECT back, "Protocol error", a second warning the test did not expect)
    low, _high = ephemeral_ports()
    ports = {free_port() for _ in range(50)}
    assert all(LOWEST_PICKED_PORT <= port < low for port in ports), sorted(ports)
    assert len(ports) > 1  # (picked at random: two runs at once rarely meet)
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # free indeed


def test_a_port_asked_for_and_taken_is_said() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = PrivateBroker(port=taken.getsockname()[1])
        with pytest.raises(BrokerError, match=r"exited at start \(code 1\): Error: Address already in use"):
            broker.start()
        broker.cleanup()


def test_no_mosquitto_names_the_make_target_of_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    # `python3 -m simulation demo` without mosquitto said "run 'make test' (installs it)": the whole test suite,
    # many minutes on a Pi, to get a broker for a one-minute demo.
    import localbroker

    monkeypatch.setattr(localbroker.shutil, "which", lambda name: None)
    monkeypatch.setattr(localbroker.os.path, "exists", lambda path: False)
    with pytest.raises(BrokerError) as caught:
        localbroker.find_mosquitto()
    assert str(caught.value) == ("mosquitto is not installed: 'make demo' installs it (as does 'make test'), or "
                                 "'sudo apt-get install mosquitto mosquitto-clients'")


def test_the_folder_of_a_broker_whose_owner_died_is_removed_by_the_next_start(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A test run or a demo killed with SIGKILL runs no cleanup: its broker dies with it (die_with_parent), its
    # folder stayed in /tmp, one more at each kill.
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # (this test's /tmp: another run's folders untouched)
    claim = ("import tempfile, sys; tempfile.tempdir = sys.argv[1]; from localbroker import PrivateBroker; "
             "print(PrivateBroker().log_path.parent)")
    dead = Path(subprocess.run([sys.executable, "-c", claim, str(tmp_path)], capture_output=True, text=True,
                               check=True, cwd=Path(__file__).resolve().parent.parent).stdout.strip())
    assert dead.parent == tmp_path and dead.is_dir()  # its owner exited without a cleanup
    unmarked = tmp_path / "pyseb-mosquitto-older"  # a folder without its owners said (an older PySEB's): kept
    unmarked.mkdir()
    alive = PrivateBroker()  # ours, alive: the next one keeps it
    try:
        later = PrivateBroker()
        later.cleanup()
        assert not dead.exists()
        assert alive.log_path.parent.is_dir() and unmarked.is_dir()
    finally:
        alive.cleanup()


def test_a_free_port_is_picked_in_the_range_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the test suite's parallel workers, each in a range of its own: no worker's broker takes a port another worker's
    # test picked to find nothing listening there, or stopped its broker on to start it again)
    monkeypatch.setenv(PORTS_VARIABLE, "20000-20999")
    ports = {free_port() for _ in range(50)}
    assert all(20000 <= port <= 20999 for port in ports), sorted(ports)
    monkeypatch.setenv(PORTS_VARIABLE, "junk")
    assert picked_ports() == (LOWEST_PICKED_PORT, ephemeral_ports()[0])


def test_each_test_worker_picks_its_ports_apart_from_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    shares = [worker_range(10000, 32768, f"gw{index}", 3) for index in range(3)]
    assert shares == [(10000, 17589), (17589, 25178), (25178, 32767)]
    assert worker_range(10000, 32768, "gw0", 30) is None  # (760 ports each: too few to pick in at random)
    assert worker_range(10000, 32768, "master", 2) is None
    monkeypatch.delenv(PORTS_VARIABLE, raising=False)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    claim_worker_ports()
    first, end = LOWEST_PICKED_PORT, ephemeral_ports()[0]
    assert picked_ports() == (first + (end - first) // 2, first + 2 * ((end - first) // 2))
