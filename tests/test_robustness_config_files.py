"""Config problems found by --check rather than at run time: the files the daemon opens later (TLS, status,
log; their directories made or refused as the daemon would), and the instance lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from tests.config_problems import problems_of, with_lines
from tests.configs import write_config

ROOT = Path(__file__).resolve().parent.parent


def test_missing_tls_ca_file_is_a_problem_found_by_check(tmp_path: Path) -> None:
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n",
                      "tls = true\nca_file = /nonexistent/ca.pem\n")
    assert "[mqtt] ca_file: /nonexistent/ca.pem does not exist" in problems_of(path)
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "ca_file" in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_tls_files_must_be_readable_files(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n",
                      "tls = true\nca_file = certs/ca.crt\ncert_file = certs\nkey_file = certs/client.key\n")
    report = problems_of(path)
    assert "[mqtt] cert_file: " in report and "is a directory" in report
    assert "[mqtt] key_file: " in report and "client.key does not exist" in report
    assert "[mqtt] ca_file" not in report  # relative to the config file, and there


def test_key_file_needs_cert_file(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("x")
    (tmp_path / "client.key").write_text("x")
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n",
                      "tls = true\nca_file = ca.crt\nkey_file = client.key\n")
    assert "[mqtt] key_file: needs cert_file" in problems_of(path)


def test_tls_files_not_checked_without_tls(tmp_path: Path) -> None:
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n", "ca_file = /nonexistent/ca.pem\n")
    load_settings(path)  # tls = false: the file is never opened


def test_a_missing_status_or_log_directory_is_made_as_the_daemon_makes_it(tmp_path: Path) -> None:
    # The daemon makes the status file's folder (its lock, its saves) and the log's: --check refused both with
    # "does not exist". It now says they will be made, and makes nothing itself.
    path = write_config(tmp_path, extra="\n[logging]\nfile = logs/day/pyseb.log\n")
    path.write_text(path.read_text().replace("file = status.json", "file = state/pyseb/status.json"))
    settings = load_settings(path)
    assert settings.status.file == tmp_path / "state" / "pyseb" / "status.json"
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (f"status file: {tmp_path / 'state' / 'pyseb' / 'status.json'} (its folder "
            f"{tmp_path / 'state' / 'pyseb'} does not exist yet: made at start)") in result.stdout
    assert (f"log file:    {tmp_path / 'logs' / 'day' / 'pyseb.log'} (its folder {tmp_path / 'logs' / 'day'} "
            "does not exist yet: made at start)") in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", "linear.csv"]


def test_a_home_folder_that_cannot_be_found_is_refused(tmp_path: Path) -> None:
    # Kept as written (no traceback any more), ~nosuchuser/status.json was a folder named "~nosuchuser" made beside the
    # config, the saves and the log never where the owner looks.
    path = write_config(tmp_path, extra="\n[logging]\nfile = ~pyseb-no-such-user/pyseb.log\n")
    path.write_text(path.read_text().replace("file = status.json", "file = ~pyseb-no-such-user/status.json"))
    report = problems_of(path)
    assert ("[status] file: ~pyseb-no-such-user/status.json: the home folder of '~pyseb-no-such-user' cannot be found "
            "(no such user?)") in report
    assert "[logging] file: ~pyseb-no-such-user/pyseb.log: the home folder of" in report
    assert "does not exist yet" not in report
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", "linear.csv"]


def test_a_missing_directory_under_an_unwritable_one_is_refused(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the daemon could not make the folder, --check says so (os.access answers as for the daemon's
    # unprivileged user: the CI runs as root).
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr("settings.daemon_files.os.access",
                        lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    path = write_config(tmp_path, extra="\n[logging]\nfile = locked/logs/pyseb.log\n")
    path.write_text(path.read_text().replace("file = status.json", "file = locked/state/status.json"))
    report = problems_of(path)
    assert f"[status] file: directory {locked} is not writable" in report
    assert f"[logging] file: directory {locked} is not writable" in report


def test_status_file_directory_must_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("file = status.json", "file = afile/status.json"))
    assert "[status] file: " in problems_of(path) and "is not a directory" in problems_of(path)
    (tmp_path / "status.d").mkdir()
    path.write_text(path.read_text().replace("file = afile/status.json", "file = status.d"))
    assert "[status] file: " in problems_of(path) and "is a directory, not a file" in problems_of(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes everywhere: permissions cannot be tested")
def test_status_and_log_directories_must_be_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        path = write_config(tmp_path, extra="\n[logging]\nfile = locked/pyseb.log\n")
        path.write_text(path.read_text().replace("file = status.json", "file = locked/status.json"))
        report = problems_of(path)
        assert "[status] file: directory" in report and "[logging] file: directory" in report
        assert "is not writable" in report
    finally:
        locked.chmod(0o700)


def test_unwritable_directories_reported_even_when_run_as_root(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The check above cannot run as root (the CI container's user): the same branch, with os.access
    # answering as it would for the daemon's unprivileged user.
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "pyseb.log").write_text("")
    real_access = os.access
    monkeypatch.setattr("settings.daemon_files.os.access",
                        lambda p, mode: False if Path(p).is_relative_to(locked) else real_access(p, mode))
    path = write_config(tmp_path, extra="\n[logging]\nfile = locked/pyseb.log\n")
    path.write_text(path.read_text().replace("file = status.json", "file = locked/status.json"))
    report = problems_of(path)
    assert f"[status] file: directory {locked} is not writable" in report
    assert f"[logging] file: directory {locked} is not writable" in report


def test_a_log_file_left_by_another_user_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The seed's pv.log, left by its run as root (Coturex's init.d service), refused the unit's start as pi with "is
    # not writable" alone. (os.access answers as for the daemon's unprivileged user: the CI runs as root.)
    log = tmp_path / "pv.log"
    log.write_text("")
    real_access = os.access
    monkeypatch.setattr("settings.daemon_files.os.access",
                        lambda p, mode: False if Path(p) == log else real_access(p, mode))
    path = write_config(tmp_path, extra="\n[debug]\nlog_file = pv.log\n")
    assert (f"[debug] log_file: {log} is not writable (left by a run as another user, root's? give it to the user "
            "PySEB runs as, or remove it; under systemd, leave the log file unset: the journal takes the log)"
            ) in problems_of(path)


def test_seed_log_file_key_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    path = write_config(tmp_path, extra="\n[debug]\nlog_file = true\nlog_file_name = afile/logs/pv.log\n")
    # (named as the file writes it: it has no [logging] section)
    assert f"[debug] log_file_name: {tmp_path / 'afile'} is not a directory" in problems_of(path)


def test_the_instance_lock_is_checked_with_persistent_false(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Not saved (the seed's use_persistent = false), the status file's name is still the lock's, taken at every
    # start: --check said OK, then the daemon stopped on "cannot open the lock". (os.access answers as for the
    # daemon's unprivileged user: the CI runs as root.)
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr("settings.daemon_files.os.access",
                        lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("file = status.json", "file = locked/status.json")
                    .replace("[status]\n", "[status]\npersistent = false\n"))
    assert (f"[status] file: the instance lock {locked / 'status.json.lock'}, taken even with persistent = false: "
            f"directory {locked} is not writable") in problems_of(path)
    (locked / "status.json.lock").write_text("812\n")  # one left there: it is read, not made
    load_settings(path)


def test_the_instance_lock_and_the_status_are_checked_with_persistent_true(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Saved (the default), the lock and the status file left by a run as root (0600) passed --check: then the daemon
    # stopped on "cannot open the lock", or started without its saved status (the day's energy, the forces) and
    # replaced it. (os.access answers as for the daemon's unprivileged user: the CI runs as root.)
    (tmp_path / "status.json.lock").write_text("812\n")
    (tmp_path / "status.json").write_text('{"equipments": []}')
    real_access = os.access
    unreadable: set[Path] = {tmp_path / "status.json.lock", tmp_path / "status.json"}
    monkeypatch.setattr("settings.daemon_files.os.access",
                        lambda p, mode: False if Path(p) in unreadable else real_access(p, mode))
    path = write_config(tmp_path)
    assert f"[status] file: the instance lock {tmp_path / 'status.json.lock'} cannot be read" in problems_of(path)
    unreadable.remove(tmp_path / "status.json.lock")
    warnings = "\n".join(load_settings(path).warnings)
    assert f"[status] file: {tmp_path / 'status.json'} cannot be read" in warnings
    assert "starts without the saved status" in warnings
    # (the start renames it aside before any save, where the warning said "replaces it at its next save")
    assert "keeping the file aside as status.json.bad-<time>" in warnings and "replaces" not in warnings, warnings
    (tmp_path / "status.json.lock").unlink()
    (tmp_path / "status.json.lock").mkdir()  # (os.open of a directory fails as a permission does)
    assert "is a directory" in problems_of(path)


@pytest.mark.parametrize(("status", "log", "said"), [
    ("config.ini", "", "[status] file: it is this config file"),
    ("./sub/../config.ini", "", "[status] file: it is this config file"),
    ("status.json", "config.ini", "[logging] file: it is this config file"),
    ("pyseb.log", "pyseb.log", "[logging] file: it is also [status] file"),
    ("linear.csv", "", "[status] file: it is also [ecs] calibration"),  # (review)
    ("status.json", "linear.csv", "[logging] file: it is also [ecs] calibration"),
    ("status.json", "status.json.lock", "[logging] file: it is also [status] file's lock"),
])
def test_a_file_pyseb_writes_is_not_the_config_nor_another_of_its_files(tmp_path: Path, status: str, log: str,
                                                                        said: str) -> None:
    # Found by a bug hunt: with `[status] file = config.ini`, --check said OK; at the start the restore read the
    # config as a corrupt status and set it aside (config.ini.bad-<time>): the next start found no config.
    (tmp_path / "sub").mkdir()
    path = write_config(tmp_path)
    text = path.read_text().replace("file = status.json", f"file = {status}")
    if log:
        text += f"\n[logging]\nfile = {log}\n"
    path.write_text(text)
    assert said in problems_of(path)
    assert path.name == "config.ini" and path.exists()


def test_a_status_file_never_written_may_share_a_name(tmp_path: Path) -> None:
    # persistent = false: only its lock (config.ini.lock) is written; the config itself is left alone.
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("file = status.json", "file = config.ini\npersistent = false"))
    load_settings(path)  # no problem
