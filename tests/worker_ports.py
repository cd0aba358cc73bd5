"""Each pytest-xdist worker's own range of broker ports (PYSEB_BROKER_PORTS, read by localbroker.free_port)."""

from __future__ import annotations

import os

from localbroker import PORTS_VARIABLE, picked_ports

SMALLEST_SHARE = 1000  # (free_port's least room to pick in: fewer, and the OS picks, in its ephemeral range)


def worker_range(first: int, end: int, worker: str, count: int) -> tuple[int, int] | None:
    """The ports [first, end) worker `worker` ("gw0", "gw1", ...) of `count` picks in: its share of them, apart from
    every other worker's; None when the shares would be too small (all then pick in the whole range, as before)."""
    share = (end - first) // max(count, 1)
    index = int(worker.removeprefix("gw")) if worker.removeprefix("gw").isdigit() else -1
    if share < SMALLEST_SHARE or not 0 <= index < count:
        return None
    return first + index * share, first + (index + 1) * share


def claim_worker_ports() -> None:
    """Under pytest-xdist, this worker's share of the ports, for its brokers and its tests' subprocesses' alike."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    ports = worker_range(*picked_ports(), worker, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    if ports:
        os.environ[PORTS_VARIABLE] = f"{ports[0]}-{ports[1] - 1}"
