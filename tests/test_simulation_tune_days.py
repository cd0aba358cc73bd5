"""`tune`'s days: the parts of a day recorded in several files or folders counted as one day (packed or not),
another house's same date another day, folders and patterns the shell left, each day read once, a day that cannot
be read left out and named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from settings.config import read_parser
from simulation.__main__ import main
from simulation.tune import day_groups
from simulation.variants import make_paths_absolute
from tests.replay_days import PARIS, write_config, write_recorded_day


def test_the_parts_of_a_day_recorded_in_several_files_count_as_one_day(tmp_path: Path) -> None:
    # (the loads changed that day: pyseb-DAY-2.csv.gz goes on where pyseb-DAY.csv.gz stopped)
    parts = [tmp_path / "pyseb-2026-05-01.csv.gz", tmp_path / "pyseb-2026-05-01-2.csv.gz"]
    other = [tmp_path / "pyseb-2026-05-02.csv.gz", tmp_path / "elsewhere" / "pyseb-2026-05-01.csv.gz",
             tmp_path / "serf-east-2022-03-19.csv"]
    groups, notes = day_groups([parts[1], *other, parts[0]])
    assert groups == [tuple(parts), *((path,) for path in other)]  # (in the parts' order)
    assert notes == ["pyseb-2026-05-01.csv.gz and pyseb-2026-05-01-2.csv.gz: one day, recorded in 2 files (its "
                     "loads or [evaluate] meter_timeout changed that day, or the file format (an update)), replayed "
                     "as one"]
    assert day_groups(other) == ([(path,) for path in other], [])


@pytest.mark.parametrize("unpacked", [0, 1])
def test_the_parts_of_a_day_are_one_day_whatever_their_packing(tmp_path: Path, unpacked: int) -> None:
    # A part unpacked (gunzip: pyseb-DAY.csv) reads as the .csv.gz it came from, but the name pattern took only
    # .csv.gz: it was never joined with the day's other part, and tune replayed the day as two (its per-day means
    # halved, the afternoon's part with a cold tank again).
    from recording.days import day_parts

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
    from simulation.report_cli import _other_parts_note  # (report's: the part given, packed or not, is not another)

    given = tmp_path / "pyseb-2026-05-01.csv"
    assert str(_other_parts_note(given, [given])).endswith(f"the other(s): {parts[1]}")


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
    # (the folder's line first, before the plan and its list of days: it was printed in the list, after the days)
    lines = out.splitlines()
    assert lines[0] == f"{folder}: a folder: its 2 recorded days" and lines[1].startswith("tune: 2 settings")
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


def test_a_folder_s_day_of_one_decision_is_left_out_and_named(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # A day the daemon ran a few seconds of (started just before midnight, stopped at once) has one decision: it
    # stopped `tune records` with "needs at least two decisions, found 1", every other day untuned.
    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text().replace("meter_timeout = 10", f"meter_timeout = 10\ntimezone = {PARIS}"))
    folder = tmp_path / "records"
    write_recorded_day(folder, "2026-06-01", 10)
    short = write_recorded_day(folder, "2026-06-02", 1)
    short.write_bytes(gzip.compress(b"".join(gzip.decompress(short.read_bytes()).splitlines(keepends=True)[:-14])))
    assert main(["tune", str(folder), "-c", str(config), "--set", "evaluate.margin=10,50", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 1 day = 2 replays" in out
    assert f"{folder}: a folder: its 1 recorded day; left out: {short.name} (1 decision: a replay needs 2 at " \
           "least)" in out
    assert main(["tune", str(short), "-c", str(config), "--set", "evaluate.margin=10,50", "--jobs", "1"]) == 2  # named


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
