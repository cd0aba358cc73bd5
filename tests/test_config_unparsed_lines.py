"""A line the INI parser cannot read is said by its number with what to write instead: configparser's own words
("Source contains parsing errors: 'config.ini' [line 18]: 'max_power 1000\\n'", "File contains no section headers")
said nothing of what to do, and a section's header missing its ']' was said as the keys after it "set twice" in the
section above (the parser's duplicate came first), the line at fault not named at all."""

from __future__ import annotations

from pathlib import Path

from tests.configs import config_error, write_config


def test_a_header_missing_its_bracket_is_named_not_the_keys_it_moved(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    line = text.splitlines().index("[radiator]") + 1
    path.write_text(text.replace("[radiator]", "[radiator"))
    said = config_error(path)
    assert f"cannot parse: line {line}, '[radiator', is a section's header without its closing ']': write " \
           "[radiator]" in said, said


def test_a_key_without_its_equals_sign_says_to_write_one(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text().replace("max_power = 1000", "max_power 1000", 1)
    line = text.splitlines().index("max_power 1000") + 1
    path.write_text(text)
    said = config_error(path)
    assert f"cannot parse: line {line}, 'max_power 1000', is neither a [section] header nor a key = value line: " \
           "write the key, then =, then its value" in said, said
    assert "Source contains parsing errors" not in said and "\\n" not in said


def test_a_key_before_any_section_says_to_move_it_under_one(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text("# my house\nlevel = DEBUG\n" + path.read_text())
    said = config_error(path)
    assert "cannot parse: line 2, 'level = DEBUG', comes before any [section] header: move it under the section " \
           "it belongs to (docs/configuration.md lists each key's)" in said, said
    assert "File contains no section headers" not in said


def test_a_folder_given_for_the_config_says_to_name_the_file(tmp_path: Path) -> None:
    # ("cannot parse: [Errno 21] Is a directory": `-c ~/pyseb` for `-c ~/pyseb/config.ini`)
    said = config_error(tmp_path)
    assert f"{tmp_path}: is a folder, not a config file: give the file, -c {tmp_path / 'config.ini'}" in said, said
    assert "Errno" not in said
