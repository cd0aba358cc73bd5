"""bench/replay.py: figures against the goal, exit 0 (a missed goal is a figure); --strict exits 1 then."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the file as the command line runs it.
    spec = importlib.util.spec_from_file_location("bench_replay", ROOT / "bench" / "replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("goal_s", "strict", "code", "verdict"),
                         [(60.0, False, 0, "met"), (0.001, False, 0, "MISSED"), (60.0, True, 0, "met"),
                          (0.001, True, 1, "MISSED")])
def test_a_missed_goal_is_a_figure_unless_strict(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str], goal_s: float, strict: bool,
                                                 code: int, verdict: str) -> None:
    bench = _bench()

    def slow_replay(*args: Any, **kwargs: Any) -> SimpleNamespace:
        time.sleep(0.01)  # 10 ms: well over the 1 ms goal, well under the 60 s one
        return SimpleNamespace(rows=[None] * 100, names=("a",))

    monkeypatch.setattr(bench, "replay", slow_replay)
    monkeypatch.setattr(bench, "GOAL_S", goal_s)
    assert bench.main(["--runs", "2", *(["--strict"] if strict else [])]) == code
    out = capsys.readouterr().out
    assert out.rstrip().endswith(verdict)


def test_runs_must_be_positive() -> None:
    with pytest.raises(SystemExit) as exited:
        _bench().main(["--runs", "0"])
    assert exited.value.code == 2
