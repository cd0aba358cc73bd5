"""The configuration reference, generated from the option tables the loader validates against (every key,
its type, default, range and help), so that it cannot drift from the code:

    python3 -m settings.reference > docs/configuration.md      (or: make docs)

tests/test_configuration_reference.py fails when docs/configuration.md is not what this prints."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from equipments.base import Equipment
from equipments.registry import BUILTIN, resolve_kind
from field.config import FIELD_EVALUATE_OPTIONS, FIELD_LOAD_OPTIONS
from field.fallback_settings import FALLBACK_OPTIONS, SEASON_OPTIONS
from field.forecast_settings import FORECAST_OPTIONS, OWM_OPTIONS
from integrations.domoticz_settings import DOMOTICZ_IGNORED, DOMOTICZ_OPTIONS, MQTT_IGNORED
from integrations.homeassistant_settings import HOMEASSISTANT_OPTIONS
from settings.config import EVALUATE_IGNORED, RELAY_KEYS_IN_EVALUATE
from settings.load_building import EXTENSION_SECTIONS
from settings.options import REQUIRED, Option, bound_text, shown_default
from settings.sections import (
    EVALUATE_OPTIONS,
    IGNORED_SECTIONS,
    LEGACY_IGNORED,
    LOGGING_OPTIONS,
    MQTT_OPTIONS,
    RECORD_OPTIONS,
    SECTIONS_NOT_REPLACED,
    SEED_LOAD_IGNORED,
    STATUS_OPTIONS,
)

COMMAND = "python3 -m settings.reference > docs/configuration.md"


@dataclass(frozen=True, slots=True)
class Section:
    """One config section as the loader reads it: its options (from the tables named in `source`)."""

    name: str
    about: str
    source: str
    options: tuple[Option, ...]
    ignored: Mapping[str, str] = field(default_factory=dict)  # keys PySEB does not use (one warning names them)
    misplaced: Mapping[str, str] = field(default_factory=dict)  # keys of other sections, each warned of


# In the order of config.ini.sample. The load kinds' sections come after [equipments] (see load_sections).
DAEMON_SECTIONS: tuple[Section, ...] = (
    Section("mqtt", "The broker, the meters' topics and the regulator's own topics.",
            "settings/sections.py MQTT_OPTIONS", MQTT_OPTIONS, MQTT_IGNORED),
    Section("evaluate", "How the regulator decides, and when the meters count as silent; the seed's keys of the "
            "daily rules are read here too.",
            "settings/sections.py EVALUATE_OPTIONS, field/config.py FIELD_EVALUATE_OPTIONS",
            EVALUATE_OPTIONS + FIELD_EVALUATE_OPTIONS, EVALUATE_IGNORED, RELAY_KEYS_IN_EVALUATE),
    Section("status", "The status file (saved every status_time seconds, restored at start).",
            "settings/sections.py STATUS_OPTIONS", STATUS_OPTIONS),
    Section("logging", "Where the log goes and how much of it.", "settings/sections.py LOGGING_OPTIONS",
            LOGGING_OPTIONS),
    Section("record", "The decision recorder (one CSV file a day, for the simulator's replay).",
            "settings/sections.py RECORD_OPTIONS", RECORD_OPTIONS),
)
FIELD_SECTIONS: tuple[Section, ...] = (
    Section("fallback", "The water heater's low-energy fallback: the seed's daily rule and the deadline rule.",
            "field/fallback_settings.py FALLBACK_OPTIONS", FALLBACK_OPTIONS),
    Section("openweathermap", "The cloud forecast the seed's rule reads (OpenWeatherMap).",
            "field/forecast_settings.py OWM_OPTIONS", OWM_OPTIONS),
    Section("forecast", "A forecast published on MQTT instead of (or besides) OpenWeatherMap.",
            "field/forecast_settings.py FORECAST_OPTIONS", FORECAST_OPTIONS),
    Section("season", "The day of year each season starts (the seed rule's thresholds are per season).",
            "field/fallback_settings.py SEASON_OPTIONS", SEASON_OPTIONS),
    Section("domoticz", "The Domoticz link: sensors, the water heater's mode selector, force switches.",
            "integrations/domoticz_settings.py DOMOTICZ_OPTIONS", DOMOTICZ_OPTIONS, DOMOTICZ_IGNORED),
    Section("homeassistant", "Home Assistant MQTT discovery and controls.",
            "integrations/homeassistant_settings.py HOMEASSISTANT_OPTIONS", HOMEASSISTANT_OPTIONS),
)

_TYPES: dict[Any, str] = {int: "integer", float: "number", bool: "true/false", str: "text",
                          "text?": "text, optional", "float?": "number, optional", "bool?": "true/false, optional",
                          "log level": "text", "json field": "text"}


def load_sections() -> list[tuple[str, Section]]:
    """(kind, section) for each built-in load kind: its class's OPTIONS and the field features' per-load ones."""
    kinds: dict[type[Equipment], list[str]] = {}
    for name in BUILTIN:
        kinds.setdefault(resolve_kind(name), []).append(name)
    sections = []
    for cls, names in kinds.items():
        module = cls.__module__.replace(".", "/") + ".py"
        aliases = f" (also `{'`, `'.join(names[1:])}`)" if len(names) > 1 else ""
        about = f"A load of type `{names[0]}`{aliases}: {(cls.__doc__ or '').strip().splitlines()[0]}"
        sections.append((names[0], Section(f"load = {names[0]}", about,
                                           f"{module} {cls.__name__}.OPTIONS, field/config.py FIELD_LOAD_OPTIONS",
                                           cls.OPTIONS + FIELD_LOAD_OPTIONS, SEED_LOAD_IGNORED)))
    return sections


# The sections the daemon takes without reading them (another tool's): each one said, or a user finds no warning and
# no line here for it. A section added to EXTENSION_SECTIONS without its line here is a KeyError at `make docs`.
EXTENSION_HELP: Mapping[str, str] = {
    "simulation": "Read by the simulator only (`python3 -m simulation replay` and `tune`): the simulated house's "
                  "real watts, tanks and meters. The daemon and `--check` take the section without a warning and do "
                  "not check its keys; the simulator does: see [the `[simulation]` section]"
                  "(simulation.md#the-simulation-section).",
}


# How a key or section PySEB does not use is said (settings.problems.unused_summary)
UNUSED_SAID = "named in the start's one warning of unused keys"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _default(opt: Option) -> str:
    if opt.default is REQUIRED:
        return "**required**"
    if opt.default is None:
        return "not set"
    return f"`{shown_default(opt.default)}`" if str(opt.default) != "" else "empty"


def _values(opt: Option) -> str:
    if opt.choices:
        return ", ".join(f"`{choice}`" for choice in opt.choices)
    if opt.min is not None and opt.max is not None:
        return f"{bound_text(opt.min)} to {bound_text(opt.max)}"
    if opt.min is not None:
        return f">= {bound_text(opt.min)}"
    if opt.max is not None:
        return f"<= {bound_text(opt.max)}"
    return ""


def _table(options: Iterable[Option]) -> list[str]:
    lines = ["| key | type | default | values | what it does |", "|---|---|---|---|---|"]
    for opt in options:
        key = f"`{opt.name}`" + (f" (seed: {', '.join(f'`{a}`' for a in opt.aliases)})" if opt.aliases else "")
        lines.append(f"| {key} | {_TYPES.get(opt.type, str(opt.type))} | {_default(opt)} | {_cell(_values(opt))} "
                     f"| {_cell(opt.help)} |")
    return lines


def _section(title: str, section: Section) -> list[str]:
    lines = [f"## {title}", "", section.about, "", f"Source: {section.source}.", "", *_table(section.options)]
    if section.ignored:
        lines += ["", f"Accepted and ignored ({UNUSED_SAID}):", ""]
        lines += [f"- `{key}`: {reason}" for key, reason in section.ignored.items()]
    if section.misplaced:
        lines += ["", "Accepted and ignored, each with a warning of its own (they belong in another section):", ""]
        lines += [f"- `{key}`: {reason}" for key, reason in section.misplaced.items()]
    return [*lines, ""]


def render() -> str:
    """The whole reference page, as Markdown."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated: do not edit. Run `" + COMMAND + "` (or `make docs`). -->",
        "",
        "Every key the daemon reads, generated from the option tables the loader validates against, so it "
        "is always the code's. A commented example of every option is in "
        "[config.ini.sample](../config.ini.sample); how a bad file is reported is in the "
        "[README](../README.md#configuration-walkthrough). Keys are case-insensitive, section names are not (a "
        "PySEB section in capitals, `[MQTT]`, is an error); a key or section in no table is warned about (with "
        "the section that takes the key, or the nearest known one when one is close), a bad value is an error "
        "naming file, section and key. What PySEB accepts and does nothing with (the keys listed below each section "
        "as accepted and ignored, the seed's; a spare load's section, its `topic_set_power = None`, listed in no "
        "`[equipments]`, as the seed kept them; `[evaluate] balance_threshold` under the closed loop) changes "
        "nothing: the daemon's start names it all in one warning (`config.ini: 7 keys and 1 section that PySEB does "
        "not use, ignored: [evaluate] ecs_full_capacity, ...; [debug] simul_prod, ...; section [soufflant_a]; delete "
        "them to silence this ...`), each one's reason at debug level, and `--check` lists them with their reasons. "
        "A line that starts with a space or a tab continues the value above it (a "
        "JSON payload may run over lines so): a `key = value` line indented so is an error, as it would be read "
        "as the end of the value above. INI's `[DEFAULT]` section is copied into every section (a key there "
        "would be read in each, in `[equipments]` as a load): a key in it is an error that names the section "
        "it belongs in. The file "
        "is read as UTF-8 (with or without a byte order mark) or, failing that, in the Windows code page (Notepad's "
        "\"ANSI\": accented comments); Windows line ends are fine; UTF-16 (Notepad's \"Unicode\") is refused. `%%` "
        "in a value is read as one `%`, as the seed's parser read it (`\"brightness\": 100%%` sends `100%`); a single "
        "`%` stays as it is (`100%` sends `100%`), and nothing else is expanded (`%(name)s` is text). A "
        "note after a value starts with ` ;` (`max_power = 500 ; the towel dryer`); ` #` there is part of the value, "
        "and said so (an error where the value must be a number or a load's type, a warning on a text), as is a `;` "
        "with no space before it (`500; watts`, said with a number's error); so are "
        "quotes around a value (`topic_set_power = \"cmnd/plug/POWER\"`): INI keeps them as part of it. A topic "
        "with a space at "
        "either end of a level (`smeter/pzem /CONSOMMATION`) or an empty level after the first (a `/` at the end, "
        "`//`) is warned of: valid MQTT, but topics match exactly and a device's almost never has one. So is a "
        "leading `/` in PySEB's own topics (`[mqtt] topic_regul`, `topic_mode`, `topic_status`, "
        "`topic_availability`, `topic_report`, `[forecast] topic`, `[domoticz] topic_in`, `topic_out`): "
        "`/regul/mode` and `regul/mode` are two topics; not in a device's (a meter's, a load's): some firmwares' "
        "topics start so (ESPEasy's older defaults). One topic for two roles is an error: two of `[mqtt]`'s, "
        "one of them and Domoticz's input or output (read with its subtopics, `topic_out/#`) while PySEB uses "
        "it, one of them and a topic a load reads (a variator's answers, given or made from its command topic), "
        "a forecast on Domoticz's input while PySEB sends there, a load's command topic and what another load "
        "reads (a variator's status, a heater's own meter) or "
        "another variator's commands, a load's command topic under Domoticz's output; relays commanded through "
        "Domoticz share its input, as they should. Two relay loads on one topic with the same `json_on` are one "
        "device counted twice: warned.",
        "",
        "Types: `text, optional`, `number, optional` and `true/false, optional` take an empty value (or the "
        "seed's `None`) for \"not set\"; any other key written empty (`key =`) is an error: delete the line for "
        "its default. The seed's `None` means \"not set\" for every other key too: a key "
        "with a default takes its default (with a warning), a **required** key given as `None` is an error "
        "(a spare load's `topic_set_power = None` never becomes the topic `None`); but on the seed's own on/off keys "
        "(`[domoticz] send_domoticz`, `send_grid`, `send_injection`, `[debug] use_persistent`) it is false, as the "
        "seed read it (with a warning). The seed's key names are "
        "accepted where a key lists them. A number is written in ASCII digits, with a sign, a point or an exponent "
        "(`-2`, `0.5`, `1e3`); one with a `_` (`1_000`, which Python reads as 1000: `margin = 2_0`, a typo, was "
        "20) is an error.",
        "",
    ]
    for section in DAEMON_SECTIONS:
        lines += _section(f"[{section.name}]", section)
    lines += [
        "## [equipments]",
        "",
        "The loads, one `name = type` line each, in priority order (the first is served first). Each load then "
        "has a section of its own, `[name]`, with its type's keys below. A name takes letters without accents "
        "(a-z), digits, `_` and `-` (it heads the recorded days' columns and names MQTT topics), is not one of "
        "PySEB's own sections (`record`, `mqtt`, ...) and is read in lower case: `ECS = variable` is the load "
        "`ecs`, with its section `[ecs]`. A type is one of the short names "
        f"{', '.join(f'`{name}`' for name in BUILTIN)}, or `package.module:Class` for a class of your own "
        "(a subclass of `equipments.base.Equipment`; its `OPTIONS`, `Equipment.OPTIONS + (...)`, are read the same "
        "way; it implements `max_power_w`, `command_for`, `increase_power_by` and `decrease_power_by`). Its module "
        "is found beside `regulation.py` or in a folder named by `PYTHONPATH` (not beside `config.ini`); one that "
        "does not import or build is a config problem, said by `--check`. The simulation tools (`replay`, `tune`) "
        "know the built-in types only. `water_heater` is the seed's name for its one heater, a `variable` load: a "
        "second `water_heater` is refused (the seed skipped it without a word): write it `variable` (a heater behind "
        "a variator), `constant` (a relay), or delete the line.",
        "",
    ]
    for kind, section in load_sections():
        lines += _section(f"[*load*] of type {kind}", section)
    for section in FIELD_SECTIONS:
        lines += _section(f"[{section.name}]", section)
    for name in sorted(EXTENSION_SECTIONS):
        lines += [f"## [{name}]", "", EXTENSION_HELP[name], ""]
    lines += ["## The seed's sections", "",
              "`[debug]`: `use_persistent` is read as `[status] persistent`, `log_file` (and `log_file_name`) as "
              "`[logging] file`, each when the new key is not set (the new key wins; `use_persistent` that disagrees "
              f"with it is said); its other keys are ignored ({UNUSED_SAID}):", ""]
    lines += [f"- `{key}`: {reason}" for key, reason in LEGACY_IGNORED["debug"].items()]
    lines += ["", f"Sections ignored ({UNUSED_SAID}):", ""]
    lines += [f"- `[{name}]`: {reason}" for name, reason in IGNORED_SECTIONS.items()
              if name not in SECTIONS_NOT_REPLACED]
    lines += ["", "Sections ignored, each with a warning of its own (PySEB does not do their work in their place):", ""]
    lines += [f"- `[{name}]`: {reason}" for name, reason in IGNORED_SECTIONS.items() if name in SECTIONS_NOT_REPLACED]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Print the reference on standard output."""
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
