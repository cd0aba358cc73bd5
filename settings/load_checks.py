"""Loads that build but would not do what their file says: a variable load's max_power above what its
calibration reaches, a curve that is one of PySEB's examples (another heater's), a fit = poly that counts a glitched
reading, a max_power written in kilowatts, the closed loop's keys under Hébert's rule and Hébert's under the closed
loop. Warnings: the config still runs (but for a relay's max_power with a fraction of a watt under 50 W: refused)."""

from __future__ import annotations

import configparser
import shlex
from collections.abc import Sequence
from pathlib import Path

from calibration.examples import is_example_curve
from equipments.base import Equipment
from equipments.constant import CLOSED_LOOP_RELAY_KEYS
from equipments.load_build import SMALL_LOAD_W, kilowatts_hint
from equipments.variable_curve import default_calibration_paths
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader
from settings.sections import CLOSED_LOOP_EVALUATE_KEYS
from values.venv import python_command

HEBERT = "hebert"
CLOSED_LOOP = "closed_loop"


def warn_capped_max_power(reader: SectionReader, load: Equipment) -> None:
    """A variable load is held at its calibration curve's maximum: a larger max_power is never reached, and
    a user who wrote 3000 W for a heater whose curve stops at 2298 W should see both figures."""
    given_w = load.options.get("max_power")
    if load.KIND != "variable" or not given_w or given_w <= load.max_power_w + 0.5:
        return
    reader.warnings.append(ConfigProblem(load.name, "max_power", f"{given_w:.0f} W is above the calibration "
                                         f"curve's maximum ({load.max_power_w:.0f} W, what the variator draws at "
                                         f"its highest percent): the load is held at {load.max_power_w:.0f} W; "
                                         "remove max_power or measure the curve again"))


def warn_curve(reader: SectionReader, load: Equipment) -> None:
    """What a variable load's fit kept that its user should know (a reading the robust fit rejects, counted by
    fit = poly, the seed's regression): the curve is the one the load is commanded by."""
    curve = getattr(load, "curve", None)
    if load.KIND != "variable" or curve is None:
        return
    for warning in curve.warnings:
        reader.warnings.append(ConfigProblem(load.name, "fit", warning))


def warn_example_curve(reader: SectionReader, load: Equipment, config: Path) -> None:
    """A variable load commanded by a curve PySEB ships (config.ini.sample's, so that a copy of it checks): it is
    another heater's sweep, and this load's percents draw other watts. `config`: the file, as the check names it."""
    path = getattr(load, "calibration_path", None)
    if load.KIND != "variable" or path is None or not is_example_curve(path):
        return
    # The load's own sweep, where the sweep writes it (or the seed had it): the sample's `calibration =` line, left
    # in after a sweep, still names the example, and a sweep asked for again refuses (the file exists).
    own = [file for file in default_calibration_paths(load.name, config.parent) if file.is_file()]
    if own:
        said = (f"{path} is an example PySEB ships, the sweep of another heater, and this load's own sweep is "
                f"{own[0]}: name it here (calibration = {own[0].relative_to(config.parent).as_posix()}), or delete "
                "the line")
    else:
        # (the Python that reads this config: a `make` install's .venv/bin/python; the system's python3 may lack the
        # packages)
        said = (f"{path} is an example PySEB ships, the sweep of another heater: measure this load's own "
                f"({shlex.quote(python_command())} -m calibration sweep -c {config} --equipment {load.name}) and "
                "name it here")
    reader.warnings.append(ConfigProblem(load.name, "calibration", said))


def check_kilowatts(reader: SectionReader, load: Equipment) -> None:
    """A max_power written in kilowatts (2.3 for a 2.3 kW heater): a relay believed at 2.3 W came on at any
    surplus and imported the rest. A fraction of a watt under SMALL_LOAD_W is refused (only warned, the daemon
    started and imported; no relay load is labelled 2.3 W); a whole one is warned, as a load that small may be real
    (a 25 W pump). (A variator's is refused when it is built, whole or not: no triac is sold for a few watts.)"""
    given_w = load.options.get("max_power")
    if given_w is None or given_w >= SMALL_LOAD_W:
        return
    if not float(given_w).is_integer():
        reader.problems.append(ConfigProblem(load.name, "max_power", f"{given_w:g} looks like kilowatts: write "
                                             f"{given_w * 1000:.0f} (watts); believed at {given_w:g} W, the relay "
                                             "would switch on at any surplus and import the rest"))
        return
    reader.warnings.append(ConfigProblem(load.name, "max_power", f"{given_w:g} W is very little: "
                                         f"{kilowatts_hint(given_w)}; if it really draws so little, ignore this"))


def warn_closed_loop_keys(reader: SectionReader, cp: configparser.ConfigParser, algorithm: str | None,
                          equipments: Sequence[Equipment]) -> None:
    """Under Hébert's rule, one warning for [evaluate] and one per load naming the closed loop's keys the file
    sets: they are read, and nothing uses them (a relay then has no dwell at all)."""
    if algorithm != HEBERT:
        return
    knobs = _given(cp, "evaluate", CLOSED_LOOP_EVALUATE_KEYS)
    if knobs:
        reader.warnings.append(ConfigProblem("evaluate", None, f"{', '.join(knobs)}: ignored with algorithm = "
                                             "hebert (the closed loop's knobs)"))
    for load in equipments:
        keys = [key for key in _given(cp, load.name, CLOSED_LOOP_RELAY_KEYS) if key in load.options]
        if keys:
            reader.warnings.append(ConfigProblem(load.name, None, f"{', '.join(keys)}: ignored with [evaluate] "
                                                 "algorithm = hebert: Hébert's rule has no dwell, on delay or "
                                                 "hysteresis (the relay may switch at every reading); they are the "
                                                 "closed loop's, the default"))


def warn_hebert_key(reader: SectionReader, cp: configparser.ConfigParser, algorithm: str | None) -> None:
    """Under the closed loop, balance_threshold (Hébert's rule's alone, and in every seed config): read, and nothing
    uses it; a seed user's 20 W was taken for a dead band the closed loop kept, and the file said nothing."""
    if algorithm != CLOSED_LOOP or not _given(cp, "evaluate", ("balance_threshold",)):
        return
    reader.warnings.append(ConfigProblem("evaluate", "balance_threshold", "ignored with algorithm = closed_loop: it "
                                         "is Hébert's rule's dead band; the closed loop has none, it corrects the grid "
                                         "flow to the export setpoint (margin) at each reading, a variable load's "
                                         "whole percents bounded by dither_import and each relay held by its "
                                         "hysteresis, min_on_s and min_off_s; delete the line, or set algorithm = "
                                         "hebert for the seed's rule", unused=True))


# The meters' usual pace (a PZEM module's srate, 2000 ms): a closed loop's `period` up to it holds no decision back.
METER_PACE_S = 2.0


def warn_max_meter_power(reader: SectionReader, max_meter_w: float, equipments: Sequence[Equipment]) -> None:
    """A max_meter_power under the loads' watts together: with them all on (a force, a sunny noon) the house meter
    reads more, each reading refused as a glitch, and the meter taken for silent, every unforced load to 0 W."""
    loads_w = sum(load.max_power_w for load in equipments)
    if max_meter_w < loads_w:
        reader.warnings.append(ConfigProblem("evaluate", "max_meter_power", f"{max_meter_w:g} W is under the loads' "
                                             f"{loads_w:.0f} W together: the house meter reads more with them all "
                                             "on, and such readings are refused as glitches (every load to 0 W); "
                                             "it must also be over what the panels produce"))


def warn_meters_pace(reader: SectionReader, algorithm: str | None, period_s: float | None,
                     meter_timeout_s: float | None, demo_speed: float | None = None) -> None:
    """Settings at odds with meters reading every METER_PACE_S. A `meter_timeout` not over it takes each meter for
    silent between two readings: every unforced load cut to 0 W at every reading (a hunt's 1.5 s: 399 "meter silent"
    lines in 400 readings, the radiator never on). Under the closed loop, a `period` over it (the seed's sample has
    3 s, Hébert's default was 5): each decision then waits for a later pair of readings, and a step of the house or
    the sun is imported for as long (docs/control.md: 35.5 Wh of caused import at 3 s against 21.5 at 1 or 2 s, on a
    day of appliance steps). `demo_speed`: the demo's meters read that much faster (its config's durations divided)."""
    pace_s = METER_PACE_S / (demo_speed or 1.0)
    if meter_timeout_s is not None and meter_timeout_s <= pace_s:
        reader.warnings.append(ConfigProblem("evaluate", "meter_timeout", f"{meter_timeout_s:g} s is not over the "
                                             f"{pace_s:g} s between two readings of a PZEM module (its default "
                                             "srate): each meter would be taken for silent between two readings, "
                                             "every unforced load cut to 0 W each time; the default 10 s leaves room "
                                             "for a reading lost or late"))
    if algorithm != CLOSED_LOOP or period_s is None or period_s <= pace_s:
        return
    reader.warnings.append(ConfigProblem("evaluate", "period", f"{period_s:g} s holds the closed loop's decisions "
                                         f"further apart than meters reading every {pace_s:g} s (a PZEM "
                                         "module's default srate): each step of the house or the sun is answered "
                                         "later, and the grid imports meanwhile (docs/control.md, \"A period longer "
                                         "than the meters' pace\"); the closed loop never decides twice on the same "
                                         "readings: period = 1 (the default) lets it decide on each new pair (a "
                                         "period up to your meters' own pace costs nothing)"))


def _given(cp: configparser.ConfigParser, section: str, keys: Sequence[str]) -> list[str]:
    """The `keys` the file sets in `section` itself (not through [DEFAULT]), in `keys`' order."""
    if not cp.has_section(section):
        return []
    present = set(cp.options(section)) - set(cp.defaults())
    return [key for key in keys if key in present]
