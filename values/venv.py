"""The Python a message names in a command for the user to type: the tools' hints, and the config's messages that
say which tool to run (the config layer and the calibration fit cannot import shell.deps, which holds the checkout's
venv too). Standard library only, and written for any Python 3 from 3.7, as shell.deps, which imports it."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["CHECKOUT_VENV", "python_command"]

# The virtualenv `make` makes in the checkout (`make demo`, `make run`, `make test`), with the packages in it.
CHECKOUT_VENV = Path(__file__).resolve().parent.parent / ".venv"


def python_command(made_venv: Path | None = None) -> str:
    """The Python to name in a command line a tool prints for the user to run again (a word of it, unquoted): this
    checkout's `.venv/bin/python` when that is the one running (an install made by `make`, where the system's python3
    may lack the packages); in any other virtualenv the one running, by its path (`pip install .` into a venv of
    one's own: the packages are there only, and `python3` is the system's, which said "No module named calibration");
    else `python3`, as the docs say. `made_venv`: the checkout's venv (default CHECKOUT_VENV)."""
    venv = CHECKOUT_VENV if made_venv is None else made_venv
    if Path(sys.prefix).resolve() == venv.resolve():
        # (by its path from elsewhere: `.venv/bin/python` is a command for the checkout's folder only)
        try:
            here = Path.cwd().resolve() == venv.parent.resolve()
        except OSError:  # (the current folder removed)
            here = False
        return ".venv/bin/python" if here else str(venv / "bin" / "python")
    if sys.prefix != sys.base_prefix and sys.executable:  # (a virtualenv; sys.executable is empty when unknown)
        return sys.executable
    return "python3"
