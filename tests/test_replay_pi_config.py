"""The owner's config copied from the Pi to a laptop, to replay, tune or report a recorded day there: the files only
the running daemon opens (TLS certificates, the status file, the log, the records folder) are not on the laptop, and
the tools open none of them. They refused such a config ("[mqtt] ca_file: /etc/pyseb/ca.crt does not exist"); the
daemon still does."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from simulation.__main__ import main
from tests.replay_days import write_config, write_recorded_day, write_trace


@pytest.fixture
def pi_config(tmp_path: Path) -> Path:
    """What the Pi has and the laptop does not: the broker's CA, and a log in a folder that cannot be made here (its
    parent is a file: no user, root included, can write it)."""
    config = write_config(tmp_path, "ecs = variable")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    text = config.read_text().replace("[mqtt]\n", "[mqtt]\ntls = true\n" f"ca_file = {tmp_path / 'etc'}/ca.crt\n", 1)
    config.write_text(text + f"\n[logging]\nfile = {blocked}/pyseb.log\n\n[record]\ndir = records\n")
    return config


def test_the_daemon_still_refuses_the_config(pi_config: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(pi_config)
    said = str(refused.value)
    assert "[mqtt] ca_file" in said and "does not exist" in said and "[logging] file" in said


def test_replay_takes_it(pi_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = write_trace(pi_config.parent, [(3000, 500)] * 10)
    assert main(["replay", str(trace), "-c", str(pi_config)]) == 0
    out, err = capsys.readouterr()
    assert "capture" in out and "error" not in err


def test_tune_takes_it(pi_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = write_trace(pi_config.parent, [(3000, 500)] * 10)
    assert main(["tune", str(trace), "-c", str(pi_config), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
    out, err = capsys.readouterr()
    assert "best:" in out and "error" not in err


def test_report_finds_a_date_through_it(pi_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_recorded_day(pi_config.parent / "records", "2026-06-01", 10)
    assert main(["report", "2026-06-01", "-c", str(pi_config)]) == 0
    assert "Report of " in capsys.readouterr().out
