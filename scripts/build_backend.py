"""The build backend of `pip install .` (pyproject.toml's build-backend): setuptools', with the checkout's build/
removed before each wheel is built.

setuptools copies the modules into build/lib and packs whatever that folder holds: a module removed upstream (`git
pull`, then `pip install .` again) stayed in build/lib from the earlier install, and in every install after it.
build/ is setuptools' scratch folder only (ignored by git, removed by `make clean`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import (
    build_editable,
    build_sdist,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

__all__ = ["build_editable", "build_sdist", "build_wheel", "get_requires_for_build_editable",
           "get_requires_for_build_sdist", "get_requires_for_build_wheel", "prepare_metadata_for_build_editable",
           "prepare_metadata_for_build_wheel"]


def build_wheel(wheel_directory: str, config_settings: dict[str, str | list[str]] | None = None,
                metadata_directory: str | None = None) -> str:
    """setuptools' wheel, built from the checkout as it is now (PEP 517 runs this in the checkout's folder)."""
    shutil.rmtree(Path("build"), ignore_errors=True)
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)
