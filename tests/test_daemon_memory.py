"""numpy (15 MB of a ~45 MB daemon on a Pi Zero's 512 MB) is loaded by the running daemon only to fit a variable load's
calibration curve: a daemon with relays only never maps it. Read from the running daemon's own memory map."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.configs import problems_of, write_config
from tests.daemon_process import DaemonProcess


def _numpy_mapped(loads: tuple[str, ...], directory: Path, port: int) -> bool:
    """Whether the daemon running `loads`, connected and regulating, has numpy's extension modules in its memory."""
    daemon = DaemonProcess(write_config(directory, loads, port=port))
    try:
        if not daemon.wait_for("connected; subscribed", timeout_s=30):
            pytest.fail(f"the daemon did not connect; its output:\n{daemon.output}")
        maps = Path(f"/proc/{daemon.proc.pid}/maps").read_text()
    finally:
        assert daemon.terminate() == 0
    return "/numpy/" in maps


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the daemon's memory map in /proc")
def test_numpy_is_loaded_only_for_a_variable_load_s_curve(tmp_path: Path, broker: PrivateBroker) -> None:
    (tmp_path / "relays").mkdir()
    (tmp_path / "variator").mkdir()
    assert not _numpy_mapped(("radiator", "small"), tmp_path / "relays", broker.port)
    assert _numpy_mapped(("ecs", "radiator"), tmp_path / "variator", broker.port)  # (the test sees numpy when it is)


def test_a_numpy_that_cannot_be_imported_is_a_config_problem_of_the_variable_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The dependency check reads numpy's version without importing it: a numpy whose import fails (a broken
    # install, a missing C library) passes it, and is met when the variator's curve is fitted. Said as the
    # config's problem, with what to do, not as a traceback.
    monkeypatch.delitem(sys.modules, "calibration.fit", raising=False)
    monkeypatch.setitem(sys.modules, "numpy", None)  # (import numpy raises ImportError)
    (problem,) = [p for p in problems_of(write_config(tmp_path)) if "[ecs] calibration" in p]
    assert "the curve's fit needs numpy, which cannot be imported" in problem
    assert "sudo apt install python3-numpy" in problem
