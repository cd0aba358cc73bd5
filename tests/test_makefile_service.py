"""`make install-service` installs the unit, and says what starts the code of this checkout: after an upgrade
(`git pull`, then the README's two commands again), `systemctl enable --now` left the running PySEB on its old code."""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (answers is-active as $ACTIVE says; logs each call)
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls"
if [ "$1" = "is-active" ]; then exit "$ACTIVE"; fi
if [ "$1" = "daemon-reload" ] && [ -n "$NO_SYSTEMD" ]; then
  echo "System has not been booted with systemd" >&2; exit 1
fi
exit 0
"""


def _checkout(tmp_path: Path) -> Path:
    """A checkout with this Makefile and contrib/, whose regulation.py passes the unit's check."""
    checkout = tmp_path / "pyseb"
    (checkout / "contrib").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Makefile", checkout)
    for name in ("pyseb.service", "render_service.py"):
        shutil.copy(ROOT / "contrib" / name, checkout / "contrib")
    (checkout / "regulation.py").write_text("")
    return checkout


# `id` as root (uid 0) or as a user (uid 1234) by $FAKE_UID, its other answers the real ones: the tests' own user,
# root or not, installs into a folder of its own either way.
FAKE_UID = f"""#!/bin/sh
if [ "$1" = "-u" ]; then echo "$FAKE_UID"; else exec {shutil.which("id")} "$@"; fi
"""


def _install(tmp_path: Path, active: bool, installed: str = "", python: str = sys.executable,
             systemd: bool = True, root: bool = False) -> tuple[subprocess.CompletedProcess[str], Path]:
    """make install-service, over a unit file holding `installed` when given, by a user with sudo or by root."""
    checkout = _checkout(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("systemctl", FAKE_SYSTEMCTL), ("sudo", '#!/bin/sh\nexec "$@"\n'), ("id", FAKE_UID),
                       ("install", f'#!/bin/sh\necho "install $*" >> "$(dirname "$0")/calls"\n'
                                   f'exec {shutil.which("install")} "$@"\n')):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    unit_file = tmp_path / "etc" / "pyseb.service"
    unit_file.parent.mkdir(exist_ok=True)
    if installed:
        unit_file.write_text(installed)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ACTIVE": "0" if active else "3",
           "FAKE_UID": "0" if root else "1234"}
    env.pop("SUDO_USER", None)
    if not systemd:
        env["NO_SYSTEMD"] = "1"
    done = subprocess.run(["make", "--no-print-directory", "-C", str(checkout), "install-service",
                           f"PYTHON={python}", f"UNIT_FILE={unit_file}"], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    return done, unit_file


def test_a_python_in_a_folder_with_a_space(tmp_path: Path) -> None:
    # (PYTHON=, or a checkout's own venv, in a folder with a space: "/bin/sh: 3: /tmp/my: not found")
    folder = tmp_path / "my python"
    folder.mkdir()
    (folder / "python3").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')  # (this venv's)
    (folder / "python3").chmod(0o755)
    done, unit_file = _install(tmp_path, active=False, python=str(folder / "python3"))
    assert done.returncode == 0, done.stderr
    assert f"WorkingDirectory={tmp_path / 'pyseb'}\n" in unit_file.read_text()
    shown = subprocess.run(["make", "--no-print-directory", "-C", str(tmp_path / "pyseb"), "service",
                            f"PYTHON={folder / 'python3'}"], capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0 and "WorkingDirectory=" in shown.stdout, shown.stderr


@pytest.mark.parametrize("active", [False, True])
def test_install_service_says_how_to_run_this_checkouts_code(tmp_path: Path, active: bool) -> None:
    done, unit_file = _install(tmp_path, active)
    assert done.returncode == 0, done.stderr
    assert f"WorkingDirectory={tmp_path / 'pyseb'}\n" in unit_file.read_text()
    assert "daemon-reload" in (tmp_path / "bin" / "calls").read_text()
    assert not (tmp_path / "pyseb" / "pyseb.service.tmp").exists()
    if active:
        # (a PySEB running already keeps the code it started with: enable --now would leave it so)
        assert f"installed {unit_file}; PySEB is running the code it started with: to run this checkout's, " \
               "sudo systemctl restart pyseb" in done.stdout, done.stdout
        assert "enable --now" not in done.stdout
    else:
        assert f"installed {unit_file}; start it with: sudo systemctl enable --now pyseb" in done.stdout, done.stdout


@pytest.mark.parametrize("case", ["installed", "running", "no systemd"])
@pytest.mark.parametrize("root", [True, False])
def test_the_commands_said_have_sudo_for_a_user_only(tmp_path: Path, case: str, root: bool) -> None:
    # DietPi logs in as root and has no sudo: make install-service told it "sudo systemctl enable --now pyseb" (and
    # the other commands to copy), and echoed its own as " install -m 0644 ...", with a space first.
    done, unit_file = _install(tmp_path, case == "running", "[Service]\nUMask=0027\n", root=root,
                               systemd=case != "no systemd")
    said = done.stdout + done.stderr
    sudo = "" if root else "sudo "
    assert f"\n{sudo}install -m 0644 " in f"\n{done.stdout}" and f"\n{sudo}systemctl daemon-reload\n" in said, said
    assert f"put it in a drop-in: {sudo}systemctl edit pyseb" in said, said
    next_step = {"installed": f"start it with: {sudo}systemctl enable --now pyseb",
                 "running": f"to run this checkout's, {sudo}systemctl restart pyseb",
                 "no systemd": f"once it can, {sudo}systemctl daemon-reload, then {sudo}systemctl enable --now pyseb"}
    assert next_step[case] in said, said
    assert not any(line.startswith(" ") for line in said.splitlines()), said
    if root:
        assert "sudo" not in said, said


def test_install_service_says_when_systemd_did_not_read_the_unit(tmp_path: Path) -> None:
    # (a chroot or a container without systemd: daemon-reload failed, and the next line said "installed; start it
    # with: sudo systemctl enable --now pyseb", which failed in turn)
    done, unit_file = _install(tmp_path, False, systemd=False)
    assert done.returncode != 0
    assert unit_file.exists()
    assert f"installed {unit_file}" not in done.stdout, done.stdout
    assert (f"make install-service: {unit_file} is written but systemd did not read it (systemctl daemon-reload "
            "failed, above: is this system run by systemd?)") in done.stderr, done.stderr


def test_install_service_names_the_settings_it_writes_over(tmp_path: Path) -> None:
    # The unit file is written again at each upgrade: a setting added to it by hand (security.md had UMask= added
    # there) was lost without a word. A drop-in (sudo systemctl edit pyseb) keeps it.
    done, unit_file = _install(tmp_path, False, "[Service]\n# a comment\nUMask=0027\nNice=5\n")
    assert done.returncode == 0, done.stderr
    assert "UMask" not in unit_file.read_text()
    assert (f"{unit_file} had settings the new unit has not: UMask=0027, Nice=5: to keep one, put it in a drop-in: "
            "sudo systemctl edit pyseb") in done.stderr, done.stderr
    again, _ = _install(tmp_path, False, unit_file.read_text())  # (this version's own unit: nothing said)
    assert again.returncode == 0 and "had settings" not in again.stderr, again.stderr



def test_install_service_writes_nothing_in_the_checkout(tmp_path: Path) -> None:
    # The unit was made as pyseb.service.tmp in the checkout: one cloned with sudo into /opt, installed by pi, failed
    # with the shell's bare "cannot create pyseb.service.tmp: Permission denied".
    done, unit_file = _install(tmp_path, False)
    assert done.returncode == 0, done.stderr
    installed = next(line for line in (tmp_path / "bin" / "calls").read_text().splitlines()
                     if line.startswith("install "))
    made = tmp_path / "pyseb" / installed.split()[3]  # (relative: to the checkout, where make runs it)
    assert not made.is_relative_to(tmp_path / "pyseb") and not made.exists()  # (made elsewhere, removed)
    assert sorted(p.name for p in (tmp_path / "pyseb").iterdir()) == ["Makefile", "contrib", "regulation.py"]


def test_install_service_names_an_environment_line_of_the_owner_s_as_lost(tmp_path: Path) -> None:
    # Each Environment= line was "the same key" as the unit's PYTHONUNBUFFERED=1: TZ=Europe/Paris, dropped, was said
    # to be set otherwise by the new unit, which sets no TZ.
    first, unit_file = _install(tmp_path, False)
    assert first.returncode == 0, first.stderr
    done, _ = _install(tmp_path, False, unit_file.read_text() + "Environment=TZ=Europe/Paris\n")
    assert (f"{unit_file} had settings the new unit has not: Environment=TZ=Europe/Paris: to keep one, put it in a "
            "drop-in") in done.stderr, done.stderr
    assert "set otherwise" not in done.stderr
    changed = unit_file.read_text().replace("PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=0")
    done, _ = _install(tmp_path, False, changed)
    assert "set otherwise by the new unit: Environment=PYTHONUNBUFFERED=0" in done.stderr, done.stderr


def test_install_service_does_not_take_the_old_unit_s_own_values_for_the_owner_s(tmp_path: Path) -> None:
    # An upgrade from a unit of before time-sync.target (540f56c), or a checkout moved, or another --user: the old
    # unit's After=, WorkingDirectory=, User= were named "settings the new unit has not", to put in a drop-in (User=pi
    # there would run PySEB as the old user). The new unit sets them: said as set otherwise, not as lost.
    first, unit_file = _install(tmp_path, False)
    assert first.returncode == 0, first.stderr
    old = unit_file.read_text().replace("mosquitto.service time-sync.target", "mosquitto.service")
    old = old.replace("\nUser=", "\nUser=pi\n#", 1)
    old = old.replace("\nWorkingDirectory=", "\nWorkingDirectory=/home/pi/old\n#", 1)
    done, _ = _install(tmp_path, False, old + "UMask=0027\n")
    assert done.returncode == 0, done.stderr
    assert (f"{unit_file} had settings the new unit has not: UMask=0027: to keep one, put it in a drop-in: "
            "sudo systemctl edit pyseb") in done.stderr, done.stderr
    assert ("set otherwise by the new unit: After=network-online.target mosquitto.service, User=pi, "
            "WorkingDirectory=/home/pi/old") in done.stderr, done.stderr


# `make clean` removed .venv/ under an installed unit whose ExecStart is .venv/bin/python: PySEB ran on, and at the
# next boot or restart systemd could not start it (status 203/EXEC, again every 10 s), the loads left unregulated.
def _made_checkout(tmp_path: Path, name: str = "pyseb") -> Path:
    """A checkout with this Makefile and scripts/, and what make makes: the venvs and the tools' caches."""
    checkout = tmp_path / name
    shutil.copytree(ROOT / "scripts", checkout / "scripts")
    shutil.copy(ROOT / "Makefile", checkout)
    for made in (".venv/bin", ".venv-paho16/bin", ".pytest_cache", ".mypy_cache"):
        (checkout / made).mkdir(parents=True)
    (checkout / ".venv" / "bin" / "python").write_text("")
    return checkout


def _unit_running(python: str, checkout: Path, unit_file: Path) -> Path:
    """An installed unit (as render_service writes it) running `python` on `checkout`."""
    sys.path.insert(0, str(ROOT / "contrib"))
    from render_service import render
    unit_file.parent.mkdir(parents=True, exist_ok=True)
    unit_file.write_text(render("pi", checkout, python))
    return unit_file


def _clean(checkout: Path, unit_file: Path, *args: str, root: bool = False) -> subprocess.CompletedProcess[str]:
    """make clean, by a user or by root (FAKE_UID's `id`)."""
    bin_dir = checkout.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "id").write_text(FAKE_UID)
    (bin_dir / "id").chmod(0o755)
    # (systemd's own folders under checkout's parent/root: the machine's /run/systemd/system/pyseb.service.d/ and the
    # others are not the test's)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_UID": "0" if root else "1234",
           "CLEAN_SYSTEMD_ROOT": str(checkout.parent / "root")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(checkout), "clean", f"UNIT_FILE={unit_file}",
                           *args], capture_output=True, text=True, timeout=60, env=env, check=False)


@pytest.mark.parametrize("name", ["pyseb", "Solar router"])
def test_clean_keeps_the_venv_an_installed_unit_runs(tmp_path: Path, name: str) -> None:
    checkout = _made_checkout(tmp_path, name)
    unit_file = _unit_running(str(checkout / ".venv" / "bin" / "python"), checkout, tmp_path / "etc" / "pyseb.service")
    done = _clean(checkout, unit_file)
    assert done.returncode == 0, done.stderr
    assert (checkout / ".venv" / "bin" / "python").exists()
    assert not any((checkout / made).exists() for made in (".venv-paho16", ".pytest_cache", ".mypy_cache"))
    assert (f"make clean: .venv kept: {unit_file} runs PySEB with {checkout / '.venv' / 'bin' / 'python'}" in
            done.stderr), done.stderr
    assert "sudo systemctl stop pyseb, make clean CLEAN_VENV=1" in done.stderr
    # CLEAN_VENV=1: the owner has stopped the service, and will make the venv again (make check) before starting it
    forced = _clean(checkout, unit_file, "CLEAN_VENV=1")
    assert forced.returncode == 0 and not (checkout / ".venv").exists(), forced.stderr


def test_clean_tells_root_its_commands_without_sudo(tmp_path: Path) -> None:
    # (DietPi logs in as root and has no sudo: it was told "sudo systemctl stop pyseb")
    checkout = _made_checkout(tmp_path)
    unit_file = _unit_running(str(checkout / ".venv" / "bin" / "python"), checkout, tmp_path / "etc" / "pyseb.service")
    done = _clean(checkout, unit_file, root=True)
    assert done.returncode == 0 and (checkout / ".venv").exists(), done.stderr
    assert ("To make it again: systemctl stop pyseb, make clean CLEAN_VENV=1, make check, systemctl start pyseb"
            in done.stderr), done.stderr


@pytest.mark.parametrize("unit", ["none", "another checkout", "the system's python3"])
def test_clean_removes_the_venv_no_installed_unit_runs(tmp_path: Path, unit: str) -> None:
    checkout = _made_checkout(tmp_path)
    unit_file = tmp_path / "etc" / "pyseb.service"
    if unit == "another checkout":
        other = tmp_path / "pyseb2"
        _unit_running(str(other / ".venv" / "bin" / "python"), other, unit_file)
    elif unit == "the system's python3":
        _unit_running("/usr/bin/python3", checkout, unit_file)
    done = _clean(checkout, unit_file)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert not any((checkout / made).exists() for made in (".venv", ".venv-paho16", ".pytest_cache", ".mypy_cache"))


# `sudo systemctl edit pyseb` keeps the owner's settings in a drop-in beside the unit (they survive make
# install-service); one whose ExecStart= runs this checkout's .venv makes it the venv PySEB runs with, whatever the
# unit file says.
def test_clean_keeps_the_venv_a_drop_in_runs(tmp_path: Path) -> None:
    checkout = _made_checkout(tmp_path)
    unit_file = _unit_running("/usr/bin/python3", checkout, tmp_path / "etc" / "pyseb.service")
    (tmp_path / "etc" / "pyseb.service.d").mkdir()
    (tmp_path / "etc" / "pyseb.service.d" / "override.conf").write_text(
        f"[Service]\nExecStart=\nExecStart={checkout}/.venv/bin/python {checkout}/regulation.py -c config.ini "
        "--log-level DEBUG\n")
    done = _clean(checkout, unit_file)
    assert done.returncode == 0, done.stderr
    assert (checkout / ".venv" / "bin" / "python").exists()
    assert f"runs PySEB with {checkout / '.venv' / 'bin' / 'python'}" in done.stderr, done.stderr
    assert "override.conf" in done.stderr


def test_clean_removes_the_venv_a_drop_in_no_longer_runs(tmp_path: Path) -> None:
    # The unit runs .venv/bin/python, but a drop-in's ExecStart= (after an empty one, as systemd asks) replaced its
    # command: PySEB runs with the system's python3. .venv was kept all the same, make clean saying the unit ran PySEB
    # with it and to stop the service to remove it.
    checkout = _made_checkout(tmp_path)
    unit_file = _unit_running(str(checkout / ".venv" / "bin" / "python"), checkout, tmp_path / "etc" / "pyseb.service")
    (tmp_path / "etc" / "pyseb.service.d").mkdir()
    (tmp_path / "etc" / "pyseb.service.d" / "override.conf").write_text(
        f"[Service]\nExecStart=\nExecStart=/usr/bin/python3 {checkout}/regulation.py -c config.ini")  # (no last \n)
    done = _clean(checkout, unit_file)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert not (checkout / ".venv").exists()
    # Drop-ins in the order of their names, as systemd reads them: a later one's ExecStart= is the command.
    (checkout / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / "etc" / "pyseb.service.d" / "zz-debug.conf").write_text(
        f"[Service]\nExecStart=\nExecStart={checkout}/.venv/bin/python {checkout}/regulation.py -c config.ini "
        "--log-level DEBUG\n")
    done = _clean(checkout, unit_file)
    assert (checkout / ".venv").exists() and "zz-debug.conf runs PySEB with" in done.stderr, done.stderr


def test_clean_reads_the_drop_ins_systemd_reads_in_its_other_folders(tmp_path: Path) -> None:
    # `sudo systemctl edit --runtime pyseb` writes /run/systemd/system/pyseb.service.d/override.conf, which systemd
    # applies as it does /etc's (a package's, in /usr/lib/systemd/system/pyseb.service.d/, too): only UNIT_FILE.d/ was
    # read, and .venv, which that drop-in ran PySEB with, was removed under the service.
    checkout = _made_checkout(tmp_path)
    unit_file = _unit_running("/usr/bin/python3", checkout, tmp_path / "etc" / "pyseb.service")
    runtime = tmp_path / "root" / "run" / "systemd" / "system" / "pyseb.service.d"
    runtime.mkdir(parents=True)
    (runtime / "override.conf").write_text(
        f"[Service]\nExecStart=\nExecStart={checkout}/.venv/bin/python {checkout}/regulation.py -c config.ini\n")
    done = _clean(checkout, unit_file)
    assert done.returncode == 0 and (checkout / ".venv" / "bin" / "python").exists(), done.stderr
    assert f"make clean: .venv kept: {runtime / 'override.conf'} runs PySEB with" in done.stderr, done.stderr
    # A drop-in of the same name in a folder systemd ranks higher (/etc's, beside the unit) hides it: systemd applies
    # that one alone, here the system's python3.
    (tmp_path / "etc" / "pyseb.service.d").mkdir()
    (tmp_path / "etc" / "pyseb.service.d" / "override.conf").write_text(
        f"[Service]\nExecStart=\nExecStart=/usr/bin/python3 {checkout}/regulation.py -c config.ini\n")
    done = _clean(checkout, unit_file)
    assert done.returncode == 0 and done.stderr == "" and not (checkout / ".venv").exists(), done.stderr
    # Across folders, in the order of their names: /usr/lib's zz-venv.conf comes after /etc's override.conf.
    (checkout / ".venv" / "bin").mkdir(parents=True)
    package = tmp_path / "root" / "usr" / "lib" / "systemd" / "system" / "pyseb.service.d"
    package.mkdir(parents=True)
    (package / "zz-venv.conf").write_text(
        f"[Service]\nExecStart=\nExecStart={checkout}/.venv/bin/python {checkout}/regulation.py -c config.ini\n")
    done = _clean(checkout, unit_file)
    assert (checkout / ".venv").exists() and f"{package / 'zz-venv.conf'} runs PySEB with" in done.stderr, done.stderr


def test_clean_keeps_the_venv_whose_pyseb_command_a_unit_runs(tmp_path: Path) -> None:
    # `pip install .` into the checkout's .venv, the unit running its `pyseb` command (docs/running-on-a-pi.md): only
    # the venv's python was looked for, and .venv was removed under the service.
    checkout = _made_checkout(tmp_path)
    unit_file = tmp_path / "etc" / "pyseb.service"
    unit_file.parent.mkdir()
    unit_file.write_text(f"[Service]\nExecStart={checkout}/.venv/bin/pyseb -c {checkout}/config.ini\n")
    done = _clean(checkout, unit_file)
    assert done.returncode == 0 and (checkout / ".venv").exists(), done.stderr
    assert f"runs PySEB with {checkout / '.venv' / 'bin' / 'pyseb'} (without it" in done.stderr, done.stderr
    assert not (checkout / ".venv-paho16").exists()


# `id` as a user sees it: root (uid 0) or another user, by $AS; the rest of `id` as it is.
FAKE_ID = """#!/bin/sh
case "$1" in
  -u) if [ "$AS" = root ]; then echo 0; else echo 1234; fi ;;
  -un) echo "$AS" ;;
  *) exec /usr/bin/id "$@" ;;
esac
"""


@pytest.mark.parametrize(("as_user", "sudo_user", "expected"), [
    ("root", "", "owner"),        # sudo su -, a root login: the checkout's owner, not root
    ("root", "pi", "pi"),         # sudo make service: the user who ran sudo, as before
    ("alice", "", "alice"),       # a user of its own: that user, as before (render_service checks it can)
])
def test_service_runs_as_the_checkout_s_owner_when_root_makes_it(tmp_path: Path, as_user: str, sudo_user: str,
                                                                 expected: str) -> None:
    # A Pi user who became root without sudo's SUDO_USER (`sudo su -`, or a root ssh login) and ran make
    # install-service in ~/pyseb got a unit with User=root, which the README's "not root" warns against: the status
    # file and the records in pi's checkout became root's.
    checkout = _checkout(tmp_path)
    if os.geteuid() == 0:  # (the test's own user is root: the checkout is given to another)
        os.chown(checkout, 65534, 65534)
    try:
        owner = pwd.getpwuid(checkout.stat().st_uid).pw_name
    except KeyError:
        pytest.skip("the checkout's owner has no name on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text(FAKE_ID)
    (tmp_path / "python3").write_text('#!/bin/sh\necho "$@"\n')  # (says what render_service.py was given)
    for script in (bin_dir / "id", tmp_path / "python3"):
        script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "AS": as_user, "SUDO_USER": sudo_user}
    done = subprocess.run(["make", "--no-print-directory", "-C", str(checkout), "service",
                           f"PYTHON={tmp_path / 'python3'}"], capture_output=True, text=True, timeout=60, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert f"--user {owner if expected == 'owner' else expected} --dir {checkout}" in done.stdout, done.stdout
