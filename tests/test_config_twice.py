"""A section or a key written twice (a second [radiator] pasted at the end, a key copied from the sample without
deleting the line above) says both lines and what to do: configparser's "While reading from 'config.ini' [line 347]:
section 'radiator' already exists" named the second only."""

from __future__ import annotations

from pathlib import Path

from tests.configs import config_error, write_config


def test_a_load_s_section_written_twice_names_both_lines(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    first = text.splitlines().index("[radiator]") + 1
    path.write_text(text + "\n[radiator]\nmax_power = 2000\n")
    second = len(path.read_text().splitlines()) - 1
    said = config_error(path)
    assert f"[radiator]: the section is written twice (lines {first} and {second}): merge the second one's keys into " \
           "the first, then delete it (for a second load, give it a name of its own, in [equipments] too)" in said
    assert "already exists" not in said


def test_pyseb_s_own_section_written_twice_says_no_load(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("[status]", "[mqtt]\nhost = 192.168.1.10\n\n[status]"))
    said = config_error(path)
    assert "[mqtt]: the section is written twice (lines 2 and " in said and "second load" not in said


def test_a_key_written_twice_names_both_lines_in_a_file_saved_by_notepad(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text().replace("min_percent = 4\n", "min_percent = 4\nMin_Percent = 6\n")
    line = text.splitlines().index("min_percent = 4") + 1
    path.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode())  # (a BOM, CRLF: the lines are the same)
    assert f"[ecs] min_percent: set twice in the section (lines {line} and {line + 1}): delete the line you do not " \
           "mean" in config_error(path)
