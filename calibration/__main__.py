"""`python3 -m calibration`: see calibration.cli."""

import sys

from shell.deps import dependency_problem

# Every command needs numpy, and so does the help (its defaults are the fit's); the sweep also needs
# paho-mqtt, checked by the command line once it knows the command. Checked before anything imports
# numpy, so that a missing one is one line, as the daemon says it.
_problem = dependency_problem(("numpy",))
if _problem is not None:
    print(f"python3 -m calibration: {_problem}", file=sys.stderr)
    sys.exit(2)

from calibration.cli import main  # noqa: E402 (after the check)

sys.exit(main())
