"""This interpreter behind a wrapper script that changes what it says of itself (a sitecustomize module on its path):
an older or newer Python for a version check, one without numpy; the Makefile and render_service.py run it."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


def this_python_with(directory: Path, name: str, sitecustomize: str) -> Path:
    """An executable `directory/name` running this interpreter with `sitecustomize` (Python source) run at its start."""
    site = directory / f"{name}-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(sitecustomize)
    python = directory / name
    python.write_text(f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(site))} exec {shlex.quote(sys.executable)} \"$@\"\n")
    python.chmod(0o755)
    return python


def python_of_version(directory: Path, version: str) -> Path:
    """This interpreter saying it is Python `version` ("3.9.18": sys.version_info and sys.version)."""
    numbers = tuple(int(part) for part in version.split("."))
    return this_python_with(directory, f"python{numbers[0]}.{numbers[1]}",
                            f"import sys\nsys.version_info = {(*numbers, 'final', 0)!r}\n"
                            f"sys.version = '{version} (said by a test)'\n")
