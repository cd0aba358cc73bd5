"""`replay` and `tune` say the daemon's warnings of the config they run, on standard error, once a run: a misspelt key
(`[evaluate] setle = 1.3`) was replayed, and tuned, at its default in silence."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.problems import unused_why_elsewhere
from simulation.__main__ import main
from simulation.demo_config import DEMO_TEMPLATE
from tests.replay_days import write_config, write_day, write_trace

ROOT = Path(__file__).resolve().parent.parent
REAL_DAY = ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"
SETLE = "[evaluate] setle: unknown key, ignored (did you mean settle?)"


def _config(directory: Path, evaluate: str = "", sections: str = "") -> Path:
    """The tests' replay config without what the daemon warns of (the period over the meters' pace, Hébert's threshold
    in a closed loop), plus the `evaluate` lines and the `sections` given."""
    config = write_config(directory, "ecs = variable\nradiator = constant\ntowel = unknown")
    text = config.read_text().replace("period = 2.5\n", "").replace("balance_threshold = 20\n", "")
    config.write_text(text.replace("[evaluate]\n", f"[evaluate]\n{evaluate}") + sections)
    return config


def _replay(directory: Path, config: Path) -> int:
    return main(["replay", str(write_trace(directory, [(3000, 500)] * 10)), "-c", str(config)])


def test_a_misspelt_key_is_said_before_the_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _replay(tmp_path, _config(tmp_path, "setle = 1.3\n")) == 0
    out, err = capsys.readouterr()
    assert err == f"warning: {tmp_path / 'config.ini'}: {SETLE}\n"
    assert out.startswith("Replay of ")


def test_the_seed_s_keys_are_named_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (the daemon's summary, pointing at its check of the file: the simulator has no --check)
    config = _config(tmp_path, "ecs_full_capacity = 3\n", "\n[debug]\nsimul_prod = 0\n")
    assert _replay(tmp_path, config) == 0
    assert capsys.readouterr().err == (
        f"warning: {config}: 2 keys that PySEB does not use, ignored: [evaluate] ecs_full_capacity; [debug] "
        f"simul_prod; delete them to silence this ({unused_why_elsewhere(str(config))})\n")


def test_a_clean_config_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _replay(tmp_path, _config(tmp_path)) == 0
    assert capsys.readouterr().err == ""


def test_a_refused_config_says_its_warnings_once_with_its_problems(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # (a typo's "did you mean" may explain a problem: said with it, as the daemon's refusal says it, not twice)
    assert _replay(tmp_path, _config(tmp_path, "setle = 1.3\ngain = lots\n")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "[evaluate] gain" in err and err.count(SETLE) == 1


def test_the_demo_house_s_one_warning_is_its_example_curve(capsys: pytest.CaptureFixture[str]) -> None:
    # docs/simulation.md and docs/your-own-days.md show it above the demo's figures: the demo's heater is believed
    # at a curve PySEB ships on purpose (its real response another), and nothing else of demo.ini is warned of
    assert main(["replay", str(REAL_DAY), "-c", str(DEMO_TEMPLATE), "--from", "12:00", "--to", "12:05"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: {DEMO_TEMPLATE}: [ecs] calibration: ")
    assert "power_calibration_ECS-04.csv is an example PySEB ships, the sweep of another heater" in lines[0]


def test_tune_says_the_user_s_config_s_warnings_once(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # Many replays of variants of the config, some in other processes: the warning once, naming the user's file
    config = _config(tmp_path, "setle = 1.3\n")
    days = [write_day(tmp_path, "steady.csv", [(2000.0, 400.0)] * 30)]
    assert main(["tune", *map(str, days), "-c", str(config), "--set", "evaluate.margin=0,20,50",
                 "--jobs", "2"]) == 0
    out, err = capfd.readouterr()
    assert err.count("setle") == 1 and f"warning: {config}: {SETLE}\n" in err
    assert err.index(SETLE) < err.index("replays") and "setting-" not in err
    assert out.startswith("tune: ")


def test_a_refused_config_s_unused_keys_point_at_the_daemon_s_check(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # (the simulator has no --check: "or --check once the problems above are fixed" sent a user to an option replay
    # refuses)
    config = _config(tmp_path, "gain = lots\n", "\n[debug]\nsimul_prod = 0\n")
    assert _replay(tmp_path, config) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "[evaluate] gain" in err
    assert err.rstrip().endswith(
        f"{config}: 1 key that PySEB does not use, ignored: [debug] simul_prod; delete it to silence this (why, for "
        f"each: docs/migrating-from-the-seed.md, or python3 regulation.py -c {config} --check once the problems above "
        "are fixed)")
