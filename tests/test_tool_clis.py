"""The tools' command lines read alike: the same words for a missing subcommand and a missing file, a
description for every subcommand, --version on each, and help text as printed (no '%%')."""

from __future__ import annotations

import argparse
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
    assert replay.stderr.strip() == "error: nope.csv: trace file not found"


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
