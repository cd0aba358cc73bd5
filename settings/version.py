"""PySEB's name and version: one place for the daemon, the tools and the Home Assistant device."""

# The program's and the package's name: the command `pip install .` gives, [mqtt] client_id's default (and so the
# Home Assistant node id's), the install's share/ folder.
PYSEB_NAME = "pyseb"
PYSEB_VERSION = "0.3.0"
# The config a command takes without -c: regulation.py's, and the tools' (`simulation report` for a date, `replay`,
# `tune`, `calibration sweep`: settings.ini_file.given_or_default_config), in the current folder, as a relative path
# is. (Here, with the version: regulation.py's --help needs it before the Python check, in 3.7's syntax.)
DEFAULT_CONFIG = "config.ini"
