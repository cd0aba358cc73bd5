"""A misspelt [evaluate] timezone says what to write: Python's ZoneInfo said only "unknown time zone 'Europe/Pari'", and
a user who wrote `Paris`, `europe/paris` or `UTC+1` was left to guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.configs import config_error, write_config


@pytest.mark.parametrize(("given", "said"), [
    ("Europe/Pari", "unknown time zone 'Europe/Pari': did you mean Europe/Paris?"),
    ("Europe/Bruxelles", "unknown time zone 'Europe/Bruxelles': did you mean Europe/Brussels?"),
    ("europe/paris", "unknown time zone 'europe/paris': write Europe/Paris (the names are read with their capitals)"),
    ("Paris", "unknown time zone 'Paris': write Europe/Paris (a zone is named region/city)"),
    # (Etc/GMT+1 exists, but is UTC-1: an offset is never answered with it)
    ("GMT+1", "unknown time zone 'GMT+1': an offset is no zone: it would not follow daylight saving"),
    ("UTC+2", "unknown time zone 'UTC+2': an offset is no zone"),
    ("Nowhere/City", "unknown time zone 'Nowhere/City': write an IANA name such as Europe/Paris (timedatectl "
                     "list-timezones lists them)"),
])
def test_a_zone_that_names_none_says_what_to_write(tmp_path: Path, given: str, said: str) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("timezone = Europe/Paris", f"timezone = {given}"))
    assert f"[evaluate] timezone: {said}" in config_error(path)
