"""config.ini holding the broker's password or the OpenWeatherMap key, readable by other users of the machine than
its owner: warned at start and by --check with the chmod to run (as mosquitto warns of its password file), never
refused (the file still works; a user may mean it)."""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import stat
from pathlib import Path

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
    if not secrets or os.name != "posix":
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
    return ConfigProblem(WHOLE_FILE, None, f"holds {' and '.join(secrets)} and is readable by {who} (mode "
                         f"{stat.S_IMODE(info.st_mode):o}): {fix}")
