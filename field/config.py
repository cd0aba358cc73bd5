"""The field features' part of the config: [fallback], [season], [domoticz], [homeassistant],
[openweathermap], [forecast], their seed keys in [evaluate], the per-load Domoticz force switch, and which load
is the water heater."""

from __future__ import annotations

import configparser
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from equipments.base import Equipment
from field.fallback_settings import (
    FALLBACK_EVALUATE_IGNORED,
    FALLBACK_EVALUATE_OPTIONS,
    DeadlineSettings,
    FallbackSettings,
    read_fallback_settings,
)
from field.forecast_settings import ForecastSettings, OwmSettings, read_forecast_settings
from integrations.domoticz_orders import (
    as_domoticz_reads,
    normally_closed_doubt,
    on_order_doubt,
    order_doubt,
    order_problem,
    read_idx,
    toggle_doubt,
    wrong_way_problem,
)
from integrations.domoticz_settings import (
    DOMOTICZ_EVALUATE_OPTIONS,
    DOMOTICZ_LOAD_OPTIONS,
    DomoticzSettings,
    check_in_out,
    read_domoticz_settings,
)
from integrations.homeassistant_settings import HomeAssistantSettings, read_homeassistant_settings
from settings.options import Option
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader
from settings.version import PYSEB_NAME
from values.local_time import minutes_between

# Read with [evaluate]: the seed kept the fallback's keys (and, oldest, send_injection) there.
FIELD_EVALUATE_OPTIONS: tuple[Option, ...] = FALLBACK_EVALUATE_OPTIONS + DOMOTICZ_EVALUATE_OPTIONS
FIELD_EVALUATE_IGNORED: dict[str, str] = FALLBACK_EVALUATE_IGNORED
# Read in every load's section besides its kind's own options.
FIELD_LOAD_OPTIONS: tuple[Option, ...] = DOMOTICZ_LOAD_OPTIONS
FIELD_SECTIONS = ("fallback", "season", "domoticz", "homeassistant", "openweathermap", "forecast")


@dataclass(frozen=True, slots=True)
class FieldSettings:
    """The fallback rules, the Domoticz link, and the load they act on."""

    fallback: FallbackSettings
    domoticz: DomoticzSettings
    water_heater: str | None  # None: no load for the fallback and the mode selector
    forecast: ForecastSettings  # the seed rule's cloud forecast, the deadline rule's PV forecast
    homeassistant: HomeAssistantSettings = HomeAssistantSettings(False, "homeassistant", PYSEB_NAME)
    demo_speed: float = 1.0  # [evaluate] demo_speed: the full-tank inference's waits divided by it

    def owm_unused_because(self) -> str | None:
        """Why the OpenWeatherMap forecast [openweathermap] asks for is read by no rule (None: it is read, or none is
        configured). Its one reader is the seed rule's check (the cloud cover; the deadline rule reads a PV forecast,
        which OpenWeatherMap does not give), and that rule runs only on a water heater, and only when on."""
        if self.forecast.owm is None:
            return None
        if self.water_heater is None:
            return ("its one reader is the seed rule, and there is no water heater for it (no variable load, no "
                    "[fallback] water_heater)")
        if not self.fallback.seed.enabled:
            return "its one reader is the seed rule, and [fallback] seed_rule = false"
        mode = self.domoticz.ecs_mode_default
        if not mode.allows_fallback and not self.mode_setters():
            return (f"its one reader is the seed rule, which never forces: the water heater's mode is {mode.value} "
                    f"for good ([domoticz] ecs_mode_default = {mode.value}, and no Domoticz idx_ecs_mode nor Home "
                    "Assistant discovery to change it)")
        return None

    def mode_setters(self) -> list[str]:
        """What may change the water heater's mode while PySEB runs (none: its default is its mode for good)."""
        setters = [f"Domoticz's selector idx {self.domoticz.idx_ecs_mode}"] if self.domoticz.idx_ecs_mode else []
        if self.homeassistant.discovery:
            setters.append("Home Assistant's water heater mode")
        return setters

    def owm_to_fetch(self) -> OwmSettings | None:
        """[openweathermap] when a rule reads its forecast, else None: fetched for nobody, it spent the owner's calls
        (a free key's are counted a minute and a day) at every start and every night."""
        return self.forecast.owm if self.owm_unused_because() is None else None


def read_field_settings(cp: configparser.ConfigParser, reader: SectionReader, evaluate_raw: Mapping[str, Any],
                        equipments: Sequence[Equipment], client_id: str = PYSEB_NAME) -> FieldSettings:
    """Read the sections (problems collected in `reader`) and check them against the built loads."""
    fallback = read_fallback_settings(cp, reader, evaluate_raw)
    domoticz = read_domoticz_settings(cp, reader, evaluate_raw)
    forecast = read_forecast_settings(cp, reader)
    heater = _water_heater(cp, reader, fallback.water_heater, equipments)
    if heater is None and domoticz.idx_ecs_mode:
        reader.problems.append(ConfigProblem("domoticz", "idx_ecs_mode", "no water heater to set the mode of: "
                                             "list a variable load or set [fallback] water_heater"))
    if heater is None and fallback.deadline is not None:
        reader.problems.append(ConfigProblem("fallback", "min_energy_wh", "no water heater for the deadline "
                                             "rule: list a variable load or set [fallback] water_heater"))
    if fallback.deadline is not None and fallback.deadline.pv_share > 0 and not forecast.mqtt_topic:
        reader.warnings.append(ConfigProblem("fallback", "deadline_pv_share", "no [forecast] topic gives a PV "
                                             "forecast (OpenWeatherMap gives none): no sun is counted before the "
                                             "deadline, and the rule forces the whole shortfall every night"))
    _check_deadline_reach(reader, fallback.deadline, next((e for e in equipments if e.name == heater), None))
    _check_domoticz_idx(reader, domoticz, equipments)
    _check_domoticz_payloads(reader, domoticz.topic_in, equipments)
    check_in_out(reader, domoticz, reads_domoticz_output(domoticz, equipments))
    homeassistant = read_homeassistant_settings(cp, reader, client_id, equipments)
    return FieldSettings(fallback, domoticz, heater, forecast, homeassistant,
                         float(evaluate_raw.get("demo_speed") or 1.0))


def _check_deadline_reach(reader: SectionReader, deadline: DeadlineSettings | None, heater: Equipment | None) -> None:
    """Warn of a deadline target the heater cannot get in the span its force may use, at its max: "out of reach" was
    said only in the log, every night, and --check told of "at most 7000 Wh (3 h 30 min)" inside 02:00-03:00."""
    if deadline is None or heater is None or heater.max_power_w <= 0:
        return
    span_s, most_wh = deadline.forcing_span_s(), deadline.most_wh(heater.max_power_w)
    if deadline.min_energy_wh <= most_wh:
        return
    where = (f"inside [fallback] offpeak {deadline.offpeak[0]:%H:%M}-{deadline.offpeak[1]:%H:%M}"
             if deadline.offpeak is not None else "in a day")
    if deadline.offpeak is not None and span_s < minutes_between(*deadline.offpeak) * 60.0:
        where += f" cut at the deadline {deadline.deadline:%H:%M}"
    reader.warnings.append(ConfigProblem(
        "fallback", "min_energy_wh", f"{deadline.min_energy_wh:g} Wh cannot be had {where}: {span_s / 3600:g} h at "
        f"{heater.name}'s {heater.max_power_w:.0f} W give {most_wh:.0f} Wh at most; on a day without sun it gets that "
        "and the rule says the target is out of reach (widen offpeak, or lower min_energy_wh)"))


def _water_heater(cp: configparser.ConfigParser, reader: SectionReader, named: str | None,
                  equipments: Sequence[Equipment]) -> str | None:
    names = [e.name for e in equipments]
    if named:
        # (in any case: the names in [equipments] are read in lower case; "ECS" found no load, and left the
        # fallback and the mode selector off while --check said OK)
        named = named.lower()
        if named not in names and not (cp.has_section("equipments") and cp.has_option("equipments", named)):
            reader.problems.append(ConfigProblem("fallback", "water_heater",
                                                 f"{named!r} is not a load listed in [equipments]"))
        return named
    types = dict(cp.items("equipments", raw=True)) if cp.has_section("equipments") else {}
    seed_kind = [e.name for e in equipments if types.get(e.name, "").strip().lower() == "water_heater"]
    variable = [e.name for e in equipments if e.KIND == "variable"]
    chosen = seed_kind or variable
    if chosen:
        return chosen[0]
    # A heater listed but not built (a calibration file missing, say) has its own error: "no water heater"
    # beside it would only mislead.
    unbuilt = [name for name, kind in types.items()
               if kind.strip().lower() in ("water_heater", "variable") and name not in names]
    return unbuilt[0] if unbuilt else None


def _check_domoticz_idx(reader: SectionReader, domoticz: DomoticzSettings, equipments: Sequence[Equipment]) -> None:
    """One Domoticz device, one role; each role is checked against the devices PySEB knows before it. A force switch
    must not be the mode selector, another force switch or a relay load's device: the load's own (its on/off
    commands would come back from Domoticz looking like a user's switch) or another's (showing the force switched
    that load, and the echoes of its commands forced this one). The grid and injection sensors each need a device of
    their own: sent to another, their values were written to it at each decision ("nvalue": 0 switched a force
    switch, and the load, off), and the two flows on one sensor wrote it by turns."""
    switched_with = _relay_devices(reader, equipments)
    roles: dict[int, str] = {}  # idx -> what it is (the selector, a force switch, a sensor), for the messages
    if domoticz.idx_ecs_mode:
        roles[domoticz.idx_ecs_mode] = "[domoticz] idx_ecs_mode"
        if (name := switched_with.get(domoticz.idx_ecs_mode)) is not None:
            # (a warning, as the pairs below once were not checked: a config that ran stays running)
            reader.warnings.append(ConfigProblem(
                "domoticz", "idx_ecs_mode", f"idx {domoticz.idx_ecs_mode} is also the device {name} is switched with "
                f"([{name}] json_on/json_off): switching {name} moves the selector (On: to its last level, Off: to "
                f"level 0) and the selector's levels switch {name}"))

    def known(idx: int) -> str | None:
        if idx in roles:
            return roles[idx]
        return f"the device {switched_with[idx]} is switched with" if idx in switched_with else None

    for load in equipments:
        idx = load.options.get("domoticz_idx_force") or 0
        if not idx:
            continue
        if idx in relay_idx(load) and idx not in roles:
            reader.problems.append(ConfigProblem(load.name, "domoticz_idx_force",
                                                 f"idx {idx} is the Domoticz device this load is switched with; "
                                                 "the force switch must be another device"))
        elif (other := known(idx)) is not None:
            reader.problems.append(ConfigProblem(load.name, "domoticz_idx_force", f"idx {idx} is also {other}"))
        roles.setdefault(idx, f"the force switch of {load.name}")
    sent = [(f"idx_{flow}", idx) for flow, idx, on in (("grid", domoticz.idx_grid, domoticz.send_grid),
                                                       ("injection", domoticz.idx_injection, domoticz.send_injection))
            if domoticz.send and on and idx]
    for key, idx in sent:
        if (other := known(idx)) is not None:
            reader.problems.append(ConfigProblem("domoticz", key, f"idx {idx} is also {other}: the sensor's "
                                                 "watts would be written to it at each decision"))
        roles.setdefault(idx, key)
    if domoticz.idx_keep_alive and (other := known(domoticz.idx_keep_alive)) is not None:
        # (an hourly On of a force switch forced its load each hour; of the selector, took it to its last level)
        reader.problems.append(ConfigProblem("domoticz", "idx_keep_alive", f"idx {domoticz.idx_keep_alive} is also "
                                             f"{other}: the heartbeat's \"nvalue\": 1 would be written to it every "
                                             "hour"))


def _relay_devices(reader: SectionReader, equipments: Sequence[Equipment]) -> dict[int, str]:
    """The Domoticz idx the relay loads are switched with -> the first such load; a warning for a device two loads
    are switched with (switching one switched the other: a warning, as the pair once was not checked)."""
    switched_with: dict[int, str] = {}
    for load in equipments:
        for idx in sorted(relay_idx(load)):
            name = switched_with.setdefault(idx, load.name)
            if name != load.name:
                reader.warnings.append(ConfigProblem(load.name, "json_on", f"idx {idx} is also the device {name} is "
                                                     f"switched with ([{name}] json_on/json_off): switching one load "
                                                     "switches both"))
    return switched_with


def reads_domoticz_output(domoticz: DomoticzSettings, equipments: Sequence[Equipment]) -> bool:
    """Whether PySEB reads Domoticz's output (topic_out): a mode selector there, or a load's force switch."""
    return bool(domoticz.idx_ecs_mode) or any(load.options.get("domoticz_idx_force") for load in equipments)


def _json_object(payload: Any, *, strict: bool = False) -> dict[str, Any] | None:
    """`payload` (a relay's json_on or json_off) as a JSON object, or None when it is not one; as Domoticz's reader
    takes it (a comma before `}`, comments) unless `strict`."""
    text = str(payload or "")
    for attempt in (text,) if strict else (text, as_domoticz_reads(text)):
        try:
            doc = json.loads(attempt)
        except (ValueError, RecursionError):  # a payload such as ON, or absurdly nested
            continue
        return doc if isinstance(doc, dict) else None
    return None


def _check_domoticz_payloads(reader: SectionReader, topic_in: str, equipments: Sequence[Equipment]) -> None:
    """A relay commanded through Domoticz's input (its topic_set_power is [domoticz] topic_in) sends JSON orders:
    one that is not a JSON object (a `}` lost, a line of it not indented, read as a key of its own) is dropped by
    Domoticz, and the relay never switched while PySEB believed it on, its watts counted as drawn."""
    for load in equipments:
        if load.options.get("topic_set_power") != topic_in:
            continue
        docs = {key: _json_object(load.options.get(key)) for key in ("json_on", "json_off")}
        for key, other in (("json_on", "json_off"), ("json_off", "json_on")):
            payload = load.options.get(key)
            if payload is None:
                continue
            if (doc := docs[key]) is None:
                reader.problems.append(ConfigProblem(load.name, key, f"{str(payload)[:80]!r} is not a JSON object, "
                                                     f"which Domoticz's input ({topic_in}) drops: the relay would "
                                                     "never switch (a `}` missing? a line of it not indented?)"))
                continue
            if _json_object(payload, strict=True) is None:  # (Domoticz's reader takes it, and the relay switches)
                reader.warnings.append(ConfigProblem(load.name, key, f"{str(payload)[:80]!r}: Domoticz takes it, but "
                                                     "it is no strict JSON (a comma before `}`? a comment?)"))
            if (problem := order_problem(doc)) is not None:
                # (JSON that Domoticz reads and drops, or acts on no device with: the same silent relay)
                reader.problems.append(ConfigProblem(load.name, key, f"{str(payload)[:80]!r}: {problem}: the relay "
                                                     "would never switch"))
            elif (problem := wrong_way_problem(doc, key, docs[other])) is not None:  # (acted on, never the right way)
                reader.problems.append(ConfigProblem(load.name, key, f"{str(payload)[:80]!r}: {problem}"))
            # (one it acts on, read otherwise than written: a Python plugin's device may take a switchcmd "on"; a
            # json_on's Set Level 0 switches most devices Off, a selector's runs its level 0's actions)
            elif (doubt := order_doubt(doc) or (on_order_doubt(doc) if key == "json_on" else None)
                  or toggle_doubt(doc)) is not None:
                reader.warnings.append(ConfigProblem(load.name, key, f"{str(payload)[:80]!r}: {doubt}"))
            # (a swapped pair, a normally-closed relay's or a mistake: said beside a doubt of its letters or its idx,
            # where it went unsaid behind it)
            if problem is None and key == "json_on" and (doubt := normally_closed_doubt(doc, docs[other])) is not None:
                reader.warnings.append(ConfigProblem(load.name, key, f"{str(payload)[:80]!r}: {doubt}"))


def relay_idx(load: Equipment) -> set[int]:
    """The Domoticz idx a relay load's own commands address (json_on/json_off as switchlight JSON)."""
    found: set[int] = set()
    for key in ("json_on", "json_off"):
        doc = _json_object(load.options.get(key))  # (None: a payload such as ON, not switchlight JSON)
        # (a number written with a point too: Domoticz reads "idx": 359.0, or 359.5, as 359)
        if doc is not None and (idx := read_idx(doc.get("idx"))) is not None:
            found.add(idx)
    return found
