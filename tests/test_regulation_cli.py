"""regulation.py as a user meets it: the cron start refused by the lock prints one line, --check says what
it will use, a missing config says how to make one, and logs are written once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import pytest

from localbroker import PrivateBroker
from shell.lock import InstanceLock
from tests.configs import NO_BROKER_PORT, point_at, seed_config, write_config
from tests.mqtt_probe import MqttProbe

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT, timeout_s: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "regulation.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout_s)


def noisy_config(tmp_path: Path, extra: str = "") -> Path:
    """A config whose start logs a calibration line and a warning (an unknown key)."""
    path = write_config(tmp_path, extra=extra)
    path.write_text(path.read_text().replace("[status]", "[status]\ncolour = blue"))
    return path


def test_refused_cron_start_prints_one_line(tmp_path: Path) -> None:
    config = noisy_config(tmp_path)
    checked = run("-c", str(config), "--check")
    assert "colour" in checked.stderr and "calibration" in checked.stderr  # the noise is there otherwise
    lock = InstanceLock(tmp_path / "status.json.lock")
    lock.acquire()
    try:
        refused = run("-c", str(config))
    finally:
        lock.release()
    assert refused.returncode == 3 and refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "another PySEB is running" in lines[0] and "not starting" in lines[0]


def test_a_status_file_named_through_a_symlink_is_locked_where_it_is_saved(tmp_path: Path) -> None:
    # Two configs naming one status file, one through a symlink: both ran, each with its own lock, and saved over
    # each other (the saves follow the link).
    config = write_config(tmp_path)
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "status.json").symlink_to(tmp_path / "status.json")
    assert "[status]\nfile = status.json\n" in config.read_text()
    config.write_text(config.read_text().replace("[status]\nfile = status.json\n",
                                                 f"[status]\nfile = {linked / 'status.json'}\n", 1))
    lock = InstanceLock(tmp_path / "status.json.lock")  # (the first instance's, on the file itself)
    lock.acquire()
    try:
        refused = run("-c", str(config))
    finally:
        lock.release()
    assert refused.returncode == 3 and "another PySEB is running" in refused.stderr


def test_refused_service_start_says_the_other_was_started_outside_it(tmp_path: Path) -> None:
    # A seed user's cron lines (@reboot, every 10 minutes) left in place after `make install-service`: at boot cron's
    # PySEB took the lock first, the unit's exited 3 (not restarted) and was marked failed, and PySEB ran outside the
    # service: `systemctl stop` did not stop it, `journalctl -u pyseb` showed none of its log. Under the unit (its
    # standard error the journal's stream), the refusal says whom to stop.
    config = write_config(tmp_path)
    lock = InstanceLock(tmp_path / "status.json.lock")
    lock.acquire()
    journal = tmp_path / "journal"
    try:
        with journal.open("w") as stderr:
            stat = os.fstat(stderr.fileno())
            env = {**os.environ, "JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"}
            refused = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(config)], stdout=PIPE,
                                     stderr=stderr, text=True, cwd=ROOT, timeout=30, env=env)
    finally:
        lock.release()
    lines = journal.read_text().splitlines()
    assert refused.returncode == 3 and len(lines) == 1, lines
    lock_path = tmp_path / "status.json.lock"
    # (<3>: journald's priority prefix, err: `journalctl -u pyseb -p warning` shows it)
    assert lines[0] == (f"<3>regulation.py: another PySEB is running (pid {os.getpid()}, lock {lock_path}); "
                        "not starting: it was started outside this service (a cron line, a terminal, nohup): stop it "
                        f"(kill {os.getpid()}), remove its cron lines, then: "
                        f"{'' if os.geteuid() == 0 else 'sudo '}systemctl restart pyseb")


def test_a_bad_config_under_the_unit_reaches_the_journal_as_errors(tmp_path: Path) -> None:
    # The log's lines carry their priority under journald, but the refusal of a bad config, printed before any log
    # (the unit's start exits 2 and stays failed), reached it at info: `journalctl -u pyseb -p warning` showed none
    # of it, the one thing to read there.
    config = write_config(tmp_path, port=9)  # (refused before any connection: no broker)
    text = config.read_text()
    assert "meter_timeout = 10\n" in text
    config.write_text(text.replace("meter_timeout = 10\n", "meter_timeout = soon\n"))
    journal = tmp_path / "journal"
    with journal.open("w") as stderr:
        stat = os.fstat(stderr.fileno())
        env = {**os.environ, "JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"}
        refused = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(config)], stdout=PIPE,
                                 stderr=stderr, text=True, cwd=ROOT, timeout=30, env=env)
    lines = journal.read_text().splitlines()
    assert refused.returncode == 2 and all(line.startswith("<") for line in lines), lines
    assert [line for line in lines if "meter_timeout" in line and line.startswith("<3>")], lines
    plain = run("-c", str(config))  # (a terminal or a cron redirect: no prefix)
    assert plain.returncode == 2 and not plain.stderr.startswith("<")


def test_check_names_broker_status_and_log(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    config = write_config(tmp_path, extra="\n[logging]\nfile = logs/pyseb.log\n")
    result = run("-c", str(config), "--check")
    assert result.returncode == 0, result.stderr
    assert ": OK; loads in priority order:" in result.stdout  # no warning: none counted
    assert f"broker:      127.0.0.1:{NO_BROKER_PORT} as 'pyseb-test'" in result.stdout
    # (the topics it listens to: a misspelt topic_cons is only a warning, the default topic kept)
    assert ("meters:      house smeter/pzem/CONSOMMATION, production smeter/pzem/PRODUCTION (the watts under "
            "'power')") in result.stdout
    assert "topics:      mode regul/mode (force, unforce), status regul/status" in result.stdout
    assert f"status file: {tmp_path / 'status.json'}\n" in result.stdout
    assert f"log file:    {tmp_path / 'logs' / 'pyseb.log'}" in result.stdout
    assert not (tmp_path / "logs" / "pyseb.log").exists()  # a check writes no log


def test_check_names_the_seed_s_mode_topic(tmp_path: Path) -> None:
    # The seed's topic_force = regul/force is the mode topic: the check said nothing of where forces are taken, and an
    # automation publishing on regul/mode (the docs' topic) met silence.
    seed = seed_config(tmp_path, ("topic_force= None", "topic_force = regul/force"),
                       ("topic_status = regul/status", "topic_status = home/pv/status"))
    result = run("-c", str(seed), "--check")
    assert result.returncode == 0, result.stderr
    assert "  topics:      mode regul/force (force, unforce), status home/pv/status\n" in result.stdout


@pytest.mark.parametrize(("section", "key"), [("status", "persistent"), ("debug", "use_persistent")])
def test_check_says_a_status_not_persistent_is_not_read_either(tmp_path: Path, section: str, key: str) -> None:
    # "(not saved: ...)" left a user to think the status file there was still read at start (its day's energy and
    # forces restored); the key is named as the file writes it, the seed's too.
    config = write_config(tmp_path)
    text = config.read_text()
    config.write_text(text.replace("[status]\n", f"[status]\n{key} = false\n") if section == "status"
                      else f"{text}\n[debug]\n{key} = false\n")
    result = run("-c", str(config), "--check")
    assert result.returncode == 0, result.stderr
    assert (f"status file: {tmp_path / 'status.json'} (not read at start, nor saved: [{section}] {key} = "
            "false)") in result.stdout


@pytest.mark.parametrize(("algorithm", "margin", "said"), [
    ("closed_loop", "", "regulation:  closed loop: export setpoint 0 W (margin), variable loads' whole percents "
                        "importing 5 W at most (dither_import)"),
    ("closed_loop", "margin = 20\n", "regulation:  closed loop: export setpoint 20 W (margin)"),
    ("hebert", "", "regulation:  Hébert's rule: margin 10 W, balance threshold 20 W"),
])
def test_check_says_the_rule_and_its_setpoint(tmp_path: Path, algorithm: str, margin: str, said: str) -> None:
    # A migrated config keeps the seed's margin = 20 as its export setpoint: the check says what the loop keeps.
    config = write_config(tmp_path, ("ecs",), algorithm=algorithm)
    config.write_text(config.read_text().replace("margin = 20\n", margin))
    result = run("-c", str(config), "--check")
    assert result.returncode == 0, result.stderr
    assert f"  {said}" in result.stdout


@pytest.mark.parametrize(("loads", "relay_options", "said"), [
    (("radiator", "plug"), "", "regulation:  closed loop: export setpoint 20 W (margin); relays only: their dwell "
                               "(min_on_s/min_off_s: radiator 600/120 s, plug 600/120 s) spares them and costs capture "
                               "and import on changeable days (docs/control.md, \"A house with relays only\")\n"),
    (("radiator",), "min_on_s = 60\nmin_off_s = 30\n",
     "relays only: their dwell (min_on_s/min_off_s: radiator 60/30 s)"),
])
def test_check_says_what_the_dwell_costs_a_house_with_relays_only(tmp_path: Path, loads: tuple[str, ...],
                                                                  relay_options: str, said: str) -> None:
    # With no variator the dwell costs a changeable day a third of its capture against Hébert's rule
    # (docs/control.md): the owner of such a house hears of it, with the dwell in force, before the daemon runs.
    config = write_config(tmp_path, loads, algorithm="closed_loop")
    config.write_text(config.read_text().replace("[radiator]\n", f"[radiator]\n{relay_options}"))
    result = run("-c", str(config), "--check")
    assert result.returncode == 0, result.stderr
    assert said in result.stdout and "whole percents" not in result.stdout


@pytest.mark.parametrize(("loads", "relays_only"), [
    ("bare = myloads:Bare\nradiator = constant", False),  # a load of the user's own that is no relay
    ("pwm = myloads:Pwm\nradiator = constant", False),  # a variable load of another kind
    ("pool = myloads:Pool", True),  # a relay of the user's own
])
def test_check_judges_relays_only_on_the_load_classes(tmp_path: Path, loads: str, relays_only: bool) -> None:
    # (it judged on KIND != "variable", and read a user's Equipment subclass's min_on_s: --check crashed)
    (tmp_path / "myloads.py").write_text(
        "from equipments.base import Equipment\nfrom equipments.constant import ConstantEquipment\n"
        "from equipments.variable import VariableEquipment\n"
        "class Bare(Equipment):\n    KIND = 'bare'\n    @property\n    def max_power_w(self): return 500.0\n"
        "    def command_for(self, watts): raise NotImplementedError\n"  # (every load class has the four: registry)
        "    def increase_power_by(self, watts, now): return watts\n"
        "    def decrease_power_by(self, watts, now): return 0.0\n"
        "class Pwm(VariableEquipment):\n    KIND = 'pwm'\n"
        "class Pool(ConstantEquipment):\n    KIND = 'pool'\n")
    config = write_config(tmp_path, ("radiator",), algorithm="closed_loop")
    sections = "".join(f"[{name}]\ntopic_set_power = cmnd/{name}/POWER\nmax_power = 500\n" for name in ("bare", "pool"))
    sections += "[pwm]\ntopic_set_power = regul/vload/PWM/cmd\ncalibration = linear.csv\n"
    config.write_text(config.read_text().replace("radiator = constant", loads) + sections)
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(config), "--check"],
                            capture_output=True, text=True, cwd=ROOT, timeout=30,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert ("relays only: their dwell (min_on_s/min_off_s: pool 600/120 s)" in result.stdout) == relays_only
    assert "regulation:  closed loop: export setpoint 20 W (margin)" in result.stdout


def test_check_says_nothing_of_relays_only_with_a_variable_load_or_hebert(tmp_path: Path) -> None:
    for algorithm in ("closed_loop", "hebert"):  # (Hébert's rule has no dwell: nothing to say of it)
        config = write_config(tmp_path, ("ecs", "radiator", "plug") if algorithm == "closed_loop" else ("radiator",),
                              algorithm=algorithm)
        result = run("-c", str(config), "--check")
        assert result.returncode == 0, result.stderr
        assert "relays only" not in result.stdout
        assert ("whole percents" in result.stdout) == (algorithm == "closed_loop")


@pytest.mark.parametrize(("ecs", "said"), [
    ("", "full tank (ecs): inferred from the house meter"),
    ("topic_read_power = smeter/pzem/ECS\n",
     "full tank (ecs): by its own meter smeter/pzem/ECS; from the house meter while that meter gives no reading"),
    ("full_detect = off\n", "full tank (ecs): not detected (full_detect = off)"),
])
def test_check_says_how_a_full_tank_is_found(tmp_path: Path, ecs: str, said: str) -> None:
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace("[ecs]\n", f"[ecs]\n{ecs}"))
    result = run("-c", str(config), "--check")
    assert result.returncode == 0, result.stderr
    assert f"  {said}\n" in result.stdout and "full tank (radiator)" not in result.stdout


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    result = run("-c", "config.ini", "--check", cwd=tmp_path)
    assert result.returncode == 2
    assert "config.ini: file not found; start from the sample: cp " in result.stderr
    assert "config.ini.sample config.ini, then edit it" in result.stderr


def test_missing_config_with_a_space_is_said_as_a_command_that_copies(tmp_path: Path) -> None:
    # (a path with a space, unquoted: `cp config.ini.sample my pyseb/house.ini` copied nothing, "target is not a
    # directory"; nor `-c my pyseb` for a folder given)
    result = run("-c", "my pyseb/house.ini", "--check", cwd=tmp_path)
    assert result.returncode == 2
    assert f"start from the sample: cp {ROOT / 'config.ini.sample'} 'my pyseb/house.ini', then edit it" in result.stderr
    (tmp_path / "my pyseb").mkdir()
    folder = run("-c", "my pyseb", "--check", cwd=tmp_path)
    assert folder.returncode == 2 and "is a folder, not a config file: give the file, -c 'my pyseb/config.ini'" in \
        folder.stderr


def test_logs_go_once_to_the_log_file(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    (tmp_path / "logs").mkdir()
    config = noisy_config(tmp_path, extra="\n[logging]\nfile = logs/pyseb.log\n")
    point_at(config, broker.port)
    err = open(tmp_path / "stderr.txt", "w")  # noqa: SIM115 (a cron redirect: not a terminal)
    proc = subprocess.Popen([sys.executable, str(ROOT / "regulation.py"), "-c", str(config)], stdout=err,
                            stderr=err, cwd=tmp_path)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=15)
        proc.terminate()
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err.close()
    log = (tmp_path / "logs" / "pyseb.log").read_text()
    assert (tmp_path / "stderr.txt").read_text() == ""
    # (the stop may come before the main loop took the connection: then `left as it was: stopped before the
    # regulation started` is logged too, and `connected; subscribed` all the same, test_daemon_backlog.py)
    for line in ("starting with", "calibration", "colour", "connected; subscribed", "shell.daemon: stopped\n"):
        assert log.count(line) == 1, line
    # The seed's fallback, on by default, is said at start as --check says it.
    assert log.count("INFO    regulation: low-energy fallback (the seed's rule, on by default): at 01:00") == 1


@pytest.mark.usefixtures("restored_root_logger")
@pytest.mark.parametrize("check", [True, False], ids=["check", "run"])
def test_ctrl_c_while_starting_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], check: bool) -> None:
    # On a Pi Zero the imports (numpy) and the calibration fit take seconds before the daemon's own stop handlers
    # exist: a Ctrl-C then printed a 20-line KeyboardInterrupt traceback ending in some numpy module.
    import regulation
    import settings.config

    def interrupted(path: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(settings.config, "load_settings", interrupted)
    config = write_config(tmp_path)
    assert regulation.main(["-c", str(config), *(["--check"] if check else [])]) == 130
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "regulation.py: interrupted while starting: nothing was connected or commanded\n"


@pytest.mark.usefixtures("restored_root_logger")
def test_the_log_starts_with_its_first_line_in_time_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "PySEB ... starting" was logged once the log was set up, after the config was read, and the lines held while it
    # was read (the curves' fits: seconds on a Pi Zero) came under it with earlier times: the log's first line was
    # later than the second.
    import regulation
    import settings.config
    import shell.daemon

    read = settings.config.load_settings

    def slow_read(path: Path) -> object:
        loaded = read(path)
        time.sleep(0.05)  # (a Pi's fit: the lines logged while reading are well before the end of it)
        return loaded

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt  # (once the start's lines are logged: no broker needed)

    monkeypatch.setattr(settings.config, "load_settings", slow_read)
    monkeypatch.setattr(shell.daemon, "Daemon", interrupted)
    config = noisy_config(tmp_path, extra="\n[logging]\nfile = pyseb.log\n")
    assert regulation.main(["-c", str(config)]) == 130
    lines = (tmp_path / "pyseb.log").read_text().splitlines()
    assert "regulation: PySEB " in lines[0] and " starting with " in lines[0], lines
    assert any("calibration" in line for line in lines[1:]), lines  # (held while the config was read)
    stamps = [line[:23] for line in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", line)]
    assert stamps == sorted(stamps) and len(stamps) == len(lines), lines


@pytest.mark.usefixtures("restored_root_logger")
def test_ctrl_c_after_the_lock_while_starting_frees_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import regulation
    import shell.daemon

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt  # (building the regulator: the curves' fits, the recorder)

    monkeypatch.setattr(shell.daemon, "Daemon", interrupted)
    config = write_config(tmp_path)
    assert regulation.main(["-c", str(config)]) == 130
    assert "interrupted while starting" in capsys.readouterr().err
    lock = InstanceLock(tmp_path / "status.json.lock")
    lock.acquire()  # (not AlreadyRunning: the interrupted start let it go)
    lock.release()


@pytest.mark.usefixtures("restored_root_logger")
def test_a_log_file_that_cannot_be_opened_at_start_is_one_line_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The config's check judges the log file by its folder's modes; the open itself can still fail (a file system
    # that says writable and is not: root on /proc, a share's faked modes). That was an OSError traceback, exit 1,
    # which the unit's Restart=on-failure ran again every 10 s for ever.
    import errno

    import regulation
    import shell.logsetup

    def refused(path: str, flags: int) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(shell.logsetup, "file_opener", refused)
    config = write_config(tmp_path, extra="\n[logging]\nfile = logs/pyseb.log\n")
    assert regulation.main(["-c", str(config)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err, err
    log_file = tmp_path / "logs" / "pyseb.log"
    assert err.endswith(f"regulation.py: cannot open the log file {log_file} ([logging] file): Permission denied; "
                        "make it writable by this user, or leave [logging] file empty (standard error, the journal "
                        "under systemd)\n"), err
    lock = InstanceLock(tmp_path / "status.json.lock")
    lock.acquire()  # (let go: a second start is not refused as another PySEB)
    lock.release()


def test_log_level_on_the_command_line_in_any_case(tmp_path: Path) -> None:
    # `[logging] level = info` is read in any case, as the seed read it; `--log-level error` was refused
    # ("invalid choice: 'error' (choose from 'DEBUG', ...)").
    checked = run("-c", str(noisy_config(tmp_path)), "--check", "--log-level", "error")
    assert checked.returncode == 0, checked.stderr
    assert "(1 warning, hidden by the log level" in checked.stdout and checked.stderr == ""


def test_log_level_warn_on_the_command_line(tmp_path: Path) -> None:
    # `--log-level warn` was refused ("invalid choice: 'WARN'"): it is Python's own older name for WARNING.
    checked = run("-c", str(noisy_config(tmp_path)), "--check", "--log-level", "warn")
    assert checked.returncode == 0, checked.stderr
    assert "1 warning" in checked.stdout + checked.stderr and "hidden by the log level" not in checked.stdout


@pytest.mark.parametrize(("zone_line", "machine_zone", "said"), [
    ("timezone = Europe/Paris", "America/New_York", "in Europe/Paris ([evaluate] timezone), now "),
    ("", "UTC", "in this machine's zone, UTC, now "),  # (a Pi image left on UTC)
])
def test_check_says_which_zone_the_daily_hours_are_read_in(tmp_path: Path, zone_line: str, machine_zone: str,
                                                           said: str) -> None:
    # A Pi image left on UTC rolled the day and ran the 01:00 check an hour or two off what its French owner expected,
    # and nothing said which zone PySEB read its hours in (found by a bug hunt).
    config = write_config(tmp_path, ("ecs",))
    config.write_text(config.read_text().replace("timezone = Europe/Paris", zone_line))
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(config), "--check"],
                            capture_output=True, text=True, timeout=30, env={**os.environ, "TZ": machine_zone})
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("  clock:")]
    assert f"  clock:       midnight and the daily hours (check_at...) {said}" in line, line
    assert re.search(r"now \d\d:\d\d there \(UTC[+-]\d\d:\d\d\)", line), line
    assert ("to name one, [evaluate] timezone (Europe/Paris...)" in line) is (zone_line == ""), line
    # (the zone of this shell's TZ: a service started by systemd has none, and reads /etc/localtime)
    assert (f"read with this shell's TZ={machine_zone}, which a service started by systemd does not have" in line) \
        is (zone_line == ""), line


def test_check_says_nothing_of_a_tz_the_shell_does_not_have(tmp_path: Path) -> None:
    config = write_config(tmp_path, ("ecs",))
    config.write_text(config.read_text().replace("timezone = Europe/Paris", ""))
    env = {key: value for key, value in os.environ.items() if key != "TZ"}
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(config), "--check"],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("  clock:")]
    assert "in this machine's zone" in line and "TZ=" not in line, line
