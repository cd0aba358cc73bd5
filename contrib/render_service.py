#!/usr/bin/env python3
"""Print contrib/pyseb.service filled in for a user, a checkout and an interpreter (standard library only).

    python3 contrib/render_service.py --user pi --dir /home/pi/pyseb > /tmp/pyseb.service

Or for a `pip install .` into a virtualenv: the unit runs its `pyseb` command, --dir is the folder of config.ini
(docs/running-on-a-pi.md#a-pip-install-as-a-service):

    python3 contrib/render_service.py --user pi --dir /home/pi/pyseb-data --pyseb /home/pi/pyseb-venv/bin/pyseb
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "pyseb.service"
EXIT_USAGE = 2
_USER = re.compile(r"^[a-z_][a-z0-9_.-]*\$?$", re.IGNORECASE)
# systemd would expand or unquote these (or a line break would end the setting): refused, not escaped. A space is
# fine: WorkingDirectory= takes it as it is, and ExecStart= inside double quotes.
_UNSAFE = re.compile(r"[\n\r\t%\"'\\$;]")
# The unit's ProtectSystem=full mounts these read-only: a checkout under them could not write its status file.
_READ_ONLY = ("/usr", "/boot", "/efi", "/etc")


def as_root() -> str:
    """What a command said for the user to copy starts with to run as root: "sudo " for a user, nothing for root
    (DietPi logs in as root and has no sudo)."""
    return "" if os.geteuid() == 0 else "sudo "


def _word(path: str) -> str:
    """`path` as one word of ExecStart=: in double quotes when it holds a space (/home/pi/Solar router/pyseb)."""
    return f'"{path}"' if " " in path else path


def default_python(directory: Path) -> str:
    """The checkout's virtualenv when there is one (make run/check made it), else this interpreter (Debian's
    python3 with the apt packages); ValueError when this user may not look into it (a .venv of another user's: the
    traceback of a PermissionError was all it said)."""
    venv = directory / ".venv" / "bin" / "python"
    try:
        venv.stat()
    except PermissionError as exc:
        # (not taken for no venv: the unit would run this python3 instead, without the packages the venv has)
        raise ValueError(f"cannot look into {venv.parent.parent} ({exc.strerror}): a virtualenv of another user's? "
                         f"Run this as the user who made it (the checkout's owner), or give --python") from exc
    except OSError:  # (none, or a dangling link: as Path.exists took it)
        return sys.executable
    return str(venv)


# What the daemon imports that a bare python3 may lack, as its own check asks for it (shell/deps.py): paho-mqtt, and
# numpy for a variable load fitted by `poly` in the config (settings.load_building.packages_needed, read from this
# script's checkout; a checkout whose modules it cannot import is asked for both, the unit's check then says what is
# wrong). Prints what is missing, exit 3; a Python older than 3.10 prints its version, exit 4.
_PROBE = """import sys
if sys.version_info < (3, 10):
    print(sys.version.split()[0])
    sys.exit(4)
import importlib.util
def lacks(module):
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True
missing = ['paho-mqtt'] if lacks('paho.mqtt.client') else []
needed, modules = ('numpy',), {}
if sys.version_info >= (3, 10):
    sys.path.insert(0, sys.argv[1])
    try:
        from settings.load_building import packages_needed
        from shell.deps import DEPENDENCIES
    except ImportError:
        pass
    else:
        needed, modules = packages_needed(sys.argv[2]), {dep.pip_name: dep.module for dep in DEPENDENCIES}
missing += [name for name in needed if lacks(modules.get(name, name))]
print(' or '.join(missing))
sys.exit(3 if missing else 0)
"""
_CHECKOUT = Path(__file__).resolve().parent.parent


def missing_packages(python: str, config: Path) -> str | None:
    """Why `python` cannot run the daemon on `config` (a package it lacks, or it does not run), or None; ValueError for
    a Python too old. A unit on a python3 without the apt packages exited 2 at every start (systemd restarts on
    failures only)."""
    try:
        # (-B: run by `sudo make install-service`, it imports the checkout's modules as root, and left root-owned
        # __pycache__ folders the service user could not refresh after a git pull)
        done = subprocess.run([python, "-B", "-c", _PROBE, str(_CHECKOUT), str(config)], capture_output=True,
                              text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{python} does not run ({exc})"
    if done.returncode == 3:
        return f"{python} lacks {done.stdout.strip()}"
    if done.returncode == 4:  # (its packages are no matter then; nor the service user's rights, which were blamed)
        raise ValueError(f"{python} is Python {done.stdout.strip()}: PySEB needs 3.10 or newer (Raspberry Pi OS "
                         "bookworm / Debian 12 have 3.11): give --python a newer one")
    if done.returncode != 0:  # (the probe itself failed: say how, not a package it may well have)
        said = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return f"{python} does not run the packages' check ({said})"
    return None


# Runs regulation.py as the unit does: from its folder (entered as the service user: a root-run subprocess changes
# directory before it drops root), its argv[0] the script itself.
_AS_THE_UNIT = ("import os, runpy, sys\n"
                "try:\n    os.chdir(sys.argv[1])\n"
                "except OSError as exc:\n    sys.exit(f'cannot enter {sys.argv[1]}: {exc.strerror}')\n"
                "sys.argv = sys.argv[2:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n")
# The same for an installed `pyseb` command (a `pip install .`), run by its own path as systemd runs it.
_COMMAND_AS_THE_UNIT = ("import os, sys\n"
                        "try:\n    os.chdir(sys.argv[1])\n"
                        "except OSError as exc:\n    sys.exit(f'cannot enter {sys.argv[1]}: {exc.strerror}')\n"
                        "os.execv(sys.argv[2], sys.argv[2:])\n")
# (the seed's [debug] log_file = pv.log, left root's by its init.d service, failed the check too: the line named the
# folders only)
_AND_THE_LOG = ", and the log file config.ini names, if any"
CHECK_TIMEOUT_S = 300  # (a Pi Zero takes seconds to import the daemon and fit the curves, numpy's for a poly fit)


def as_user(user: str) -> dict[str, object] | None:
    """subprocess.run's arguments that run a command as `user`: none when this process is that user, its ids when
    this process is root (sudo make install-service), None when this process cannot act as `user`."""
    entry = pwd.getpwnam(user)
    if os.geteuid() == entry.pw_uid:
        return {}
    if os.geteuid() != 0:
        return None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": os.getgrouplist(user, entry.pw_gid),
            "env": {**os.environ, "HOME": entry.pw_dir, "USER": user, "LOGNAME": user}}


def unit_check(user: str, how: dict[str, object], directory: Path, python: str,
               pyseb: str | None = None) -> str | None:
    """Why the unit's command, with --check added, fails run as `user` (`how`: as_user's answer for that user, not
    None) from `directory` (the config unreadable, the status or record folder not writable by that user, the folder
    not enterable...): how it ended, then what it said, one indented line each; None when it passes. `pyseb`: the
    unit runs that installed command (`python` then only runs the step into `directory`)."""
    config = ["-c", str(directory / "config.ini"), "--check"]
    if pyseb is None:
        command = [python, "-c", _AS_THE_UNIT, str(directory), str(directory / "regulation.py"), *config]
    else:
        command = [python, "-c", _COMMAND_AS_THE_UNIT, str(directory), pyseb, *config]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S, check=False,
                              **how)  # type: ignore[call-overload]
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{python} does not run as {user}: {exc}"
    if done.returncode == 0:
        return None
    said = (done.stderr + done.stdout).strip() or "(nothing said)"
    return f"exit {done.returncode}:\n" + "\n".join(f"  {line}" for line in said.splitlines())


def _no_config(directory: Path) -> bool:
    """Whether the checkout has no config.ini at all (not one this process may not see: that is a rights problem)."""
    try:
        (directory / "config.ini").stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def _as_root_said(directory: Path) -> str:
    """The warning for a service run as root: which user to prefer, by the checkout's owner. (On DietPi, which logs
    in as root, the checkout is root's: "prefer the user who owns the checkout" named root itself.)"""
    said = "running as root leaves a root-owned status file and log that a later run as another user cannot write"
    try:
        owner = pwd.getpwuid(directory.stat().st_uid).pw_name
    except (OSError, KeyError):
        return f"{said}; prefer the user who owns the checkout"
    if owner != "root":
        return f"{said}; prefer the checkout's owner (--user {owner}, or make install-service SERVICE_USER={owner})"
    return (f"{said}: the checkout is root's too (a system used as root, as DietPi is), so root may stay; to run as "
            f"a user later, give it the checkout and those files first ({as_root()}chown -R <user>: {directory})")


def _known_user(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def render(user: str, directory: Path, python: str, template: str | None = None, pyseb: str | None = None) -> str:
    """The unit text; ValueError names what cannot go in a unit file. `pyseb`: the `pyseb` command of a `pip install
    .`, which the unit runs in place of `python` on the checkout's regulation.py (`directory` is then the folder of
    config.ini)."""
    if not _USER.match(user):
        raise ValueError(f"--user {user!r} is not a user name")
    program = ("--python", python) if pyseb is None else ("--pyseb", pyseb)
    for label, value in (("--dir", str(directory)), program):
        if not os.path.isabs(value):
            raise ValueError(f"{label} {value!r} must be an absolute path")
        if _UNSAFE.search(value):
            raise ValueError(f"{label} {value!r} holds a quote, a backslash, a tab, '%', '$' or ';': systemd would "
                             "misread it; move the checkout to a folder without them")
    if any(directory.is_relative_to(folder) for folder in _READ_ONLY):
        raise ValueError(f"--dir {directory}: read-only under the unit's ProtectSystem=full (as /usr, /boot, /efi and "
                         "/etc are): the status file beside config.ini could not be written; move the checkout to "
                         "/home/<user> or /opt")
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template
    body = text[text.index("[Unit]"):]  # the template's own header explains the placeholders
    header = f"# /etc/systemd/system/pyseb.service, made by contrib/render_service.py for {user} in {directory}\n"
    lines = []
    for line in body.replace("@USER@", user).splitlines(keepends=True):
        if line.startswith("ExecStart="):
            if pyseb is not None:  # (the installed command is regulation.py's main: the same arguments)
                line = line.replace("@PYTHON@ @DIR@/regulation.py", _word(pyseb))
            # (each path a word of its own: regulation.py and config.ini under a folder with a space included)
            line = line.replace("@PYTHON@", _word(python))
            line = re.sub(r"@DIR@(\S*)", lambda m: _word(str(directory) + m.group(1)), line)
        lines.append(line.replace("@DIR@", str(directory)))
    return header + "".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="render_service.py", description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="the user PySEB runs as (not root)")
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the checkout (default: this one)")
    program = parser.add_mutually_exclusive_group()
    program.add_argument("--python", help="interpreter (default: <dir>/.venv/bin/python if it exists, else this "
                         "python3)")
    program.add_argument("--pyseb", help="the `pyseb` command of a `pip install .` (<venv>/bin/pyseb), which the unit "
                         "runs; --dir is then the folder of config.ini, not a checkout")
    args = parser.parse_args(argv)
    directory = args.dir.expanduser()
    directory = directory.resolve() if directory.is_absolute() else directory
    if _USER.match(args.user) and not _known_user(args.user):
        # systemd would fail to start the unit (status 217/USER), and again every RestartSec. Raspberry Pi OS has
        # had no default pi user since 2022: its first boot asks for one.
        print(f"render_service.py: --user {args.user}: no such user on this machine: the service would fail at "
              f"every start; give the user who owns the checkout (--user $(id -un), or make install-service "
              f"SERVICE_USER=<name>)", file=sys.stderr)
        return EXIT_USAGE
    if args.user == "root":
        print(f"render_service.py: warning: {_as_root_said(directory)}", file=sys.stderr)
    if args.pyseb is not None:
        return _main_installed(args.user, directory, args.pyseb)
    try:
        python = args.python or default_python(directory)
        text = render(args.user, directory, python)
    except ValueError as exc:
        print(f"render_service.py: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not (directory / "regulation.py").is_file():
        # (else the unit names a regulation.py that is not there: python exits 2, which systemd does not restart)
        print(f"render_service.py: --dir {directory}: no regulation.py there: give the folder of your PySEB checkout "
              "(or run make install-service in it)", file=sys.stderr)
        return EXIT_USAGE
    try:
        problem = missing_packages(python, directory / "config.ini")
    except ValueError as exc:
        print(f"render_service.py: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if problem is not None:
        print(f"render_service.py: {problem}: the service would stop at every start; 'make check' makes "
              f"{directory / '.venv'} with them (or '{as_root()}apt install python3-paho-mqtt python3-numpy'), then "
              "run this again", file=sys.stderr)
        return EXIT_USAGE
    how = as_user(args.user)
    if how is None:
        print(f"render_service.py: note: not checked as {args.user} (run this as {args.user}, or with sudo, to learn "
              f"now whether {args.user} can read the checkout and config.ini and write the status file)",
              file=sys.stderr)
    else:
        failure = unit_check(args.user, how, directory, python)
        if failure is not None:
            print(f"render_service.py: run as {args.user} the way the unit runs it, {directory / 'regulation.py'} -c "
                  f"{directory / 'config.ini'} --check fails, so the service would not start (and systemd does not "
                  f"retry a bad config): {failure}", file=sys.stderr)
            if _no_config(directory):
                # (the check failed on that alone: the service user's rights are not in question yet)
                print(f"render_service.py: {directory} has no config.ini yet: cp config.ini.sample config.ini, edit "
                      "it (make check validates it), then run this again", file=sys.stderr)
                return EXIT_USAGE
            print(f"render_service.py: {args.user} must be able to enter the checkout, read config.ini and write the "
                  f"folders of the status file and the records{_AND_THE_LOG}: fix that (or give --user the checkout's "
                  "owner), then run this again", file=sys.stderr)
            return EXIT_USAGE
    print(text, end="")
    return 0


def _main_installed(user: str, directory: Path, pyseb: str) -> int:
    """main() for the `pyseb` command of a `pip install .`: the unit runs it on `directory`/config.ini."""
    try:
        text = render(user, directory, sys.executable, pyseb=pyseb)
    except ValueError as exc:
        print(f"render_service.py: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not (os.path.isfile(pyseb) and os.access(pyseb, os.X_OK)):
        # (systemd would fail at every start, status 203/EXEC)
        print(f"render_service.py: --pyseb {pyseb}: no such command: give the `pyseb` that `pip install .` made in "
              "its virtualenv (<venv>/bin/pyseb)", file=sys.stderr)
        return EXIT_USAGE
    # (its packages are the virtualenv's, which pip installed with it: the check below names one missing)
    shown = f"{pyseb} -c {directory / 'config.ini'} --check"
    how = as_user(user)
    if how is None:
        print(f"render_service.py: note: not checked as {user} (run this as {user}, or with sudo, to learn now whether "
              f"{user} can read config.ini and write the status file: {shown})", file=sys.stderr)
        print(text, end="")
        return 0
    failure = unit_check(user, how, directory, sys.executable, pyseb)
    if failure is None:
        print(text, end="")
        return 0
    print(f"render_service.py: run as {user} the way the unit runs it, {shown} fails, so the service would not start "
          f"(and systemd does not retry a bad config): {failure}", file=sys.stderr)
    if _no_config(directory):
        sample = Path(pyseb).parent.parent / "share" / "pyseb" / "config.ini.sample"
        print(f"render_service.py: {directory} has no config.ini yet: cp {sample} {directory / 'config.ini'}, edit "
              f"it ({shown} validates it), then run this again", file=sys.stderr)
    else:
        print(f"render_service.py: {user} must be able to enter {directory}, read config.ini and write the folders of "
              f"the status file and the records{_AND_THE_LOG}: fix that (or give --user the folder's owner), then run "
              "this again", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
