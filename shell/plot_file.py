"""`--plot` (and `--log`): the file it names and matplotlib's presence, checked when the command line is read (a format
matplotlib cannot write, or no matplotlib, would otherwise be found at the very end, after a whole day's
replay or a fit), and matplotlib itself, an optional extra (requirements-plot.txt) imported only when a
plot is drawn."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from shell import deps
from values.root_command import as_root

# What matplotlib's default (Agg) backend writes in every build PySEB supports (jpg and tif through Pillow,
# which matplotlib requires).
PLOT_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "webp", "tif", "tiff", "eps", "ps", "svgz")


def matplotlib_missing() -> str:
    """What a plot without matplotlib is told, when the command line is read and (should it go between) at the draw:
    the way to install it for the Python that runs. apt's python3-matplotlib is not seen by a virtualenv (the
    .venv `make` made, which the docs' commands name), and a Pi set up with apt's packages has no .venv/bin/pip."""
    said = "needs matplotlib, which is not installed: "
    here = Path(sys.prefix).resolve()
    venv = deps.MADE_VENV
    if here == venv.resolve():
        return said + "install it in this checkout's .venv: '.venv/bin/pip install -r requirements-plot.txt'"
    if sys.prefix != sys.base_prefix:  # (a virtualenv of its own: `pip install .`)
        return said + f"install it in this virtualenv: '{here / 'bin' / 'pip'} install matplotlib'"
    hint = said + f"'{as_root('apt install python3-matplotlib')}' (Debian, Raspberry Pi OS)"
    if any(venv.glob("lib/python3*/site-packages/matplotlib")):
        return hint + "; this checkout's .venv has it: run .venv/bin/python instead of python3"
    if (venv / "bin" / "python").exists():
        return hint + ", or '.venv/bin/pip install -r requirements-plot.txt', then run .venv/bin/python"
    return hint


def output_file_folder_later(text: str) -> Path:
    """argparse `type` for a file a command writes at its end (--log, --plot): the path, if it is no folder and its
    folder no file (`--log logs/` was found only when the day's replay was done, as "Is a directory"). A folder that
    does not exist is for the caller to judge once the whole command line is read, by `missing_folder` (replay's
    `--record DIR` makes its folder: `--log DIR/steps.csv` beside the day is fine); it was found after the whole
    day's replay, as a bare "[Errno 2] No such file or directory"."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name a file in it")
    folder = Path(text).parent  # ("steps.csv": the current folder, ".")
    if folder.exists() and not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {folder} is a file, not a folder")
    return Path(text)


def missing_folder(path: Path) -> str | None:
    """What to say of an output `path` whose folder does not exist; None when it does."""
    folder = path.parent
    if folder.exists():
        return None
    return f"{path}: no folder {folder}: make it (mkdir -p {folder}) or name a file in one that is"


def plot_file(text: str) -> Path:
    """argparse `type` for --plot: the path, if its extension names a format matplotlib writes."""
    path = plot_file_folder_later(text)
    missing = missing_folder(path)
    if missing is not None:
        raise argparse.ArgumentTypeError(missing)
    return path


def plot_file_folder_later(text: str) -> Path:
    """`plot_file` but for a folder that does not exist yet (see output_file_folder_later)."""
    suffix = Path(text).suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        what = f"'.{suffix}' is not a format --plot writes" if suffix else "no image format in the name"
        formats = ", ".join(f".{name}" for name in PLOT_FORMATS)
        raise argparse.ArgumentTypeError(f"{text}: {what}; end it with one of {formats}")
    if importlib.util.find_spec("matplotlib") is None:  # (found, not imported: that takes a second)
        raise argparse.ArgumentTypeError(f"{text}: drawing {matplotlib_missing()}")
    return output_file_folder_later(text)


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed (it is the optional `plot` extra)."""


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed, and none touched)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable(f"--plot {matplotlib_missing()}") from None
    return plt
