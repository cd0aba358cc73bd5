"""PySEB's version: one place for the daemon, the tools and the Home Assistant device."""

PYSEB_VERSION = "0.3.0"
