"""Options of the Domoticz link: [domoticz], the per-load force switch, and the seed's older keys."""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from integrations.domoticz import DEFAULT_KEEPALIVE_S
from integrations.domoticz_control import EcsMode, parse_levels
from integrations.domoticz_echoes import ECHO_WAIT_S
from settings.options import Option, is_unset_word
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader

DEFAULT_LEVELS = "0:off, 10:solar, 20:solar+fallback, 30:forced"

DOMOTICZ_OPTIONS: tuple[Option, ...] = (
    Option("send_domoticz", bool, None, "publish grid and injection to Domoticz (default: when an idx is set)",
           seed_none_is_false=True),
    Option("send_grid", bool, True, "publish grid import (needs idx_grid)", seed_none_is_false=True),
    Option("send_injection", bool, True, "publish injection, i.e. export, negative (needs idx_injection)",
           seed_none_is_false=True),
    Option("idx_grid", int, 0, "Domoticz idx of the grid import sensor (0 = none)", min=0),
    Option("idx_injection", int, 0, "Domoticz idx of the injection sensor (0 = none)", min=0),
    Option("keepalive_s", float, DEFAULT_KEEPALIVE_S, "seconds between two 0 values while a flow stays at 0",
           min=1),
    Option("topic_in", str, "domoticz/in", "topic Domoticz reads updates and commands from"),
    Option("topic_out", str, "domoticz/out", "topic Domoticz publishes device changes on (subtopics too; "
           "neither topic_in nor a topic above it)"),
    Option("prevent_loop", bool, True, "as Domoticz's MQTT hardware setting \"Prevent Loop\" (Yes, its default: "
           "PySEB's own switch updates are not echoed on topic_out; No: they are, and the echoes are ignored)"),
    Option("idx_ecs_mode", int, 0, "idx of the water heater's mode selector (0 = none)", min=0),
    Option("ecs_mode_levels", str, DEFAULT_LEVELS, "selector level -> mode (off, solar, solar+fallback, "
           "forced)"),
    Option("ecs_mode_default", str, EcsMode.SOLAR_FALLBACK.value, "mode until the selector is read",
           choices=tuple(m.value for m in EcsMode)),
    Option("idx_keep_alive", int, 0, "idx of a device sent {\"idx\": idx, \"nvalue\": 1} on topic_in every hour at "
           "hh:21 ([evaluate] timezone), while the broker link is up: the seed's heartbeat, for Domoticz's "
           "\"last seen\" (0 = none)", min=0),
)

# Keys of older PySEB versions, accepted with a warning.
DOMOTICZ_IGNORED: dict[str, str] = {
    "echo_window_s": "echoes are matched exactly, in order, with what PySEB sent: there is no time window to set (one "
                     f"not come in {ECHO_WAIT_S:g} s is given up: Domoticz never read that update)",
}

# The oldest seed had send_injection in [evaluate]; read by the loader there and passed in.
DOMOTICZ_EVALUATE_OPTIONS: tuple[Option, ...] = (
    Option("send_injection", "bool?", None, "seed key (older place): use [domoticz] send_injection",
           seed_none_is_false=True),
)

# The seed's [mqtt] topic_ecsMode: devices are told apart by idx on topic_out and its subtopics.
MQTT_IGNORED: dict[str, str] = {
    "topic_ecsmode": "the mode selector is read on [domoticz] topic_out (and its subtopics) by idx_ecs_mode",
}

DOMOTICZ_LOAD_OPTIONS: tuple[Option, ...] = (
    Option("domoticz_idx_force", int, 0, "idx of a Domoticz On/Off or selector switch that forces this load "
           "to its max power while on (0 = none)", min=0),
)


@dataclass(frozen=True, slots=True)
class DomoticzSettings:
    """The Domoticz link as configured."""

    send: bool
    send_grid: bool
    send_injection: bool
    idx_grid: int
    idx_injection: int
    keepalive_s: float
    topic_in: str
    topic_out: str
    prevent_loop: bool  # Domoticz does not echo PySEB's own updates (its default)
    idx_ecs_mode: int
    ecs_mode_levels: Mapping[int, EcsMode]
    ecs_mode_default: EcsMode
    idx_keep_alive: int = 0  # the seed's hourly heartbeat's device (0: none)

    def subscriptions(self) -> tuple[str, ...]:
        """Topics to read: `topic_out/#` covers `topic_out` itself and per-device subtopics."""
        return (f"{self.topic_out.rstrip('/')}/#",)

    def is_out_topic(self, topic: str) -> bool:
        """True for a message from Domoticz (topic_out or one of its subtopics)."""
        root = self.topic_out.rstrip("/")
        return topic == root or topic.startswith(root + "/")


def check_in_out(reader: SectionReader, ds: DomoticzSettings, steered: bool) -> None:
    """topic_out and its subtopics are read as Domoticz's: one that is topic_in or holds it (the two swapped, or set
    to one) would read PySEB's own updates back, and not Domoticz's. Refused when a Domoticz device steers PySEB
    (`steered`: a mode selector, a force switch); without one topic_out is not read, and a refusal (exit 2, which
    systemd does not restart) would only leave the house unregulated: a warning."""
    out, sent = ds.topic_out.rstrip("/"), ds.topic_in.rstrip("/")
    if not (sent == out or sent.startswith(out + "/")):
        return
    why = ("PySEB would read its own updates as Domoticz's, and not Domoticz's; Domoticz reads domoticz/in and "
           "publishes on domoticz/out by default")
    meets = f"{ds.topic_out!r} meets topic_in ({ds.topic_in!r})"
    if steered:
        reader.problems.append(ConfigProblem("domoticz", "topic_out", f"{meets}: {why}"))
    else:
        reader.warnings.append(ConfigProblem("domoticz", "topic_out", f"{meets}: harmless while no Domoticz device "
                                             "steers PySEB (no idx_ecs_mode, no domoticz_idx_force), refused with "
                                             f"one: {why}"))


def _read_on_topic_out() -> ConfigProblem:
    """The generic warning of the seed's [mqtt] topic_ecsMode, as reading [mqtt] gives it (SectionReader's `ignored`:
    unused, named with the others at a start), for the checks below to put another in its place."""
    return ConfigProblem("mqtt", "topic_ecsmode", f"ignored: {MQTT_IGNORED['topic_ecsmode']}", unused=True)


def check_seed_mode_topic(cp: configparser.ConfigParser, reader: SectionReader, ds: DomoticzSettings) -> None:
    """The seed's [mqtt] topic_ecsMode named where Domoticz publishes the mode selector; PySEB reads it on topic_out
    and below. One elsewhere (a Domoticz publishing on dz/out) was read by the seed and never by PySEB: the mode
    stayed at its default, and only a warning a minute after each connect said Domoticz had not answered."""
    written = cp.get("mqtt", "topic_ecsmode", fallback="").strip()
    # (an idx_ecs_mode that is no number reads 0, said by its own reading)
    if not written or is_unset_word(written) or not ds.idx_ecs_mode:
        return
    topic_out = ds.topic_out
    root = topic_out.rstrip("/")
    if written == root or written.startswith(root + "/"):
        return
    said = ConfigProblem("mqtt", "topic_ecsmode", f"{written!r}: Domoticz publishes the mode selector there, outside "
                         f"[domoticz] topic_out ({topic_out!r}), where PySEB reads it: {out_topic_advice(written)} "
                         "(and topic_in, if Domoticz does not read domoticz/in), else the selector is never read")
    # One warning for the key: the generic "ignored: read on topic_out" (from reading [mqtt]) would tell the
    # opposite of this one, as if nothing were left to do.
    generic = _read_on_topic_out()
    if generic in reader.warnings:
        reader.warnings[reader.warnings.index(generic)] = said
    else:
        reader.warnings.append(said)


def seed_selector_off(cp: configparser.ConfigParser, reader: SectionReader, idx: int) -> bool:
    """Whether Coturex's mode selector `idx` is left unread, as the seed left it: its [mqtt] topic_ecsMode = None had
    it subscribe to the topic "None", whatever idx_ecs_mode said (the sample's 338, maybe another device of this
    Domoticz). Read here on topic_out, a selector left at level 0 held the heater at 0 W, sun or not, unwarned."""
    written = cp.get("mqtt", "topic_ecsmode", fallback="").strip()
    if not idx or not is_unset_word(written):
        return False
    said = ConfigProblem("domoticz", "idx_ecs_mode", f"ignored: the seed never read the mode selector idx {idx} with "
                         f"[mqtt] topic_ecsMode = {written}, nor does PySEB; to have PySEB read it on [domoticz] "
                         "topic_out, delete topic_ecsMode (and see ecs_mode_levels: the default makes level 0 off), or "
                         "delete idx_ecs_mode if no selector of yours sets the heater's mode")
    # (in place of the generic "topic_ecsMode ignored: the selector is read on topic_out", here the opposite)
    generic = _read_on_topic_out()
    reader.warnings[:] = [warning for warning in reader.warnings if warning != generic] + [said]
    return True


def check_seed_level_0(cp: configparser.ConfigParser, reader: SectionReader, ds: DomoticzSettings) -> None:
    """Coturex's 2023 selector (its [mqtt] topic_ecsMode, read here by idx_ecs_mode) under the default levels: its
    level 0 only cancelled the fallback there (the heater still took the surplus: only a level under 20 was looked at,
    and only by the fallback); the default maps it to off, the heater held at 0 W, sun or not. The migration page
    said so in bold, and nothing in the config's check did."""
    written = cp.get("mqtt", "topic_ecsmode", fallback="").strip()
    if not written or is_unset_word(written) or not ds.idx_ecs_mode or cp.has_option("domoticz", "ecs_mode_levels"):
        return
    reader.warnings.append(ConfigProblem("domoticz", "ecs_mode_levels", f"not set: the default ({DEFAULT_LEVELS}) "
                                         f"makes level 0 of the selector idx {ds.idx_ecs_mode} (the seed's, your "
                                         "[mqtt] topic_ecsMode) off, the heater commanded to 0 W, surplus or not; "
                                         "in the seed it only cancelled the fallback, the sun still heating the "
                                         "water. To keep the seed's meaning, set ecs_mode_levels = 0:solar, "
                                         "10:solar, 20:solar+fallback, 30:forced (to keep PySEB's, write the "
                                         "default out)"))


def out_topic_advice(written: str) -> str:
    """The topic_out that covers the seed's topic_ecsMode `written`: Domoticz publishes either every device on its
    out topic itself (its flat format: `dz/out`) or each on a subtopic of it (`dz/out/Automate_Cumulus`, by name or
    idx); the level named `out` (Domoticz's default, domoticz/out) tells which, else both are named."""
    levels = written.split("/")
    if "out" in levels:
        return f"set [domoticz] topic_out = {'/'.join(levels[:levels.index('out') + 1])}"
    if len(levels) == 1:
        return f"set [domoticz] topic_out = {written}"
    parent = "/".join(levels[:-1])
    return (f"set [domoticz] topic_out to the topic Domoticz publishes on: {written} if Domoticz publishes every "
            f"device there, {parent} if it publishes each device on a subtopic")


def read_domoticz_settings(cp: configparser.ConfigParser, reader: SectionReader,
                           evaluate_raw: Mapping[str, Any] | None = None) -> DomoticzSettings:
    """[domoticz] read with `reader` (problems collected there)."""
    raw = reader.read(cp, "domoticz", DOMOTICZ_OPTIONS, ignored=DOMOTICZ_IGNORED)
    legacy = (evaluate_raw or {}).get("send_injection")
    if legacy is not None and not cp.has_option("domoticz", "send_injection"):
        raw["send_injection"] = legacy
    elif legacy is not None:
        # (two copies that may differ, as host and broker_ip: said as they are, the one used named)
        reader.warnings.append(ConfigProblem("domoticz", "send_injection", "given as both [domoticz] send_injection "
                                             "and [evaluate] send_injection (the oldest seed's place); using "
                                             "[domoticz]'s"))
    levels: dict[int, EcsMode] = {}
    try:
        levels = parse_levels(raw["ecs_mode_levels"] or DEFAULT_LEVELS)
    except ValueError as exc:
        reader.problems.append(ConfigProblem("domoticz", "ecs_mode_levels", str(exc)))
    any_idx = bool(raw["idx_grid"] or raw["idx_injection"])
    send = any_idx if raw["send_domoticz"] is None else bool(raw["send_domoticz"])
    flagged = False
    for flow in ("grid", "injection"):
        asked = cp.has_option("domoticz", f"send_{flow}") and raw[f"send_{flow}"]
        if send and asked and not raw[f"idx_{flow}"]:
            flagged = True
            reader.problems.append(ConfigProblem("domoticz", f"idx_{flow}",
                                                 f"is required when send_domoticz and send_{flow} are true"))
    if raw["send_domoticz"] and not any_idx and not flagged:
        # Without an idx there is no sensor to update: the user asked for something that will not happen.
        reader.warnings.append(ConfigProblem("domoticz", "send_domoticz", "is true but neither idx_grid nor "
                                             "idx_injection is set: nothing is sent to Domoticz"))
    idx_ecs_mode = 0 if seed_selector_off(cp, reader, raw["idx_ecs_mode"] or 0) else raw["idx_ecs_mode"] or 0
    ds = DomoticzSettings(
        send=send, send_grid=bool(raw["send_grid"]), send_injection=bool(raw["send_injection"]),
        idx_grid=raw["idx_grid"] or 0, idx_injection=raw["idx_injection"] or 0,
        keepalive_s=raw["keepalive_s"] or DEFAULT_KEEPALIVE_S,
        topic_in=raw["topic_in"] or "domoticz/in", topic_out=raw["topic_out"] or "domoticz/out",
        prevent_loop=bool(raw["prevent_loop"]),
        idx_ecs_mode=idx_ecs_mode, ecs_mode_levels=MappingProxyType(levels),
        ecs_mode_default=EcsMode(raw["ecs_mode_default"] or EcsMode.SOLAR_FALLBACK.value),
        idx_keep_alive=raw["idx_keep_alive"] or 0,
    )
    check_seed_mode_topic(cp, reader, ds)
    check_seed_level_0(cp, reader, ds)
    return ds
