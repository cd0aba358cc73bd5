"""values.numbers.text_float: a number written in ASCII, and only that."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from values.numbers import text_float


@given(st.floats(allow_nan=False), st.sampled_from(["", " ", "\t", "\r\n"]))
def test_every_float_python_writes_is_read_back(number: float, space: str) -> None:
    for written in (repr(number), f"{number:f}", f"{number:e}", str(int(number)) if math.isfinite(number) else "inf"):
        assert text_float(space + written + space) == float(written)


@pytest.mark.parametrize("text", ["1.", ".5", "+0", "-2E3", "NaN", "-inf", "Infinity"])
def test_the_spellings_float_takes_in_ascii_are_taken(text: str) -> None:
    assert text_float(text) == pytest.approx(float(text), nan_ok=True)


@pytest.mark.parametrize("text", ["", " ", "1_000", "\uff11", "\u0661", "1\u00a0", "\u20031", "0x10", "1,5", "1e",
                                  "e5", ".", "--1", "1 2", "nan1", "in f"])
def test_what_is_no_ascii_number_is_refused_quoting_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a number: "):
        text_float(text)
