"""The sweep's files: measured into `<name>.partial.csv`, the CSV only once complete, backups never clobbered,
one sweep a file and a variator at a time (its lock). Files left behind, resumed or refused:
test_calibration_sweep_resume."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from calibration.sweep_files import SweepFiles, backup_path, partial_path_for
from calibration.sweep_link import SweepError
from localbroker import PrivateBroker, free_port
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import (
    AVAILABILITY,
    CMD,
    FAST,
    ROOT,
    SimulatedLoad,
    delivered,
    partial,
    rows,
    sweep,
    write_config,
)

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)

OLD = "100.0;2300.00\n99.5;2290.00\n"


def test_partial_names_are_never_the_ones_the_daemon_loads() -> None:
    assert partial_path_for(Path("c/power_calibration_ECS.csv")) == Path("c/power_calibration_ECS.partial.csv")
    assert partial_path_for(Path("c/sweep")) == Path("c/sweep.partial.csv")


def test_a_backup_never_overwrites_an_older_one(tmp_path: Path) -> None:
    csv = tmp_path / "power_calibration_ecs.csv"
    first = backup_path(csv, now=1_700_000_000.0)
    assert first.name.startswith("power_calibration_ecs.csv.") and first.suffix == ".bak"
    first.write_text("older")
    second = backup_path(csv, now=1_700_000_000.0)  # the same second
    assert second != first
    second.write_text("old")
    assert backup_path(csv, now=1_700_000_000.0) not in (first, second)


def test_overwrite_refused_by_an_online_regulator_leaves_the_old_csv_alone(
        broker: PrivateBroker, probe: MqttProbe, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe.publish(AVAILABILITY, "online", retain=True)
    csv = tmp_path / "power_calibration_ecs.csv"
    csv.write_text(OLD)
    assert sweep(write_config(tmp_path, broker.port), csv, "--overwrite") == 2
    assert "the regulator is online" in capsys.readouterr().err
    assert csv.read_text() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", "power_calibration_ecs.csv",
                                                           "power_calibration_ecs.log"]
    assert delivered(probe).on(CMD) == []


def test_overwrite_with_the_broker_unreachable_leaves_the_old_csv_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "power_calibration_ecs.csv"
    csv.write_text(OLD)
    assert sweep(write_config(tmp_path, free_port()), csv, "--overwrite") == 2
    assert "cannot connect to the broker" in capsys.readouterr().err
    assert csv.read_text() == OLD and not list(tmp_path.glob("*.bak")) and not partial(csv).exists()


def test_each_overwrite_keeps_its_own_backup(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                             tmp_path: Path) -> None:
    config = write_config(tmp_path, broker.port)
    csv = tmp_path / "ecs_sweep.csv"  # (a partial sweep: not into the file the regulator loads)
    csv.write_text(OLD)
    assert sweep(config, csv, "--overwrite", "--start", "20") == 0
    second_old = csv.read_text()
    assert sweep(config, csv, "--overwrite", "--start", "20") == 0
    backups = sorted(tmp_path.glob("ecs_sweep.csv.*.bak"))
    assert len(backups) == 2
    assert sorted(b.read_text() for b in backups) == sorted([OLD, second_old])


def test_a_stopped_sweep_is_not_restarted_silently(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                                   tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, broker.port)
    csv = tmp_path / "power_calibration_ecs.csv"
    partial(csv).write_text(OLD)
    assert sweep(config, csv) == 2
    assert (f"{partial(csv)} holds a stopped sweep, 2 steps (down to 99.5 %): --resume continues it, "
            f"--overwrite starts again") in capsys.readouterr().err
    assert delivered(probe).on(CMD) == []
    assert sweep(config, csv, "--overwrite", "--start", "20") == 0
    assert [p for p, _ in rows(csv)] == [20.0, 10.0, 0.0] and not partial(csv).exists()
    (backup,) = tmp_path.glob("power_calibration_ecs.partial.csv.*.bak")
    assert backup.read_text() == OLD


def test_a_sweep_stopped_before_its_first_step_leaves_no_file(broker: PrivateBroker, probe: MqttProbe,
                                                               load: SimulatedLoad, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # The partial file is made when the sweep really starts: one stopped before its first step left it empty, the
    # next sweep moved it aside, and every such stop added an empty .partial.csv.*.bak to the folder.
    config = write_config(tmp_path, broker.port)
    csv = tmp_path / "power_calibration_ecs.csv"
    load.silent_from_percent = 100.0  # (the meter silent from the first step: stopped after --meter-timeout)
    for _ in range(2):
        assert sweep(config, csv) == 1
        assert "nothing measured yet" in capsys.readouterr().err.lower()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", "power_calibration_ecs.log"]
    assert csv.with_suffix(".log").read_text().count(f"removed {partial(csv)}: no step measured") == 2


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]], ids=["plain", "overwrite"])
def test_an_empty_partial_file_left_is_removed_not_kept(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                                        tmp_path: Path, overwrite: list[str]) -> None:
    # (a sweep killed before its first step, or an older version's stop; a file with bytes in it, a power cut's
    # zeros, is still kept as a .bak: test_overwrite_measures_again_over_files_that_no_longer_parse)
    csv = tmp_path / "power_calibration_ecs.csv"
    partial(csv).write_bytes(b"")
    assert sweep(write_config(tmp_path, broker.port), csv, "--start", "20", *overwrite) == 0
    assert [p for p, _ in rows(csv)] == [20.0, 10.0, 0.0] and not partial(csv).exists()
    assert not list(tmp_path.glob("*.bak"))
    assert f"removed {partial(csv)}: no step measured" in csv.with_suffix(".log").read_text()


@pytest.mark.parametrize("flag", ["--resume", "--overwrite"])
def test_a_second_sweep_of_the_same_file_is_refused(broker: PrivateBroker, probe: MqttProbe, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str], flag: str) -> None:
    # The first still runs (in a tmux window, say) when the hint of an older stop is followed: both drove the
    # variator and wrote their steps into one file (--resume), or the second moved the first's file aside while
    # it went on measuring into it (--overwrite).
    csv = tmp_path / "power_calibration_ecs.csv"
    partial(csv).write_text(OLD)
    with open(partial(csv), "a", encoding="utf-8") as running:
        fcntl.flock(running.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # what the running sweep holds
        assert sweep(write_config(tmp_path, broker.port), csv, flag) == 2
    assert f"another sweep is measuring into {partial(csv)}" in capsys.readouterr().err
    assert delivered(probe).on(CMD) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", partial(csv).name]
    assert partial(csv).read_text() == OLD


def test_a_sweep_holds_its_partial_file_while_it_measures(tmp_path: Path) -> None:
    files = SweepFiles(tmp_path / "power_calibration_ecs.csv", resume=True)
    with files.open_partial(), pytest.raises(SweepError, match="another sweep is measuring into"):
        SweepFiles(files.final, resume=True).check()
    assert SweepFiles(files.final, overwrite=True).check() == []  # let go once closed


def test_a_second_sweep_of_the_same_variator_into_another_file_is_refused(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Each held a lock on its own partial file only: two sweeps of one variator into two files drove it together,
    # each writing the other's steps as its own.
    config = write_config(tmp_path, broker.port)
    first = tmp_path / "first.csv"
    proc = subprocess.Popen([sys.executable, "-m", "calibration", "sweep", "-c", str(config), "--equipment", "ecs",
                             "--output", str(first), *FAST, "--settle", "30", "--meter-timeout", "60"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        probe.wait_for(CMD, lambda m: m.text == "90.0", timeout_s=60)
        mark = probe.mark()
        second = tmp_path / "second.csv"
        assert sweep(config, second) == 2
        err = capsys.readouterr().err
        assert f"another sweep (pid {proc.pid}) is driving {CMD}" in err, err
        assert f"measuring into {partial(first)}" in err, err
        assert [m.text for m in delivered(probe).messages[mark:] if m.topic == CMD] == []
        assert not second.exists() and not partial(second).exists()
    finally:
        proc.terminate()
        _, first_err = proc.communicate(timeout=30)
    assert proc.returncode == 1, first_err  # (stopped by SIGTERM, its steps kept)
    assert [p for p, _ in rows(partial(first))] == [100.0]


@pytest.mark.parametrize("other_name", ["127.0.0.1", "LocalHost", "localhost.", "::1", "[::1]", "ip6-localhost",
                                        "127.0.1.1", "::ffff:127.0.0.1"])
def test_the_variator_lock_takes_every_name_of_this_machine_s_loopback_for_one(tmp_path: Path,
                                                                              other_name: str) -> None:
    # The key was the broker's name as typed: one sweep on `localhost`, another on `127.0.0.1`, the same broker and
    # the same variator, each got its own lock, and both drove the variator at once. Only loopback names are taken
    # together (a name is never looked up: no DNS).
    from calibration.sweep_config import load_sweep_target
    from calibration.sweep_files import hold_variator, variator_lock_path

    config = write_config(tmp_path, 1883)
    config.write_text(config.read_text().replace("broker_ip = 127.0.0.1", "broker_ip = localhost"))
    first = load_sweep_target(config, "ecs")
    other = replace(first, host=other_name)
    assert variator_lock_path(other) == variator_lock_path(first)
    held = hold_variator(first, tmp_path / "first.partial.csv")
    try:
        with pytest.raises(SweepError, match=r"another sweep \(pid \d+\) is driving"):
            hold_variator(other, tmp_path / "second.partial.csv")
    finally:
        held.release()
    assert variator_lock_path(replace(first, port=1884)) != variator_lock_path(first)
    assert variator_lock_path(replace(first, host="192.168.1.10")) != variator_lock_path(first)
    lan = replace(first, host="broker.lan")
    assert variator_lock_path(replace(lan, host="Broker.LAN.")) == variator_lock_path(lan)


def test_the_machine_s_own_name_is_its_loopback_for_the_variator_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Debian's /etc/hosts gives the machine's own name 127.0.1.1: `broker_ip = raspberrypi` in one config and
    # `localhost` in another are the same broker, and got two locks.
    import socket

    from calibration.sweep_files import broker_key

    monkeypatch.setattr(socket, "gethostname", lambda: "RaspberryPi")
    assert broker_key("raspberrypi") == broker_key("RASPBERRYPI.") == broker_key("localhost")
    assert broker_key("otherpi") != broker_key("localhost")
