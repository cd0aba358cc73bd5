"""The run-time dependencies, checked before anything imports them: a missing or too-old one is one line
naming the package and how to install it (Debian's apt package or the venv), never a traceback.
Standard library only: this runs when paho-mqtt and numpy may be absent."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
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


def _install_hint(dep: Dependency) -> str:
    return (f"install it with 'sudo apt install {dep.apt_name}' (Debian, Raspberry Pi OS) or "
            f"'make run' / '.venv/bin/pip install -r requirements.txt' (a virtualenv)")


def dependency_problem() -> str | None:
    """None when every run-time package imports and is recent enough, else one line saying which is not."""
    for dep in DEPENDENCIES:
        try:
            module = importlib.import_module(dep.module)
        except ImportError:
            return f"PySEB needs {dep.pip_name}, which is not installed: {_install_hint(dep)}"
        found = str(getattr(module, "__version__", ""))
        if _version(found) < dep.minimum:
            wanted = ".".join(map(str, dep.minimum))
            found = found or "an unknown version"
            return f"PySEB needs {dep.pip_name} >= {wanted}, found {found}: {_install_hint(dep)}"
    return None
