"""`tune`'s advice: a tie keeps the config's own setting (the current one: the config's value, else the
default), the lines to paste leave out what the config has already, and days without a surplus have nothing to tune."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.__main__ import main
from simulation.tune import Outcome, best
from simulation.tune_grid import build_grid, current_setting
from tests.replay_days import write_config, write_day


def _outcome(setting: tuple[str, ...], capture: float, caused: float = 10.0, switches: float = 4.0) -> Outcome:
    return Outcome(setting, 1, capture, caused, 100.0, 5.0, (switches,), ("radiator",))


def test_a_tie_keeps_the_config_s_own_setting() -> None:
    # (it recommended `hysteresis = 150` for nothing: the same figures as the default 100 W)
    # (the demo house's day: 11.394 against 11.410 Wh a day, both 11.4 in the table)
    ties = [_outcome(("150",), 99.8469, 11.394), _outcome(("100",), 99.8460, 11.410)]
    assert best(ties, None, None, ("100",)) is ties[1]
    assert best(ties[::-1], None, None, ("100",)) is ties[1]
    assert best(ties, None, None, ("150",)) is ties[0]
    # Strictly better on the ranking: recommended, whatever the config has now.
    better = [_outcome(("150",), 99.8, 11.3), _outcome(("100",), 99.8, 11.4)]
    assert best(better, None, None, ("100",)) is better[0]
    fewer = [_outcome(("150",), 99.8, switches=3.0), _outcome(("100",), 99.8)]
    assert best(fewer, None, None, ("100",)) is fewer[0]
    # Two axes: the setting that keeps more of the config's values.
    two = [_outcome(("20", "150"), 99.8), _outcome(("10", "150"), 99.8), _outcome(("20", "100"), 99.8)]
    assert best(two, None, None, ("10", "100")) is two[1] and best(two, None, None, (None, "100")) is two[2]


def test_the_current_setting_is_the_config_s_value_else_the_default(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant\ntowel = constant")
    axes = build_grid(config, ["relays.hysteresis=150,100.0", "evaluate.margin=10,20", "radiator.min_on_s=300,600"])
    assert current_setting(config, axes) == ("100.0", "20", "600")  # (defaults: 100 W, 600 s; margin = 20)
    config.write_text(config.read_text().replace("[radiator]\n", "[radiator]\nhysteresis = 150\nmin_on_s = 60\n"))
    assert current_setting(config, axes) == (None, "20", None)  # (the relays differ; 60 is not in the grid)
    config.write_text(config.read_text().replace("[towel]\n", "[towel]\nhysteresis = 150.0\n"))
    assert current_setting(config, axes)[0] == "150"


def test_an_unset_margin_is_the_algorithm_s_default(tmp_path: Path) -> None:
    # margin's default is 0 W under the closed loop and 10 W under Hébert's rule; the seed's None means unset.
    config = write_config(tmp_path, "radiator = constant")
    axes = build_grid(config, ["evaluate.margin=0,10,20"])
    text = config.read_text()
    for margin, algorithm, current in (("", "", "0"), ("", "algorithm = hebert\n", "10"),
                                       ("margin = None\n", "algorithm = closed_loop\n", "0"),
                                       ("margin = None\n", "algorithm = hebert\n", "10")):
        config.write_text(text.replace("margin = 20\n", margin + algorithm))
        assert current_setting(config, axes) == (current,), (margin, algorithm)


def test_a_tie_recommends_no_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A surplus far above the radiator's 1000 W: its hysteresis changes nothing.
    config = write_config(tmp_path, "radiator = constant")
    day = write_day(tmp_path, "day.csv", [(3000.0, 400.0)] * 20)
    assert main(["tune", str(day), "-c", str(config), "--set", "relays.hysteresis=150,100", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    rows = {line[:2]: line[2:].split() for line in out.splitlines() if line[2:].strip()[:3] in ("100", "150")}
    assert rows["* "][0] == "100" and rows["  "][0] == "150" and rows["* "][1:] == rows["  "][1:]  # (a tie)
    assert "with the settings your config has now: nothing to change" in out and "hysteresis = " not in out
    config.write_text(config.read_text().replace("[radiator]\n", "[radiator]\nhysteresis = 150\n"))
    assert main(["tune", str(day), "-c", str(config), "--set", "relays.hysteresis=100,150", "--jobs", "1"]) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_the_lines_to_paste_leave_out_what_the_config_has_already(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    day = write_day(tmp_path, "day.csv", [(2000.0, 400.0 + 250.0 * ((i // 3) % 2)) for i in range(30)])
    # margin 10 is better than the config's 20 on this day; the hysteresis changes nothing.
    assert main(["tune", str(day), "-c", str(config), "--set", "evaluate.margin=10,20", "--set",
                 "relays.hysteresis=150,100", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    pasted = out.split("not a second copy of it):")[1].split("(the best keeps")[0].split()
    assert pasted == ["[evaluate]", "margin", "=", "10"]
    assert "(the best keeps your config's relays.hysteresis: nothing to change there)" in out


def test_days_without_a_surplus_say_there_is_nothing_to_tune(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # A day recorded only in the evening: "no setting meets the limits (no limit given)" contradicted itself.
    night = write_day(tmp_path, "night.csv", [(0.0, 400.0)] * 20)
    config = write_config(tmp_path, "ecs = variable")
    assert main(["tune", str(night), "-c", str(config), "--set", "evaluate.margin=0,10", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "no surplus in these days" in out and "no setting meets the limits" not in out
