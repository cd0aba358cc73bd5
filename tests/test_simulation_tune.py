"""`tune`: the grid checked against the config schema before anything runs, the default grid built from
the keys the schema knows, and two short synthetic days where the best setting is known by construction. The
days it reads: test_simulation_tune_days; what it recommends: test_simulation_tune_advice."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from equipments.base import Equipment
from equipments.constant import ConstantEquipment
from simulation import tune_grid
from simulation.__main__ import main
from simulation.tune_grid import TuneError, build_grid
from tests.replay_days import write_config, write_day


class DwellRelay(ConstantEquipment):
    """A user's relay kind with only some of the closed-loop controller's keys (no min_off_s)."""

    OPTIONS = tuple(o for o in ConstantEquipment.OPTIONS if o.name != "min_off_s")


class Drawn:
    """What every load class implements (the allocation calls it): a user's class has it too (equipments.registry)."""

    max_power_w = 500.0

    def command_for(self, watts: float) -> tuple[object, float]:
        raise NotImplementedError  # (the grid is built, never replayed: a user's class is not simulated)

    def increase_power_by(self, watts: float, now: float) -> float | None:
        return watts

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        return 0.0


class Bare(Drawn, Equipment):
    """A user's load that is no relay (nor a variable load)."""

    KIND = "bare"


class OnPayload(Drawn, Equipment):
    """A user's load that is no relay, with a `json_on` of its own."""

    KIND = "on_payload"
    OPTIONS = (*Equipment.OPTIONS, next(o for o in ConstantEquipment.OPTIONS if o.name == "json_on"))


@pytest.fixture
def days(tmp_path: Path) -> list[Path]:
    # The surplus always fits the heater (150..2000 W): whatever a setting holds back is lost. The house
    # steps up by 250 W now and then: with a margin under 250 W each step imports until the next decision.
    steady = [(2000.0, 400.0 + 250.0 * ((i // 3) % 2)) for i in range(30)]
    ramp = [(1200.0 + 150.0 * (i // 2), 400.0 + 250.0 * ((i // 4) % 2)) for i in range(20)]
    return [write_day(tmp_path, "steady.csv", steady), write_day(tmp_path, "ramp.csv.txt", ramp)]


def test_the_best_setting_known_by_construction(tmp_path: Path, days: list[Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable")
    # Hébert's margin and threshold: their best is known by construction (the closed loop has no threshold).
    config.write_text(config.read_text().replace("[evaluate]\n", "[evaluate]\nalgorithm = hebert\n"))
    grid = ["--set", "evaluate.margin=10,100,300", "--set", "evaluate.balance_threshold=10,400"]
    assert main(["tune", *map(str, days), "-c", str(config), *grid, "--jobs", "2"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    # Most capture: the smallest margin, and a threshold that follows every rise of the surplus.
    lines = out.rstrip().split("not a second copy of it):")[1].split("(tuned in")[0].split()
    assert "best: capture" in out and lines == ["[evaluate]", "margin", "=", "10", "balance_threshold", "=", "10"]
    table = [line for line in out.splitlines() if line[:2] in ("* ", "  ") and line[2:].strip()[:1].isdigit()]
    assert len(table) == 6 and table[0].startswith("* ")
    captures = {tuple(line[2:].split()[:2]): float(line[2:].split()[2]) for line in table}
    assert captures[("10", "10")] > captures[("100", "10")] > captures[("300", "10")]
    assert captures[("10", "10")] > captures[("10", "400")]
    assert "12/12 replays" in captured.err and "(tuned in" in out
    # No import allowed: the most capture among the settings the table shows at 0.0 Wh (as the limit is compared), not
    # a 10 W margin, whose house steps of 250 W import.
    assert main(["tune", *map(str, days), "-c", str(config), *grid, "--max-import-wh", "0"]) == 0
    out = capsys.readouterr().out
    assert out.split("not a second copy of it):")[1].split("(tuned in")[0].split() == \
        ["[evaluate]", "margin", "=", "100", "balance_threshold", "=", "400"]
    shown = {tuple(line[2:].split()[:2]): line[2:].split()[3] for line in out.splitlines()
             if line[:2] in ("* ", "  ") and line[2:].strip()[:1].isdigit()}
    assert shown[("100", "400")] == "0.0" and float(shown[("100", "10")]) > 0 and float(shown[("10", "10")]) > 0


def test_no_setting_within_the_limits(tmp_path: Path, days: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable")
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10",
                 "--max-import-wh", "0"]) == 1  # (a margin of 10 W under the house's 250 W steps imports)
    out = capsys.readouterr().out
    assert "no setting meets the limits (at most 0 Wh of caused import a day)" in out
    # (how far to loosen them: the least the grid reaches, as the table shows it; it said only "loosen them")
    caused = out.split("caused Wh")[1].splitlines()[1].split()[2]
    assert f"the least any setting reaches: {caused} Wh of caused import a day" in out


def test_no_setting_within_a_switches_limit_says_the_fewest(tmp_path: Path, days: list[Path],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "radiator = constant")  # (the surplus covers it: on once, at the start)
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10,20",
                 "--max-switches", "0.5", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "the least any setting reaches: 1.0 switches a day of a relay" in out


@pytest.mark.parametrize("limit", [["--max-switches", "-1"], ["--max-import-wh", "-5"], ["--max-import-wh", "nan"],
                                   ["--max-switches", "lots"], ["--max-switches", "1_0"]])
def test_a_limit_no_day_can_meet_is_refused_before_anything_runs(tmp_path: Path, days: list[Path], limit: list[str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # A negative limit (a typo) was taken, every replay run (minutes, on a week of days), then "no setting meets the
    # limits (at most -1 switches a day per relay)".
    config = write_config(tmp_path, "ecs = variable")
    with pytest.raises(SystemExit) as exited:
        main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10,20", *limit])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    # (a text that is no number is told so, as by any number option: 1_0 was 10)
    assert (f"argument {limit[0]}: {limit[1]}: " in err and "a number 0 or more" in err
            or f"argument {limit[0]}: not a number: {limit[1]!r}" in err)
    assert out == "" and "replays" not in err and "Traceback" not in err  # (nothing ran)


def test_the_grid_is_checked_before_anything_runs(tmp_path: Path, days: list[Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10,abc,-5",
                 "--set", "radiator.min_on=60", "--set", "garage.max_power=1", "--set", "nonsense",
                 "--set", "ecs.min_power=100"]) == 2
    err = capsys.readouterr().err
    assert "--set evaluate.margin=abc: not a number: 'abc'" in err
    assert "--set evaluate.margin=-5: must be >= 0" in err
    assert "--set radiator.min_on: [radiator] has no option 'min_on'" in err
    assert "--set garage.max_power: [garage] is neither [evaluate] nor a load of the config (ecs, radiator)" in err
    assert "--set 'nonsense': expected SECTION.KEY=v1,v2,..." in err
    assert "tune:" not in err and "Traceback" not in err  # nothing ran
    # A value the schema takes but the whole config refuses is caught too, before any replay.
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.timezone=Nowhere/City"]) == 2
    assert "[evaluate] timezone: unknown time zone 'Nowhere/City'" in capsys.readouterr().err


def test_the_default_grid_keeps_the_keys_the_schema_knows(tmp_path: Path) -> None:
    plain = write_config(tmp_path, "ecs = variable\nradiator = constant")
    assert [axis.label for axis in build_grid(plain, [])] == ["evaluate.margin", "relays.min_on_s",
                                                              "relays.min_off_s", "relays.hysteresis"]
    dwell = tmp_path / "dwell.ini"
    user_class = "radiator = tests.test_simulation_tune:DwellRelay"
    dwell.write_text(plain.read_text().replace("radiator = constant", user_class))
    axes = {axis.label: axis.targets for axis in build_grid(dwell, [])}
    assert axes["relays.min_on_s"] == (("radiator", "min_on_s"),)
    assert axes["relays.hysteresis"] == (("radiator", "hysteresis"),)
    assert "relays.min_off_s" not in axes


def test_the_default_grid_of_a_house_with_relays_only_is_their_dwell(tmp_path: Path) -> None:
    # No variable load: the dwell is the whole trade (docs/control.md), down to a min_on_s of 60 s; a relay's
    # hysteresis, the band the variable loads give back, does nothing there.
    config = write_config(tmp_path, "radiator = constant\ntowel = unknown")
    axes = build_grid(config, [])
    assert [(axis.label, axis.values) for axis in axes] == [
        ("evaluate.margin", ("0", "20")), ("relays.min_on_s", ("60", "120", "600")),
        ("relays.min_off_s", ("30", "120"))]
    assert axes[1].targets == (("radiator", "min_on_s"), ("towel", "min_on_s"))
    # Judged on the classes, as --check judges it: a relay of the user's own is a relay (its keys only: no
    # min_off_s), a load of the user's own that is no relay is not.
    config.write_text(config.read_text().replace("towel = unknown", "towel = tests.test_simulation_tune:DwellRelay"))
    assert [axis.label for axis in build_grid(config, [])] == ["evaluate.margin", "relays.min_on_s",
                                                               "relays.min_off_s"]
    assert build_grid(config, [])[2].targets == (("radiator", "min_off_s"),)
    config.write_text(config.read_text().replace(":DwellRelay", ":Bare"))
    assert [axis.values for axis in build_grid(config, [])][:2] == [("0", "10", "20"), ("300", "600")]


def test_set_relays_key_sets_it_on_every_relay(tmp_path: Path) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant\ntowel = unknown")
    axes = build_grid(config, ["relays.on_delay_s=0,60"])
    assert [(axis.label, axis.targets, axis.values) for axis in axes] == [
        ("relays.on_delay_s", (("radiator", "on_delay_s"), ("towel", "on_delay_s")), ("0", "60"))]


@pytest.mark.parametrize(("sets", "message"), [
    (["relays.on_delay=0,60"], "--set relays.on_delay: no relay load of the config has an option 'on_delay'"),
    (["relays.on_delay_s=-1"], "--set relays.on_delay_s=-1: must be >= 0"),
    (["relays.min_on_s=300", "radiator.min_on_s=600"],
     "--set radiator.min_on_s: sets [radiator] min_on_s, as relays.min_on_s does"),
])
def test_set_relays_key_is_checked(tmp_path: Path, sets: list[str], message: str) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    with pytest.raises(TuneError) as caught:
        build_grid(config, sets)
    assert message in str(caught.value)


def test_set_relays_key_without_a_relay(tmp_path: Path) -> None:
    with pytest.raises(TuneError, match="--set relays.min_on_s: the config has no relay load"):
        build_grid(write_config(tmp_path, "ecs = variable"), ["relays.min_on_s=300"])
    # A relay is judged by its class, as --check and the grid of a house with relays only judge it: a load of the
    # user's own with a json_on is no relay (it has no dwell to set).
    with pytest.raises(TuneError, match="--set relays.min_on_s: the config has no relay load"):
        build_grid(write_config(tmp_path, "ecs = variable\nplug = tests.test_simulation_tune:OnPayload"),
                   ["relays.min_on_s=300"])


def test_a_file_given_by_set_is_relative_to_the_config_as_in_the_config(tmp_path: Path, days: list[Path],
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # The variants are written in a work folder: `--set ecs.calibration=sub/curve.csv` must still mean the
    # file beside the config, as `calibration = sub/curve.csv` in it would.
    config = write_config(tmp_path, "ecs = variable")
    (tmp_path / "sub").mkdir()
    curve = Path(__file__).resolve().parent.parent / "calibration" / "power_calibration_ECS-04.csv"
    (tmp_path / "sub" / "curve.csv").write_text(curve.read_text())
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "ecs.calibration=sub/curve.csv",
                 "--jobs", "1"]) in (0, 1)
    out, err = capsys.readouterr()
    assert "calibration file not found" not in err and "sub/curve.csv" in out


def test_a_day_given_twice_is_tuned_once(tmp_path: Path, days: list[Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    # (counted as one day with two replays, its per-day means were doubled)
    config = write_config(tmp_path, "ecs = variable")
    grid = ["--set", "evaluate.margin=10", "--jobs", "1"]
    assert main(["tune", str(days[0]), "-c", str(config), *grid]) == 0
    once = capsys.readouterr().out
    assert main(["tune", str(days[0]), str(tmp_path / ".." / tmp_path.name / days[0].name), "-c", str(config),
                 *grid]) == 0
    twice = capsys.readouterr().out
    # (counts said in the singular when one: "1 settings x 1 days = 1 replays on 1 processes" read as a slip)
    assert "tune: 1 setting x 1 day = 1 replay on 1 process;" in twice and "(per day, over 1 day;" in twice

    def table(out: str) -> list[str]:
        return [line for line in out.splitlines() if line.startswith("* ")]

    assert table(twice) == table(once) and len(table(once)) == 1


def test_a_grid_of_one_value_recommends_nothing_it_did_not_compare(tmp_path: Path, days: list[Path],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # `--set evaluate.margin=10` alone said "best: ...; set these keys: margin = 10" after one row: better than
    # nothing, the config's own 20 W never replayed.
    config = write_config(tmp_path, "ecs = variable")
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "best:" not in out and "margin = 10" not in out
    assert ("one setting (evaluate.margin=10): its figures above, compared with nothing; give an axis two values "
            "or more, your config's own among them (evaluate.margin: 20), to compare") in out
    # An axis of one value beside others: the best of the others is with it, and the lines say so.
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10",
                 "--set", "ecs.min_power=100,150", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "(evaluate.margin was 10 in every replay, given one value: not compared with your config's 20)" in out


def test_a_mistyped_set_says_what_was_meant(tmp_path: Path) -> None:
    # (the config's own reader says "did you mean"; tune's --set only said the key was unknown)
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    with pytest.raises(TuneError) as caught:
        build_grid(config, ["evaluate.margn=1,2", "radiatr.min_on_s=300,600", "relay.min_on_s=300,600"])
    assert str(caught.value).splitlines() == [
        "--set evaluate.margn: [evaluate] has no option 'margn' (did you mean margin?)",
        "--set radiatr.min_on_s: [radiatr] is neither [evaluate] nor a load of the config (ecs, radiator) (did you "
        "mean radiator?)",
        "--set relay.min_on_s: [relay] is neither [evaluate] nor a load of the config (ecs, radiator) (did you mean "
        "relays?)"]
    with pytest.raises(TuneError, match=r"option 'on_delay' \(did you mean on_delay_s\?\)"):
        build_grid(config, ["relays.on_delay=0,60"])


def test_more_jobs_than_cores_run_on_the_cores(tmp_path: Path, days: list[Path], monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # `-j 16` on a 2-core machine started 16 processes (about 80 MB each: a Pi's memory) to share 2 cores.
    monkeypatch.setattr("simulation.tune_cli.default_jobs", lambda: 2)
    config = write_config(tmp_path, "ecs = variable")
    assert main(["tune", *map(str, days), "-c", str(config), "--set", "evaluate.margin=0,10,20", "-j", "16"]) == 0
    out = capsys.readouterr().out
    assert "3 settings x 2 days = 6 replays on 2 processes" in out
    assert "--jobs 16: this machine gives PySEB 2 cores; more processes would only share them: 2 processes" in out
    monkeypatch.setattr("simulation.tune_cli.default_jobs", lambda: 1)
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=0,10", "-j", "2"]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 1 day = 2 replays on 1 process;" in out and "(per day, over 1 day;" in out
    assert "--jobs 2: this machine gives PySEB 1 core; more processes would only share it: 1 process" in out


def test_a_day_whose_file_ends_in_the_sun_says_where_the_file_ends(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # (a short recording made to try PySEB, stopped before sunset: its window was listed "12:05:00 to end")
    day = write_day(tmp_path, "evening.csv", [(0.0, 400.0)] * 20 + [(2000.0, 400.0)] * 10)
    morning = write_day(tmp_path, "morning.csv", [(2000.0, 400.0)] * 10 + [(0.0, 400.0)] * 20)
    config = write_config(tmp_path, "ecs = variable")
    assert main(["tune", str(day), str(morning), "-c", str(config), "--set", "evaluate.margin=10,100",
                 "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"  {day}: 12:05:00 to 12:30:00, where the file ends (the sun still up)\n" in out, out
    assert f"  {morning}: 12:00:00, where the file starts (the sun already up), to 12:24:00\n" in out, out
    assert " to end" not in out and "start to" not in out


def test_the_plan_line_comes_before_the_grid_is_written(tmp_path: Path, days: list[Path],
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Every setting's config file was written and read back (a second or more a thousand settings) before the first
    # line: a large grid said nothing for that long. Now the first setting alone (the days' daylight is found with
    # it), the plan line, then the others'; what is printed keeps its order.
    written = tune_grid.write_variants
    said_before: list[tuple[int, str]] = []  # (settings written by the call, what was printed before it)

    def watched(config: Path, axes: Sequence[tune_grid.Axis], settings: Sequence[tuple[str, ...]],
                directory: Path, **numbered: int) -> list[Path]:
        out = capsys.readouterr().out
        said_before.append((len(settings), out))
        print(out, end="")  # (put back: the whole output is checked after)
        return written(config, axes, settings, directory, **numbered)

    monkeypatch.setattr(tune_grid, "write_variants", watched)
    config = write_config(tmp_path, "ecs = variable")
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10,20,30,40", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    most = max(said_before)  # (the call that wrote the grid's other settings)
    assert most[0] == 3 and most[1].startswith("tune: 4 settings x 1 day = 4 replays on 1 process;"), said_before
    assert out.index("tune: 4 settings") < out.index(f"  {days[0]}: ") < out.index("best: capture"), out
    # Four settings in four files, none written over another (the replays tell them apart).
    table = [line for line in out.splitlines() if line[:2] in ("* ", "  ") and line[2:].strip()[:2] in ("10", "20",
                                                                                                       "30", "40")]
    assert sorted(line[2:].split()[0] for line in table) == ["10", "20", "30", "40"], out


def test_every_setting_a_config_refuses_is_named_at_once(tmp_path: Path, days: list[Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # (the grid's first setting is written alone, before the others: its problem alone hid theirs)
    config = write_config(tmp_path, "ecs = variable")
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.timezone=Nowhere/City,Else/Where",
                 "--jobs", "1"]) == 2
    out, err = capsys.readouterr()
    assert "unknown time zone 'Nowhere/City'" in err and "unknown time zone 'Else/Where'" in err, err
    assert "tune:" not in out


def test_a_config_without_the_grid_s_section_is_tuned(tmp_path: Path, days: list[Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # The README's minimal config has no [evaluate]: each setting's copy set evaluate.margin in a section it did not
    # have (configparser.NoSectionError, a traceback), so the default grid never ran on it.
    config = write_config(tmp_path, "ecs = variable")
    text = config.read_text()
    config.write_text(text[:text.index("[evaluate]")] + text[text.index("[status]"):])
    assert main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=0,20", "--jobs", "1"]) == 0
    assert "best: capture" in capsys.readouterr().out
