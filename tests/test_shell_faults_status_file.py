"""The shell's fault handling of the status file: stale temporaries of its own pattern only removed (the saver
names them so), a corrupt, undated or unreadable file kept aside, a good or missing one left where it is."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from status.store import is_our_temporary, load_status, remove_stale_temporaries, save_status
from tests.harness import NOON


def test_stale_temporaries_of_our_pattern_only_are_removed(tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    save_status(status, {"equipments": []})
    ours = [tmp_path / ".status.json.k3j_x9q2.tmp", tmp_path / ".status.json.a1b2c3d4.tmp"]
    others = [tmp_path / "status.json.lock", tmp_path / ".other.json.a1b2c3d4.tmp", tmp_path / "status.json.tmp",
              tmp_path / ".status.json.a1b2c3d4.bak",
              # a user's own files named almost like ours: not 8 of mkstemp's characters (a-z, 0-9, _)
              tmp_path / ".status.json.foo.tmp", tmp_path / ".status.json.ABCDEFGH.tmp",
              tmp_path / ".status.json.a1b2c3d4e.tmp", tmp_path / ".status.json.a1b2-3d4.tmp",
              tmp_path / ".status.json..tmp"]
    for path in ours + others:
        path.write_text("{")
    assert sorted(remove_stale_temporaries(status)) == sorted(ours)
    assert all(p.exists() for p in others) and status.exists()


def test_the_saver_names_its_temporaries_as_the_cleanup_expects(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The cleanup's pattern is mkstemp's: each save's own temporary file must match it (a Python whose
    # mkstemp named them otherwise would leave a killed save's file behind, and this says so).
    status = tmp_path / "status.ini"
    renamed: list[Path] = []
    replace = os.replace

    def noting(source: str, target: Path) -> None:
        renamed.append(Path(source))
        replace(source, target)

    monkeypatch.setattr(os, "replace", noting)
    for _ in range(50):
        save_status(status, {"equipments": []})
    assert len(renamed) == 50 and all(is_our_temporary(status, name) for name in renamed)


def test_a_corrupt_file_is_kept_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    status = tmp_path / "status.json"
    status.write_bytes(b'{"equipments": [{"name": "ecs", "energy": 12')
    with caplog.at_level(logging.WARNING):
        assert load_status(status, keep_aside=True) is None
    kept = list(tmp_path.glob("status.json.bad-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b'{"equipments"') and not status.exists()
    assert "kept aside as" in caplog.text
    status.write_text(json.dumps({"equipments": [], "schema_version": 99}))  # a newer PySEB's: kept too
    time.sleep(0.01)
    assert load_status(status, keep_aside=True) is None
    assert len(list(tmp_path.glob("status.json.bad-*"))) == 2


@pytest.mark.parametrize("date", ["2023-11-14 12:00:00", None, 1e20])
def test_a_file_without_a_usable_date_is_kept_aside(tmp_path: Path, date: object,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    # It parses, but the restore can use none of it (energies, forces, the fallback's state all need the day it
    # was saved): the clean start was right, then the first save replaced it and the user's data was gone.
    status = tmp_path / "status.json"
    content = json.dumps({"schema_version": 1, "date": date, "equipments": [{"name": "ecs", "energy": 4200.0}]})
    status.write_text(content)
    with caplog.at_level(logging.WARNING):
        assert load_status(status, keep_aside=True) is None
    kept = list(tmp_path.glob("status.json.bad-*"))
    assert len(kept) == 1 and kept[0].read_text() == content and not status.exists()
    assert "has no valid 'date'" in caplog.text and f"kept aside as {kept[0].name}" in caplog.text


def test_a_file_that_cannot_be_read_is_kept_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    # A status file the service user may not read (0600, left by a root run): the save's rename replaced it.
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"schema_version": 1, "date": int(NOON), "equipments": []}))

    opened = Path.open

    def refused(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == status:
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)
    with caplog.at_level(logging.WARNING):
        assert load_status(status, keep_aside=True) is None
    monkeypatch.undo()
    kept = list(tmp_path.glob("status.json.bad-*"))
    assert len(kept) == 1 and not status.exists() and json.loads(kept[0].read_text())["date"] == int(NOON)
    assert "cannot be read (Permission denied)" in caplog.text and "kept aside as" in caplog.text


def test_a_good_or_missing_file_stays_where_it_is(tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    assert load_status(status, keep_aside=True) is None
    save_status(status, {"date": int(NOON), "equipments": []})
    assert load_status(status, keep_aside=True) == {"date": int(NOON), "equipments": []}
    assert list(tmp_path.glob("status.json.bad-*")) == []
