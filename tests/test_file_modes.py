"""The files PySEB writes get modes a careful user expects, whatever the umask it was started under (a container's
or a shell's 000 included): readable by others where a dashboard may read them, writable by no one else."""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from shell.logsetup import LogFile
from tests.configs import reading, write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe
from values.file_modes import make_folder, remove_temporaries


@pytest.fixture
def umask_000() -> Iterator[None]:
    """The test, and the daemon it starts, under umask 000 (every file asked 0666 is 0666)."""
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def modes(directory: Path) -> dict[str, int]:
    return {str(p.relative_to(directory)): stat.S_IMODE(p.stat().st_mode) for p in sorted(directory.rglob("*"))
            if p.name not in ("config.ini", "linear.csv") and not p.name.startswith("daemon-")}


@pytest.mark.usefixtures("umask_000")
def test_nothing_pyseb_writes_is_writable_by_others(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    config = write_config(tmp_path, ("radiator",), port=broker.port, period=0.2, meter_timeout=3, extra=(
        "\n[logging]\nfile = logs/pyseb.log\n\n[record]\ndir = days\nflush_interval = 1\n"))
    daemon = DaemonProcess(config)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=15)
        deadline = time.monotonic() + 15
        while not list((tmp_path / "days").glob("*.csv.gz")):
            assert time.monotonic() < deadline, daemon.output
            probe.publish("smeter/pzem/CONSOMMATION", reading(300))
            probe.publish("smeter/pzem/PRODUCTION", reading(1800))
            time.sleep(0.3)
        written = modes(tmp_path)  # (the lock exists while it runs)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    written.update(modes(tmp_path))
    assert {"status.json", "status.json.lock", "logs", "logs/pyseb.log", "days"} <= set(written), written
    for name, mode in written.items():  # (files 0644, folders 0755: what docs/security.md says)
        assert mode == (0o755 if (tmp_path / name).is_dir() else 0o644), f"{name}: {mode:o}"


@pytest.mark.usefixtures("umask_000")
def test_each_missing_parent_folder_is_made_0755_and_a_file_in_the_way_is_said(tmp_path: Path) -> None:
    # ([record] dir = data/days with data/ missing: pathlib's parents=True made data/ 0777)
    make_folder(tmp_path / "data" / "days")
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "data" / "days").stat().st_mode) == 0o755
    make_folder(tmp_path / "data")  # (one that exists: left as it is)
    (tmp_path / "file").write_text("")
    with pytest.raises(FileExistsError):
        make_folder(tmp_path / "file")


@pytest.mark.usefixtures("umask_000")
def test_the_log_started_over_after_its_removal_is_made_0644(tmp_path: Path) -> None:
    # backup_count = 0 starts the file over at max_bytes: removed meanwhile (to free a card), it was made again
    # 0666 less the umask, every user's to write under umask 000, where its first open makes it 0644.
    log_path = tmp_path / "pyseb.log"
    handler = LogFile(log_path, max_bytes=300, backup_count=0, errors_to_stderr=False)
    record = logging.makeLogRecord({"msg": "x" * 100, "levelno": logging.INFO, "levelname": "INFO"})
    try:
        handler.emit(record)
        log_path.unlink()
        for _ in range(4):  # (past max_bytes: the rollover starts a file again)
            handler.emit(record)
        assert stat.S_IMODE(log_path.stat().st_mode) == 0o644
    finally:
        handler.close()


def test_remove_temporaries_takes_our_old_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The one removal the status file's cleanup and the recorder's both use: named as ours, a regular file, written
    # before the time given (when given); one that cannot be removed is handed back for the caller's own words.
    def ours(name: str) -> bool:
        return name.startswith(".ours.")

    hour_ago = time.time() - 3600
    old = [tmp_path / ".ours.a", tmp_path / ".ours.b"]
    fresh, stuck, other = tmp_path / ".ours.fresh", tmp_path / ".ours.stuck", tmp_path / ".theirs.a"
    for path in [*old, fresh, stuck, other]:
        path.write_text("{")
        if path is not fresh:
            os.utime(path, (hour_ago, hour_ago))
    (tmp_path / ".ours.folder").mkdir()
    (tmp_path / ".ours.link").symlink_to(other)
    unlink = Path.unlink

    def refusing(path: Path, missing_ok: bool = False) -> None:
        if path == stuck:
            raise PermissionError(13, "Permission denied")
        unlink(path, missing_ok)

    monkeypatch.setattr(Path, "unlink", refusing)
    refused: list[tuple[Path, str | None]] = []
    removed = remove_temporaries(tmp_path, ours, lambda path, exc: refused.append((path, exc.strerror)),
                                 before_s=time.time() - 60)
    assert removed == old and refused == [(stuck, "Permission denied")]
    assert all(path.exists() for path in [fresh, stuck, other, tmp_path / ".ours.folder"])
    assert (tmp_path / ".ours.link").is_symlink()
    # Without a time, a fresh one is taken too; a missing folder holds none.
    assert remove_temporaries(tmp_path, ours, lambda path, exc: None) == [fresh]
    assert remove_temporaries(tmp_path / "missing", ours, lambda path, exc: None) == []
