"""A duration as a log line says it: "2 min 10 s", "5 h 08 min", read at a glance rather than counted."""

from __future__ import annotations


def spoken_duration(seconds: float) -> str:
    """`seconds` in its two largest units, rounded to the whole second (under an hour) or minute; a negative
    one (a clock stepped back) is 0 s."""
    whole_s = max(0, round(seconds))
    if whole_s < 60:
        return f"{whole_s} s"
    if whole_s < 3600:
        return f"{whole_s // 60} min {whole_s % 60} s"
    whole_min = round(whole_s / 60)
    return f"{whole_min // 60} h {whole_min % 60:02d} min"
