"""Shared set-up of the --check tests (test_robustness_config and its _files and _values files): the text of a
config's problems (ConfigError.render), and lines inserted into a config."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError


def problems_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return info.value.render()


def with_lines(path: Path, after: str, lines: str) -> Path:
    """`lines` inserted after the first line `after` of the config at `path`."""
    text = path.read_text()
    assert after in text
    path.write_text(text.replace(after, after + lines, 1))
    return path
