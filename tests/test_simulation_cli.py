"""The command line: printed figures agree with --log, a plot is drawn, user errors exit 2 without traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.__main__ import main
from simulation.config import read_sim_config
from simulation.demo_config import DEMO_TEMPLATE
from simulation.metrics import format_summary, read_log, summarize
from tests.replay_days import write_config, write_trace

ROOT = Path(__file__).resolve().parent.parent
SUDO = "" if os.geteuid() == 0 else "sudo "  # (root is told apt bare: DietPi has no sudo)
REAL_DAY = ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"


def test_printed_figures_are_recomputed_from_the_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "steps.csv"
    code = main(["replay", str(REAL_DAY), "-c", str(DEMO_TEMPLATE), "--from", "10:00", "--to", "12:00",
                 "--log", str(log)])
    out = capsys.readouterr().out
    assert code == 0
    names, rows = read_log(log)
    assert names == ("ecs", "radiator", "towel") and len(rows) == 3600
    assert format_summary(summarize(names, rows)) in out
    assert "capture" in out and "caused import" in out


def test_plot_is_drawn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "day.png"
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    assert main(["replay", str(trace), "-c", str(config), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("command", ["replay", "report"])
@pytest.mark.parametrize(("name", "message"), [
    ("day.xyz", "day.xyz: '.xyz' is not a format --plot writes; end it with one of .png, .svg"),
    ("day", "day: no image format in the name"),
])
def test_a_plot_matplotlib_cannot_write_is_refused_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str, message: str) -> None:
    # (it used to fail with matplotlib's traceback at the very end, after the whole day's replay)
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    with pytest.raises(SystemExit) as exited:
        main([command, str(trace), "-c", str(config), "--plot", str(tmp_path / name)])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert message in err and "Traceback" not in err and out == ""
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("command", ["replay", "report"])
def test_a_plot_without_matplotlib_is_refused_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    # (it used to replay the whole day and print its figures, then say matplotlib was missing)
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(SystemExit) as exited:
        main([command, str(trace), "-c", str(config), "--plot", str(tmp_path / "day.png")])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert "day.png: drawing needs matplotlib, which is not installed" in err and "requirements-plot.txt" in err
    assert out == "" and "Traceback" not in err and not (tmp_path / "day.png").exists()


@pytest.mark.parametrize(("start", "end", "said"), [("12:00:30", "12:05:15", "12:00:30 to 12:05:15"),
                                                  ("12:00", "12:05", "12:00 to 12:05")])
def test_the_replay_s_header_says_its_span_with_seconds_when_they_are_not_00(
        capsys: pytest.CaptureFixture[str], start: str, end: str, said: str) -> None:
    # (`--from 12:00:30` was said "12:00", as the demo's --start was)
    assert main(["replay", str(REAL_DAY), "-c", str(DEMO_TEMPLATE), "--from", start, "--to", end]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(f": {said}, a period of 2 s")


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "10:30", "--to", "10:10"], "must come at least one period"),
    (["--from", "noon"], "HH:MM"),
    (["--period", "0"], "the period must be > 0"),
    (["--period", "1e-9"], "a meter period of 1e-09 s is under 0.1 s"),  # (was numpy asking for 629 TiB)
])
def test_bad_options_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                            message: str) -> None:
    config = write_config(tmp_path, "radiator = constant")
    trace = write_trace(tmp_path, [(3000, 500)] * 60)
    assert main(["replay", str(trace), "-c", str(config), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_trace_names_file_and_line_without_traceback(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant")
    trace = tmp_path / "bad.csv"
    trace.write_text("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n2022-03-19T10:01:00,12kW,100\n")
    run = subprocess.run([sys.executable, "-m", "simulation", "replay", str(trace), "-c", str(config)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert f"{trace}:3: production_w is not a number: '12kW'" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_bad_config_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable\nheat = relay", "ecs.tank = 5\nradiator.response = x.csv")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    assert main(["replay", str(trace), "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "[equipments] heat: the simulation knows the types" in err
    assert "[simulation] ecs.tank: unknown key (did you mean ecs.tank_wh?)" in err


def test_sim_config_reads_the_demo_template_and_catches_misplaced_keys(tmp_path: Path) -> None:
    config = read_sim_config(DEMO_TEMPLATE)
    assert [(s.name, s.type) for s in config.loads] == [("ecs", "variable"), ("radiator", "constant"),
                                                        ("towel", "unknown")]
    ecs, radiator, towel = config.loads
    assert ecs.response_path is not None and ecs.response_path.name == "power_calibration_ECS-02.csv"
    assert (ecs.tank_wh, radiator.power_w, towel.power_w) == (9000, 1050, 600)
    assert (radiator.payload_on, radiator.payload_off) == ("ON", "OFF")
    from settings.problems import ConfigError

    bad = write_config(tmp_path, "ecs = variable\nradiator = constant", "ecs.power_w = 5\nradiator.tank_wh = -1")
    with pytest.raises(ConfigError) as caught:
        read_sim_config(bad)
    text = caught.value.render()
    assert "[simulation] ecs.power_w: does not apply to a variable load" in text
    assert "[simulation] radiator.tank_wh: must be a number > 0" in text


def test_unusable_response_csv_exits_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "short.csv").write_text("0;0\n30;500\n60;1500\n100;2000\n")
    config = write_config(tmp_path, "ecs = variable", "ecs.response = short.csv")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    assert main(["replay", str(trace), "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'short.csv'}: only 4 distinct percents" in err and "Traceback" not in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_replay_logs_at_the_replayed_time(tmp_path: Path, where: str) -> None:
    # A day replays in seconds: its decisions are stamped with the day's time, not the wall clock's.
    replay_args = ["replay", str(REAL_DAY), "-c", str(DEMO_TEMPLATE), "--from", "12:00", "--to", "12:05"]
    args = ["-v", *replay_args] if where == "before" else [*replay_args, "-v"]
    done = subprocess.run([sys.executable, "-m", "simulation", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    decisions = [line for line in done.stderr.splitlines() if "equipments.base: ecs:" in line]
    assert decisions and all(line.startswith("2022-03-19 12:0") for line in decisions), done.stderr[-2000:]
    # The regulator's first lines, the heater's curve and the regulation, came with today's wall date and time: at
    # the replay's start, the time the regulator is built at.
    first = [line for line in done.stderr.splitlines() if ": ecs: calibration " in line or " regulation: " in line]
    assert len(first) == 2 and all(line.startswith("2022-03-19 12:00:00 INFO ") for line in first), done.stderr[:2000]
    assert "DEBUG" not in done.stderr  # -v: the decisions, not their reasoning


def test_very_verbose_replay_with_a_plot_shows_pyseb_s_reasoning_not_matplotlib_s(tmp_path: Path) -> None:
    # -vv is the decision core's reasoning; matplotlib, imported for --plot, logged 150 lines of its font
    # search at DEBUG in between, stamped with the replayed day's time as if the regulator had said them.
    pytest.importorskip("matplotlib")
    args = ["replay", str(REAL_DAY), "-c", str(DEMO_TEMPLATE), "--from", "12:00", "--to", "12:05",
            "--plot", str(tmp_path / "day.png"), "-vv"]
    done = subprocess.run([sys.executable, "-m", "simulation", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    lines = done.stderr.splitlines()
    assert any(" DEBUG core." in line for line in lines), done.stderr[-2000:]
    assert not [line for line in lines if "matplotlib" in line or " PIL." in line], done.stderr[-2000:]


@pytest.mark.parametrize("which", ["trace", "config", "trace by a link"])
def test_a_log_that_would_overwrite_an_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        which: str) -> None:
    trace = tmp_path / "day.csv"
    trace.write_bytes(REAL_DAY.read_bytes())
    config = tmp_path / "demo.ini"
    config.write_bytes(DEMO_TEMPLATE.read_bytes())
    log = {"trace": trace, "config": config, "trace by a link": tmp_path / "link.csv"}[which]
    if which == "trace by a link":
        log.symlink_to(trace)
    before = trace.read_bytes(), config.read_bytes()
    assert main(["replay", str(trace), "-c", str(config), "--from", "10:00", "--to", "10:10",
                 "--log", str(log)]) == 2
    assert "is the replay's own input" in capsys.readouterr().err
    assert (trace.read_bytes(), config.read_bytes()) == before


@pytest.mark.parametrize("curve", ["power_calibration_ECS-04.csv", "power_calibration_ECS-02.csv"],
                         ids=["its calibration", "its real response"])
def test_a_log_that_would_overwrite_a_curve_the_config_reads_is_refused(tmp_path: Path, curve: str,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # The demo house's heater: believed on ECS-04, really ECS-02 ([simulation] ecs.response). A --log named like
    # either wrote its rows over a measured sweep, and the next replay failed on it.
    (tmp_path / "house").mkdir()
    config = tmp_path / "house" / "demo.ini"
    config.write_bytes(DEMO_TEMPLATE.read_bytes())  # (its curves: ../calibration/...)
    curves = tmp_path / "calibration"
    curves.mkdir()
    for name in ("power_calibration_ECS-04.csv", "power_calibration_ECS-02.csv"):
        (curves / name).write_bytes((DEMO_TEMPLATE.parent.parent / "calibration" / name).read_bytes())
    before = (curves / curve).read_bytes()
    assert main(["replay", str(REAL_DAY), "-c", str(config), "--from", "10:00", "--to", "10:10",
                 "--log", str(curves / curve)]) == 2
    assert "is the replay's own input" in capsys.readouterr().err
    assert (curves / curve).read_bytes() == before


def test_ctrl_c_before_the_command_runs_is_one_line(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A Ctrl-C while the packages were checked and numpy imported (seconds on a Pi Zero, before the demo's broker
    # starts) was a KeyboardInterrupt traceback ending in one of numpy's modules.
    import simulation.__main__ as cli

    def interrupted(needs: tuple[str, ...]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "dependency_problem", interrupted)
    assert main(["demo"]) == 130
    assert capsys.readouterr().err == "\ninterrupted: everything started was stopped\n"


def test_the_matplotlib_hint_fits_the_python_that_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # It said "'sudo apt install python3-matplotlib' or '.venv/bin/pip install ...'" to everyone: apt's package is not
    # seen by the .venv make made (the docs' .venv/bin/python), and a Pi set up with apt has no .venv/bin/pip.
    from shell import deps, plot_file

    venv = tmp_path / ".venv"
    monkeypatch.setattr(deps, "MADE_VENV", venv)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "usr"))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path / "usr"))
    hint = plot_file.matplotlib_missing()  # the system's python3, no .venv: apt's package only
    assert f"'{SUDO}apt install python3-matplotlib'" in hint and ".venv" not in hint
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    hint = plot_file.matplotlib_missing()  # a .venv without it: either, and which Python then
    assert f"'{SUDO}apt install python3-matplotlib'" in hint
    assert "'.venv/bin/pip install -r requirements-plot.txt', then run .venv/bin/python" in hint
    (venv / "lib" / "python3.11" / "site-packages" / "matplotlib").mkdir(parents=True)
    hint = plot_file.matplotlib_missing()  # the .venv has it: run that one
    assert hint.endswith("; this checkout's .venv has it: run .venv/bin/python instead of python3")
    monkeypatch.setattr(sys, "prefix", str(venv))  # the .venv's own python: apt cannot help it
    hint = plot_file.matplotlib_missing()
    assert "'.venv/bin/pip install -r requirements-plot.txt'" in hint and "apt" not in hint
    other = tmp_path / "own-venv"
    monkeypatch.setattr(sys, "prefix", str(other))  # a venv of its own (pip install .): its pip
    hint = plot_file.matplotlib_missing()
    assert f"'{other / 'bin' / 'pip'} install matplotlib'" in hint and "apt" not in hint


def test_the_simulated_heater_reads_the_curve_the_daemon_loads(tmp_path: Path) -> None:
    # config.ini.sample's `calibration = calibration/power_calibration_ECS-04.csv`, in a copy without that folder: the
    # daemon loads the example PySEB ships; the simulator had its own rule and said "no such file".
    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text().replace("calibration = linear.csv",
                                                 "calibration = calibration/power_calibration_ECS-04.csv"))
    ecs, = read_sim_config(config).loads
    shipped = Path(__file__).resolve().parent.parent / "calibration" / "power_calibration_ECS-04.csv"
    assert ecs.response_path == shipped


def test_watts_over_max_meter_power_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A trace in milliwatts (or a site over 30 kW): every reading refused by the regulator as a glitch, and replay and
    # tune gave their 0 % figures without a word on why.
    trace = write_trace(tmp_path, [(3_000_000.0, 500_000.0)] * 30)
    config = write_config(tmp_path, "ecs = variable")
    assert main(["replay", str(trace), "-c", str(config)]) == 0
    said = (f"{trace}: 30 of 30 rows pass [evaluate] max_meter_power (30000 W; up to 3000000 W): the regulator "
            "refuses such readings as a meter's glitches; milliwatts?")
    assert said in capsys.readouterr().out
    assert main(["tune", str(trace), "-c", str(config), "--set", "evaluate.margin=0,10", "--jobs", "1"]) == 0
    assert said in capsys.readouterr().out
    normal = write_trace(tmp_path, [(3000.0, 500.0)] * 30)
    assert main(["replay", str(normal), "-c", str(config)]) == 0
    assert "max_meter_power" not in capsys.readouterr().out
