"""The live demo end to end in a short mode: the real daemon drives the virtual devices, nothing is left behind."""

from __future__ import annotations

import io
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from simulation.replay import ReplayError
from tests.daemon_process import stop_signals_at_their_default

ROOT = Path(__file__).resolve().parent.parent
HEADER = re.compile(r"broker pid (\d+) on [\d.]+:\d+, daemon pid (\d+), work dir (\S+)")
LIVE = re.compile(r"^(\d\d:\d\d)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+) \(([\d.]+)\)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)$")


def _demo(*args: str, tmp: Path | None = None) -> subprocess.Popen[bytes]:
    """`tmp`: the demo's temporary directory (TMPDIR), its folders and its broker's made there."""
    env = None if tmp is None else {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen([sys.executable, "-m", "simulation", "demo", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=stop_signals_at_their_default, env=env)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return [pid for pid in found if _alive(pid)]


def _read_until_live(proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> bytes:
    """The demo's output up to its first live line (it runs: the broker, the daemon and the devices started)."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout_s
    while not any(LIVE.match(line) for line in seen.decode(errors="replace").splitlines()):
        left = deadline - time.monotonic()
        assert left > 0, seen.decode(errors="replace")
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, f"demo ended early: {seen.decode(errors='replace')}"
            seen += chunk
    return seen


def _assert_nothing_left(out: str) -> None:
    match = HEADER.search(out)
    assert match, out
    broker_pid, daemon_pid, work = int(match[1]), int(match[2]), match[3]
    assert not _alive(broker_pid) and not _alive(daemon_pid)
    assert _processes_mentioning(work) == []
    assert not Path(work).exists()


def test_short_demo_runs_end_to_end_and_leaves_nothing() -> None:
    proc = _demo("--minutes", "3", "--speed", "60", "--start", "11:30")
    out_b, err_b = proc.communicate(timeout=120)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
    live = [LIVE.match(line) for line in out.splitlines()]
    rows = [m for m in live if m]
    assert len(rows) >= 2, out
    assert [r[1] for r in rows][:2] == ["11:31", "11:32"]
    # The sun shines at 11:30: the daemon commanded the variator (percent > 0) and the heater drew.
    assert any(float(r[5]) > 0 and int(r[4]) > 0 for r in rows), out
    assert "capture" in out and "oracle" in out
    # the house in one line, the daemon's own decisions beside the table, and where its files were
    assert "The house: a water heater behind a triac variator (ecs), a radiator on a relay" in out
    assert re.search(r"^ +daemon: ecs: 0 W -> \d+ W \(grid feedback, \d+ W for the variable loads\)$", out,
                     re.MULTILINE), out
    assert "removed at the end; --keep keeps them" in out
    _assert_nothing_left(out)


def test_the_daemon_s_lines_on_the_last_readings_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its log was read at each simulated minute, right after that minute's last reading was sent: what the daemon
    # logged on the last ones (its decision, milliseconds later) came after the last read, and was never shown.
    from simulation import demo
    from simulation.demo_log import DecisionLines
    from simulation.devices import MeterDevice

    reads: list[float] = []
    sent: list[float] = []

    class Watched(DecisionLines):
        def new(self) -> list[str]:
            reads.append(time.monotonic())
            return [*super().new(), f"read {len(reads)}"]

    real_send = MeterDevice.send

    def send(self: MeterDevice, reading: str) -> None:
        real_send(self, reading)
        sent.append(time.monotonic())

    monkeypatch.setattr(demo, "DecisionLines", Watched)
    monkeypatch.setattr(MeterDevice, "send", send)
    out = io.StringIO()
    demo.run_demo(demo.DemoOptions(minutes=1, speed=60, start="11:30"), out=out)
    text = out.getvalue()
    last = f"daemon: read {len(reads)}\n"
    assert last in text and text.index(last) < text.index("\nSummary of "), text
    assert reads[-1] - sent[-1] >= demo.LAST_LINES_WAIT_S


def test_a_start_with_seconds_is_said_as_asked() -> None:
    # (`--start 11:30:30` was said "11:30 + 1 simulated minutes" and "Summary of 11:30 to 11:31")
    proc = _demo("--minutes", "1", "--speed", "60", "--start", "11:30:30")
    out_b, err_b = proc.communicate(timeout=120)
    out = out_b.decode()
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err_b.decode()}"
    assert "\n11:30:30 + 1 simulated minutes at x60 " in out
    assert "\nSummary of 11:30:30 to 11:31:30 (live, " in out
    _assert_nothing_left(out)


def test_keep_leaves_the_daemons_log_and_status(tmp_path: Path) -> None:
    proc = _demo("--minutes", "2", "--speed", "60", "--start", "11:30", "--keep")
    out_b, err_b = proc.communicate(timeout=120)
    out = out_b.decode()
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err_b.decode()}"
    match = HEADER.search(out)
    assert match, out
    work = Path(match[3])
    try:
        assert f"The daemon's log: {work / 'daemon.log'}; its status file: {work / 'status.json'}" in out
        assert "ecs: 0 W -> " in (work / "daemon.log").read_text()
        assert '"equipments"' in (work / "status.json").read_text()  # saved at its stop
        # (its recorded decisions were kept too, unsaid: an owner trying `report` and `replay` on them had to find them)
        assert f"its recorded decisions: {work / 'records'}" in out
        assert sorted(path.name for path in (work / "records").glob("pyseb-*.csv.gz"))
        assert not _alive(int(match[1])) and not _alive(int(match[2]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# SIGHUP: a closed terminal or a dropped ssh session; the daemon, in its own session, was left running for ever.
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_ctrl_c_stops_everything_it_started(signum: signal.Signals) -> None:
    proc = _demo("--minutes", "30", "--speed", "30")
    assert proc.stdout is not None
    seen = b""
    try:
        seen = _read_until_live(proc)  # (interrupt once the demo runs)
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert b"interrupted" in err
    _assert_nothing_left((seen + rest).decode())


def test_a_kept_demo_stopped_by_ctrl_c_says_where_its_files_are() -> None:
    # It said "interrupted: everything started was stopped" and nothing of the folder --keep was asked for: the header's
    # "work dir" was screens above, and the end's "Kept (--keep): remove ... when done" never came.
    proc = _demo("--minutes", "30", "--speed", "30", "--keep")
    assert proc.stdout is not None
    work: Path | None = None
    try:
        seen = _read_until_live(proc)
        match = HEADER.search(seen.decode())
        assert match, seen.decode()
        work = Path(match[3])
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    try:
        assert proc.returncode == 130
        said = (seen + rest).decode()
        assert f"The daemon's log: {work / 'daemon.log'}; its status file: {work / 'status.json'} (saved at its " \
               f"stop); its recorded decisions: {work / 'records'}" in said, said
        assert f"Kept (--keep): remove {work} when done." in said, said
        assert '"equipments"' in (work / "status.json").read_text()
        assert b"interrupted" in err
        assert not _alive(int(match[1])) and not _alive(int(match[2]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _broker_folder(broker_pid: int) -> Path:
    """The private broker's own folder (its config's), read from its command line while it runs."""
    args = Path(f"/proc/{broker_pid}/cmdline").read_bytes().decode().split("\0")
    return Path(args[args.index("-c") + 1]).parent


def test_a_demo_killed_outright_takes_its_daemon_with_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # SIGKILL leaves no cleanup to run: the kernel tells the daemon (and the broker) their parent died. (Its folders
    # in a temporary directory of its own: in the shared one, another test worker's broker or demo starting meanwhile
    # removed them, dead, before they were looked for: a CI run under pytest-xdist)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # (for _next_demo_start, in this process)
    proc = _demo("--minutes", "30", "--speed", "30", tmp=tmp_path)
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + 60
    folders: list[Path] = []
    try:
        while not HEADER.search(seen.decode(errors="replace")):
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                assert chunk, f"demo ended early: {seen.decode(errors='replace')}"
                seen += chunk
        match = HEADER.search(seen.decode())
        assert match
        broker_pid, daemon_pid, work = int(match[1]), int(match[2]), Path(match[3])
        folders = [work, _broker_folder(broker_pid)]
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    try:
        deadline = time.monotonic() + 20
        while (_alive(daemon_pid) or _alive(broker_pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(daemon_pid) and not _alive(broker_pid)
        # Its folders stayed (no cleanup ran; the broker's was left by this test itself, one more in /tmp at each
        # run): the next demo's start removes them, a dead demo's and a dead broker's.
        assert all(folder.is_dir() for folder in folders)
        _next_demo_start(monkeypatch)
        assert [folder for folder in folders if folder.exists()] == []
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _next_demo_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a next `make demo` does before its own broker listens: its broker's folder made, its own work dir."""
    from localbroker import PrivateBroker
    from simulation import demo

    class StartOnly(PrivateBroker):
        def start(self, timeout_s: float = 10.0) -> PrivateBroker:
            raise _BrokerReached

    monkeypatch.setattr(demo, "PrivateBroker", StartOnly)
    with pytest.raises(_BrokerReached):
        demo.run_demo(demo.DemoOptions(minutes=1), out=io.StringIO())


def test_a_signal_during_cleanup_does_not_cut_it_short(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    # The daemon and the broker run in their own sessions: a second SIGTERM (or Ctrl-C) arriving while
    # the demo stops them must not end the cleanup halfway, or they are orphaned.
    from localbroker import BrokerError
    from simulation import demo

    reached_outside: list[int] = []
    cleaned: list[str] = []

    class FailingBroker:
        host, port, pid = "127.0.0.1", 0, 0

        def start(self) -> None:
            raise BrokerError("no mosquitto in this test")

        def cleanup(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # Python runs signal handlers between bytecodes: give them the chance
            cleaned.append("broker")

    made: list[str] = []
    real_mkdtemp = demo.tempfile.mkdtemp

    def mkdtemp(prefix: str) -> str:
        made.append(real_mkdtemp(prefix=prefix, dir=tmp_path))
        return made[-1]

    monkeypatch.setattr(demo, "PrivateBroker", FailingBroker)
    monkeypatch.setattr(demo.tempfile, "mkdtemp", mkdtemp)
    # Stand-ins for what ran before the demo (the default SIGTERM would kill pytest itself).
    outside = {sig: signal.signal(sig, lambda signum, frame: reached_outside.append(signum))
               for sig in (signal.SIGTERM, signal.SIGINT)}
    caught: BaseException | None = None
    try:
        demo.run_demo(demo.DemoOptions(minutes=1), out=io.StringIO())
    except BaseException as exc:  # a KeyboardInterrupt out of the cleanup must fail this test, not stop pytest
        caught = exc
    finally:
        for sig, handler in outside.items():
            signal.signal(sig, handler)
    assert isinstance(caught, BrokerError), repr(caught)  # the demo's own error, not an interrupt
    assert cleaned == ["broker"]  # the cleanup step that got the signals finished
    assert reached_outside == []  # the demo's own handlers were still there
    assert made and not Path(made[0]).exists()  # and the steps after it ran too
    # by name, with what is under way ("signal 2 ignored" was all a Ctrl-C met)
    assert [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()] == [
        "SIGTERM ignored: still stopping the broker and the daemon the demo started (5 s at most each)",
        "SIGINT (Ctrl-C) ignored: still stopping the broker and the daemon the demo started (5 s at most each)"]


class _BrokerReached(Exception):
    """The demo got past its trace's checks to its broker's start."""


class _NoBroker:
    def start(self) -> None:
        raise _BrokerReached

    def cleanup(self) -> None:
        pass


def test_a_day_recorded_in_another_zone_plays_at_its_own_offset(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # `demo --trace records/pyseb-DAY.csv.gz` of a house in Lisbon or London (UTC in winter) was refused: "recorded
    # at UTC+00:00, replayed at UTC+01:00 ([evaluate] timezone = Europe/Paris) ... set [evaluate] timezone in the
    # config", a config the demo's user has none of (the demo's house is simulation/demo.ini's, in Paris).
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from recording.format import format_rows, header_text
    from recording.store import append_batch
    from simulation import demo
    from simulation.config import read_sim_config
    from simulation.demo_config import DEMO_TEMPLATE, played_zone, write_demo_config

    day = tmp_path / "pyseb-2026-01-10.csv.gz"
    noon = 1768046400.0  # 2026-01-10 12:00 UTC (London's noon)
    records = [DecisionRecord(noon + 4.0 * i, 500.0, 2500.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0),
                              (2000.0, 1000.0, 600.0), (0.0, 0.0, 0.0)) for i in range(1000)]
    append_batch(day, format_rows(records, ZoneInfo("Europe/London")),
                 header_text(["ecs", "radiator", "towel"], [False, True, True], 10.0))
    template = read_sim_config(DEMO_TEMPLATE)
    assert played_zone(day, template) == "Etc/UTC"
    assert played_zone(ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv", template) is None  # (a trace)
    written = write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 9, 30.0, timezone="Etc/UTC")
    assert read_sim_config(written).timezone == "Etc/UTC"
    monkeypatch.setattr(demo, "PrivateBroker", _NoBroker)
    with pytest.raises(_BrokerReached):  # (the trace taken: it raised TraceError before)
        demo.run_demo(demo.DemoOptions(minutes=1, start="12:10", trace=day), out=io.StringIO())


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Kolkata", 330), ("Asia/Kathmandu", 345),
                                             ("Australia/Adelaide", 630)])
def test_a_day_recorded_at_an_offset_of_no_whole_hour_plays_at_it_too(tmp_path: Path, zone: str, offset: int) -> None:
    # A house in India (UTC+05:30): `demo --trace` of its day was refused as "recorded at UTC+05:30, replayed at
    # UTC+01:00 ... set [evaluate] timezone", a config the demo's user has none of; Etc/GMT zones are whole hours.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from recording.format import format_rows, header_text
    from recording.store import append_batch
    from simulation.config import read_sim_config
    from simulation.demo_config import DEMO_TEMPLATE, played_zone

    day = tmp_path / "pyseb-2026-01-10.csv.gz"
    noon = datetime(2026, 1, 10, 12, tzinfo=ZoneInfo(zone)).timestamp()
    records = [DecisionRecord(noon + 4.0 * i, 500.0, 2500.0, (0.0,), (0.0,), (2000.0,), (0.0,)) for i in range(100)]
    append_batch(day, format_rows(records, ZoneInfo(zone)), header_text(["ecs"], [False], 10.0))
    played = played_zone(day, read_sim_config(DEMO_TEMPLATE))
    assert played is not None
    offset_there = datetime.fromtimestamp(noon, ZoneInfo(played)).utcoffset()
    assert offset_there is not None and offset_there.total_seconds() == offset * 60


@pytest.mark.parametrize(("start", "reached"), [("06:00", True), ("21:00", True), ("19:58", False),
                                               ("19:59:30", True)])
def test_the_demo_starts_on_a_traces_second_day_as_replay_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               start: str, reached: bool) -> None:
    # A trace from 20:00 to 20:00 the next day: `demo --start 06:00` was refused as going past the trace (06:00 of its
    # first day, before it), where `replay --from 06:00` takes the morning after. Five minutes from 19:58 go past it;
    # 19:59:30, a minute before the trace or less, is its start (as for --from).
    from simulation import demo

    trace = tmp_path / "evening.csv"
    rows = [f"{(datetime(2022, 3, 19, 20) + timedelta(minutes=m)).isoformat()},{500 if 8 * 60 < m < 20 * 60 else 0},300"
            for m in range(24 * 60 + 1)]
    trace.write_text("time,production_w,house_w\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(demo, "PrivateBroker", _NoBroker)
    if reached:
        with pytest.raises(_BrokerReached):
            demo.run_demo(demo.DemoOptions(minutes=5, start=start, trace=trace), out=io.StringIO())
    else:
        with pytest.raises(ReplayError, match="go past the trace"):
            demo.run_demo(demo.DemoOptions(minutes=5, start=start, trace=trace), out=io.StringIO())


def test_a_day_at_india_s_offset_plays_at_its_zone_s_name_said_with_the_offset(tmp_path: Path) -> None:
    # `demo --trace` of a day recorded in India said "the house plays it at its own clock (Asia/Calcutta)": the first
    # name of the zones at +05:30 that day, the tz database's old one for Asia/Kolkata (kept as an alias). The zone is
    # the current name's, and the line says the offsets, which the record carries (not a zone).
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from recording.format import format_rows, header_text
    from recording.store import append_batch
    from simulation.config import read_sim_config
    from simulation.demo_config import DEMO_TEMPLATE, played_zone, zone_note

    day = tmp_path / "pyseb-2026-01-10.csv.gz"
    noon = datetime(2026, 1, 10, 12, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()
    records = [DecisionRecord(noon + 4.0 * i, 500.0, 2500.0, (0.0,), (0.0,), (2000.0,), (0.0,)) for i in range(100)]
    append_batch(day, format_rows(records, ZoneInfo("Asia/Kolkata")), header_text(["ecs"], [False], 10.0))
    template = read_sim_config(DEMO_TEMPLATE)
    zone = played_zone(day, template)
    assert zone == "Asia/Kolkata"
    assert zone_note(day, template.timezone, zone, noon) == (
        f"{day} was recorded at UTC+05:30, not at the demo house's clock (Europe/Paris, UTC+01:00 that day): the "
        "house plays it at its own clock, UTC+05:30 (as the zone Asia/Kolkata)")
    assert "this machine's" in zone_note(day, None, zone, noon)


@pytest.mark.parametrize(("zone", "day"), [("America/St_Johns", "2026-03-08"), ("Australia/Adelaide", "2026-04-05"),
                                           ("Australia/Lord_Howe", "2026-04-05"), ("Europe/London", "2026-10-25")])
def test_a_day_its_clocks_changed_on_plays_at_both_its_offsets(tmp_path: Path, zone: str, day: str) -> None:
    # A day of a house at a half-hour offset on which its clocks changed (Newfoundland's spring, Adelaide's autumn): no
    # zone at the first decision's offset at both ends of the day, played_zone gave None and the demo of that day was
    # refused ("set [evaluate] timezone", which the demo's user cannot); a whole-hour one (London's autumn) was played
    # at Etc/GMT-1 all day, its afternoon an hour off. The zone found keeps each end's own offset.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from recording.format import format_rows, header_text
    from recording.store import append_batch
    from simulation.config import read_sim_config
    from simulation.demo_config import DEMO_TEMPLATE, played_zone

    path = tmp_path / f"pyseb-{day}.csv.gz"
    there = ZoneInfo(zone)
    start = datetime.fromisoformat(f"{day}T00:00:05").replace(tzinfo=there).timestamp()
    end = datetime.fromisoformat(f"{day}T23:59:55").replace(tzinfo=there).timestamp()
    times = [start + (end - start) * i / 99 for i in range(100)]
    records = [DecisionRecord(t, 500.0, 0.0, (0.0,), (0.0,), (2000.0,), (0.0,)) for t in times]
    append_batch(path, format_rows(records, there), header_text(["ecs"], [False], 10.0))
    played = played_zone(path, read_sim_config(DEMO_TEMPLATE))
    assert played is not None
    for when in (start, end):
        assert datetime.fromtimestamp(when, ZoneInfo(played)).utcoffset() == datetime.fromtimestamp(when,
                                                                                                   there).utcoffset()
