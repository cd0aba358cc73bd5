"""The dependency check: without paho-mqtt, or numpy for a config with a variable load fitted by `poly` (or with too
old ones), regulation.py says which and how to install it in one line, exit 2, also for --check; --help and --version
need neither, and a config with relays only, or variators of the default robust fit, needs no numpy."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shell.deps import _version, dependency_problem, python_problem
from tests.configs import write_config

ROOT = Path(__file__).resolve().parent.parent
# What a command to run as root starts with, as this test run is told it (root, as in CI: bare; a user: sudo)
SUDO = "" if os.geteuid() == 0 else "sudo "
pytestmark = pytest.mark.debian


def run(*args: str, fake_site: Path | None = None) -> subprocess.CompletedProcess[str]:
    """regulation.py with no site-packages at all (-S: only the standard library, as on a bare Pi), plus
    `fake_site` on the path when given."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(fake_site) if fake_site else ""}
    return subprocess.run([sys.executable, "-S", str(ROOT / "regulation.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=30)


def fake_packages(directory: Path, paho: str | None, numpy: str | None) -> Path:
    if paho is not None:
        (directory / "paho" / "mqtt").mkdir(parents=True)
        (directory / "paho" / "__init__.py").write_text("")
        (directory / "paho" / "mqtt" / "__init__.py").write_text(f"__version__ = {paho!r}\n")
    if numpy is not None:
        (directory / "numpy").mkdir()
        (directory / "numpy" / "__init__.py").write_text(f"__version__ = {numpy!r}\n")
    return directory


def test_help_and_version_without_the_packages() -> None:
    assert run("--help").returncode == 0 and "--check" in run("--help").stdout
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("PySEB ")


@pytest.mark.parametrize("args", [("-c", "config.ini.sample"), ("-c", "config.ini.sample", "--check")])
def test_missing_paho_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "paho-mqtt" in lines[0] and f"'{SUDO}apt install python3-paho-mqtt" in lines[0]
    assert "'make venv' (makes this checkout's .venv with the packages" in lines[0]


def _poly_variator(directory: Path) -> Path:
    """A config whose variable load is fitted by `poly` (numpy's polyfit; the default robust fit is plain Python)."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_config(directory, ("radiator", "ecs"), extra="fit = poly\n")  # (the last section's: [ecs])


def test_missing_numpy_named_for_a_poly_fitted_variable_load(tmp_path: Path) -> None:
    result = run("-c", str(_poly_variator(tmp_path)), "--check",
                 fake_site=fake_packages(tmp_path / "site", "1.6.1", None))
    assert result.returncode == 2 and "PySEB needs numpy, which is not installed" in result.stderr
    assert "python3-numpy" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_robust_variator_needs_no_numpy(tmp_path: Path) -> None:
    # (config.ini.sample's first load is a variator, fitted by default: in plain Python, numpy being 15 MB of the
    # daemon's memory; the check asked for numpy all the same)
    result = run("-c", "config.ini.sample", "--check", fake_site=fake_packages(tmp_path, "1.6.1", None))
    assert result.returncode == 0 and "needs numpy" not in result.stderr, result.stderr
    assert result.stdout.startswith("config.ini.sample: OK")


def test_relays_only_need_no_numpy(tmp_path: Path) -> None:
    # numpy is imported only to fit a variable load's curve: a daemon with relays only started without it, yet the
    # check refused it for a package it never loads.
    relays = write_config(tmp_path, ("radiator", "small"))
    result = run("-c", str(relays), "--check", fake_site=fake_packages(tmp_path / "site", "1.6.1", None))
    assert result.returncode == 0 and "numpy" not in result.stderr
    assert result.stdout.startswith(f"{relays}: OK")


def test_too_old_versions_named(tmp_path: Path) -> None:
    old_paho = run("-c", "config.ini.sample", "--check", fake_site=fake_packages(tmp_path / "a", "1.5.1", "1.24.2"))
    assert old_paho.returncode == 2 and "paho-mqtt >= 1.6.1, found 1.5.1" in old_paho.stderr
    old_numpy = run("-c", str(_poly_variator(tmp_path / "poly")), "--check",
                    fake_site=fake_packages(tmp_path / "b", "1.6.1", "1.19.5"))
    assert old_numpy.returncode == 2 and "numpy >= 1.24, found 1.19.5" in old_numpy.stderr


def test_the_installed_versions_pass() -> None:
    assert dependency_problem() is None


def test_version_parsing() -> None:
    assert _version("2.2.0") == (2, 2, 0) and _version("1.24.4") == (1, 24, 4)
    assert _version("2.0.0rc2") == (2, 0, 0) and _version("1.26.0.dev0") == (1, 26, 0) and _version("") == ()
    assert _version("1.6.1") >= (1, 6, 1) > _version("1.6.0")


def test_a_python_older_than_3_10_is_one_line_not_a_traceback() -> None:
    assert python_problem() is None  # (the one running the tests)
    problem = python_problem((3, 9, 18))  # Raspberry Pi OS bullseye's
    assert problem is not None and "needs Python 3.10 or newer, this is 3.9.18" in problem
    assert "\n" not in problem and python_problem((3, 10, 0)) is None


def _imported_at_load(name: str) -> set[str]:
    """`name` (a file of the project) and the project's files it imports as it loads, and they in turn: the imports
    of a module's body (not those inside a function, nor under `if TYPE_CHECKING:`), each package's __init__.py."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        tree = ast.parse((ROOT / current).read_text(encoding="utf-8"), filename=current)
        for node in tree.body:
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                       else [])
            for module in modules:
                parts = module.split(".")
                for depth in range(1, len(parts) + 1):
                    for candidate in ("/".join(parts[:depth]) + "/__init__.py", "/".join(parts[:depth]) + ".py"):
                        if (ROOT / candidate).is_file():
                            todo.append(candidate)
    return seen


@pytest.mark.parametrize(("entry", "oldest"), [("regulation.py", (3, 7)), ("simulation/__main__.py", (3, 8))])
def test_what_runs_before_the_python_check_parses_on_old_pythons(entry: str, oldest: tuple[int, int]) -> None:
    # The entry points (their check runs in main()) and what they import as they load must get as far as saying "too
    # old" on a bullseye Pi (3.9), and the daemon on buster's 3.7: no syntax and no dataclass(slots=True) from 3.10
    # on that path. A fixed list of files missed regulation.py's and simulation's import of settings.ini_file
    # (settings.problems' dataclasses): a traceback on 3.9, exit 1. (`python3 -m calibration` checks before it
    # imports anything of its own.)
    files = _imported_at_load(entry)
    assert "settings/version.py" in files
    for name in sorted(files):
        source = (ROOT / name).read_text(encoding="utf-8")
        ast.parse(source, filename=name, feature_version=oldest)
        assert "slots=True" not in source, name


def test_the_make_check_of_the_python_parses_on_old_pythons() -> None:
    # `make check PYTHON=python3.6` (or 2.7) printed a SyntaxError: the whole file is compiled before it runs,
    # and PySEB's modules use annotations a Python before 3.7 cannot read. The check comes first, in old syntax.
    name = "scripts/check-python.py"
    source = (ROOT / name).read_text(encoding="utf-8")
    ast.parse(source, filename=name, feature_version=(3, 4))  # (no f-string: 3.6; Python 2's print is checked below)
    assert "print(" not in source.split("\"\"\"", 2)[2]  # (after the docstring)
    first_import = source.index("from shell")
    assert source.index("sys.version_info < (3, 7)") < first_import


def test_every_missing_or_old_package_is_named_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # One at a time, a user installed paho-mqtt, ran the demo again, and only then heard of numpy.
    from shell import deps

    (tmp_path / "Makefile").touch()  # (a checkout, its .venv not made; the system's Python)
    monkeypatch.setattr(deps, "MADE_VENV", tmp_path / ".venv")
    monkeypatch.setattr(sys, "prefix", "/usr")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(deps, "_installed_version", lambda dep: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # (a user: root is told without sudo, below)
    assert dependency_problem(("paho-mqtt", "numpy")) == (
        "PySEB needs paho-mqtt and numpy, which are not installed: install them with 'sudo apt install "
        "python3-paho-mqtt python3-numpy' (Debian, Raspberry Pi OS) or 'make venv' (makes this checkout's .venv with "
        "the packages, then run .venv/bin/python)")
    monkeypatch.setattr(deps, "_installed_version", lambda dep: "1.21.0" if dep.pip_name == "numpy" else None)
    said = dependency_problem(("paho-mqtt", "numpy"))
    assert said is not None and said.startswith("PySEB needs numpy >= 1.24, found 1.21.0; paho-mqtt, which is not "
                                                "installed: install them with 'sudo apt install python3-numpy "
                                                "python3-paho-mqtt'"), said
    # Root (DietPi logs in as root and has no sudo: told 'sudo apt install ...', "sudo: command not found")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    said = dependency_problem(("paho-mqtt",))
    assert said is not None and "install it with 'apt install python3-paho-mqtt'" in said, said
    # The checkout's .venv itself without them (apt does not reach it)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / ".venv"))
    monkeypatch.setattr(deps, "_installed_version", lambda dep: None)
    assert dependency_problem(("numpy",)) == ("PySEB needs numpy, which is not installed: install it into this "
                                              "checkout's .venv with 'make venv'")


def test_a_virtualenv_of_one_s_own_is_told_its_pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # (`pip install .` into a venv of one's own: apt does not reach it, and there is no checkout to run make in)
    from shell import deps

    monkeypatch.setattr(deps, "_installed_version", lambda dep: None)
    monkeypatch.setattr(deps, "MADE_VENV", tmp_path / "checkout" / ".venv")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "myvenv"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "myvenv" / "bin" / "python"))
    said = dependency_problem(("numpy",))
    assert said == (f"PySEB needs numpy, which is not installed: install it into this virtualenv: "
                    f"{tmp_path / 'myvenv' / 'bin' / 'python'} -m pip install numpy"), said


def test_the_daemon_names_both_packages_a_poly_fit_needs_in_one_line(tmp_path: Path) -> None:
    # (paho-mqtt was asked first, and numpy only once it was there: one installed, run again, then the other)
    result = run("-c", str(_poly_variator(tmp_path)), "--check")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PySEB needs paho-mqtt and numpy, which are not installed" in lines[0], lines
