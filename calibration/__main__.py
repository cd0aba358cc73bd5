"""`python3 -m calibration`: see calibration.cli."""

import sys

from shell.deps import dependency_problem

# The Python alone here: numpy and paho-mqtt are checked by the command line once it knows the command, so that
# --help and a mistyped option need neither (the help asked for numpy).
_problem = dependency_problem(())
if _problem is not None:
    print(f"python3 -m calibration: {_problem}", file=sys.stderr)
    sys.exit(2)

from calibration.cli import main  # noqa: E402 (after the check)

sys.exit(main())
