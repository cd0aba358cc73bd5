"""The loads built from [equipments] (name = kind, one a line) and each load's own section, and the sections
that are neither PySEB's own nor a listed load's (warned of, or refused when only their case is wrong)."""

from __future__ import annotations

import configparser
import difflib
import re
import unicodedata
from pathlib import Path

from equipments.base import Equipment
from equipments.load_build import BuildContext, EquipmentBuildError
from equipments.registry import resolve_kind
from field.config import FIELD_LOAD_OPTIONS, FIELD_SECTIONS
from settings.ini_file import read_parser
from settings.options import is_unset_word
from settings.problems import ConfigError, ConfigProblem
from settings.section_reader import SectionReader
from settings.sections import IGNORED_SECTIONS, OLD_EQUIPMENT_FORMAT, SECTIONS_NOT_REPLACED, SEED_LOAD_IGNORED
from settings.seed_loads import later_water_heater, seed_keys_ignored, seed_relay_listed_as_variable
from settings.slips import slip_advice

# Sections other parts of PySEB read; the daemon's loader leaves their keys to them.
EXTENSION_SECTIONS: set[str] = {"simulation"}
LOAD_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Every section PySEB or its tools read: none can also be a load's.
OWN_SECTIONS: frozenset[str] = frozenset({"mqtt", "evaluate", "status", "logging", "record", "debug", "equipments",
                                          *FIELD_SECTIONS, *EXTENSION_SECTIONS})


def _rename_hint(name: str) -> str:
    """'; rename it and its section (sechoir)' for a name the seed took (séchoir, ballon ecs), or ''."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9_-]+", "_", plain).strip("_")
    return f"; rename it and its section ({plain})" if plain and LOAD_NAME.fullmatch(plain) else ""


def packages_needed(path: str | Path) -> tuple[str, ...]:
    """The run-time packages (pip names) the loads listed in the config at `path` need beyond paho-mqtt (a variable
    load's poly fit: numpy), read before the config is loaded so that a missing one is said first, in one line, and
    a config without one runs without numpy. () when the file or a load's type cannot be read: the loader says
    why."""
    try:
        cp = read_parser(Path(path))
    except ConfigError:
        return ()
    needed: list[str] = []
    for name, type_name in cp.items("equipments", raw=True) if cp.has_section("equipments") else ():
        try:
            cls = resolve_kind(type_name)
            section = dict(cp.items(name, raw=True)) if cp.has_section(name) else {}
            needed += [package for package in cls.packages(section) if package not in needed]
        except Exception:  # (a user's class that cannot say: the loader says why, as a config problem)
            continue
    return tuple(needed)


def build_equipments(cp: configparser.ConfigParser, reader: SectionReader,
                      config_dir: Path, demo_speed: float = 1.0) -> list[Equipment]:
    if not cp.has_section("equipments") or not cp["equipments"]:
        # An older config lists its loads in [equipment]: say so with the error, the section's own warning
        # is printed only for a config that loads.
        old_format = f"; {OLD_EQUIPMENT_FORMAT}" if cp.has_section("equipment") else ""
        typed = [(section, cp.get(section, "power_type", raw=True).strip()) for section in cp.sections()
                 if cp.has_option(section, "power_type")]
        if typed:
            # Coturex's fork for a few days of 2022 (27 Oct - 1 Nov): a section per load, typed by power_type.
            listed = ", ".join(f"{section.lower()} = {kind}" for section, kind in typed)
            sections = ", ".join(f"[{section}]" for section, _ in typed)
            old_format += (f"; sections typed by power_type ({sections}: an older format of Coturex's fork) are not "
                           f"read: list them in [equipments] ({listed}), name each section alike in lower case, and "
                           "drop power_type and json_set_power (a relay's payloads are json_on and json_off)")
        reader.problems.append(ConfigProblem("equipments", None,
                                             f"no load listed (name = type, one a line){old_format}"))
        return []
    built: list[Equipment] = []
    context = BuildContext(config_dir=config_dir, demo_speed=demo_speed)
    for name, type_name in cp.items("equipments", raw=True):
        if not LOAD_NAME.fullmatch(name):
            # A load's name heads columns of the recorded days (a space or a comma made every day unreadable by
            # report, replay and tune), and Home Assistant's topics and ids.
            reader.problems.append(ConfigProblem("equipments", name, "a load's name takes letters without accents "
                                                 "(a-z), digits, _ and - only (it names the recorded days' columns "
                                                 f"and MQTT topics){_rename_hint(name)}"))
            continue
        if name.lower() in OWN_SECTIONS:
            # Its section would be PySEB's own: read twice, as the load's options and as [record]'s or [mqtt]'s.
            reader.problems.append(ConfigProblem("equipments", name, f"a load cannot be named like PySEB's own "
                                                 f"section [{name.lower()}]: rename it (and its section)"))
            continue
        try:
            cls = resolve_kind(type_name)
        except ValueError as exc:
            # (a note after the type, `constant  # the mat`, or quotes read as part of it: said, as for other keys)
            reader.problems.append(ConfigProblem("equipments", name, f"{exc}{slip_advice(type_name)}"))
            continue
        if (later := later_water_heater(cp, name)) is not None:
            # (before its section is looked at: "delete the line" is one of the ways out, a missing section or not)
            reader.problems.append(ConfigProblem("equipments", name, later))
            continue
        if not cp.has_section(name):
            # (the names in [equipments] are keys, read in lower case, while section names keep theirs)
            near = next((section for section in cp.sections() if section.lower() == name), None)
            hint = (f" ([{near}] differs only in case: names in [equipments] are read in lower case, so name the "
                    f"section [{name}])" if near else "")
            reader.problems.append(ConfigProblem(name, None, f"section [{name}] for load {name!r} is missing{hint}"))
            continue
        if (relay := seed_relay_listed_as_variable(cp, name)) is not None:
            # (before its options are read: json_on/json_off were "unknown key, ignored", domoticz/in was told to
            # end in /cmd, and with a curve there the relay was sent percents)
            reader.problems.append(ConfigProblem("equipments", name, relay))
            continue
        before = len(reader.problems)
        # (the seed's leftover json_on/json_off on its water heater: each said ignored on a line of its own, as a key
        # the user must delete, not among the keys PySEB does not use)
        options = reader.read(cp, name, cls.OPTIONS + FIELD_LOAD_OPTIONS, ignored=SEED_LOAD_IGNORED,
                              misplaced=seed_keys_ignored(cp, name) or None)
        if len(reader.problems) > before:
            continue  # its options are wrong: building it would only add noise
        try:
            built.append(cls(name, options, context))
        except EquipmentBuildError as exc:
            reader.problems.append(ConfigProblem(name, exc.key, str(exc)))
        except Exception as exc:  # a user's class failing to build: a config problem, not a traceback (exit 1)
            if cls.__module__.startswith("equipments."):
                raise  # (a built-in class says its failures as EquipmentBuildError: anything else is a bug of ours)
            reader.problems.append(ConfigProblem(name, None, f"{cls.__module__}:{cls.__qualname__} failed to build "
                                                 f"this load: {type(exc).__name__}: {exc}"))
    return built


def _listed(cp: configparser.ConfigParser) -> set[str]:
    """The load names listed in [equipments] (keys: lower case)."""
    return set(cp["equipments"]) if cp.has_section("equipments") else set()


def warn_unused_sections(cp: configparser.ConfigParser, reader: SectionReader, loads: set[str]) -> None:
    own = OWN_SECTIONS
    for section in cp.sections():
        if section in own or section in loads:
            continue
        if section in IGNORED_SECTIONS:
            # (unused, named with the others at a start, but one whose work PySEB does not do in its place)
            reader.warnings.append(ConfigProblem(section, None, f"section ignored: {IGNORED_SECTIONS[section]}",
                                                 unused=section not in SECTIONS_NOT_REPLACED))
        elif section != section.lower() and cp.has_section(section.lower()) and section.lower() in loads | _listed(cp):
            # (the names in [equipments] are keys, read in lower case: [RADIATOR] beside [radiator] was taken for
            # the listed load radiator that failed to build, and its keys were ignored without a word)
            reader.problems.append(ConfigProblem(section, None, f"load names are read in lower case: [{section}] is "
                                                 f"not load {section.lower()}'s section, and all its keys would be "
                                                 f"ignored; put them in [{section.lower()}]"))
        elif section.lower() in _listed(cp):
            continue  # a listed load that failed to build, or its section missing but for the case: already reported
        elif section.lower() in own - EXTENSION_SECTIONS:
            # Section names are read as written: every key of [MQTT] or [Fallback] was dropped for its default
            # (the broker, the topics, seed_rule = false), with a warning that did not say why.
            reader.problems.append(ConfigProblem(section, None, f"PySEB's section names are lower case: name it "
                                                 f"[{section.lower()}] (as written, all its keys would be ignored)"))
        else:
            hint = difflib.get_close_matches(section.lower(), sorted(own | loads | _listed(cp)), n=1)
            extra = f" (did you mean [{hint[0]}]?)" if hint else ""
            # A load's section whose command topic is not set (None), close to no other name: a spare load, as the
            # seed kept them (its sample's [soufflant_a]), unused. One that looks misspelt asks to be looked at, in a
            # line of its own; so does one with a command topic: a load added and not listed (or taken out of the
            # list), for which "delete it to silence this" is not the advice.
            topic = cp.get(section, "topic_set_power", raw=True, fallback=None)
            spare = not hint and topic is not None and (not topic.strip() or is_unset_word(topic))
            if not hint and topic is not None and not spare:
                extra = f": list it there ({section} = its type) for PySEB to drive it, or delete the section"
            reader.warnings.append(ConfigProblem(section, None,
                                                 "section ignored: not a PySEB section nor a load listed in "
                                                 f"[equipments]{extra}", unused=spare))
