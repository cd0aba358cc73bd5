"""Values an inline comment cut. The config's parser takes ` ;` as the start of a comment (the docs' and the
sample's `topic = ... ; note`), while the seed's parser had none: a Tasmota relay's `json_on = Backlog Power1 ON ;
Power2 ON` became `Backlog Power1 ON` without a word, and so would a broker password holding ` ;`. Where such a
cut is unlikely to be a comment (a payload, a password), it is said."""

from __future__ import annotations

import configparser
from pathlib import Path

from settings.ini_file import DoubledPercent
from settings.problems import ConfigProblem
from settings.slips import config_text

# Keys whose values are sent as they are, where a ` ;` is more likely the value's than a note's.
SENT_AS_IS = ("json_on", "json_off", "password")


def cut_values(path: Path, parsed: configparser.ConfigParser) -> list[ConfigProblem]:
    """A warning for each SENT_AS_IS value of `parsed` (read with inline comments) that the file holds longer."""
    whole = configparser.ConfigParser(interpolation=DoubledPercent(), strict=False)  # (`%%` as `parsed` reads it)
    whole.optionxform = str.lower  # type: ignore[assignment,method-assign]
    try:
        whole.read_string(config_text(path.read_bytes()), str(path))  # (as read_parser reads it)
    except (configparser.Error, ValueError, OSError):
        return []  # (the parse that counts already said what is wrong)
    warnings = []
    for section in parsed.sections():
        for key in SENT_AS_IS:
            if not parsed.has_option(section, key) or not whole.has_option(section, key):
                continue
            kept, written = parsed.get(section, key, raw=True), whole.get(section, key, raw=True)
            if kept != written:
                # (a password is never shown, cut or not)
                what = "it is cut at ' ;'" if key == "password" else f"{written!r} is read as {kept!r}"
                warnings.append(ConfigProblem(section, key, f"{what}: ' ;' starts a comment; if the ';' is part "
                                              "of the value (Tasmota's Backlog), write it without the space before "
                                              "it"))
    return warnings
