"""The tools' command lines read alike: the same words for a missing subcommand and a missing file, a
description for every subcommand, --version on each, and help text as printed (no '%%')."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from calibration.cli import build_parser
from simulation.__main__ import _parser

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {"calibration": build_parser, "simulation": _parser}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_missing_subcommand_reads_the_same(tool: str) -> None:
    result = run("-m", tool)
    assert result.returncode == 2
    names = ",".join(subcommands(TOOLS[tool]()))
    assert result.stderr.strip().endswith(f"error: the following arguments are required: {{{names}}}")


def test_missing_file_reads_the_same() -> None:
    fit = run("-m", "calibration", "fit", "nope.csv")
    replay = run("-m", "simulation", "replay", "nope.csv", "-c", "config.ini.sample")
    assert fit.returncode == replay.returncode == 2
    assert fit.stderr.strip() == "error: nope.csv: calibration file not found"
    # (after the sample's own warnings, the daemon's, which a replay says first: its heater's example curve)
    *warned, error = replay.stderr.strip().splitlines()
    assert error == "error: nope.csv: trace file not found"
    assert all(line.startswith("warning: config.ini.sample: ") for line in warned)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_every_subcommand_is_described_and_help_prints_clean(tool: str) -> None:
    for name, sub in subcommands(TOOLS[tool]()).items():
        assert sub.description, f"{tool} {name} has no description"
        text = sub.format_help()
        assert "%%" not in text and "%(" not in text, f"{tool} {name}"


@pytest.mark.parametrize("command", [("-m", "calibration"), ("-m", "simulation"), ("regulation.py",)])
def test_version_on_each_tool(command: tuple[str, ...]) -> None:
    result = run(*command, "--version")
    assert result.returncode == 0 and result.stdout.strip() == "PySEB 0.3.0"


# Every option that takes a number, with the arguments its command needs besides (a number is read when the
# command line is, before any file is looked at).
NUMBER_OPTIONS = {
    ("calibration", "fit"): (["c.csv"], ["--degree", "--min-power"]),
    ("calibration", "sweep"): (["--equipment", "ecs"],
                               ["--start", "--stop", "--step", "--first-settle", "--settle", "--readings",
                                "--end-percent", "--meter-timeout", "--availability-wait"]),
    ("calibration", "lag"): (["--equipment", "ecs"],
                             ["--trials", "--low", "--high", "--hold", "--meter-timeout", "--availability-wait"]),
    ("simulation", "replay"): (["t.csv"], ["--period"]),
    ("simulation", "tune"): (["d"], ["--max-switches", "--max-import-wh", "--period", "--jobs"]),
    ("simulation", "demo"): ([], ["--minutes", "--speed"]),
}
NUMBER_CASES = [(tool, command, option) for (tool, command), (_, options) in NUMBER_OPTIONS.items()
                for option in options]
WHOLE_OPTIONS = {"--degree", "--readings", "--jobs", "--trials", "--hold"}
# Not numbers: the types that read paths, the --plot and --log files, the log level.
OTHER_TYPES = {None, Path}


def test_the_number_options_listed_are_every_one() -> None:
    """An option added with a type of its own is listed above, and so checked below; float and int read
    '0_5' as 5 and full-width digits as ASCII ones, and are used by no option."""
    from shell.plot_file import output_file_folder_later, plot_file, plot_file_folder_later

    found = set()
    for tool, build in TOOLS.items():
        for command, sub in subcommands(build()).items():
            for action in sub._actions:
                assert action.type not in (float, int), f"{tool} {command} {action.option_strings}: type={action.type}"
                if action.type not in OTHER_TYPES | {plot_file, plot_file_folder_later, output_file_folder_later}:
                    found.add((tool, command, action.option_strings[-1]))
    assert found == set(NUMBER_CASES)


@pytest.mark.parametrize(("tool", "command", "option"), NUMBER_CASES)
@pytest.mark.parametrize("text", ["0_5", "\uff150", "\u0665", "5\u00a0", "1_000.5", "0x10", "five"])
def test_a_number_option_takes_ascii_digits_only(capsys: pytest.CaptureFixture[str], tool: str, command: str,
                                                 option: str, text: str) -> None:
    """`--step 0_5` was --step 5, `--start ５0` (full-width) --start 50: refused as argparse refuses, naming
    the option and saying why."""
    needed, _ = NUMBER_OPTIONS[(tool, command)]
    with pytest.raises(SystemExit) as stopped:
        TOOLS[tool]().parse_args([command, *needed, option, text])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert re.match(rf"python3 -m {tool} {command}: error: argument (-\w/)?{option}: ", last), err
    assert repr(text) in last and "not a" in last and "number" in last, err
    assert ("no '_'" in last) == ("_" in text), err


@pytest.mark.parametrize(("tool", "command", "option"), NUMBER_CASES)
def test_a_number_option_reads_plain_digits(tool: str, command: str, option: str) -> None:
    """Digits, a sign, ASCII spaces around: read as before (a whole number for the counts)."""
    needed, _ = NUMBER_OPTIONS[(tool, command)]
    dest = next(a.dest for a in subcommands(TOOLS[tool]())[command]._actions if option in a.option_strings)
    kind = int if option in WHOLE_OPTIONS else float
    for text, value in (("2", 2), (" 3 ", 3), ("+4", 4)):
        parsed = getattr(TOOLS[tool]().parse_args([command, *needed, option, text]), dest)
        assert parsed == value and type(parsed) is kind, (option, text, parsed)
