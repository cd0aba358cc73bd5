"""Slips of the editor or the keyboard in a config file that gave a value other than the one meant, without a
word: an indented key read as the line above's continuation; and files as Windows editors save them, refused
with a parser's message: UTF-8 with a byte order mark ("File contains no section headers"), the Windows code page
of a French comment ("'utf-8' codec can't decode byte 0xe9"), Notepad's "Unicode"; a note after a value written
with '#' as in a shell (`json_on = ON # tasmota` sent as it is); quotes around a value, kept by INI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import write_config


def problems_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return "\n".join(p.render(str(path)) for p in info.value.problems)


def edited(tmp_path: Path, old: str, new: str) -> Path:
    path = write_config(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("old", "new", "where", "swallowed"), [
    # the relay's commands went to the topic "cmnd/radiator/POWER\njson_on = ON", and its json_on was the default 1
    ("json_on = ON\n", "  json_on = ON\n", "[radiator] topic_set_power", "json_on = ON"),
    # the house meter stayed the default topic, and the client id held a line break
    ("topic_cons = smeter/pzem/CONSOMMATION\n", "\ttopic_cons = smeter/pzem/CONSOMMATION\n", "[mqtt] client_id",
     "topic_cons = smeter/pzem/CONSOMMATION"),
    ("min_power = 150\n", "   min_power: 150\n", "[ecs] calibration", "min_power: 150"),
])
def test_an_indented_key_is_not_swallowed_by_the_line_above(tmp_path: Path, old: str, new: str, where: str,
                                                            swallowed: str) -> None:
    report = problems_of(edited(tmp_path, old, new))
    assert f"{where}: the line {swallowed!r} below it is indented" in report


def test_a_value_over_several_lines_that_holds_no_key_is_read(tmp_path: Path) -> None:
    # (a JSON payload written over lines, a levels list: continuation lines with no key of their own)
    path = edited(tmp_path, "json_on = ON\n",
                  'json_on = {"command": "switchlight",\n  "idx": 359,\n  "switchcmd": "On"}\n')
    assert '"idx": 359' in load_settings(path).equipments[1].options["json_on"]


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text().lstrip("\n").replace("json_on = ON\n", "json_on = Backlog Power1 ON ; Power2 ON\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))  # and Windows line ends
    settings = load_settings(path)
    assert settings.mqtt.host == "127.0.0.1" and settings.equipments[1].options["json_on"] == "Backlog Power1 ON"
    assert any("[radiator] json_on: 'Backlog Power1 ON ; Power2 ON' is read as" in w for w in settings.warnings)


def test_a_file_in_the_windows_code_page_is_read(tmp_path: Path) -> None:
    # Notepad's "ANSI" on a French Windows: a comment (or the forecast's town) with accents
    path = write_config(tmp_path, extra="\n[openweathermap]\nkey = 0a1b2c3d4e\nlocation = Chambéry,FR\n")
    path.write_bytes(("; chauffe-eau réglé à 2 kW\n" + path.read_text()).encode("cp1252"))
    owm = load_settings(path).field.forecast.owm
    assert owm is not None and owm.location == "Chambéry,FR"


@pytest.mark.parametrize(("encoded", "said"), [
    (lambda text: text.encode("utf-16"), "UTF-16 (Notepad's \"Unicode\")"),  # (with its byte order mark)
    (lambda text: text.lstrip().encode("utf-16-be"), "UTF-16 (Notepad's \"Unicode\")"),
    (lambda text: b"\x81\x8d" + text.encode("utf-8"), "not text PySEB can read"),  # (bytes cp1252 does not define)
])
def test_a_file_that_is_no_utf8_nor_ansi_text_says_what_to_do(tmp_path: Path, encoded: Callable[[str], bytes],
                                                               said: str) -> None:
    path = write_config(tmp_path)
    path.write_bytes(encoded(path.read_text()))
    report = problems_of(path)
    assert f"{path}: the file is {said}" in report and "save it as UTF-8" in report


@pytest.mark.parametrize(("old", "new", "where"), [
    # a relay sent "ON # tasmota", which switches nothing; a status file named "status.json # saved"
    ("json_on = ON\n", "json_on = ON # tasmota\n", "[radiator] json_on: 'ON # tasmota' holds ' #'"),
    ("file = status.json\n", "file = status.json  # saved here\n", "[status] file: 'status.json  # saved here' holds"),
    ("client_id = pyseb-test\n", "client_id = pyseb-test #mine\n", "[mqtt] client_id: 'pyseb-test #mine' holds"),
])
def test_a_hash_note_after_a_text_value_is_warned_about(tmp_path: Path, old: str, new: str, where: str) -> None:
    warnings = "\n".join(load_settings(edited(tmp_path, old, new)).warnings)
    assert where in warnings and "write ' ;' instead" in warnings


def test_a_hash_note_after_a_number_or_a_topic_says_so_with_the_error(tmp_path: Path) -> None:
    path = edited(tmp_path, "max_power = 1000\n", "max_power = 1000 # watts\n")
    assert "' #' starts no comment" in problems_of(path)
    topic = "topic_set_power = cmnd/radiator/POWER"
    path = edited(tmp_path, f"{topic}\n", f"{topic} # relay\n")  # refused as a wildcard: the warning says why
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert any("' #' starts no comment" in w.message for w in info.value.warnings)


@pytest.mark.parametrize("written", ["max_power = 1000; watts\n", "max_power = 1000#w\n"])
def test_a_note_glued_to_a_number_says_so_with_the_error(tmp_path: Path, written: str) -> None:
    # `margin = 20; watts` said only "not a number: '20; watts'": the ';' with no space before it is the value's.
    report = problems_of(edited(tmp_path, "max_power = 1000\n", written))
    assert "a note after a value starts with a space, then ';' (here the rest is read as part of the value)" in report
    load_settings(edited(tmp_path, "max_power = 1000\n", "max_power = 1000 ;w;x\n"))  # (' ;': a note, 1000 read)


def test_a_password_with_a_hash_is_not_shown(tmp_path: Path) -> None:
    warnings = "\n".join(load_settings(edited(tmp_path, "client_id = pyseb-test\n",
                                              "client_id = pyseb-test\npassword = s3cret #42\n")).warnings)
    assert "[mqtt] password: it holds ' #'" in warnings and "s3cret" not in warnings


@pytest.mark.parametrize(("old", "new", "where"), [
    # the relay's commands went to the topic "cmnd/radiator/POWER", quotes included: it never switched
    ("topic_set_power = cmnd/radiator/POWER\n", 'topic_set_power = "cmnd/radiator/POWER"\n',
     "[radiator] topic_set_power: '\"cmnd/radiator/POWER\"' is in quotes"),
    ("host = 127.0.0.1\n", "host = '127.0.0.1'\n", "[mqtt] host: \"'127.0.0.1'\" is in quotes"),
])
def test_a_text_value_in_quotes_is_warned_about(tmp_path: Path, old: str, new: str, where: str) -> None:
    warnings = "\n".join(load_settings(edited(tmp_path, old, new)).warnings)
    assert where in warnings and "remove them" in warnings


def test_a_number_in_quotes_says_so_with_the_error(tmp_path: Path) -> None:
    assert "INI values take no quotes" in problems_of(edited(tmp_path, "max_power = 1000\n", 'max_power = "1000"\n'))


def test_quotes_inside_a_value_are_no_slip(tmp_path: Path) -> None:
    path = edited(tmp_path, "json_on = ON\n", 'json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On"}\n')
    # (the advice's words: the test's own folder, test_quotes_inside..., is in every warning's path)
    assert not [w for w in load_settings(path).warnings if "take no quotes" in w]
