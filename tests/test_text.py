"""values.text: the one reading of a text file as Windows saves it too (UTF-8 with or without its mark, else the
Windows code page), with the refusals each caller asks for."""

from __future__ import annotations

import ast
import codecs

import pytest

from values.text import UTF8_MARK, NotText, windows_text

FRENCH = "# mesuré à 14 h\n100,0;2300,00\n"


@pytest.mark.parametrize("data", [FRENCH.encode("utf-8"), codecs.BOM_UTF8 + FRENCH.encode("utf-8"),
                                  FRENCH.encode("cp1252")])
def test_utf8_with_or_without_its_mark_and_the_windows_code_page_read_alike(data: bytes) -> None:
    assert windows_text(data) == FRENCH
    assert windows_text(data, refuse_utf16=True, refuse_nul=True, strict=True) == FRENCH


def test_nothing_is_refused_unless_asked() -> None:
    assert windows_text(b"\x81\x00ok") == "\ufffd\x00ok"  # (cp1252 leaves 0x81 undefined)
    assert windows_text(FRENCH.encode("utf-16")).startswith("ÿþ#")


@pytest.mark.parametrize("data", [FRENCH.encode("utf-16"), FRENCH.encode("utf-16-be")])
def test_utf16_is_refused_when_asked(data: bytes) -> None:
    with pytest.raises(NotText, match="UTF-16"):
        windows_text(data, refuse_utf16=True)


def test_nul_bytes_are_refused_when_asked_in_what_is_not_utf8() -> None:
    with pytest.raises(NotText, match=r"not a text file \(invalid start byte at byte 0\)"):
        windows_text(b"\x89PNG\r\n\x1a\n\x00\xff\xfe", refuse_nul=True)
    # (valid UTF-8 holding NULs, a file torn by a power cut, is left to the caller's own checks)
    assert windows_text(b"80.0;18\x00\x00", refuse_nul=True) == "80.0;18\x00\x00"


def test_the_code_page_s_undefined_bytes_are_refused_when_strict() -> None:
    with pytest.raises(NotText, match="neither UTF-8 nor the Windows code page"):
        windows_text(b"\x81\x8d" + FRENCH.encode("utf-8"), strict=True)


def test_not_text_is_a_value_error() -> None:
    assert issubclass(NotText, ValueError)


def test_the_utf8_mark_is_written_down_once() -> None:
    # equipments/modes.py (_BOM) and recording/format.py (UTF8_MARK) each wrote the mark's bytes: one constant here,
    # in the lowest layer, that every layer may use.
    from tests.test_layers import project_modules
    assert UTF8_MARK == codecs.BOM_UTF8
    written = [f"{name}:{node.lineno}" for name, path in project_modules().items() if name != "values.text"
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and node.value == codecs.BOM_UTF8]
    assert written == []


@pytest.mark.parametrize("data", [FRENCH.encode("utf-16-le"), FRENCH.encode("utf-16-be"), "t".encode("utf-16-le"),
                                  "1\u00a0234;5\n".encode("utf-16-le"),  # (a no-break space: French thousands)
                                  ("time,pv\n" * 3 + "\U0001f600").encode("utf-16-le")])
def test_utf16_without_its_mark_is_told_by_its_first_characters(data: bytes) -> None:
    with pytest.raises(NotText, match="UTF-16"):
        windows_text(data, refuse_utf16=True)


@pytest.mark.parametrize("data", [b"\x00\x00\x00\x18ftypmp42", b"\x1f\x00\x8b\x08\x00\xff\xfe\x01", b"\x00"])
def test_a_binary_file_with_a_nul_at_its_start_is_not_said_to_be_utf16(data: bytes) -> None:
    """A NUL among the first two bytes was said to be UTF-16, telling the owner to save a binary file as UTF-8."""
    with pytest.raises(NotText, match=r"^not a text file \(a NUL byte at byte [01]\)$"):
        windows_text(data, refuse_utf16=True)
