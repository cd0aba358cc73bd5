"""bench/replay.py: figures against the goal, exit 0 (a missed goal is a figure); --strict exits 1 then; the goal
judged on the ratio to the reference code when its history is here, on the seconds when not."""

from __future__ import annotations

import importlib.util
import subprocess
import tarfile
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
    assert bench.main(["--runs", "2", "--no-reference", *(["--strict"] if strict else [])]) == code
    out = capsys.readouterr().out
    assert out.rstrip().endswith(verdict)


def test_runs_must_be_positive() -> None:
    with pytest.raises(SystemExit) as exited:
        _bench().main(["--runs", "0"])
    assert exited.value.code == 2


def _fake_replay(took_s: float) -> Any:
    def fake(*args: Any, **kwargs: Any) -> SimpleNamespace:
        time.sleep(took_s)
        return SimpleNamespace(rows=[None] * 100, names=("a",))
    return fake


@pytest.mark.parametrize(("reference_s", "verdict"), [(0.2, "goal <= 1 (never slower): met"),
                                                      (0.005, "goal <= 1 (never slower): MISSED")])
def test_the_goal_is_the_ratio_to_the_reference_alternated(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                           reference_s: float, verdict: str) -> None:
    bench = _bench()
    order: list[str] = []
    monkeypatch.setattr(bench, "extract", lambda rev, into: tmp_path)

    def replay(*args: Any, **kwargs: Any) -> SimpleNamespace:
        order.append("today")
        return _fake_replay(0.01)()

    def reference(tree: Path) -> float:
        assert tree == tmp_path
        order.append("reference")
        return reference_s

    monkeypatch.setattr(bench, "replay", replay)
    assert bench.main(["--runs", "2", "--strict"], reference_run=reference) == (0 if "met" in verdict else 1)
    # (then once more, the simulator alone)
    assert order == ["reference", "today", "reference", "today", "today"]
    out = capsys.readouterr().out
    assert f"best {reference_s:.3f} s" in out
    assert out.rstrip().endswith(verdict)
    ratio = float(out.split(" of the reference's")[0].rsplit(" ", 1)[1])
    assert ratio >= 0.01 / reference_s - 0.005  # today's best over the reference's (a sleep lasts at least its time)


def test_without_the_reference_history_the_seconds_judge(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    monkeypatch.setattr(bench, "replay", _fake_replay(0.01))
    assert bench.main(["--runs", "1", "--reference", "0" * 40]) == 0
    out = capsys.readouterr().out
    # (the reason is git's: the commit unknown here, or no git at all)
    assert "no reference: " in out and "; the goal is judged on the seconds" in out
    assert out.rstrip().endswith("goal <= 1.8 s on the dev machine (aim 1 s): met")


def test_the_reference_is_its_own_benchmark_run_from_its_commit(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _bench()
    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    # The reference's script as the old one was: its own figures, exit 1 for its own missed goal.
    (repo / "bench" / "replay.py").write_text(
        "import sys\nprint('replay of the day: best 1.234 s, median 1.300 s; goal <= 1 s: MISSED')\nsys.exit(1)\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "then"], check=True)
    (repo / "bench" / "replay.py").write_text("print('best 9.9 s')\n")  # (the work tree moved on)
    tree = bench.extract("HEAD", tmp_path / "tree", repo=repo)
    assert bench.reference_run_s(tree) == 1.234
    # A Python without tarfile's data filter (Debian 12's 3.11.2) extracts it too.
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    assert (bench.extract("HEAD", tmp_path / "plain", repo=repo) / "bench" / "replay.py").is_file()
    (tree / "bench" / "replay.py").write_text("raise SystemExit('boom')\n")
    with pytest.raises(bench.ReferenceUnavailable, match="printed no time: boom"):
        bench.reference_run_s(tree)


def test_another_reference_is_not_called_the_code_of_issue_8(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # --reference e3a16dd (to see what a day's changes cost) printed "the reference (e3a16dd, the code when issue
    # 8 was filed)": only the default commit is that.
    bench = _bench()
    monkeypatch.setattr(bench, "extract", lambda rev, into: tmp_path)
    monkeypatch.setattr(bench, "replay", _fake_replay(0.01))
    assert bench.main(["--runs", "1", "--reference", "e3a16dd"], reference_run=lambda tree: 0.2) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("the reference"))
    assert line.startswith("the reference (e3a16dd), alternated with it: ") and "issue 8" not in line
    assert bench.main(["--runs", "1"], reference_run=lambda tree: 0.2) == 0
    assert f"the reference ({bench.REFERENCE}, the code when issue 8 was filed)" in capsys.readouterr().out
