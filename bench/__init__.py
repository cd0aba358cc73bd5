"""The benchmarks: scripts run by their path (python3 bench/control.py), a package only so that one can import
another's part (bench/control.py its report, bench/control_report.py)."""
