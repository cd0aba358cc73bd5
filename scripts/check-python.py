"""Exit 2 with one line when this Python is too old for PySEB (the Makefile asks before making its venv)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from shell.deps import python_problem  # noqa: E402

problem = python_problem()
if problem is not None:
    print(f"make: {problem}", file=sys.stderr)
    sys.exit(2)
