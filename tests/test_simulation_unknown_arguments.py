"""An argument a command does not take is refused by that command, with its own usage line: `tune ... --set
evaluate.margin=10, 20` (a space after the comma) and `report ... --plott day.png` were refused with the usage of
`python3 -m simulation` alone, which names none of the command's options."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.__main__ import main


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_tune_refuses_with_its_own_usage_and_says_how_set_takes_values(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["tune", str(tmp_path), "--set", "evaluate.margin=10,", "20"], capsys)
    assert err.startswith("usage: python3 -m simulation tune ")
    assert "python3 -m simulation tune: error: unrecognized arguments: 20" in err
    assert "--set takes its values joined by commas, without spaces (--set evaluate.margin=0,10,20)" in err


def test_report_refuses_a_misspelt_option_with_its_own_usage(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["report", str(tmp_path), "--plott", "day.png"], capsys)
    assert err.startswith("usage: python3 -m simulation report ") and "[--plot PNG]" in err
    assert "unrecognized arguments: --plott day.png" in err and "--set" not in err


def test_replay_and_demo_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(["replay", "day.csv", "--form", "08:00"], capsys).startswith("usage: python3 -m simulation replay ")
    assert refused(["demo", "--speeed", "10"], capsys).startswith("usage: python3 -m simulation demo ")
