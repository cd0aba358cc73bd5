"""The zone the demo plays a day recorded at +05:30 in, named by the tz database's current name (Asia/Kolkata) on a
machine without zone1970.tab, the list of current names, too: every name was then equal, and the first by name, the old
Asia/Calcutta (kept as an alias), was the one said."""

from __future__ import annotations

import shutil
import zoneinfo
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import simulation.demo_config as demo_config

INDIA_NOON = datetime(2026, 1, 10, 12, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()


def _machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: str) -> Path:
    """A zoneinfo folder without zone1970.tab (nor zone.tab), the only one the names are read from (no tzdata
    package): India's zone and its old name as `links` says, a symlink, or a line of tzdata.zi."""
    folder = tmp_path / "zoneinfo"
    (folder / "Asia").mkdir(parents=True)
    kolkata = next(Path(place) / "Asia" / "Kolkata" for place in zoneinfo.TZPATH
                   if (Path(place) / "Asia" / "Kolkata").is_file())
    shutil.copy(kolkata, folder / "Asia" / "Kolkata")
    if links == "symlink":  # (Debian's backward names: symlinks to the current one)
        (folder / "Asia" / "Calcutta").symlink_to("Kolkata")
    else:
        shutil.copy(kolkata, folder / "Asia" / "Calcutta")
        (folder / "tzdata.zi").write_text("# version 2025b\nZ Asia/Kolkata 5:53:28 - LMT 1854 Jun 28\n"
                                          "L Asia/Kolkata Asia/Calcutta\n")
    monkeypatch.setattr(zoneinfo, "TZPATH", (str(folder),))
    real_files = resources.files

    def no_tzdata(package: Any) -> Any:
        if package == "tzdata":
            raise ModuleNotFoundError("No module named 'tzdata'")
        return real_files(package)

    monkeypatch.setattr(resources, "files", no_tzdata)
    return folder


@pytest.mark.parametrize("links", ["symlink", "tzdata.zi"])
def test_without_zone1970_tab_the_current_name_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       links: str) -> None:
    from datetime import timedelta

    _machine(tmp_path, monkeypatch, links)
    offset = timedelta(hours=5, minutes=30)
    assert demo_config._zone_at(offset, INDIA_NOON, offset, INDIA_NOON + 3600) == "Asia/Kolkata"  # was Asia/Calcutta
