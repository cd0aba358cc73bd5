"""The files the running daemon opens, checked when its config is loaded: the TLS certificates, the status file
and its instance lock, the log file, the records folder. Apart from the loader (settings.config) because it is a job
of its own, about the file system rather than the options: whether each path can be written, made or read, and that
no file PySEB writes is one it reads; a replay or a tool loading the same config skips it (`daemon_files=False`)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec

from equipments.base import Equipment
from settings.problems import ConfigProblem
from settings.secret_file import readable_key
from settings.section_reader import SectionReader
from settings.tls_check import tls_file_problems
from values.paths import home_problem, user_path

P = ParamSpec("P")


def instance_lock_path(status_file: Path) -> Path:
    """The instance lock beside the file the status is saved to, a symlink followed (status.saver saves there): two
    configs naming one file, one of them through a link, both ran and saved over each other."""
    return Path(os.path.realpath(status_file) + ".lock")


def check_daemon_files(reader: SectionReader, mqtt_raw: dict[str, Any], status_raw: dict[str, Any],
                 logging_raw: dict[str, Any], config_dir: Path) -> None:
    """Files the daemon opens only once running: a wrong path is a config problem, found by --check, and
    not a FileNotFoundError after start."""
    if mqtt_raw.get("tls"):
        paths = {key: path_in_config(mqtt_raw.get(key), config_dir) for key in ("ca_file", "cert_file", "key_file")}
        reader.problems += [ConfigProblem("mqtt", key, said) for key, said in tls_file_problems(paths)]
        key = "key_file" if paths["key_file"] else "cert_file"  # (no key_file: the key is in the certificate's file)
        key_path = paths[key]
        if key_path and (readable := readable_key(Path(key_path), key)) is not None:
            reader.warnings.append(readable)
    for section, raw in (("status", status_raw), ("logging", logging_raw)):
        if raw.get("file") and (home := home_problem(raw["file"])) is not None:
            reader.problems.append(ConfigProblem(section, "file", home))
            raw["file"] = None  # (said: not judged again below as a folder of that name)
    if status_raw.get("file"):
        status_file = Path(path_in_config(status_raw["file"], config_dir) or "")
        # Saved or not (persistent = false, the seed's use_persistent), its name is the instance lock's, taken
        # at every start: --check said OK, then the daemon stopped on its lock.
        lock = instance_lock_path(status_file)
        problem = (_unwritable(status_file, replaced=True) or _lock_problem(lock) if status_raw.get("persistent")
                   else _lock_problem(lock))
        if problem:
            reader.problems.append(ConfigProblem("status", "file", problem))
        elif status_raw.get("persistent") and status_file.is_file() and not os.access(status_file, os.R_OK):
            # A warning: the daemon starts anyway (clean, as on a corrupt file), the file renamed aside first
            # (status.store.set_aside: its folder is writable, checked above), not replaced by the next save.
            reader.warnings.append(ConfigProblem("status", "file", f"{status_file} cannot be read (left by a run "
                                                 "as another user?): PySEB starts without the saved status (the "
                                                 "day's energy, the forces), keeping the file aside as "
                                                 f"{status_file.name}.bad-<time> and saving a new one; give it to "
                                                 "PySEB's user (chown) to start from it"))
    if logging_raw.get("file"):
        problem = _unwritable(Path(path_in_config(logging_raw["file"], config_dir) or ""), replaced=False)
        if problem:
            reader.problems.append(ConfigProblem("logging", "file", problem))


def check_file_roles(reader: SectionReader, config_path: Path, mqtt_raw: dict[str, Any], status_raw: dict[str, Any],
                      logging_raw: dict[str, Any], config_dir: Path, equipments: Sequence[Equipment]) -> None:
    """A file PySEB writes (the status, replaced at each save and set aside when it does not read as one; its lock;
    the log, appended to) is no other file it reads or writes: with `[status] file = config.ini` the start set the
    config aside as a corrupt status (`config.ini.bad-<time>`), and the next start found no config."""
    roles: dict[str, str] = {os.path.realpath(config_path): "this config file"}
    if mqtt_raw.get("tls"):
        for key in ("ca_file", "cert_file", "key_file"):
            if (named := path_in_config(mqtt_raw.get(key), config_dir)) is not None:
                roles.setdefault(os.path.realpath(named), f"[mqtt] {key}")
    for load in equipments:
        if (calibration := getattr(load, "calibration_path", None)) is not None:
            roles.setdefault(os.path.realpath(calibration), f"[{load.name}] calibration")
    written: list[tuple[str, str, str, str]] = []  # (section, what it is, as its problem names it, its real path)
    if status_raw.get("file"):
        status_file = Path(path_in_config(status_raw["file"], config_dir) or "")
        if status_raw.get("persistent"):
            written.append(("status", "[status] file", "it", os.path.realpath(status_file)))
        written.append(("status", "[status] file's lock", "its lock", str(instance_lock_path(status_file))))
    if logging_raw.get("file"):
        log_file = path_in_config(logging_raw["file"], config_dir) or ""
        written.append(("logging", "[logging] file", "it", os.path.realpath(log_file)))
    for section, what, subject, real in written:
        if (other := roles.get(real)) is not None:
            said = other if other == "this config file" else f"also {other}"
            reader.problems.append(ConfigProblem(section, "file", f"{subject} is {said} ({real}): PySEB writes "
                                                 "there; name a file of its own"))
        else:
            roles[real] = what


def _said_not_raised(check: Callable[P, str | None]) -> Callable[P, str | None]:
    """`check`, with an OSError of its own look at a path (exists() of a name too long for the system) returned as
    the problem: it came out of --check as a traceback."""
    @functools.wraps(check)
    def checked(*args: P.args, **kwargs: P.kwargs) -> str | None:
        try:
            return check(*args, **kwargs)
        except OSError as exc:
            return f"{exc.filename}: {exc.strerror}"
    return checked


@_said_not_raised
def _lock_problem(lock: Path) -> str | None:
    """Why the instance lock `lock` could not be taken, or None: an existing one must be readable; else it is
    made, its directory too (shell.lock), where the nearest existing one is writable."""
    if lock.is_dir():
        return f"the instance lock {lock} is a directory: remove it"
    if lock.exists():
        return None if os.access(lock, os.R_OK) else f"the instance lock {lock} cannot be read (left by a run as " \
                                                     "another user? remove it, no PySEB running)"
    problem = nearest_dir_problem(lock.parent)
    return None if problem is None else f"the instance lock {lock}, taken even with persistent = false: {problem}"


@_said_not_raised
def nearest_dir_problem(directory: Path) -> str | None:
    """Why `directory` could not be made (or written in, if it exists), or None: the nearest existing one must be
    a writable directory."""
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"directory {existing} is not writable"
    return None


def check_record_dir(reader: SectionReader, directory: Path) -> None:
    """The recorder makes its directory when missing: the nearest existing parent must be writable."""
    problem = nearest_dir_problem(directory)
    if problem:
        if problem.endswith("is not writable"):
            problem += " (set [record] enabled = false to run without recording)"
        reader.problems.append(ConfigProblem("record", "dir", problem))


@_said_not_raised
def _unwritable(path: Path, replaced: bool) -> str | None:
    """Why the daemon could not write `path`, or None. Its directory must be writable (new files are made there),
    or, missing, possible to make (the daemon makes it, for the status and for the log); a file `replaced` by a
    rename (the status) need not be writable itself, one appended to (the log) must."""
    directory = path.parent
    if not directory.exists():
        return nearest_dir_problem(directory)
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if path.is_dir():
        return f"{path} is a directory, not a file"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"directory {directory} is not writable"
    if not replaced and path.exists() and not os.access(path, os.W_OK):
        # (the seed's log, pv.log, left by its run as root, an init.d service's: the unit as pi stopped on it, said
        # with no way out)
        return (f"{path} is not writable (left by a run as another user, root's? give it to the user PySEB runs as, "
                "or remove it; under systemd, leave the log file unset: the journal takes the log)")
    return None


def path_in_config(value: str | None, config_dir: Path) -> str | None:
    """A file named in the config (`~` expanded), relative to the config file's directory; None when not set."""
    if not value:
        return None
    path = user_path(value)
    return str(path if path.is_absolute() else config_dir / path)
