"""Reading one section of the config against its options (settings/options.py): the values, defaults filled in, and
every problem and warning collected instead of stopping at the first; where a key put in the wrong section goes."""

from __future__ import annotations

import configparser
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from settings.options import REQUIRED, Option, did_you_mean, is_unset_word, seed_none_said, shown_default
from settings.problems import ConfigProblem
from settings.slips import (
    HASH_ADVICE,
    QUOTES_ADVICE,
    SECRET_KEYS,
    has_hash_note,
    in_quotes,
    shown_line,
    slip_advice,
    swallowed_key,
)

__all__ = ["SectionReader"]


def _optional_type(kind: type | str) -> bool:
    """The types whose key may be left empty or None for "not set" ("text?", "float?", "bool?")."""
    return isinstance(kind, str) and kind.endswith("?")


@dataclass(slots=True)
class SectionReader:
    """Reads one section against its options; problems accumulate in `problems`."""

    problems: list[ConfigProblem] = field(default_factory=list)
    warnings: list[ConfigProblem] = field(default_factory=list)
    # Each section read and the keys it takes; the unknown keys met, each with its warning (found again in `warnings`
    # as that object: a check may take a warning out of the list before them, the seed's topic_ecsMode's, and an index
    # kept then named the warning after theirs, which was overwritten)
    known: dict[str, set[str]] = field(default_factory=dict)
    _unknown: list[ConfigProblem] = field(default_factory=list)
    # An option given under another name, (section, option) -> (section, key) as the file writes it: the seed's
    # broker_ip for [mqtt] host, its [debug] log_file for [logging] file (name_keys_as_written)
    given_as: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def read(self, cp: configparser.ConfigParser, section: str, options: Iterable[Option],
             ignored: Mapping[str, str] | None = None, misplaced: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Values of `options` in `section` (defaults filled in). Unknown keys are warned about,
        `ignored` keys (legacy keys we no longer use) too, with the reason given (as unused: said together at a
        start), and `misplaced` ones (a key of another section, which the user must move), each with its own."""
        options = list(options)
        present = dict(cp.items(section, raw=True)) if cp.has_section(section) else {}
        for default_key in cp.defaults():
            present.pop(default_key, None)
        values: dict[str, Any] = {}
        known: set[str] = set()
        for opt in options:
            names = (opt.name, *opt.aliases)
            known.update(names)
            given = [n for n in names if n in present]
            if len(given) > 1:
                self.warnings.append(ConfigProblem(section, opt.name,
                                                   f"given as both {' and '.join(given)}; using {given[0]}"))
            if not given:
                if opt.default is REQUIRED:
                    self.problems.append(ConfigProblem(section, opt.name, "is required"))
                values[opt.name] = None if opt.default is REQUIRED else opt.default
                continue
            values[opt.name] = self._value(section, opt, given[0], present[given[0]])
            if given[0] != opt.name and not is_unset_word(present[given[0]]):
                # (not a key the seed's None leaves unset: its option's value comes from elsewhere, `topic_force= None`
                # from topic_regul, and a problem of that value was named after a line that says None)
                self.given_as[(section, opt.name)] = (section, given[0])
        self.known.setdefault(section, set()).update(known)
        self._warn_unknown(section, present, known, ignored, misplaced)
        return values

    def name_keys_as_written(self) -> None:
        """Each problem and warning about an option given under another name names the key the file has: checks made
        after the reading name options (`[mqtt] host: 'my broker' is not a host name`), and a seed's file has no such
        key (its broker_ip)."""
        for found in (self.problems, self.warnings):
            for index, problem in enumerate(found):
                written = self.given_as.get((problem.section, problem.key or ""))
                if written is not None:
                    found[index] = replace(problem, section=written[0], key=written[1])

    def read_key(self, section: str, opt: Option, key: str, raw: str) -> Any:
        """The value of `opt` given as `key = raw` in a section read by hand (the seed's [debug]): the checks and
        warnings of a key read with `read`, without taking the section as one of PySEB's."""
        return self._value(section, opt, key, raw)

    def _value(self, section: str, opt: Option, key: str, raw: str) -> Any:
        """The value of `opt` given as `key = raw`; a problem (one line) and None when it is not usable."""
        if (line := swallowed_key(raw)) is not None:
            self.problems.append(ConfigProblem(section, key, f"the line {shown_line(line)!r} below it is indented: "
                                               "it is read as the end of this value, not as a key of its own (a line "
                                               "that starts with a space or a tab continues the one above); remove "
                                               "its indentation"))
            return None if opt.default is REQUIRED else opt.default
        if is_unset_word(raw) and opt.seed_none_is_false:
            # The seed read its on/off keys as `value in ("true", "ok", ...)`: its None turned them off (taken as
            # "not set", the default true sent to Domoticz where the seed had not).
            self.warnings.append(seed_none_said(section, key, raw))
            return False
        if is_unset_word(raw) and not _optional_type(opt.type):
            # The seed's None means "not set" for every key, not the text "None": a required topic or
            # payload given as None must not become the topic "None" (a spare load's section).
            if opt.default is REQUIRED:
                self.problems.append(ConfigProblem(section, key, f"is required, got {raw.strip()} (the seed's "
                                                   f"\"not set\"): give the value ({opt.help})"))
                return None
            # Said aloud: json_on = None now sends the default payload, not nothing.
            # (as the file writes it, true not True; a text quoted: json_on's '1')
            default = repr(opt.default) if isinstance(opt.default, str) else shown_default(opt.default)
            self.warnings.append(ConfigProblem(section, key, f"{raw.strip()} means not set: using the default "
                                               f"{default}"))
            return opt.default
        if not raw.strip() and not _optional_type(opt.type) and opt.default != "":
            # `key =` is a value deleted, not the line: taken for the default, the recorder wrote into the config's
            # own folder and Domoticz's topics were its defaults without a word; a number's or a switch's said
            # Python's "could not convert string to float: ''". (Optional keys, "text?", "float?", take it for
            # "not set", as documented.)
            what = ("give the value" if opt.default is REQUIRED
                    else "give a value, or delete the line for its default" if opt.default is None
                    else f"give a value, or delete the line for the default, {shown_default(opt.default)}")
            self.problems.append(ConfigProblem(section, key, f"is empty: {what} ({opt.help})"))
            return None if opt.default is REQUIRED else opt.default
        try:
            value = opt.parse(raw)
        except (ValueError, TypeError) as exc:
            # One line: the value given is wrong, "is required" would only contradict it.
            self.problems.append(ConfigProblem(section, key, f"{exc} ({opt.help}){slip_advice(raw)}"))
            return None
        if isinstance(value, str):
            self._warn_slips(section, key, value, raw)
        if value is None and opt.default is REQUIRED:
            self.problems.append(ConfigProblem(section, opt.name, "is required"))
        return value

    def _warn_slips(self, section: str, key: str, value: str, raw: str) -> None:
        """Warnings for a text value that holds what was likely meant as a note or as quotes: kept as written (a
        payload or a password may hold them), said."""
        shown = "it" if key in SECRET_KEYS else repr(value)
        if has_hash_note(raw):
            self.warnings.append(ConfigProblem(section, key, f"{shown} holds ' #': used as written, {HASH_ADVICE}; "
                                               "if what follows is a note, write ' ;' instead"))
        if in_quotes(raw):
            self.warnings.append(ConfigProblem(section, key, f"{shown} is in quotes: used as written, "
                                               f"{QUOTES_ADVICE}; remove them unless they are meant"))

    def _warn_unknown(self, section: str, present: Mapping[str, str], known: set[str],
                      ignored: Mapping[str, str] | None, misplaced: Mapping[str, str] | None) -> None:
        for key in present:
            if key in known:
                continue
            if ignored and key in ignored:
                self.warnings.append(ConfigProblem(section, key, f"ignored: {ignored[key]}", unused=True))
                continue
            if misplaced and key in misplaced:
                self.warnings.append(ConfigProblem(section, key, f"ignored: {misplaced[key]}"))
                continue
            unknown = ConfigProblem(section, key, f"unknown key, ignored{did_you_mean(key, known)}")
            self._unknown.append(unknown)
            self.warnings.append(unknown)

    def place_unknown_keys(self, load_kinds: Mapping[str, str] | None = None) -> None:
        """Once every section is read: an unknown key that another section takes says so (domoticz_idx_force put in
        [domoticz], with the Domoticz keys, did nothing, and "unknown key" did not say where it goes). `load_kinds`:
        the loads' sections, with their kinds: a key of another kind of load is said so, not "it goes in [ecs]" (a
        relay's own meter, Coturex's topic_read_power under [resille], moved there would have been the heater's)."""
        kinds = load_kinds or {}
        for unknown in self._unknown:
            section, key = unknown.section, str(unknown.key)
            homes = sorted(other for other, keys in self.known.items() if key in keys and other != section)
            index = next((index for index, warning in enumerate(self.warnings) if warning is unknown), None)
            if not homes or index is None:
                continue
            if section in kinds and all(home in kinds for home in homes):
                home_kinds = sorted({kinds[home] for home in homes})
                said = (f"not a key of a {kinds[section]} load, ignored: a key of {' and '.join(home_kinds)} loads "
                        f"(as {', '.join(f'[{home}]' for home in homes)})")
            else:
                said = f"not a key of [{section}], ignored: it goes in {', '.join(f'[{home}]' for home in homes)}"
            self.warnings[index] = ConfigProblem(section, key, said)
        self._unknown.clear()
