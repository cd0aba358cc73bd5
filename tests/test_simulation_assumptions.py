"""replay and tune on an owner's own config say, once at the start, what they assumed of the loads' real behaviour
that the config does not give ([simulation] <load>.power_w, <load>.tank_wh): relays at their max_power and no tank
ever full made the figures optimistic without a word (config.ini.sample has no [simulation] section)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.__main__ import main
from tests.replay_days import write_config, write_day, write_trace

LOADS = "ecs = variable\nradiator = constant\ntowel = unknown"


def _notes(out: str) -> list[str]:
    return [line for line in out.splitlines() if "assumed" in line]


def test_replay_says_what_it_assumed_of_loads_the_config_does_not_describe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, LOADS)
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    assert main(["replay", str(trace), "-c", str(config)]) == 0
    out = capsys.readouterr().out
    notes = _notes(out)
    assert len(notes) == 1, out
    note = notes[0]
    assert "radiator at its max_power (1000 W)" in note and "towel at 800 W" in note
    assert "no tank ever full" in note and "optimistic" in note
    assert "[simulation] <load>.power_w" in note and "<load>.tank_wh" in note
    assert out.index(note) < out.index("capture")  # at the start, before the figures


def test_replay_says_only_what_is_left_to_assume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, LOADS, "radiator.power_w = 950\necs.tank_wh = 5000")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    assert main(["replay", str(trace), "-c", str(config)]) == 0
    note, = _notes(capsys.readouterr().out)
    assert "towel at 800 W" in note and "radiator" not in note and "tank" not in note.split(";")[0]
    config = write_config(tmp_path, LOADS, "radiator.power_w = 950\ntowel.power_w = 300\necs.tank_wh = 5000")
    assert main(["replay", str(trace), "-c", str(config)]) == 0
    assert _notes(capsys.readouterr().out) == []  # all described: nothing assumed


def test_tune_says_it_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    days = [write_day(tmp_path, "one.csv", [(2000.0, 400.0)] * 20), write_day(tmp_path, "two.csv.txt",
                                                                            [(2500.0, 400.0)] * 20)]
    assert main(["tune", *map(str, days), "-c", str(config), "--set", "evaluate.margin=10,100", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    note, = _notes(out)
    assert "radiator at its max_power (1000 W)" in note and "no tank ever full" in note
    assert out.index(note) < out.index("best:")
