"""The grid `tune` replays: `--set SECTION.KEY=v1,v2,...` axes, checked against the config schema (the
option tables of settings/ and each load class's OPTIONS) before anything runs, and one config file per
setting, written with absolute paths in a work directory.

Without `--set`, the grid is built from `DEFAULT_CANDIDATES` (`DEFAULT_RELAYS_ONLY` for a config whose loads are
all relays), keeping only the keys the schema knows (a key a newer controller adds joins the default grid by being
listed here)."""

from __future__ import annotations

import configparser
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from equipments.constant import RelayEquipment
from equipments.registry import resolve_kind
from field.config import FIELD_EVALUATE_OPTIONS, FIELD_LOAD_OPTIONS
from settings.config import load_settings, read_parser
from settings.ini_file import DoubledPercent
from settings.options import Option, did_you_mean, resolved
from settings.problems import ConfigError
from settings.section_reader import SectionReader
from settings.sections import EVALUATE_OPTIONS
from simulation.config import read_sim_config
from simulation.variants import make_paths_absolute, value_as_in_config

__all__ = ["DEFAULT_CANDIDATES", "DEFAULT_RELAYS_ONLY", "Axis", "TuneError", "build_grid", "config_values",
           "current_setting", "points", "shown_values", "write_variants"]

RELAYS = "relays"  # in DEFAULT_CANDIDATES: the key of every relay load, set together
DEFAULT_CANDIDATES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # The closed loop's knobs (the default algorithm): the export setpoint, and the relays' wear trade-off.
    # Hébert's balance_threshold is not in it: give it with --set for a config that runs algorithm = hebert.
    ("evaluate", "margin", ("0", "10", "20")),
    (RELAYS, "min_on_s", ("300", "600")),
    (RELAYS, "min_off_s", ("120", "300")),
    (RELAYS, "hysteresis", ("100", "150")),
)
# With relays only (no variable load) the dwell is the whole trade: nothing else gives a cloud back, a min_on_s of
# 60 s captures 10 to 15 points more than 600 s on a changeable day, for twice the switches (docs/control.md, "A
# house with relays only"), so the grid reaches down there; and a relay of known watts goes off at the first import
# whatever its hysteresis, the band variable loads give back: not an axis (it only moves a trial's threshold).
DEFAULT_RELAYS_ONLY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("evaluate", "margin", ("0", "20")),
    (RELAYS, "min_on_s", ("60", "120", "600")),
    (RELAYS, "min_off_s", ("30", "120")),
)


class TuneError(ValueError):
    """A grid that cannot run; the message lists every problem."""


@dataclass(frozen=True, slots=True)
class Axis:
    """One dimension of the grid: the keys it sets (one, or a key of every relay) and their values."""

    label: str  # SECTION.KEY, or relays.KEY
    targets: tuple[tuple[str, str], ...]  # (section, key) pairs set to the same value
    values: tuple[str, ...]


def _schema(cp: configparser.ConfigParser) -> tuple[dict[str, dict[str, Option]], list[str], list[str]]:
    """Options by section (evaluate and each load), the relay loads' names, and problems."""
    schema = {"evaluate": {opt.name: opt for opt in EVALUATE_OPTIONS + FIELD_EVALUATE_OPTIONS}}
    relays: list[str] = []
    problems: list[str] = []
    for name, type_name in cp.items("equipments", raw=True) if cp.has_section("equipments") else []:
        try:
            cls = resolve_kind(type_name)
        except ValueError as exc:
            problems.append(f"[equipments] {name}: {exc}")
            continue
        schema[name] = {opt.name: opt for opt in cls.OPTIONS + FIELD_LOAD_OPTIONS}
        if issubclass(cls, RelayEquipment):  # (as `_relays_only` and `--check` judge a relay: a user's class too)
            relays.append(name)
    return schema, relays, problems


def _relays_only(cp: configparser.ConfigParser) -> bool:
    """Whether every load of the config is a relay (a RelayEquipment, a user's class too), as `regulation.py --check`
    judges it; False with no load, or one whose kind does not resolve (`_schema` says why)."""
    kinds = cp.items("equipments", raw=True) if cp.has_section("equipments") else []
    try:
        return bool(kinds) and all(issubclass(resolve_kind(kind), RelayEquipment) for _, kind in kinds)
    except ValueError:
        return False


def _parse_set(text: str) -> tuple[str, str, tuple[str, ...]] | str:
    target, equals, values = text.partition("=")
    section, dot, key = target.strip().rpartition(".")
    items = tuple(v.strip() for v in values.split(","))
    if not equals or not dot or not section or not key or not all(items):
        return f"--set {text!r}: expected SECTION.KEY=v1,v2,... (e.g. evaluate.margin=10,30,60)"
    return section.lower(), key.lower(), tuple(dict.fromkeys(items))


def _check_values(label: str, option: Option, values: Sequence[str], problems: list[str]) -> None:
    for value in values:
        try:
            option.parse(value)
        except (ValueError, TypeError) as exc:
            problems.append(f"--set {label}={value}: {exc} ({option.help})")


def build_grid(config: Path, sets: Sequence[str]) -> list[Axis]:
    """The axes of the grid; TuneError naming every bad `--set` (unknown section or key, bad value)."""
    cp = read_parser(config)
    schema, relays, problems = _schema(cp)
    axes: list[Axis] = []
    if not sets:
        for section, key, values in DEFAULT_RELAYS_ONLY if _relays_only(cp) else DEFAULT_CANDIDATES:
            owners = relays if section == RELAYS else [section]
            targets = tuple((owner, key) for owner in owners if key in schema.get(owner, {}))
            if targets:
                axes.append(Axis(f"{section}.{key}", targets, values))
    for text in sets:
        parsed = _parse_set(text)
        if isinstance(parsed, str):
            problems.append(parsed)
            continue
        section, key, values = parsed
        label = f"{section}.{key}"
        if section == RELAYS and section not in schema:  # (a load named `relays` keeps its own name)
            owners = [relay for relay in relays if key in schema[relay]]
            if not owners:
                problems.append(f"--set {label}: no relay load of the config has an option {key!r}"
                                + did_you_mean(key, {k: o for r in relays for k, o in schema[r].items()})
                                if relays else f"--set {label}: the config has no relay load")
            elif any(label == axis.label for axis in axes):
                problems.append(f"--set {label}: given twice")
            else:
                _check_values(label, schema[owners[0]][key], values, problems)
                axes.append(Axis(label, tuple((owner, key) for owner in owners), values))
            continue
        if section not in schema:
            problems.append(f"--set {label}: [{section}] is neither [evaluate] nor a load of the config "
                            f"({', '.join(s for s in schema if s != 'evaluate')})"
                            + did_you_mean(section, [*schema, *([RELAYS] if relays else [])]))
        elif key not in schema[section]:
            problems.append(f"--set {label}: [{section}] has no option {key!r}" + did_you_mean(key, schema[section]))
        elif any(label == axis.label for axis in axes):
            problems.append(f"--set {label}: given twice")
        else:
            _check_values(label, schema[section][key], values, problems)
            axes.append(Axis(label, ((section, key),), values))
    claimed: dict[tuple[str, str], str] = {}
    for axis in axes:
        for target in axis.targets:
            if target in claimed and claimed[target] != axis.label:
                problems.append(f"--set {axis.label}: sets [{target[0]}] {target[1]}, as {claimed[target]} does")
            claimed.setdefault(target, axis.label)
    if problems:
        raise TuneError("\n".join(problems))
    if not axes:
        raise TuneError("nothing to tune: give --set SECTION.KEY=v1,v2,...")
    return axes


def config_values(config: Path, axes: Sequence[Axis]) -> list[list[object]]:
    """Per axis, the value the config runs for each key it sets (its own value, else the option's default), as
    the daemon reads them (`100` is `100.0`)."""
    cp = read_parser(config)
    schema, _, _ = _schema(cp)
    # The daemon's own reader (aliases, the seed's None for "not set"); a bad value reads as None, and its
    # problem is the replays' to say.
    reader = SectionReader()
    algorithm = reader.read(cp, "evaluate", [schema["evaluate"]["algorithm"]])["algorithm"]  # (margin's default)
    return [[resolved(reader.read(cp, section, [schema[section][key]])[key], algorithm)
             for section, key in axis.targets] for axis in axes]


def current_setting(config: Path, axes: Sequence[Axis]) -> tuple[str | None, ...]:
    """Per axis, the value of the grid that the config runs now (its own value, else the option's default),
    compared as the daemon reads them (`100` is `100.0`); None when no value of the axis is, or when the
    relays it sets do not all run the same one."""
    schema, _, _ = _schema(read_parser(config))
    current: list[str | None] = []
    for axis, values in zip(axes, config_values(config, axes), strict=True):
        # (the axis's values parse: build_grid refused any that does not)
        found = {next((v for v in axis.values if schema[section][key].parse(v) == now), None)
                 for (section, key), now in zip(axis.targets, values, strict=True)}
        current.append(found.pop() if len(found) == 1 else None)
    return tuple(current)


def shown_values(values: Sequence[object]) -> str:
    """The config's value(s) of an axis as a user reads them: `20` (not `20.0`), `300/600` for relays that differ."""
    texts = dict.fromkeys(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
    return "/".join(texts)


def points(axes: Sequence[Axis]) -> list[tuple[str, ...]]:
    """Every setting of the grid: one value per axis."""
    return list(itertools.product(*(axis.values for axis in axes)))


def write_variants(config: Path, axes: Sequence[Axis], settings: Sequence[tuple[str, ...]],
                   directory: Path, number_from: int = 1) -> list[Path]:
    """One config file per setting in `directory`, each checked as the daemon and the simulator read it; numbered
    from `number_from` (the grid's first setting is written alone, before the others: tune_cli)."""
    try:
        base = read_parser(config)
        if not base.has_section("simulation"):
            base.add_section("simulation")
        make_paths_absolute(base, config)
    except ConfigError as exc:
        raise TuneError(exc.render()) from None
    paths: list[Path] = []
    problems: list[str] = []
    for index, setting in enumerate(settings):
        # (written as read_parser reads it back: each `%` doubled; written as held, a value of `%%` (the file's
        # `%%%%`) came back `%`)
        cp = configparser.ConfigParser(interpolation=DoubledPercent())
        cp.optionxform = str  # type: ignore[assignment,method-assign]
        cp.read_dict(base)
        for axis, value in zip(axes, setting, strict=True):
            for section, key in axis.targets:
                if not cp.has_section(section):  # (the README's minimal config has no [evaluate]: a traceback)
                    cp.add_section(section)
                cp.set(section, key, value_as_in_config(key, value, config))
        path = directory / f"setting-{number_from + index}.ini"
        with open(path, "w", encoding="utf-8") as handle:
            cp.write(handle)
        try:
            load_settings(path, daemon_files=False)
            read_sim_config(path)
        except ConfigError as exc:
            where = ", ".join(f"{axis.label}={value}" for axis, value in zip(axes, setting, strict=True))
            problems.append(f"setting {where}: " + "; ".join(p.message if p.key is None else
                                                             f"[{p.section}] {p.key}: {p.message}"
                                                             for p in exc.problems))
        paths.append(path)
    if problems:
        raise TuneError("\n".join(problems))
    return paths
