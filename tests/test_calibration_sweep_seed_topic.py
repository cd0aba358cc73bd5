"""A seed config's command topic as Coturex's older equipment.py wrote it (regul/vload/ECS, without /cmd): the sweep
says it, as the daemon's check does, and names it when the first step reads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.sweep_support import CMD, SimulatedLoad, sweep, write_config

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)


def test_a_command_topic_shaped_as_the_variators_status_is_said(broker: PrivateBroker, load: SimulatedLoad,
                                                                tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # Coturex's older equipment.py added /cmd itself: its configs say regul/vload/ECS, the variator's status topic.
    # The daemon warns of it; the sweep sent its percents there, the heater never moved, and the first step's
    # 0 W was blamed on a hot tank or a meter in kilowatts.
    section = "topic_set_power = regul/vload/ECS\ntopic_read_power = smeter/pzem/ECS\n"
    assert sweep(write_config(tmp_path, broker.port, section), tmp_path / "x.csv") == 1
    captured = capsys.readouterr()
    hint = "'regul/vload/ECS' is the shape of a variator's STATUS topic"
    assert hint in captured.out  # before anything is sent
    assert hint in captured.err and f"write topic_set_power = {CMD}" in captured.err  # and in the stop's message
