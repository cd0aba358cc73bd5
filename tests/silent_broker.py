"""A broker that takes the connection and never answers the CONNECT (a broker stalled, a port another service's), for
the daemon's link (test_broker_silent) and the calibration sweep's (test_calibration_sweep_tls)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from localbroker import free_port


@contextmanager
def silent_broker() -> Iterator[int]:
    """A loopback port whose listener accepts every connection and never sends a byte (nor closes it)."""
    port = free_port()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", port))
    listener.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:  # (closed at the test's end)
                return

    acceptor = threading.Thread(target=accept, name="silent-broker", daemon=True)
    acceptor.start()
    try:
        yield port
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        acceptor.join(5)
        for connection in held:
            connection.close()
