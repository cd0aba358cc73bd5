"""numpy (15 MB of a ~45 MB daemon on a Pi Zero's 512 MB) is loaded by the running daemon only for a variable load
fitted by `poly` (numpy's polyfit): a daemon with relays only, or with variators of the default robust fit (plain
Python), never maps it. Read from the running daemon's own memory map."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from equipments.variable import VariableEquipment
from localbroker import PrivateBroker
from settings.config import load_settings
from tests.configs import problems_of, write_config
from tests.daemon_process import DaemonProcess


def _numpy_mapped(loads: tuple[str, ...], directory: Path, port: int, extra: str = "") -> bool:
    """Whether the daemon running `loads` (`extra`: lines of the last one's section), connected and regulating, has
    numpy's extension modules in its memory."""
    daemon = DaemonProcess(write_config(directory, loads, port=port, extra=extra))
    try:
        if not daemon.wait_for("connected; subscribed", timeout_s=30):
            pytest.fail(f"the daemon did not connect; its output:\n{daemon.output}")
        maps = Path(f"/proc/{daemon.proc.pid}/maps").read_text()
    finally:
        assert daemon.terminate() == 0
    return "/numpy/" in maps


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the daemon's memory map in /proc")
def test_numpy_is_loaded_only_for_a_poly_fit(tmp_path: Path, broker: PrivateBroker) -> None:
    for folder in ("relays", "variator", "poly"):
        (tmp_path / folder).mkdir()
    assert not _numpy_mapped(("radiator", "small"), tmp_path / "relays", broker.port)
    assert not _numpy_mapped(("ecs", "radiator"), tmp_path / "variator", broker.port)
    # (the test sees numpy when it is there)
    assert _numpy_mapped(("radiator", "ecs"), tmp_path / "poly", broker.port, extra="fit = poly\n")


def test_a_numpy_that_cannot_be_imported_is_a_config_problem_of_a_poly_fit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The dependency check reads numpy's version without importing it: a numpy whose import fails (a broken
    # install, a missing C library) passes it, and is met when a poly curve is fitted. Said as the config's
    # problem, with what to do, not as a traceback; a robust fit does not miss it.
    monkeypatch.delitem(sys.modules, "calibration.poly", raising=False)
    monkeypatch.setitem(sys.modules, "numpy", None)  # (import numpy raises ImportError)
    (robust,) = [load for load in load_settings(write_config(tmp_path)).equipments if load.name == "ecs"]
    assert isinstance(robust, VariableEquipment) and robust.curve.method == "robust"
    (problem,) = [p for p in problems_of(write_config(tmp_path, ("radiator", "ecs"), extra="fit = poly\n"))
                  if "[ecs] calibration" in p]
    assert "the poly fit needs numpy, which cannot be imported" in problem
    assert "sudo apt install python3-numpy" in problem
