"""PySEB's name and version: one place for the daemon, the tools and the Home Assistant device."""

# The program's and the package's name: the command `pip install .` gives, [mqtt] client_id's default (and so the
# Home Assistant node id's), the install's share/ folder.
PYSEB_NAME = "pyseb"
PYSEB_VERSION = "0.3.0"
