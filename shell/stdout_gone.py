"""Standard output whose reader has gone (`| head`): the command goes on, silently."""

from __future__ import annotations

import os
import sys


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the next write (and the exit's flush) cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def say(line: str) -> None:
    """Print `line` (flushed); a reader that has gone silences stdout instead of stopping the command."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        silence_stdout()
