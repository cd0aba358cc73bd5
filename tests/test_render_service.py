"""The systemd unit rendered for a user and a checkout."""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.python_wrappers import python_of_version, this_python_with

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "contrib"))

from render_service import default_python, render  # noqa: E402


def unit(text: str) -> dict[str, list[str]]:
    """key -> values of the [Service], [Unit] and [Install] lines (comments skipped)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_rendered_for_a_user_and_a_path() -> None:
    text = render("pi", Path("/home/pi/pyseb"), "/home/pi/pyseb/.venv/bin/python")
    assert "@" not in text.replace("multi-user", "")
    keys = unit(text)
    assert keys["User"] == ["pi"] and keys["WorkingDirectory"] == ["/home/pi/pyseb"]
    assert keys["ExecStart"] == ["/home/pi/pyseb/.venv/bin/python /home/pi/pyseb/regulation.py -c "
                                 "/home/pi/pyseb/config.ini"]
    assert keys["Restart"] == ["on-failure"] and keys["RestartPreventExitStatus"] == ["2 3"]
    assert keys["KillSignal"] == ["SIGTERM"] and keys["WantedBy"] == ["multi-user.target"]
    assert "StandardOutput" not in keys and "StandardError" not in keys  # the journal, once
    # (after the clock is set, where the owner has systemd wait for it: a Pi boots on its last saved time)
    assert "time-sync.target" in keys["After"][0].split()


def test_reload_is_the_daemons_sighup() -> None:
    # `systemctl reload pyseb` was refused ("Job type reload is not applicable"), and logrotate's postrotate for a
    # [logging] file had to find PySEB's pid itself: PySEB run without a terminal reopens its log file on SIGHUP.
    keys = unit(render("pi", Path("/home/pi/pyseb"), "/home/pi/pyseb/.venv/bin/python"))
    assert keys["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


@pytest.mark.parametrize("user,directory,python,why", [
    ("pi", "relative/pyseb", "/usr/bin/python3", "absolute"),
    ("pi", "/home/pi/50%", "/usr/bin/python3", "%"),
    ("pi", "/home/pi/a\"b", "/usr/bin/python3", "quote"),
    ("pi", "/home/pi/pyseb", "python3", "absolute"),
    ("pi\nUser=root", "/home/pi/pyseb", "/usr/bin/python3", "not a user name"),
])
def test_what_systemd_would_misread_is_refused(user: str, directory: str, python: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        render(user, Path(directory), python)


def test_a_checkout_whose_path_has_a_space(tmp_path: Path) -> None:
    # `make install-service` in /home/pi/Solar router/pyseb was refused ("systemd would misread it"), and `make test`
    # failed there (the command-line test's own interpreter is under the checkout). systemd takes a space in a
    # WorkingDirectory= as it is, and in ExecStart= inside double quotes.
    text = render("pi", Path("/home/pi/Solar router/pyseb"), "/home/pi/Solar router/pyseb/.venv/bin/python")
    keys = unit(text)
    assert keys["WorkingDirectory"] == ["/home/pi/Solar router/pyseb"]
    assert shlex.split(keys["ExecStart"][0]) == ["/home/pi/Solar router/pyseb/.venv/bin/python",
                                                 "/home/pi/Solar router/pyseb/regulation.py", "-c",
                                                 "/home/pi/Solar router/pyseb/config.ini"]
    assert text.startswith("# /etc/systemd/system/pyseb.service, made by contrib/render_service.py for pi in "
                           "/home/pi/Solar router/pyseb\n")


def test_interpreter_is_the_venv_when_there_is_one(tmp_path: Path) -> None:
    assert default_python(tmp_path) == sys.executable  # Debian's python3 with the apt packages
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("")
    assert default_python(tmp_path) == str(tmp_path / ".venv" / "bin" / "python")


def test_a_venv_this_user_may_not_look_into_is_said_in_a_line() -> None:
    # A .venv of another user's (made with umask 077): `make install-service` by a third user ended in the traceback
    # of a PermissionError.
    python3 = shutil.which("python3", path="/usr/bin:/bin")
    if python3 is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no /usr/bin/python3, or runuser for root to act as another user")
    folder = Path(tempfile.mkdtemp())  # (nobody enters pytest's tmp_path, root's 0700)
    try:
        folder.chmod(0o755)
        for name in ("render_service.py", "pyseb.service"):  # (a copy: the checkout under test may be private)
            shutil.copy(ROOT / "contrib" / name, folder)
        (folder / "pyseb" / ".venv" / "bin").mkdir(parents=True)
        checkout = _checkout(folder / "pyseb")
        (checkout / ".venv" / "bin" / "python").symlink_to(python3)
        (checkout / ".venv").chmod(0o700 if os.geteuid() == 0 else 0)
        user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        command = [python3, str(folder / "render_service.py"), "--user", user, "--dir", str(checkout)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "nobody", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    finally:
        if (folder / "pyseb" / ".venv").exists():
            (folder / "pyseb" / ".venv").chmod(0o755)
        shutil.rmtree(folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == (f"render_service.py: cannot look into {checkout / '.venv'} (Permission denied): a "
                           "virtualenv of another user's? Run this as the user who made it (the checkout's owner), "
                           "or give --python\n"), done.stderr


def _a_user_here() -> str:
    """A user this machine has, not root (whose unit gets a warning first)."""
    try:
        return pwd.getpwnam("nobody").pw_name
    except KeyError:
        return pwd.getpwuid(os.getuid()).pw_name


def _checkout(directory: Path) -> Path:
    """`directory` made to look like a checkout: the unit runs its regulation.py."""
    (directory / "regulation.py").write_text("")
    return directory


def test_the_command_line(tmp_path: Path) -> None:
    me = pwd.getpwuid(os.getuid()).pw_name  # (the unit's check runs as the user: one who can enter tmp_path)
    _checkout(tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", me, "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and f"WorkingDirectory={tmp_path}\n" in result.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", _a_user_here(),
                          "--dir", "/a%b"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and bad.stderr.startswith("render_service.py: --dir '/a%b'")


def test_an_interpreter_without_the_packages_is_refused(tmp_path: Path) -> None:
    # The unit on a python3 without paho-mqtt or numpy exited 2 at every start, and systemd does not restart on it.
    bare = _checkout(tmp_path) / "python3"
    bare.write_text("#!/bin/sh\nexit 1\n")  # (a python3 that does not even run the probe: not 0, nor its 3)
    bare.chmod(0o755)
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", _a_user_here(),
                             "--dir", str(tmp_path), "--python", str(bare)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    assert f"{bare} does not run the packages' check (exit 1): the service would stop at every start; 'make check'" \
        in result.stderr


def _python_without_numpy(directory: Path) -> Path:
    """This interpreter, with `import numpy` failing (as a python3 without python3-numpy)."""
    return this_python_with(directory, "python-without-numpy", "import sys\nsys.modules['numpy'] = None\n")


@pytest.mark.parametrize(("loads", "extra", "refused"), [(("radiator", "small"), "", False),
                                                          (("radiator", "ecs"), "", False),
                                                          (("radiator", "ecs"), "fit = poly\n", True)])
def test_numpy_is_asked_for_a_poly_fit_only(tmp_path: Path, loads: tuple[str, ...], extra: str,
                                            refused: bool) -> None:
    # The daemon runs relays, and variators of the default robust fit, without numpy (only a poly fit imports it),
    # and its own check asks for numpy only then; the unit was refused on a python3 without it whatever the loads.
    from tests.configs import write_config

    me = pwd.getpwuid(os.getuid()).pw_name
    write_config(_checkout(tmp_path), loads, extra=extra)  # (config.ini in the checkout, as the unit runs it)
    python = _python_without_numpy(tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", me, "--dir",
                             str(tmp_path), "--python", str(python)], capture_output=True, text=True, timeout=60)
    if refused:
        assert result.returncode == 2 and f"{python} lacks numpy: the service would stop" in result.stderr
    else:
        assert result.returncode == 0 and "lacks" not in result.stderr, result.stderr
        assert f"ExecStart={python} " in result.stdout


@pytest.mark.parametrize(("uid", "said"), [(0, "(or 'apt install python3-paho-mqtt python3-numpy')"),
                                         (1000, "(or 'sudo apt install python3-paho-mqtt python3-numpy')")])
def test_the_packages_to_install_are_said_with_sudo_for_a_user_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str], uid: int,
                                                                   said: str) -> None:
    # (DietPi logs in as root and has no sudo: it was told "sudo apt install ...")
    import render_service

    monkeypatch.setattr(render_service.os, "geteuid", lambda: uid)
    monkeypatch.setattr(render_service, "missing_packages", lambda python, config: f"{python} lacks numpy")
    me = pwd.getpwuid(os.getuid()).pw_name
    code = render_service.main(["--user", me, "--dir", str(_checkout(tmp_path)), "--python", sys.executable])
    assert code == 2 and said in capsys.readouterr().err


@pytest.mark.parametrize(("owner", "said"), [
    ("pi", "prefer the checkout's owner (--user pi, or make install-service SERVICE_USER=pi)"),
    ("root", "the checkout is root's too (a system used as root, as DietPi is), so root may stay")])
def test_root_is_warned_of_with_the_user_to_prefer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], owner: str, said: str) -> None:
    # (a checkout of root's, on DietPi: "prefer the user who owns the checkout" named root itself)
    import render_service

    checkout = _checkout(tmp_path)
    monkeypatch.setattr(render_service.pwd, "getpwuid", lambda uid: SimpleNamespace(pw_name=owner))
    monkeypatch.setattr(render_service, "render", lambda *args, **kwargs: "[Unit]\n")
    render_service.main(["--user", "root", "--dir", str(checkout), "--python", sys.executable])
    err = capsys.readouterr().err
    assert "running as root leaves a root-owned status file and log" in err and said in err, err


def test_a_python_too_old_is_said_alone(tmp_path: Path) -> None:
    # Debian 11's python3 3.9 with the apt packages: the unit's check said "PySEB needs Python 3.10", then "the user
    # must be able to enter the checkout, read config.ini and write the folders ...: fix that".
    from tests.configs import write_config

    me = pwd.getpwuid(os.getuid()).pw_name
    write_config(_checkout(tmp_path), ("radiator",))
    python = python_of_version(tmp_path, "3.9.18")
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", me, "--dir",
                             str(tmp_path), "--python", str(python)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    said = [line for line in result.stderr.splitlines() if "running as root" not in line]  # (as root: said first)
    assert said == [f"render_service.py: {python} is Python 3.9.18: PySEB needs 3.10 or newer (Raspberry Pi OS "
                    "bookworm / Debian 12 have 3.11): give --python a newer one"], result.stderr


def test_the_probe_checks_the_python_before_it_imports_anything() -> None:
    # Python 2.7: `import importlib.util` came first and failed ("No module named util"), blamed on packages.
    import render_service

    probe = render_service._PROBE
    assert probe.startswith("import sys\n")
    assert probe.index("sys.version_info < (3, 10)") < probe.index("importlib")


def test_a_user_this_machine_does_not_have_is_refused(tmp_path: Path) -> None:
    # `make install-service SERVICE_USER=pi` on a Raspberry Pi OS made since 2022 (no default pi user: the first
    # boot asks for one) installed a unit that systemd failed to start (status 217/USER), again every 10 s.
    user = "pyseb-no-such-user"
    with pytest.raises(KeyError):
        pwd.getpwnam(user)
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", user, "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"render_service.py: --user {user}: no such user on this machine"), result.stderr


def test_a_folder_that_is_not_a_checkout_is_refused(tmp_path: Path) -> None:
    # README's line `python3 contrib/render_service.py --user pi --dir /home/pi/pyseb`, copied for a checkout cloned
    # elsewhere, printed a unit whose ExecStart named a regulation.py that is not there: systemd ran it once
    # (python's exit 2, "can't open file"), and left it stopped.
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", _a_user_here(),
                             "--dir", str(tmp_path / "pyseb")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"render_service.py: --dir {tmp_path / 'pyseb'}: no regulation.py there: give the "
                             "folder of your PySEB checkout (or run make install-service in it)\n")


def _probing_checkout(directory: Path, exit_code: int, message: str = "") -> Path:
    """A checkout whose regulation.py exits `exit_code` (after `message` on stderr) when run as the unit runs it
    with --check (from its folder, -c <folder>/config.ini), else 9."""
    script = (f"import os, sys\nexpected = ['-c', {str(directory / 'config.ini')!r}, '--check']\n"
              f"if os.getcwd() != {str(directory)!r} or sys.argv[1:] != expected:\n    sys.exit(9)\n"
              f"sys.stderr.write({message!r})\nsys.exit({exit_code})\n")
    (directory / "regulation.py").write_text(script)
    return directory


def test_the_units_command_is_checked_as_it_will_run(tmp_path: Path) -> None:
    # A checkout whose config the service user cannot read, or whose folder it cannot write (cloned with sudo, the
    # config copied with sudo and chmod 600), got a unit all the same: systemd ran it once (exit 2: not restarted)
    # and left it failed, the reason only in the journal.
    me = pwd.getpwuid(os.getuid()).pw_name
    problem = ("config.ini: 1 problem(s) in the configuration:\n"
               "  config.ini: [status] file: directory x is not writable\n")
    _probing_checkout(tmp_path, 2, problem)
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", me, "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert (f"render_service.py: run as {me} the way the unit runs it, {tmp_path / 'regulation.py'} -c "
            f"{tmp_path / 'config.ini'} --check fails, so the service would not start (and systemd does not retry a "
            "bad config): exit 2:\n") in result.stderr
    assert "  config.ini: [status] file: directory x is not writable\n" in result.stderr
    _probing_checkout(tmp_path, 0)
    good = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", me, "--dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert good.returncode == 0 and f"WorkingDirectory={tmp_path}\n" in good.stdout


def test_a_checkout_without_its_config_is_told_to_make_one(tmp_path: Path) -> None:
    # A new user following the README's "Running it for good" before making config.ini: the check's own output said
    # "file not found; start from the sample", and the last line then blamed the service user's rights ("must be
    # able to enter the checkout, read config.ini and write the folders ..."): permissions that were fine.
    me = pwd.getpwuid(os.getuid()).pw_name
    problem = ("config.ini: 1 problem(s) in the configuration:\n"
               "  config.ini: file not found; start from the sample: cp config.ini.sample config.ini, "
               "then edit it\n")
    _probing_checkout(tmp_path, 2, problem)
    result = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", me, "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    last = result.stderr.splitlines()[-1]
    assert last == (f"render_service.py: {tmp_path} has no config.ini yet: cp config.ini.sample config.ini, edit it "
                    "(make check validates it), then run this again"), result.stderr
    assert "must be able to enter" not in result.stderr


# A `pip install .` into a virtualenv had no unit: render_service.py wanted a checkout's regulation.py, and the docs
# said nothing of running the installed `pyseb` command under systemd.
def test_the_unit_of_a_pip_install_runs_its_pyseb_command() -> None:
    keys = unit(render("pi", Path("/home/pi/pyseb-data"), sys.executable, pyseb="/home/pi/pyseb-venv/bin/pyseb"))
    assert keys["ExecStart"] == ["/home/pi/pyseb-venv/bin/pyseb -c /home/pi/pyseb-data/config.ini"]
    assert keys["WorkingDirectory"] == ["/home/pi/pyseb-data"] and keys["User"] == ["pi"]
    spaced = unit(render("pi", Path("/home/pi/my data"), sys.executable, pyseb="/home/pi/my venv/bin/pyseb"))
    assert spaced["ExecStart"] == ['"/home/pi/my venv/bin/pyseb" -c "/home/pi/my data/config.ini"']
    with pytest.raises(ValueError, match="--pyseb 'bin/pyseb' must be an absolute path"):
        render("pi", Path("/home/pi/pyseb-data"), sys.executable, pyseb="bin/pyseb")


def _installed_command(venv: Path, data: Path, exit_code: int, message: str = "") -> Path:
    """A virtualenv's `pyseb` command that exits `exit_code` (after `message` on stderr) when run as the unit runs
    it with --check (from `data`, -c `data`/config.ini), else 9."""
    command = venv / "bin" / "pyseb"
    command.parent.mkdir(parents=True, exist_ok=True)
    command.write_text(f"#!/bin/sh\n[ \"$(pwd -P)\" = {shlex.quote(str(data))} ] && [ \"$*\" = "
                       f"{shlex.quote(f'-c {data}/config.ini --check')} ] || exit 9\n"
                       f"printf '%s' {shlex.quote(message)} >&2\nexit {exit_code}\n")
    command.chmod(0o755)
    return command


def _render_installed(data: Path, command: Path | str) -> subprocess.CompletedProcess[str]:
    me = pwd.getpwuid(os.getuid()).pw_name  # (the unit's check runs as the user: one who can enter tmp_path)
    return subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user", me, "--dir",
                           str(data), "--pyseb", str(command)], capture_output=True, text=True, timeout=60)


def test_the_command_line_for_a_pip_install(tmp_path: Path) -> None:
    data = (tmp_path / "pyseb-data").resolve()
    data.mkdir()
    command = _installed_command(tmp_path / "venv", data, 0)
    done = _render_installed(data, command)  # (no regulation.py in --dir: none is needed)
    assert done.returncode == 0, done.stderr
    assert f"ExecStart={command} -c {data}/config.ini\n" in done.stdout and f"WorkingDirectory={data}\n" in done.stdout
    # The check as the unit runs it: a config the command refuses is said, no unit printed.
    _installed_command(tmp_path / "venv", data, 2, "config.ini: [status] file: directory x is not writable\n")
    (data / "config.ini").write_text("")
    refused = _render_installed(data, command)
    assert refused.returncode == 2 and refused.stdout == ""
    assert (f"run as {pwd.getpwuid(os.getuid()).pw_name} the way the unit runs it, {command} -c {data}/config.ini "
            "--check fails") in refused.stderr, refused.stderr
    assert "  config.ini: [status] file: directory x is not writable\n" in refused.stderr
    assert "must be able to enter" in refused.stderr.splitlines()[-1]
    assert "the records, and the log file config.ini names, if any: fix that" in refused.stderr.splitlines()[-1]
    # No config.ini yet: the sample is the install's own.
    (data / "config.ini").unlink()
    missing = _render_installed(data, command)
    sample = tmp_path / "venv" / "share" / "pyseb" / "config.ini.sample"
    assert missing.returncode == 2 and missing.stderr.splitlines()[-1] == (
        f"render_service.py: {data} has no config.ini yet: cp {sample} {data}/config.ini, edit it ({command} -c "
        f"{data}/config.ini --check validates it), then run this again"), missing.stderr
    # A command that is not there: systemd would fail at every start (status 203/EXEC).
    gone = _render_installed(data, tmp_path / "nowhere" / "bin" / "pyseb")
    assert gone.returncode == 2 and gone.stdout == ""
    assert gone.stderr.splitlines()[-1].startswith(
        f"render_service.py: --pyseb {tmp_path}/nowhere/bin/pyseb: no such command"), gone.stderr


needs_root = pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
                                reason="switching to another user needs root (and a python3 that user can run)")


@needs_root
def test_run_by_root_the_check_runs_as_the_service_user(tmp_path: Path) -> None:
    # `sudo make install-service` renders as root for SUDO_USER: a check as root would pass where that user fails.
    import tempfile

    from render_service import as_user, unit_check

    nobody = pwd.getpwnam("nobody")
    with tempfile.TemporaryDirectory(prefix="pyseb-unit-") as name:
        directory = Path(name)
        directory.chmod(0o755)
        script = (f"import os, sys\n"
                  f"sys.exit(0 if os.getuid() == {nobody.pw_uid} and os.getgid() == {nobody.pw_gid} else 7)\n")
        (directory / "regulation.py").write_text(script)
        (directory / "regulation.py").chmod(0o644)
        how = as_user("nobody")
        assert how is not None
        assert unit_check("nobody", how, directory, "/usr/bin/python3") is None
        directory.chmod(0o700)  # (a checkout under /root, or a home the user cannot enter)
        problem = unit_check("nobody", how, directory, "/usr/bin/python3")
        assert problem is not None and f"cannot enter {directory}: Permission denied" in problem, problem


def test_the_template_runs_what_the_checkout_has() -> None:
    # An installed unit names files of the checkout: after a `git pull` that renamed one, systemd would run a file
    # that is not there (python's exit 2: not restarted). config.ini is the user's (ignored by git).
    keys = unit((ROOT / "contrib" / "pyseb.service").read_text(encoding="utf-8"))
    assert keys["WorkingDirectory"] == ["@DIR@"]
    words = keys["ExecStart"][0].split()
    assert words[0] == "@PYTHON@"
    named = [word.removeprefix("@DIR@/") for word in words if word.startswith("@DIR@/")]
    assert named == ["regulation.py", "config.ini"]
    assert (ROOT / "regulation.py").is_file()
    assert "/config.ini" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_unit_is_sandboxed_where_the_status_file_can_live() -> None:
    # The unit had no sandboxing at all (systemd-analyze security: 9.6 UNSAFE): PySEB, reachable from the broker,
    # could write anywhere its user may, /etc and /usr included for a unit run as root, and gain privileges.
    keys = unit(render("pi", Path("/home/pi/pyseb"), "/home/pi/pyseb/.venv/bin/python"))
    assert keys["NoNewPrivileges"] == ["yes"] and keys["ProtectSystem"] == ["full"]
    for setting in ("ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality",
                    "RestrictRealtime"):
        assert keys[setting] == ["yes"], setting
    # ... yet the status file stays writable wherever the docs put it: the checkout under /home (no ProtectHome=),
    # /opt, or /var/lib/pyseb (ProtectSystem=full, not strict), and its lock in the one /tmp a PySEB started from a
    # terminal sees too (no PrivateTmp=: a private /tmp would hide the lock, two PySEBs driving the same loads).
    for setting in ("ProtectHome", "PrivateTmp", "StateDirectory", "ReadOnlyPaths", "DynamicUser"):
        assert setting not in keys, setting


@pytest.mark.parametrize("directory", ["/usr/local/pyseb", "/etc/pyseb", "/boot/pyseb"])
def test_a_checkout_the_sandbox_makes_read_only_is_refused(directory: str) -> None:
    # ProtectSystem=full mounts /usr, /boot, /efi and /etc read-only: the status file beside config.ini could not be
    # written there (exit 2 at every start, not retried), though --check, run outside the unit, passes.
    with pytest.raises(ValueError, match=f"{directory}: read-only under the unit's ProtectSystem=full"):
        render("pi", Path(directory), "/usr/bin/python3")
    render("pi", Path("/usr-pyseb"), "/usr/bin/python3")  # (a folder merely named like one is not under it)


def test_the_packages_check_writes_no_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run by `sudo make install-service`, the check imported the checkout's modules as root and left root-owned
    # __pycache__ folders in the user's checkout (a real sudo clears PYTHONDONTWRITEBYTECODE): the service user could
    # not refresh them after a git pull. (Bytecode that would be written goes to a prefix here, to be seen.)
    from render_service import missing_packages
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "bytecode"))
    assert missing_packages(sys.executable, _checkout(tmp_path) / "config.ini") is None
    assert not any((tmp_path / "bytecode").rglob("*.pyc"))
