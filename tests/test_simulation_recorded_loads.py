"""A recorded day replayed (or tuned) with a config whose loads are not the ones the day was recorded with: the
replay runs the config's loads, and says, in one note, which differ from the file's header."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.__main__ import main
from tests.replay_days import PARIS, write_config, write_recorded_day

NOTE = "recorded with other loads than the config's"


def config_of(directory: Path, equipments: str) -> Path:
    config = write_config(directory, equipments)
    config.write_text(config.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}"))
    return config


def recorded_day(folder: Path, names: list[str], relays: list[bool]) -> Path:
    """A recorded day from 12:00 (Paris), 400 s, a decision every 4 s, its header naming `names` (of `relays`)."""
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from recording.format import format_rows, header_text
    from recording.store import append_batch

    day = folder / "pyseb-2026-06-01.csv.gz"
    folder.mkdir(exist_ok=True)
    noon = 1780308000.0  # (2026-06-01 12:00 in Paris)
    zero = tuple(0.0 for _ in names)
    records = [DecisionRecord(noon + 4 * i, 500.0, 1500.0, zero, zero, tuple(1000.0 for _ in names), zero)
               for i in range(100)]
    append_batch(day, format_rows(records, ZoneInfo(PARIS)), header_text(names, relays, 10))
    return day


def notes_of_replay(tmp_path: Path, names: list[str], relays: list[bool], equipments: str,
                    capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines of `replay`'s output that say the loads differ, a day recorded with `names` replayed with a config
    of `equipments`."""
    day = recorded_day(tmp_path / "records", names, relays)
    assert main(["replay", str(day), "-c", str(config_of(tmp_path, equipments))]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if NOTE in line]


def test_the_same_loads_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert notes_of_replay(tmp_path, ["ecs", "radiator"], [False, True], "ecs = variable\nradiator = constant",
                           capsys) == []


def test_a_load_added_in_the_config_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [note] = notes_of_replay(tmp_path, ["ecs"], [False], "ecs = variable\nradiator = constant", capsys)
    assert note == (f"{tmp_path / 'records' / 'pyseb-2026-06-01.csv.gz'}: {NOTE} ({tmp_path / 'config.ini'}): "
                    "radiator in the config, not recorded; replayed with the config's loads (recorded: ecs variable; "
                    "config: ecs variable, radiator relay), the house's own load as recorded")


def test_a_load_renamed_is_said_both_ways(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [note] = notes_of_replay(tmp_path, ["ecs", "heater"], [False, True], "ecs = variable\nradiator = constant",
                             capsys)
    assert ": heater recorded, not in the config; radiator in the config, not recorded;" in note


def test_a_load_of_another_kind_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [note] = notes_of_replay(tmp_path, ["ecs", "radiator"], [False, False], "ecs = variable\nradiator = constant",
                             capsys)
    assert ": radiator recorded as a variable load, as a relay load in the config;" in note


def test_the_same_loads_in_another_order_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [note] = notes_of_replay(tmp_path, ["radiator", "ecs"], [True, False], "ecs = variable\nradiator = constant",
                             capsys)
    assert ": the same loads in another priority order;" in note


def test_tune_says_it_once_per_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = write_recorded_day(tmp_path / "records", "2026-06-01", 10)  # (the heater alone)
    config = config_of(tmp_path, "ecs = variable\nradiator = constant")
    assert main(["tune", str(day), "-c", str(config), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count(NOTE) == 1 and "radiator in the config, not recorded" in out
    # (it named the grid's first setting's temporary file, /tmp/pyseb-tune-.../setting-1.ini, gone at the end)
    assert f"{NOTE} ({config})" in out and "setting-1.ini" not in out
