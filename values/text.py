"""Text files as Windows editors and spreadsheets save them too: UTF-8 with or without a byte order mark (Notepad's
"UTF-8 with BOM"), else the Windows code page (Notepad's "ANSI", a French spreadsheet's CSV: accented comments and
headers). One reading for the config, the calibration CSVs and the replayed traces; each asks for its own
refusals."""

from __future__ import annotations

import codecs

UTF8_MARK = codecs.BOM_UTF8  # b"\xef\xbb\xbf": what Windows' Notepad puts before the text it saves ("UTF-8 with BOM")


# How much of a file's start is read as UTF-16 without its mark to judge it text: a few characters of a header.
UTF16_HEAD_BYTES = 64


class NotText(ValueError):
    """Bytes that are no text the caller takes; the message says why (and how to save the file)."""


def has_utf16_mark(data: bytes) -> bool:
    """True when `data` begins with a UTF-16 byte order mark (Notepad's "Unicode" saves one)."""
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _utf16_without_mark(data: bytes) -> bool:
    """True when `data`'s start reads as text in UTF-16 without its mark: a NUL among the first two bytes, as an ASCII
    first character reads so, and its first characters, either way round, printable or spaces and half of them ASCII
    at least (a config's, a CSV's; a binary file's bytes read as UTF-16 are mostly other scripts' letters)."""
    if 0 not in data[:2]:
        return False
    for codec in ("utf-16-le", "utf-16-be"):
        try:  # (incremental: a character cut at the head's end waits, as does an odd last byte)
            text = codecs.getincrementaldecoder(codec)().decode(data[:UTF16_HEAD_BYTES])
        except UnicodeDecodeError:
            continue
        if text and all(char.isprintable() or char.isspace() for char in text) and \
                2 * sum(char.isascii() for char in text) >= len(text):
            return True
    return False


def windows_text(data: bytes, *, refuse_utf16: bool = False, refuse_nul: bool = False, strict: bool = False) -> str:
    """The text of `data`: UTF-8 (a BOM allowed), else the Windows code page, cp1252. NotText, when asked, for
    UTF-16 (`refuse_utf16`: by its mark, or its first characters read so, a NUL among the first two bytes, which is
    how an ASCII first character reads without it; another NUL there is a binary file's, refused as no text), for
    NUL bytes in what is not UTF-8 (`refuse_nul`: a binary file; a NUL in valid UTF-8, a file torn by a power cut,
    is the caller's to judge), and for the five bytes cp1252 leaves undefined (`strict`; else each reads as
    U+FFFD)."""
    if refuse_utf16 and (has_utf16_mark(data) or _utf16_without_mark(data)):
        raise NotText("the file is UTF-16 (Notepad's \"Unicode\"): save it as UTF-8")
    if refuse_utf16 and 0 in data[:2]:  # (said UTF-16 until 2026-12-05: a binary file was told to save itself as UTF-8)
        raise NotText(f"not a text file (a NUL byte at byte {data.index(0)})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as not_utf8:
        if refuse_nul and 0 in data:
            raise NotText(f"not a text file ({not_utf8.reason} at byte {not_utf8.start})") from None
    try:
        return data.decode("cp1252", "strict" if strict else "replace")
    except UnicodeDecodeError:
        raise NotText("the file is not text PySEB can read (neither UTF-8 nor the Windows code page): save it as "
                      "UTF-8") from None
