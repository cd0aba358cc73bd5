"""Exit 2 with one line when this Python is too old for PySEB (the Makefile asks before making its venv).

Written so that any Python parses it, 2.7 included (Python compiles the whole file before it runs a line: no
f-string, no print(file=)): the check is the first thing it does, before PySEB's own code (whose annotations a
Python before 3.7 cannot even read) is imported."""

import sys

if sys.version_info < (3, 7):  # noqa: UP036 (the point: run by an older Python)
    # (neither an f-string nor .format: 2.6 and 3.0 parse this line too)
    sys.stderr.write("make: PySEB needs Python 3.10 or newer, this is " + sys.version.split()[0]
                     + ": Raspberry Pi OS bookworm / Debian 12 have 3.11\n")
    sys.exit(2)

from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from shell.deps import python_problem  # noqa: E402

problem = python_problem()
if problem is not None:
    sys.stderr.write("make: " + problem + "\n")
    sys.exit(2)
