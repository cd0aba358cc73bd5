"""The status file: atomic saves (a kill mid-save never leaves a bad file), defensive loads (corrupt, foreign,
the seed's), files kept aside. Restore by name: test_status_store_restore; the saver thread and the file system:
test_status_saver."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from status.store import load_status, save_status
from tests.configs import SEED_STATUS
from tests.harness import NOON

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from status.store import save_status
path = Path({path!r})
i = 0
print("ready", flush=True)
while True:
    i += 1
    save_status(path, {{"equipments": [], "i": i, "pad": "x" * 200000}})
"""


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    save_status(path, {"date": int(NOON), "equipments": [{"name": "a"}], "schema_version": 1})
    assert load_status(path) == {"date": int(NOON), "equipments": [{"name": "a"}], "schema_version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temp file left behind


def test_kill_during_save_never_leaves_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    complete_rounds = 0
    last_i = 0
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(path))],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.03 * round_)
        if round_ == 4:
            # The last round waits for a first save of its own, so the test never passes on "no file ever".
            deadline = time.monotonic() + 10
            while not path.exists() and time.monotonic() < deadline:
                time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        if path.exists():
            doc = json.loads(path.read_text())  # complete JSON, whatever moment the kill came
            assert doc["equipments"] == [] and doc["i"] >= 1 and len(doc["pad"]) == 200000
            complete_rounds += 1
            last_i = doc["i"]
        # Whatever the moment of the kill, a temp file may be left, never a second status file.
        assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".tmp")] in ([], ["status.json"])
    assert complete_rounds >= 1 and last_i >= 1, "no round got as far as a complete save: nothing was tested"


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe", b"[]", b'{"foo": 1}',
                                     b'{"schema_version": 9, "equipments": []}',
                                     b'{"date": "2023-11-14 12:00:00", "equipments": []}'])
def test_corrupt_or_foreign_file_means_clean_start(tmp_path: Path, content: bytes,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "status.json"
    path.write_bytes(content)
    assert load_status(path) is None
    assert "clean start" in caplog.text


def test_a_schema_version_written_as_text_is_named_as_such(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A hand edit's "1": the warning read "has schema_version 1, this PySEB reads 1".
    path = tmp_path / "status.json"
    path.write_text('{"schema_version": "1", "date": 1700000000, "equipments": []}')
    assert load_status(path) is None
    assert "has schema_version '1', this PySEB reads the number 1" in caplog.text


def test_a_seed_status_file_saved_by_a_windows_editor_is_read(tmp_path: Path) -> None:
    # The seed's status.ini fixed in Notepad (a UTF-8 BOM ahead, CRLF line ends) was "corrupt (Unexpected UTF-8
    # BOM)": kept aside, the day's energies and the heater's yesterday lost. The config reader took such a file.
    path = tmp_path / "status.ini"
    path.write_bytes(b"\xef\xbb\xbf" + SEED_STATUS.read_text().replace("\n", "\r\n").encode("utf-8"))
    assert load_status(path, keep_aside=True) == json.loads(SEED_STATUS.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["status.ini"]


def test_the_seed_s_first_ini_status_file_is_named_as_such(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Coturex's status.ini of October 2022 was an INI file; it was said to be "corrupt (Expecting value: line 1
    # column 2 (char 1))", as if the disk had damaged it.
    path = tmp_path / "status.ini"
    path.write_text("[init]\necs_energy_today = 0\necs_energy_yesterday = 0\ncloud_forecast = 0\n\n[ECS]\n"
                    "overloaded = False\nenergy = 0\n")
    assert load_status(path, keep_aside=True) is None
    assert "is the INI status of the seed's first versions (2022), not JSON: not read" in caplog.text
    assert [p.name for p in tmp_path.iterdir()][0].startswith("status.ini.bad-")


@pytest.mark.parametrize(("size", "said"), [(12_000_000, "is over 10 MB, where a status file is a few kB"),
                                            (40_000_000, "is over 10 MB, where a status file is a few kB"),
                                            (5_000_000, "is corrupt")])
def test_a_big_file_of_garbage_is_set_aside_in_bounded_memory(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                              size: int, said: str) -> None:
    # Read whole, then handed to configparser (is it the seed's INI?), whose error quoted the whole first line: 40 MB of
    # NULs took 650 MB (a Pi Zero 2 has 512), a MemoryError before the file was set aside, at every start.
    path = tmp_path / "status.json"
    with path.open("wb") as file:
        file.truncate(size)
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (400_000_000, 400_000_000)); "
            f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r}); from pathlib import Path; "
            f"from status.store import load_status; print(load_status(Path({str(path)!r}), keep_aside=True))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr[-500:]
    assert said in done.stderr
    assert [p.name for p in tmp_path.iterdir()][0].startswith("status.json.bad-")


def _older_asides(folder: Path, stamps: list[str]) -> None:
    for stamp in stamps:
        (folder / f"status.ini.bad-{stamp}").write_text("{}")


def test_only_the_newest_five_kept_aside_files_stay(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Every unusable status file was kept aside for good: a fault met at many starts (a dying SD card, a script
    # writing the file) filled the folder with them, and none was ever removed.
    _older_asides(tmp_path, ["20200101-000000", "20200102-000000", "20200103-000000", "20200103-000000-2",
                             "20200103-000000-10", "20200104-000000", "20191231-235959"])
    others = ["status.ini.bak", "status.ini.bad-old", "other.ini.bad-20190101-000000", "status.ini"]
    for name in others:
        (tmp_path / name).write_text("not json")
    (tmp_path / "status.ini.bad-20180101-000000").symlink_to("status.ini.bak")  # (a link an owner made: left alone)
    assert load_status(tmp_path / "status.ini", keep_aside=True) is None
    assert (tmp_path / "status.ini.bad-20180101-000000").is_symlink()
    kept = {p.name for p in tmp_path.glob("status.ini.bad-2*")} - {"status.ini.bad-20180101-000000"}
    older = {f"status.ini.bad-{stamp}" for stamp in ("20200103-000000", "20200103-000000-2", "20200103-000000-10",
                                                     "20200104-000000")}
    assert len(kept) == 5 and kept > older, kept  # the four newest before it (-10 after -2), and the one just set aside
    assert all((tmp_path / name).exists() for name in others[:3])  # (not ours, or not of this file)
    assert ("removed 3 older status file(s) kept aside beside status.ini (the newest 5 are kept): "
            "status.ini.bad-20200102-000000, status.ini.bad-20200101-000000, status.ini.bad-20191231-235959"
            in caplog.text), caplog.text


def test_the_file_just_kept_aside_stays_whatever_the_clock(tmp_path: Path) -> None:
    # A Pi has no clock chip: it boots hours or days behind, and the file kept aside then is named before the others.
    _older_asides(tmp_path, [f"2099010{n}-000000" for n in range(1, 8)])
    (tmp_path / "status.ini").write_text("not json")
    assert load_status(tmp_path / "status.ini", keep_aside=True) is None
    kept = sorted(p.name for p in tmp_path.glob("status.ini.bad-*"))
    assert len(kept) == 5 and kept[-4:] == [f"status.ini.bad-2099010{n}-000000" for n in range(4, 8)], kept


def test_missing_file_means_clean_start(tmp_path: Path) -> None:
    assert load_status(tmp_path / "nope.json") is None
