"""What `regulation.py --check` prints of a config that loaded: the loads, the regulation, the clock, the broker, the
topics, the files, the full-tank detection, the fallback rules and the keys left unused; one line each, for a user
to read before the first start."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

# (the daemon's own logger: its level decides whether the warnings printed above the check were shown)
log = logging.getLogger("regulation")


def print_check(config: str, settings: Any) -> None:
    """Print the check of `settings`, read from the file `config`."""
    loads = ", ".join(f"{e.name} ({e.KIND}, {e.max_power_w:.0f} W)" for e in settings.equipments)
    mq, st, lg = settings.mqtt, settings.status, settings.logging
    # (the warnings went to standard error above: a user reading only this line must know they are there; a
    # log level of ERROR hid them, and says how to see them)
    count = len(settings.warnings)
    plural = "s" if count > 1 else ""
    warned = "" if not count else (f" ({count} warning{plural} above)" if log.isEnabledFor(logging.WARNING)
                                   else f" ({count} warning{plural}, hidden by the log level: --log-level WARNING)")
    print(f"{config}: OK{warned}; loads in priority order: {loads}")
    ev = settings.evaluate
    # (a migrated config's margin is the setpoint the loop keeps: the user sees it here, with its default)
    if ev.algorithm == "closed_loop":
        from equipments.constant import RelayEquipment

        relays = [e for e in settings.equipments if isinstance(e, RelayEquipment)]
        if len(relays) < len(settings.equipments):
            print(f"  regulation:  closed loop: export setpoint {ev.margin_w:g} W (margin), variable loads' whole "
                  f"percents importing {ev.dither_import_w:g} W at most (dither_import)")
        else:
            # (with no variator nothing gives a cloud back but a relay's switch: the default dwell then costs a
            # changeable day a third of its capture against Hébert's rule, and the owner must hear of it here)
            dwell = ", ".join(f"{e.name} {e.min_on_s:g}/{e.min_off_s:g} s" for e in relays)
            print(f"  regulation:  closed loop: export setpoint {ev.margin_w:g} W (margin); relays only: their dwell "
                  f"(min_on_s/min_off_s: {dwell}) spares them and costs capture and import on changeable days "
                  "(docs/control.md, \"A house with relays only\")")
    else:
        print(f"  regulation:  Hébert's rule: margin {ev.margin_w:g} W, balance threshold {ev.balance_threshold_w:g} W")
    print(f"  clock:       {_clock_said(settings)}")
    # (which CAs the broker's certificate is checked against: no ca_file is the system's, a broker with a public one)
    trusted = mq.ca_file or "the system's CA certificates"
    tls = f" (TLS against {trusted})" if mq.tls else ""
    print(f"  broker:      {mq.host}:{mq.port}{tls} as {mq.client_id!r}")
    from settings.tls_check import broker_notes

    for note in broker_notes(mq.host, mq.port, mq.tls):
        print(f"  broker note: {note}")
    # (what the daemon listens to, above all: a misspelt topic key is only a warning, and the default topic kept)
    print(f"  meters:      house {mq.topic_cons}, production {mq.topic_prod} (the watts under {mq.json_power!r})")
    # (and what it takes commands on and tells its state on: a seed's topic_force = regul/force is the mode topic, and
    # an automation still publishing on the other met silence)
    print(f"  topics:      mode {mq.topic_mode} (force, unforce), status {mq.topic_status}")
    print(f"  status file: {st.file}{_made_at_start(st.file)}{'' if st.persistent else _not_persistent(settings)}")
    log_file = f"{lg.file}{_made_at_start(lg.file)}" if lg.file else "none: standard error (the journal under systemd)"
    print(f"  log file:    {log_file}")
    from settings.check_notes import link_notes

    for note in link_notes(settings):
        print(f"  {note}")
    for load in settings.equipments:
        # (variable loads only have a detector; a seed config naming a third PZEM the house lacks must learn
        # here that the house meter stands in while that meter is silent)
        how = getattr(load, "full_detection", "absent")
        if how == "meter":
            print(f"  full tank ({load.name}): by its own meter {load.topic_read_power}; from the house meter "
                  "while that meter gives no reading")
        elif how == "inferred":
            print(f"  full tank ({load.name}): inferred from the house meter")
        elif how is None:
            print(f"  full tank ({load.name}): not detected (full_detect = off)")
    for note in fallback_notes_of(settings):
        print(f"  {note}")
    if settings.unused:
        # (the start names them in one warning; each one's reason is here, where a user looks for it)
        count = len(settings.unused)
        what, them = ("1 of the file's keys or sections", "it") if count == 1 else \
            (f"{count} of the file's keys and sections", "them")
        print(f"  not used:    {what}, ignored (delete {them} to silence the warning that names {them}):")
        for unused in settings.unused:
            print(f"    {unused.removeprefix(f'{settings.path}: ')}")


def _clock_said(settings: Any) -> str:
    # (a Pi image left on UTC rolled the day and ran the 01:00 check an hour or two off what a French owner expected,
    # and nothing said which zone PySEB reads its hours in)
    import os
    from datetime import datetime

    from values.local_time import offset_hhmm

    now = datetime.now().astimezone(settings.tzinfo)  # (tzinfo None: this machine's zone)
    there = f"now {now:%H:%M} there (UTC{offset_hhmm(now.utcoffset())})"
    hours = "midnight and the daily hours (check_at...) in"
    if settings.evaluate.timezone:
        return f"{hours} {settings.evaluate.timezone} ([evaluate] timezone), {there}"
    said = f"{hours} this machine's zone, {now.tzname()}, {there}; to name one, [evaluate] timezone (Europe/Paris...)"
    # (the zone said was this shell's TZ, which a service started by systemd does not have: it reads /etc/localtime)
    shell_tz = os.environ.get("TZ")
    if shell_tz:
        said += f"; read with this shell's TZ={shell_tz}, which a service started by systemd does not have"
    return said


def _not_persistent(settings: Any) -> str:
    # (both ways: "not saved" alone left a user to think the file they had was still read at start, its day's energy
    # and forces restored; the key as written, the seed's [debug] one too)
    key = "[status] persistent" if settings.parser.has_option("status", "persistent") else "[debug] use_persistent"
    return f" (not read at start, nor saved: {key} = false)"


def _made_at_start(file: Path) -> str:
    # (the daemon makes the folder of the status file, its lock's, and of the log: the check says it will)
    return "" if file.parent.is_dir() else f" (its folder {file.parent} does not exist yet: made at start)"


def fallback_notes_of(settings: Any) -> tuple[str, ...]:
    # What the fallback rules may take from the grid: the seed's is on by default, and a night's 7 kWh from the
    # grid must not be the first a user hears of it.
    from field.fallback_notes import fallback_notes

    return fallback_notes(settings.field, settings.equipments)
