"""Two sections whose keys the loader reads only to send elsewhere: the file's [DEFAULT] (copied by the INI
format into every section) and the seed's [debug] (its use_persistent and log_file still mean something)."""

from __future__ import annotations

import configparser
from typing import Any

from settings.options import is_unset_word, parse_bool, seed_none_said, shown_default
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader
from settings.sections import LEGACY_IGNORED, SEED_LOG_FILE, SEED_LOG_FILE_NAME


def take_defaults(cp: configparser.ConfigParser) -> list[str]:
    """The keys of the file's [DEFAULT], taken out of `cp`: INI copies them into every section, where each would be
    read again (as a load's name in [equipments], a key in every load), each with an error that did not say why."""
    leaked = list(cp.defaults())
    for key in leaked:
        cp.remove_option(cp.default_section, key)
    return leaked


def refuse_defaults(reader: SectionReader, leaked: list[str]) -> None:
    """One problem per key of [DEFAULT], naming the section(s) that take it (once every section is read)."""
    found = []
    for key in leaked:
        homes = sorted(section for section, keys in reader.known.items() if key in keys)
        where = (f"move it to {', '.join(f'[{home}]' for home in homes)}" if homes
                 else "no section of PySEB takes it: delete it")
        found.append(ConfigProblem("DEFAULT", key, "[DEFAULT] is copied into every section by the INI format (in "
                                   f"[equipments], {key} would be a load): {where}"))
    reader.problems[:0] = found


def apply_debug_section(cp: configparser.ConfigParser, reader: SectionReader, status_raw: dict[str, Any],
                         logging_raw: dict[str, Any]) -> None:
    """The seed's [debug] keys that still mean something: use_persistent and log_file."""
    if not cp.has_section("debug"):
        return
    debug = cp["debug"]
    known = {"use_persistent", "log_file", "log_file_name"}
    if "simulation" in debug:
        _check_seed_dry_run(debug["simulation"], reader)
    for key in debug:
        if key == "simulation":
            continue
        if key not in known and key not in LEGACY_IGNORED["debug"]:
            reader.warnings.append(ConfigProblem("debug", key, "unknown key, ignored"))
        elif key in LEGACY_IGNORED["debug"]:
            reader.warnings.append(ConfigProblem("debug", key, f"ignored: {LEGACY_IGNORED['debug'][key]}",
                                                 unused=True))
    if "use_persistent" in debug:
        _read_use_persistent(cp, debug["use_persistent"], reader, status_raw)
    if "log_file" not in debug or logging_raw.get("file"):
        return  # ([logging] file wins: the seed's keys are not read, nor warned of)
    log_file = reader.read_key("debug", SEED_LOG_FILE, "log_file", debug["log_file"])
    if not log_file:
        return
    lowered = log_file.lower()
    if lowered in ("true", "yes", "on"):  # Coturex: log_file = true + log_file_name = pv.log
        logging_raw["file"] = (reader.read_key("debug", SEED_LOG_FILE_NAME, "log_file_name", debug["log_file_name"])
                               if "log_file_name" in debug else SEED_LOG_FILE_NAME.default)
        reader.given_as[("logging", "file")] = ("debug", "log_file_name" if "log_file_name" in debug else "log_file")
    elif lowered not in ("false", "no", "off", "nok"):  # (the seed's debug_log: none, false, nok: no file)
        logging_raw["file"] = log_file
        reader.given_as[("logging", "file")] = ("debug", "log_file")


def _check_seed_dry_run(raw: str, reader: SectionReader) -> None:
    """The seed's `[debug] simulation = true` was a dry run: its commands went under simu/ and the devices were
    never driven. PySEB has no such mode: taken as ignored, the file that drove nothing would drive the real
    loads. Refused, with what to do; false (or the seed's None, not set) is ignored as the other debug keys."""
    if is_unset_word(raw):
        return
    try:
        dry_run = parse_bool(raw)
    except ValueError as exc:
        reader.problems.append(ConfigProblem("debug", "simulation", str(exc)))
        return
    if dry_run:
        reader.problems.append(ConfigProblem("debug", "simulation", "true was the seed's dry run (no device "
                                             "driven); PySEB has none and would drive the real loads: set it to "
                                             "false (or delete it) to regulate for real, or try PySEB on a "
                                             "simulated house: make demo"))
    else:
        reader.warnings.append(ConfigProblem("debug", "simulation", "false: ignored, PySEB drives the loads; delete "
                                             "the line to silence this (to try PySEB without them: make demo)",
                                             unused=True))


def _read_use_persistent(cp: configparser.ConfigParser, raw: str, reader: SectionReader,
                         status_raw: dict[str, Any]) -> None:
    """The seed's use_persistent, read as [status] persistent when that is not set. Its None is false, as the seed
    read it (`use_persistent in ("true", "ok", ...)`: no status loaded, none saved), not "not set"."""
    try:
        persistent = False if is_unset_word(raw) else parse_bool(raw)
    except ValueError as exc:
        if not cp.has_option("status", "persistent"):
            reader.problems.append(ConfigProblem("debug", "use_persistent", str(exc)))
        else:
            _warn_overruled_persistent(None, status_raw.get("persistent"), reader)
        return
    if not cp.has_option("status", "persistent"):
        status_raw["persistent"] = persistent
        if is_unset_word(raw):
            reader.warnings.append(seed_none_said("debug", "use_persistent", raw))
    else:
        _warn_overruled_persistent(persistent, status_raw.get("persistent"), reader)


def _warn_overruled_persistent(seed_value: bool | None, persistent: Any, reader: SectionReader) -> None:
    """[status] persistent wins over the seed's [debug] use_persistent (`seed_value`, None when not a true or false):
    said when the two disagree (a seed file merged into a new one kept its `use_persistent = false`, and the status
    was saved and restored all the same)."""
    if not isinstance(persistent, bool):
        return  # (its own value refused: said)
    if seed_value != persistent:
        reader.warnings.append(ConfigProblem("debug", "use_persistent", f"ignored: [status] persistent = "
                                             f"{shown_default(persistent)} is set too, and wins (delete one of the "
                                             "two lines)"))
