"""`tune`: the grid checked against the config schema before anything runs, the default grid built from
the keys the schema knows, and two short synthetic days where the best setting is known by construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from equipments.constant import ConstantEquipment
from settings.config import read_parser
from simulation.__main__ import main
from simulation.tune import Outcome, best, day_groups
from simulation.tune_grid import TuneError, build_grid, current_setting
from simulation.variants import make_paths_absolute
from tests.test_simulation_replay import write_config


class DwellRelay(ConstantEquipment):
    """A user's relay kind with only some of the closed-loop controller's keys (no min_off_s)."""

    OPTIONS = tuple(o for o in ConstantEquipment.OPTIONS if o.name != "min_off_s")


def write_day(directory: Path, name: str, rows: list[tuple[float, float]]) -> Path:
    lines = ["time,production_w,house_w"] + [f"2026-06-0{1 + len(name) % 2}T12:{i:02d}:00,{pv:g},{house:g}"
                                             for i, (pv, house) in enumerate(rows)]
    path = directory / name
    path.write_text("\n".join(lines) + "\n")
    return path


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
    # No import allowed: only a margin that covers the house's 250 W steps qualifies.
    assert main(["tune", *map(str, days), "-c", str(config), *grid, "--max-import-wh", "0"]) == 0
    out = capsys.readouterr().out
    assert out.split("not a second copy of it):")[1].split("(tuned in")[0].split() == \
        ["[evaluate]", "margin", "=", "300", "balance_threshold", "=", "10"]


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
                                   ["--max-switches", "lots"]])
def test_a_limit_no_day_can_meet_is_refused_before_anything_runs(tmp_path: Path, days: list[Path], limit: list[str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # A negative limit (a typo) was taken, every replay run (minutes, on a week of days), then "no setting meets the
    # limits (at most -1 switches a day per relay)".
    config = write_config(tmp_path, "ecs = variable")
    with pytest.raises(SystemExit) as exited:
        main(["tune", str(days[0]), "-c", str(config), "--set", "evaluate.margin=10,20", *limit])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert f"argument {limit[0]}: {limit[1]}: " in err and "a number 0 or more" in err
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


def test_the_parts_of_a_day_recorded_in_several_files_count_as_one_day(tmp_path: Path) -> None:
    # (the loads changed that day: pyseb-DAY-2.csv.gz goes on where pyseb-DAY.csv.gz stopped)
    parts = [tmp_path / "pyseb-2026-05-01.csv.gz", tmp_path / "pyseb-2026-05-01-2.csv.gz"]
    other = [tmp_path / "pyseb-2026-05-02.csv.gz", tmp_path / "elsewhere" / "pyseb-2026-05-01.csv.gz",
             tmp_path / "serf-east-2022-03-19.csv"]
    groups, notes = day_groups([parts[1], *other, parts[0]])
    assert groups == [tuple(parts), *((path,) for path in other)]  # (in the parts' order)
    assert notes == ["pyseb-2026-05-01.csv.gz and pyseb-2026-05-01-2.csv.gz: one day, recorded in 2 files (its "
                     "loads or [evaluate] meter_timeout changed that day), replayed as one"]
    assert day_groups(other) == ([(path,) for path in other], [])


@pytest.mark.parametrize("unpacked", [0, 1])
def test_the_parts_of_a_day_are_one_day_whatever_their_packing(tmp_path: Path, unpacked: int) -> None:
    # A part unpacked (gunzip: pyseb-DAY.csv) reads as the .csv.gz it came from, but the name pattern took only
    # .csv.gz: it was never joined with the day's other part, and tune replayed the day as two (its per-day means
    # halved, the afternoon's part with a cold tank again).
    from recording.store import day_parts

    parts = [tmp_path / "pyseb-2026-05-01.csv.gz", tmp_path / "pyseb-2026-05-01-2.csv.gz"]
    parts[unpacked] = parts[unpacked].with_suffix("")
    for path in parts:
        path.write_bytes(b"")
    groups, notes = day_groups([parts[1], parts[0]])
    assert groups == [tuple(parts)] and len(notes) == 1
    assert day_parts(tmp_path, "2026-05-01") == parts
    for name in ("pyseb-2026-05-01.csv", "pyseb-2026-05-01.csv.gz"):  # (both packings of one part: the daemon's)
        (tmp_path / name).write_bytes(b"")
    assert day_parts(tmp_path, "2026-05-01") == [tmp_path / "pyseb-2026-05-01.csv.gz", parts[1]]
    from simulation.tune_cli import _other_parts_note  # (report's: the part given, packed or not, is not another)

    given = tmp_path / "pyseb-2026-05-01.csv"
    assert str(_other_parts_note(given, [given])).endswith(f"the other(s): {parts[1]}")


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


PARIS = "Europe/Paris"


def write_recorded_day(folder: Path, day: str, minutes: int, house_w: float = 500.0) -> Path:
    """A recorded day of the `ecs` heater alone, from 12:00 (Paris) for `minutes`, a decision every 4 s, in batches
    of 5 minutes (as the daemon writes them); `house_w` tells one house from another."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from recording.format import format_rows, header_text
    from recording.store import append_batch

    folder.mkdir(parents=True, exist_ok=True)
    path, header = folder / f"pyseb-{day}.csv.gz", header_text(["ecs"], [False], 10.0)
    noon = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=ZoneInfo(PARIS)).timestamp()
    records = [DecisionRecord(noon + 4.0 * i, house_w, 1500.0 + 10.0 * (i % 7), (0.0,), (0.0,), (2000.0,))
               for i in range(minutes * 15)]
    for start in range(0, len(records), 75):
        append_batch(path, format_rows(records[start:start + 75], ZoneInfo(PARIS)), header)
    return path


def test_one_day_recorded_in_two_folders_counts_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A copy of the records folder (a backup taken at 12:20, the day went on in the original): tune counted the day
    # twice and the figures gave it double weight. The same day, the same loads, one's decisions the start of the
    # other's (or the same file's bytes): counted once, the longer kept, both paths named.
    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}"))
    day = write_recorded_day(tmp_path / "records", "2026-06-01", 40)
    backup = write_recorded_day(tmp_path / "backup" / "records", "2026-06-01", 20)
    same = tmp_path / "usb" / "june-first.csv.gz"  # (a copy under another name)
    same.parent.mkdir()
    same.write_bytes(day.read_bytes())
    other = write_recorded_day(tmp_path / "records", "2026-06-02", 30)
    grid = ["--set", "evaluate.margin=10,50", "--jobs", "1"]
    assert main(["tune", str(day), str(other), "-c", str(config), *grid]) == 0
    alone = capsys.readouterr().out
    assert main(["tune", str(backup), str(day), str(same), str(other), "-c", str(config), *grid]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 2 days = 4 replays" in out and "(per day, over 2 days;" in out
    assert f"{backup}: the start of {day} (the same day recorded twice): counted once, as {day}" in out
    assert f"{same}: the same file as {day}: counted once" in out

    def table(text: str) -> list[str]:
        return [line for line in text.splitlines() if line[:2] in ("* ", "  ") and line[2:].strip()[:1].isdigit()]

    assert table(out) == table(alone) and len(table(alone)) == 2


def test_the_same_date_of_another_house_is_another_day(tmp_path: Path) -> None:
    from simulation.tune_days import same_days

    mine = write_recorded_day(tmp_path / "mine", "2026-06-01", 10)
    neighbour = write_recorded_day(tmp_path / "neighbour", "2026-06-01", 10, house_w=800.0)
    shorter = write_recorded_day(tmp_path / "neighbour-backup", "2026-06-01", 5, house_w=800.0)
    trace = tmp_path / "trace.csv"
    trace.write_text("time,production_w,house_w\n2026-06-01T12:00:00,1000,300\n2026-06-01T12:01:00,1000,300\n")
    copy = tmp_path / "trace-copy.csv"
    copy.write_bytes(trace.read_bytes())
    kept, notes = same_days([mine, shorter, neighbour, trace, copy])
    assert kept == [mine, neighbour, trace]
    assert len(notes) == 2 and str(shorter) in notes[0] and str(neighbour) in notes[0] and str(copy) in notes[1]


@pytest.mark.parametrize("how", ["same", "start", "differ"])
def test_a_day_unpacked_beside_its_file_is_left_out_for_the_daemons(tmp_path: Path, how: str) -> None:
    # pyseb-DAY.csv (unpacked to look at it) beside pyseb-DAY.csv.gz in one folder: the .csv was kept by the names'
    # order, the file the daemon wrote left out (and both kept, as two days, when they differed).
    import gzip

    from simulation.tune_days import same_days

    day = write_recorded_day(tmp_path / "records", "2026-06-01", 10)
    other = write_recorded_day(tmp_path / "other", "2026-06-01", 5 if how == "start" else 10,
                               house_w=800.0 if how == "differ" else 500.0)
    unpacked = day.with_suffix("")
    unpacked.write_bytes(gzip.decompress((day if how == "same" else other).read_bytes()).replace(b"\n", b"\r\n"))
    kept, notes = same_days([unpacked, day])
    assert kept == [day] and len(notes) == 1
    assert notes[0].startswith(f"{unpacked}: the same day unpacked, beside the file the daemon wrote, {day}: left out")
    assert ("its decisions differ" in notes[0]) == (how == "differ")


def test_a_folder_or_a_pattern_the_shell_left_gives_its_days(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # `tune records -c config.ini` was "cannot read the trace: Is a directory"; a quoted pattern (or one run where no
    # shell expands it) was "trace file not found".
    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}"))
    folder = tmp_path / "records"
    first = write_recorded_day(folder, "2026-06-01", 10)
    second = write_recorded_day(folder, "2026-06-02", 10)
    (folder / "notes.txt").write_text("not a day")
    grid = ["--set", "evaluate.margin=10,50", "--jobs", "1"]
    assert main(["tune", str(folder), "-c", str(config), *grid]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 2 days = 4 replays" in out and f"{folder}: a folder: its 2 recorded days" in out
    assert f"  {first}: " in out and f"  {second}: " in out
    assert main(["tune", str(folder / "pyseb-2026-06-0*.csv.gz"), "-c", str(config), *grid]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 2 days = 4 replays" in out and f"  {first}: " in out and f"  {second}: " in out
    assert main(["tune", str(folder / "pyseb-2025-*.csv.gz"), "-c", str(config), *grid]) == 2
    assert f"error: {folder / 'pyseb-2025-*.csv.gz'}: no file matches this pattern" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["tune", str(empty), "-c", str(config), *grid]) == 2
    assert f"error: {empty}: a folder with no recorded day (pyseb-YYYY-MM-DD.csv.gz) in it" in capsys.readouterr().err


def test_each_recorded_day_is_read_once_before_the_replays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # A day was read for the folder's check, again for the copies and again for its daylight (0.4 s each at 2 s on a
    # PC, a month of days on a Pi): once now, in this process (the replays read it in theirs). A day's parts, whose
    # trace is one, are read again for it.
    import recording.format

    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}"))
    folder = tmp_path / "records"
    write_recorded_day(folder, "2026-06-01", 10)
    write_recorded_day(folder, "2026-06-02", 10)
    named = write_recorded_day(tmp_path / "named", "2026-06-03", 10)
    reads: list[int] = []
    whole = recording.format.read_members
    monkeypatch.setattr(recording.format, "read_members", lambda data: reads.append(1) or whole(data))
    grid = ["--set", "evaluate.margin=10,50", "--jobs", "1"]
    assert main(["tune", str(folder), str(named), "-c", str(config), *grid]) == 0
    assert "2 settings x 3 days = 6 replays" in capsys.readouterr().out
    assert len(reads) == 3


def test_replay_given_a_folder_says_it_takes_one_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable")
    folder = write_recorded_day(tmp_path / "records", "2026-06-01", 10).parent
    assert main(["replay", str(folder), "-c", str(config)]) == 2
    assert (f"error: {folder}: a folder; replay takes one day: a trace, or a recorded day's file in it "
            "(pyseb-YYYY-MM-DD.csv.gz); tune and report take a folder, for all its days") in capsys.readouterr().err
    assert main(["report", str(folder)]) == 0  # (until 2026-12-02: "a folder; report takes one day")
    assert "day 2026-06-01" in capsys.readouterr().out


def test_a_folder_s_day_that_cannot_be_read_is_left_out_and_named(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # A power cut during a day's first write (no whole batch, so no header) stopped `tune records` at that file: a
    # month of days untuned for one the owner had not given by name.
    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}"))
    folder = tmp_path / "records"
    good = write_recorded_day(folder, "2026-06-01", 10)
    cut = folder / "pyseb-2026-06-02.csv.gz"
    cut.write_bytes(good.read_bytes()[:10])
    assert main(["tune", str(folder), "-c", str(config), "--set", "evaluate.margin=10,50", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 1 day = 2 replays" in out
    assert f"{folder}: a folder: its 1 recorded day; left out: {cut.name} (no header" in out
    assert main(["tune", str(cut), "-c", str(config), "--set", "evaluate.margin=10,50", "--jobs", "1"]) == 2  # (named)


def test_a_variant_names_the_seed_default_curve_the_config_loads(tmp_path: Path) -> None:
    # No `calibration =`: the daemon loads calibration/power_calibration_ecs.csv beside the config, which a variant
    # written in a work folder would not find; its copy names that file, absolute (the load's calibration_path).
    config = write_config(tmp_path, "ecs = variable")
    text = config.read_text().replace("calibration = linear.csv\n", "")
    config.write_text(text)
    (tmp_path / "calibration").mkdir()
    (tmp_path / "linear.csv").rename(tmp_path / "calibration" / "power_calibration_ecs.csv")
    cp = read_parser(config)
    make_paths_absolute(cp, config)
    assert cp.get("ecs", "calibration") == str(tmp_path.resolve() / "calibration" / "power_calibration_ecs.csv")
