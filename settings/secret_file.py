"""config.ini holding the broker's password or the OpenWeatherMap key, readable by other users of the machine than
its owner: warned at start and by --check with the chmod to run (as mosquitto warns of its password file), never
refused (the file still works; a user may mean it)."""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from settings.problems import WHOLE_FILE, ConfigProblem


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:  # (a group the system does not name: its number)
        return str(gid)


def readable_secrets(path: Path, secrets: list[str]) -> ConfigProblem | None:
    """The warning for the config file `path` when it holds `secrets` (each as the user reads it, "the broker's
    password ([mqtt] password)") and its group or every user may read it; None otherwise, or where modes mean
    nothing (Windows) or the file cannot be looked at."""
    readable = readable_by_others(path) if secrets else None
    return None if readable is None else ConfigProblem(WHOLE_FILE, None,
                                                       f"holds {' and '.join(secrets)} and is {readable}")


def readable_key(path: Path, key: str) -> ConfigProblem | None:
    """The warning for the broker client's private key (in `path`, given as [mqtt] `key`) when its group or every user
    may read it: it is as much the broker's credential as a password (mosquitto's own files are 600)."""
    readable = readable_by_others(path)
    return None if readable is None else ConfigProblem("mqtt", key, f"{path} holds the client's private key and is "
                                                                    f"{readable}")


def readable_by_others(path: Path) -> str | None:
    """"readable by <whom> (mode <mode>): <the command that mends it>" for a file its group (one of ours) or every user
    may read; None otherwise, or where modes mean nothing (Windows) or the file cannot be looked at."""
    if os.name != "posix":
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    # (root reads every file: run as root, the file is as good as its own)
    mine = info.st_uid == os.geteuid() or os.geteuid() == 0
    if info.st_mode & stat.S_IROTH:
        who = "every user of this machine"
    elif info.st_mode & stat.S_IRGRP and mine:  # (another owner's: its group may be how PySEB's user reads it)
        who = f"the users of group {_group_name(info.st_gid)!r}"
    else:
        return None
    shown = shlex.quote(str(path))
    fix = (f"chmod 600 {shown}" if mine
           else f"make it PySEB's user's, readable by it only: sudo chown {_user_name(os.geteuid())} {shown} && "
                f"chmod 600 {shown}")
    return f"readable by {who} (mode {stat.S_IMODE(info.st_mode):o}): {fix}"


def credential_warnings(mqtt_raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """What [mqtt] says of the broker's credentials that the link would silently not use: a password without a user
    name (MQTT sends none: PySEB connected anonymously, and a broker's refusal then asked for the password already
    set), TLS files with tls = false (a plain connection, the password in clear, while the owner believed TLS set)."""
    warnings = []
    if mqtt_raw.get("password") and not mqtt_raw.get("username"):
        warnings.append(ConfigProblem("mqtt", "password", "is given without username: MQTT sends a password only "
                                      "with a user name, so none is sent (PySEB connects anonymously); set [mqtt] "
                                      "username"))
    files = [key for key in ("ca_file", "cert_file", "key_file") if mqtt_raw.get(key)]
    if files and not mqtt_raw.get("tls"):
        warnings.append(ConfigProblem("mqtt", "tls", f"is false, and {' and '.join(files)} "
                                      f"{'is' if len(files) == 1 else 'are'} not used: the connection is plain, its "
                                      "password and readings in clear on the network; set tls = true (or remove "
                                      f"{'it' if len(files) == 1 else 'them'})"))
    return warnings
