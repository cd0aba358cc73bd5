"""The run-time dependencies, checked before anything imports them: a missing or too-old one is one line
naming the package and how to install it (Debian's apt package or the venv), never a traceback.
Standard library only (and values.venv, which is too), and written for any Python 3 from 3.7: this runs when
paho-mqtt and numpy may be absent, and first of all says when the Python itself is too old (Raspberry Pi OS bullseye
has 3.9)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from values.root_command import as_root
from values.venv import CHECKOUT_VENV
from values.venv import python_command as venv_python_command

# The oldest Python PySEB runs on (pyproject.toml's requires-python): dataclasses with slots, zoneinfo.
MINIMUM_PYTHON = (3, 10)


@dataclass(frozen=True)  # (no slots: a 3.9 must get as far as python_problem)
class Dependency:
    """One run-time package: its import name, the oldest version that works, and its Debian package."""

    pip_name: str
    module: str
    minimum: tuple[int, ...]
    apt_name: str


# The oldest versions are Debian 12 / Raspberry Pi OS bookworm's own (CI runs the MQTT tests on them).
DEPENDENCIES = (
    Dependency("paho-mqtt", "paho.mqtt", (1, 6, 1), "python3-paho-mqtt"),
    Dependency("numpy", "numpy", (1, 24), "python3-numpy"),
)


def _version(text: str) -> tuple[int, ...]:
    """'1.24.4' -> (1, 24, 4); a pre-release tail ('2.0.0rc2', '1.26.0.dev0') is dropped."""
    parts: list[int] = []
    for part in text.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits[0]))
        if digits[0] != part:
            break
    return tuple(parts)


# The virtualenv `make` makes in the checkout (`make demo`, `make run`, `make test`), with the packages in it.
MADE_VENV = CHECKOUT_VENV


def _install_hint(deps: list[Dependency]) -> str:
    """How to install `deps`, as this Python can get them."""
    them = "it" if len(deps) == 1 else "them"
    pip_names = " ".join(dep.pip_name for dep in deps)
    in_made_venv = Path(sys.prefix).resolve() == MADE_VENV.resolve()
    if in_made_venv:
        # (apt does not reach the checkout's .venv either: its packages are make's)
        return f"install {them} into this checkout's .venv with 'make venv'"
    if sys.prefix != sys.base_prefix:
        # A virtualenv of one's own (`pip install .` into it): apt does not reach it, and there may be no checkout.
        hint = f"install {them} into this virtualenv: {sys.executable or 'python3'} -m pip install {pip_names}"
    else:
        apt_names = " ".join(dep.apt_name for dep in deps)
        hint = f"install {them} with '{as_root('apt install ' + apt_names)}' (Debian, Raspberry Pi OS)"
        if (MADE_VENV.parent / "Makefile").exists():
            # ('make check' made .venv, then failed on a config.ini a demo's user does not have)
            hint += " or 'make venv' (makes this checkout's .venv with the packages, then run .venv/bin/python)"
    # (the packages' stamp, not .venv/bin/python: a bare `make` or an interrupted install left one without them)
    if (MADE_VENV / ".run-deps").exists():
        # The usual way here: `make demo` made .venv, then the docs' `python3 -m ...` ran the system's.
        hint += "; this checkout's .venv has the packages: run it with .venv/bin/python instead of python3"
    return hint


def python_command() -> str:
    """The Python to name in a command line a tool prints for the user to run again (values.venv.python_command, the
    config's messages' too), with MADE_VENV as the checkout's venv."""
    return venv_python_command(MADE_VENV)


def python_problem(version: tuple[int, ...] | None = None) -> str | None:
    """None when this Python (or `version`) is recent enough, else one line saying what to do."""
    found = tuple(sys.version_info[:3]) if version is None else version
    if found >= MINIMUM_PYTHON:
        return None
    wanted = ".".join(map(str, MINIMUM_PYTHON))
    return (f"PySEB needs Python {wanted} or newer, this is {'.'.join(map(str, found))}: Raspberry Pi OS "
            f"bookworm / Debian 12 have 3.11 (bullseye has 3.9: upgrade the system, or run PySEB with a "
            f"newer python3 than the system's)")


def _installed_version(dep: Dependency) -> str | None:
    """The version of `dep` as it would be imported ("" when it says none), None when it cannot be. Read from the
    metadata installed beside the package when there is some, without importing it: numpy is a third of the daemon's
    memory, and the daemon needs it only for a variable load fitted by `poly` (the robust fit is plain Python)."""
    import importlib.metadata
    import importlib.util

    try:
        spec = importlib.util.find_spec(dep.module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin is not None and spec.origin.endswith("__init__.py"):
        # (the folder the package's top folder is in: the metadata of the very copy that would be imported)
        site = Path(spec.origin).parents[dep.module.count(".") + 1]
        for dist in importlib.metadata.distributions(name=dep.pip_name, path=[str(site)]):
            return str(dist.version or "")
    try:  # (no metadata: a package copied in by hand)
        module = importlib.import_module(dep.module)
    except ImportError:
        return None
    return str(getattr(module, "__version__", ""))


def dependency_problem(needed: tuple[str, ...] = ("paho-mqtt", "numpy")) -> str | None:
    """None when this Python and the run-time packages `needed` (pip names; the daemon needs paho-mqtt, and numpy
    for a variable load's poly fit: settings.load_building.packages_needed) are recent enough, else one line saying
    which is not. The tools ask only for what their command uses: a replay needs numpy and no broker."""
    problem = python_problem()
    if problem is not None:
        return problem
    # (each named, in one line: one at a time, a user installed paho-mqtt, ran the demo again, and only then heard of
    # numpy)
    missing: list[Dependency] = []
    too_old: list[Dependency] = []
    said: list[str] = []
    for dep in DEPENDENCIES:
        if dep.pip_name not in needed:
            continue
        version = _installed_version(dep)
        if version is None:
            missing.append(dep)
        elif _version(version) < dep.minimum:
            too_old.append(dep)
            said.append(f"{dep.pip_name} >= {'.'.join(map(str, dep.minimum))}, found {version or 'an unknown version'}")
    if missing:
        said.append(f"{' and '.join(dep.pip_name for dep in missing)}, which "
                    f"{'is' if len(missing) == 1 else 'are'} not installed")
    if not said:
        return None
    return f"PySEB needs {'; '.join(said)}: {_install_hint(too_old + missing)}"
