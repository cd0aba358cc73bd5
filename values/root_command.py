"""A command the user is told to run as root, as they copy it: with `sudo ` for a user, bare for root (DietPi logs in as
root and has no sudo: told 'sudo apt install ...', it answered "sudo: command not found")."""

from __future__ import annotations

import os


def as_root(command: str) -> str:
    """`command` for the user to copy: `sudo command`, or `command` when this process is root."""
    return command if os.geteuid() == 0 else f"sudo {command}"
