"""The demo's config: the template (`simulation/demo.ini`) pointed at the private broker, in fast time."""

from __future__ import annotations

import configparser
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

from equipments.constant import RELAY_OPTIONS
from recording.format import RecordError, is_record_file, read_record
from settings.config import read_parser
from settings.options import Option
from settings.sections import EVALUATE_OPTIONS

if TYPE_CHECKING:
    from simulation.config import SimConfig

__all__ = ["DEMO_TEMPLATE", "played_zone", "write_demo_config", "zone_note"]

DEMO_TEMPLATE = Path(__file__).resolve().parent / "demo.ini"
DEMO_CONFIG_NAME = "demo.ini"  # the daemon's config, written in the demo's folder

# The daemon runs on its wall clock while the house runs `speed` times faster: its timers shrink by as
# much. A floor keeps a loaded machine's scheduling jitter from looking like a silent meter.
MIN_METER_TIMEOUT_S = 1.0


def played_zone(trace: Path, template: SimConfig) -> str | None:
    """The zone the demo's house plays `trace` in, when it is not the template's: a day the daemon recorded, at
    another UTC offset than the template's zone gives it (a house in Lisbon, in London: the demo's is in Paris), is
    played at its own offset, a zone of fixed offset (`Etc/GMT-1` is UTC+01:00), which the demo's user cannot
    set (the config is the demo's own), or for an offset of no whole hour (India's +05:30) a zone at it that day.
    None: the template's zone (a trace, whose times are the house's; a day at its offset; an offset no zone has,
    which the replay's check then refuses, saying why)."""
    if not is_record_file(trace):
        return None
    try:
        day = read_record(trace)
    except RecordError:  # (said by the trace's reading, next)
        return None
    if not day.records or day.tz is None:
        return None
    first = day.records[0].time_s
    recorded = datetime.fromtimestamp(first, day.tz).utcoffset()
    zone = ZoneInfo(template.timezone) if template.timezone else None
    here = (datetime.fromtimestamp(first, zone) if zone else datetime.fromtimestamp(first).astimezone()).utcoffset()
    if recorded is None or recorded == here:
        return None
    minutes = int(recorded.total_seconds() // 60)
    last = day.records[-1].time_s
    at_last = datetime.fromtimestamp(last, day.tz).utcoffset()
    recorded_last = recorded if at_last is None else at_last  # (UTC's timedelta(0) is false: not `or`)
    # (a day its clocks changed on, each end at its own offset: Newfoundland's, Adelaide's, Lord Howe's found no zone
    # at the first's offset at both ends, and the demo of that day was refused; London's played at Etc/GMT-1 all day)
    if minutes % 60 or recorded_last != recorded:  # (India's +05:30, Nepal's +05:45: no Etc zone)
        found = _zone_at(recorded, first, recorded_last, last)
        if found is not None or minutes % 60:
            return found
    return "Etc/UTC" if minutes == 0 else f"Etc/GMT{-minutes // 60:+d}"  # (the Etc zones' sign is POSIX's: inverted)


def _zone_at(offset: timedelta, first_s: float, last_offset: timedelta, last_s: float) -> str | None:
    """A zone at `offset` from `first_s` to `last_s` (the day played): one of the tz database's current names first
    (Asia/Kolkata, not its old Asia/Calcutta, kept as an alias: the first by name, it was the one said), then one of
    a fixed offset all year (Asia/Kolkata for +05:30), else one in summer time then (Australia/Adelaide for +10:30 in
    January), then the one at that offset the longest (Asia/Kolkata since 1945, Asia/Colombo since 2006); by name among
    equals; at `last_offset` at `last_s` (a day the clocks changed on: a zone that changes them then). None: no zone
    has it."""
    year = datetime.fromtimestamp(first_s, timezone.utc).year
    old_name = _old_name()
    found: list[tuple[bool, bool, int, str]] = []
    for name in available_timezones():
        try:
            zone = ZoneInfo(name)
        except (ValueError, OSError):  # (a name the tzdata lists and cannot load)
            continue
        if all(datetime.fromtimestamp(when, zone).utcoffset() == at for when, at in ((first_s, offset),
                                                                                   (last_s, last_offset))):
            seasons = {datetime(year, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
            # (the same month's offset, each of the 50 years before: how long the zone has kept it)
            month = datetime.fromtimestamp(first_s, zone).month
            kept = sum(datetime(year - back, month, 15, tzinfo=zone).utcoffset() == offset for back in range(50))
            found.append((old_name(name), len(seasons) > 1, -kept, name))
    return min(found)[-1] if found else None


def _old_name() -> Callable[[str], bool]:
    """Whether a zone's name is one of the tz database's old ones, kept as an alias (Asia/Calcutta for Asia/Kolkata):
    not in its list of current names (zone1970.tab, else zone.tab, beside the zone files; tzdata's package on a machine
    without them), else a link of its tzdata.zi, else a symlink among the zone files (Debian's old names are symlinks to
    the current one); no name is when none of these says (every name equal). A machine without zone1970.tab had every
    name equal, and said Asia/Calcutta, the first by name."""
    import zoneinfo

    folders: list[Any] = [Path(folder) for folder in zoneinfo.TZPATH]
    try:
        folders.append(resources.files("tzdata").joinpath("zoneinfo"))
    except ModuleNotFoundError:
        pass
    for listing in ("zone1970.tab", "zone.tab"):
        for folder in folders:
            current = _fields(folder.joinpath(listing), 2, lambda fields: not fields[0].startswith("#"))
            if current:
                return lambda name: name not in current
    for folder in folders:  # (a line `L Asia/Kolkata Asia/Calcutta`: the link's name, the old one, last)
        links = _fields(folder.joinpath("tzdata.zi"), 2, lambda fields: fields[0] == "L", sep=" ")
        if links:
            return lambda name: name in links
    return lambda name: any((Path(folder) / name).is_symlink() for folder in zoneinfo.TZPATH)


def _fields(place: Any, index: int, wanted: Callable[[list[str]], bool], sep: str = "\t") -> frozenset[str]:
    """The field `index` of each line of the file `place` that has it and is `wanted`; empty when it cannot be read."""
    try:
        text = place.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return frozenset()
    return frozenset(fields[index] for line in text.splitlines()
                     if len(fields := line.split(sep)) > index and wanted(fields))


def zone_note(trace: Path, house_zone: str | None, zone: str, when_s: float) -> str:
    """What the demo says of a day played at `zone` (played_zone), not at the demo house's `house_zone` (None: this
    machine's): the offsets, which the day's rows carry, the zone only the one played at (a zone of that offset
    that day, not one the record names: it names none)."""
    here = ZoneInfo(house_zone) if house_zone else None
    house = datetime.fromtimestamp(when_s, here) if here else datetime.fromtimestamp(when_s).astimezone()
    played = datetime.fromtimestamp(when_s, ZoneInfo(zone))
    clock = house_zone or "this machine's"
    return (f"{trace} was recorded at {_utc(played)}, not at the demo house's clock ({clock}, {_utc(house)} that "
            f"day): the house plays it at its own clock, {_utc(played)} (as the zone {zone})")


def _utc(moment: datetime) -> str:
    minutes = int((moment.utcoffset() or timedelta()).total_seconds() // 60)
    return f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _absolute(cp: configparser.ConfigParser, section: str, key: str, base: Path) -> None:
    if cp.has_option(section, key):
        value = cp.get(section, key, raw=True).strip()
        if value and value not in ("None", "none"):
            cp.set(section, key, str((base / value).resolve()))


def _number(cp: configparser.ConfigParser, section: str, key: str, options: tuple[Option, ...]) -> float:
    """The value the daemon would read: the file's, else the option's default."""
    if cp.has_option(section, key):
        return float(cp.get(section, key))
    return float(next(option.default for option in options if option.name == key))


def write_demo_config(template: Path, target_dir: Path, host: str, port: int, speed: float,
                      timezone: str | None = None) -> Path:
    """Write `target_dir/demo.ini`: broker `host:port`, timers divided by `speed`, absolute paths; `timezone`, when
    given, the house's (`played_zone`).

    The template is read by the daemon's own parser, so the copy holds the values the daemon would
    read (inline `;` comments stripped), not text a plain ConfigParser would keep whole.
    """
    cp = read_parser(template)
    base = template.resolve().parent
    cp.set("mqtt", "host", host)
    cp.set("mqtt", "port", str(port))
    evaluate = "evaluate"
    if not cp.has_section(evaluate):
        cp.add_section(evaluate)
    if timezone is not None:
        cp.set(evaluate, "timezone", timezone)
    timeout = _number(cp, evaluate, "meter_timeout", EVALUATE_OPTIONS)
    status_time = _number(cp, evaluate, "status_time", EVALUATE_OPTIONS)
    # Every duration the daemon keeps shrinks with the house's time: the decisions' spacing and evidence
    # delay, the guard's time, the relays' dwell (else a 10-minute dwell would outlast the whole demo).
    for key in ("period", "settle", "import_guard_time"):
        cp.set(evaluate, key, f"{_number(cp, evaluate, key, EVALUATE_OPTIONS) / speed:.4g}")
    cp.set(evaluate, "meter_timeout", f"{max(timeout / speed, MIN_METER_TIMEOUT_S):.4g}")
    cp.set(evaluate, "status_time", f"{max(status_time / speed, 1.0):.4g}")
    interval = _number(cp, evaluate, "status_interval", EVALUATE_OPTIONS)
    cp.set(evaluate, "status_interval", f"{max(interval / speed, 1.0):.4g}")  # the option's floor
    # The full-tank inference's own waits (not config keys: the re-probe's 120 s was an hour of the house at x30).
    cp.set(evaluate, "demo_speed", f"{speed:.4g}")
    # A rate per second grows as much: the sun comes back `speed` times faster on the daemon's clock.
    cp.set(evaluate, "rising_rate", f"{_number(cp, evaluate, 'rising_rate', EVALUATE_OPTIONS) * speed:.4g}")
    for name in cp.options("equipments") if cp.has_section("equipments") else []:
        if cp.get("equipments", name).strip().lower() in ("constant", "unknown") and cp.has_section(name):
            for key in ("min_on_s", "min_off_s", "on_delay_s"):
                cp.set(name, key, f"{_number(cp, name, key, RELAY_OPTIONS) / speed:.4g}")
    if not cp.has_section("status"):
        cp.add_section("status")
    cp.set("status", "file", str(target_dir / "status.json"))
    cp.set("status", "persistent", "true")  # the demo shows where the daemon saves it
    for name in cp.options("equipments") if cp.has_section("equipments") else []:
        _absolute(cp, name, "calibration", base)
        if cp.has_section("simulation"):
            _absolute(cp, "simulation", f"{name}.response", base)
    target = target_dir / DEMO_CONFIG_NAME
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(f"; Written by `python3 -m simulation demo` from {template} (time x{speed:g}).\n")
        cp.write(handle)
    return target
