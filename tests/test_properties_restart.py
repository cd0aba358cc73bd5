"""Properties of a restart (hypothesis): tests/property_house.py's houses and scripts, run in closed loop, restarted at
random moments as the daemon restarts: a stop (every load to 0, the status saved fresh) or a crash (the file on disk is
the last one the saver wrote: every status_time, and at once when an order changed, status/saver.py), then a gap of
seconds to hours (across midnight, from 23:5x), then a new Regulator from the same config, the file restored (as
saved, corrupt, missing, or cut down to the seed's format), started, and the same house and meters going on. Checked
at each restart (README's Restore, docs/control.md):

- no load left on by accident: at the start every unforced load is commanded off, a restored force to that force;
- nothing lost or counted twice: the day's energies (each load's, the production's) are the file's, restored the same
  day, with the day's report so far and the fallback's count; across a midnight, the file's day's are yesterday's and
  today's start from 0; a day whose midnight passed while stopped is reported at the start, and no day's report is
  replaced by another (sent again the same, from the same file, it may be: a kill before the first save);
- a force keeps its end and power (one until unforced too) and ends at that end; one whose end passed is gone; a kill
  loses none (but within the second a mode command's status is held, README);
- a tank found full stays full after a restart the same day (its clear comes at midnight);
- a relay's learned watts (provisional or not) survive; its dwell restarts from the start's off;
- after it, the single run's promises (tests/test_properties_house.py: commands in range, the relays' dwell, the order,
  no import the loads keep) hold as before.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.status_pacing import MIN_SPACING_S
from regulation import Regulator
from status.store import load_status, save_status, set_aside
from tests.property_house import HEATERS, RELAYS, House, Setup, scripts, setups
from tests.restart_house import (
    PARIS,
    STARTS,
    STATUS,
    Restart,
    Saver,
    forces_of,
    local_day,
    reports,
    restarts,
    saved_day_of,
    seed_of,
)
from tests.test_properties_house import Script, Watch, check_commands, check_force, check_import, check_switches

ENERGY_SLACK_WH = 0.051  # the status file's Wh are rounded to 0.1
MAX_W = 6000.0  # the most any load may draw here (the sun's most)


class Run:
    """A house run through its script with restarts; what the checks carry across them."""

    def __init__(self, house: House) -> None:
        self.house = house
        self.saver = Saver(house.folder / STATUS, house.reg.settings.evaluate.status_time_s, house.now)
        self.watch = self._watch()
        self.moded_at = -MIN_SPACING_S  # when the last mode command was sent

    def mode(self, name: str, watts: object | None = None, seconds: object | None = None) -> None:
        self.house.mode(name, watts, seconds)
        self.moded_at = self.house.now
        self.offer()

    def _watch(self) -> Watch:
        """A fresh watch, on the relays as the start left them (a restored force on: handed back at its unforce)."""
        watch = Watch(self.house)
        watch.see_forces()
        watch.on = {name: bool(getattr(self.house.reg.loads_by_name[name], "is_on", False)) for name in watch.on}
        watch.on_decided = dict(watch.on)
        logging.getLogger().addHandler(watch.tap)
        return watch

    def offer(self) -> None:
        self.saver.offer(self.house.reg.last_status, self.house.now)

    def restart(self, restart: Restart) -> None:
        house, old = self.house, self.house.reg
        stopped_at = house.now
        if not restart.crash:  # the daemon's stop: every load to 0, then a fresh status saved
            old.shutdown(stopped_at)
            save_status(self.saver.path, old.status(stopped_at))
        path = self.saver.path
        saved = load_status(path) if path.exists() else None
        if restart.crash and saved is not None and stopped_at - self.moded_at >= MIN_SPACING_S:
            # The orders reach the disk at once (status/saver.py): a kill loses none of the forces made or ended, but
            # within the second a mode command's status may be held (README: one a second).
            assert forces_of(saved, stopped_at) == forces_of(old.status(stopped_at), stopped_at), stopped_at
        logging.getLogger().removeHandler(self.watch.tap)
        house.now = stopped_at + restart.gap_s
        if restart.file == "corrupt" and saved is not None:
            path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])  # (a save cut short)
        elif restart.file == "missing":
            path.unlink(missing_ok=True)
        elif restart.file == "seed" and saved is not None:
            path.write_text(json.dumps(seed_of(saved)))
        sent_before = len(house.sent)
        house.reg = new = Regulator.from_config(house.folder / "config.ini", publish=house.publish)
        document = load_status(path, keep_aside=True)
        if document is not None:
            new.restore(document, house.now, set_aside=lambda why, outcome: set_aside(path, why, outcome))
        new.start(house.now)
        new.on_connected(house.now)
        self.saver.prime(document, house.now)
        check_started(house, sent_before)
        restored = document if restart.file != "corrupt" else None
        # (the seed's format: cut down now, or by a restart before and not saved since)
        seed = restored is not None and "schema_version" not in restored
        check_restored(house, restored, seed)
        day = saved_day_of(restored) if restored is not None and not seed else None
        if restored is not None and day not in (None, local_day(house.now)) and restored["report_today"]["covered_h"]:
            # A day whose midnight passed while stopped is reported at the start (if a decision covered any of it, as
            # at a midnight).
            assert day in {json.loads(payload)["date"] for payload in reports(house, sent_before)}, day
        self.watch = self._watch()


def check_reports(house: House) -> None:
    """A day's report is published once, or again the same (retained: a second start from the same file sends the
    file's again), never another one over it (the day cut at the last save over the whole day's)."""
    by_day: dict[str, set[str]] = {}
    for payload in reports(house, 0):
        by_day.setdefault(json.loads(payload)["date"], set()).add(payload)
    assert all(len(payloads) == 1 for payloads in by_day.values()), by_day


def check_started(house: House, since: int) -> None:
    """No load left on by accident: at the start every unforced load is commanded off, a restored force to that force
    (and only that: docs/control.md)."""
    for load in house.reg.loads:
        commands = [payload for _at, topic, payload in house.sent[since:] if house.topics.get(topic) == load.name]
        if load.is_forced():
            assert load.forced_power_w is not None
            check_force(house, load.name, int(load.forced_power_w))
            off = "off" if load.name in RELAYS else "0"
            assert off not in commands or load.forced_power_w == 0, (load.name, commands)
        else:
            assert load.current_power_w == 0.0, (load.name, load.current_power_w)
            assert not getattr(load, "is_on", False), load.name
            assert commands and commands[-1] in ("off", "0"), (load.name, commands)


def check_restored(house: House, doc: dict[str, Any] | None, seed: bool) -> None:
    """The state a start took of `doc` (None: a clean start)."""
    reg, now = house.reg, house.now
    status = reg.status(now)
    by_name = {entry["name"]: entry for entry in status["equipments"]}
    if doc is None:
        for load in reg.loads:
            assert not load.is_forced() and not load.overed, load.name
            assert load.energy_wh == 0.0 and load.energy_yesterday_wh == 0.0, load.name
            assert getattr(load, "learned_power_w", None) is None, load.name
        assert status["production_energy"] == 0.0
        return
    saved_day = saved_day_of(doc)
    same_day = saved_day == local_day(now)
    yesterday = not same_day and local_day(now - 86400) == saved_day  # (no DST near these dates)
    for entry in doc["equipments"]:
        load = reg.loads_by_name[entry["name"]]
        mine = by_name[load.name]
        # The day's energies: the file's, today; across a midnight, the file's today is yesterday.
        if seed:
            # (the seed's heater is its first load, counted from its 01:00 check: a file saved before it holds the day
            # before's; its other loads' counts are no day's, status/restore.py)
            heater = load.name == doc["equipments"][0]["name"]
            before_check = datetime.fromtimestamp(doc["date"], PARIS).hour < 1
            expected = ((0.0, entry["energy"] if same_day else 0.0) if heater and before_check
                        else (entry["energy"] if same_day else 0.0, None) if heater else (0.0, 0.0))
        else:
            expected = ((entry["energy"], entry["energy_yesterday"]) if same_day
                        else (0.0, entry["energy"]) if yesterday else (0.0, 0.0))
        assert abs(load.energy_wh - expected[0]) <= ENERGY_SLACK_WH, (load.name, load.energy_wh, expected, saved_day)
        if expected[1] is not None:
            assert abs(load.energy_yesterday_wh - expected[1]) <= ENERGY_SLACK_WH, (
                load.name, load.energy_yesterday_wh, expected, saved_day)
        # A full tank stays full the same day (its clear is at midnight); a day later, cleared.
        full_until = entry.get("full_until")
        full_left = entry["overed"] and (full_until is None or full_until > now)
        assert load.overed == (same_day and full_left), (load.name, entry["overed"], full_until, load.overed)
        # A force keeps its power and its end; gone once its end passed (or from the seed's file: no forced_power).
        end = entry.get("force_end")
        kept = entry["forced"] and not seed and (end is None or end > now)
        assert load.is_forced() == kept, (load.name, entry["forced"], end, now, load.is_forced())
        if kept:
            assert mine["forced_power"] == entry["forced_power"] and load.force_end_at == end, (load.name, mine, entry)
        # A relay's learned watts, provisional or not.
        if not seed and entry.get("learned_power") is not None:
            assert mine["learned_power"] == entry["learned_power"], (load.name, mine, entry)
            for flag in ("learned_provisional", "learned_label_tried", "learned_off_label"):
                assert mine.get(flag) == entry.get(flag), (load.name, flag, mine, entry)
    if same_day and not seed:
        # (its totals summed again from the loads' Wh, each rounded in the file; its relays' switches count the start's
        # command, which the relay may or may not have needed)
        slack_wh = ENERGY_SLACK_WH * (len(reg.loads) + 1)
        check_same(status["report_today"], doc["report_today"], "report_today", slack_wh, ignored=("switches",))
        heater, saved_heater = status.get("water_heater", {}), doc.get("water_heater", {})
        rule, saved_rule = heater.get("seed_rule") or {}, saved_heater.get("seed_rule") or {}
        if rule.get("window_start") == saved_rule.get("window_start"):
            check_same(rule.get("today_wh"), saved_rule.get("today_wh"), "seed_rule today_wh")
    production = (doc["production_energy"] if same_day else 0.0,
                  doc.get("production_energy_yesterday") if same_day else doc["production_energy"] if yesterday
                  else 0.0)
    if not seed:
        assert abs(status["production_energy"] - production[0]) <= ENERGY_SLACK_WH, (status, production)
        assert abs(status["production_energy_yesterday"] - (production[1] or 0.0)) <= ENERGY_SLACK_WH, (
            status, production)


def check_same(value: Any, saved: Any, where: str, slack_wh: float = ENERGY_SLACK_WH,
               ignored: tuple[str, ...] = ()) -> None:
    """`value` is `saved`, but for the Wh the file rounded (`slack_wh`) and the keys `ignored`."""
    if isinstance(saved, dict) and isinstance(value, dict):
        assert value.keys() == saved.keys(), (where, value, saved)
        for key in saved:
            if key not in ignored:
                check_same(value[key], saved[key], f"{where}.{key}", slack_wh, ignored)
    elif isinstance(saved, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        assert abs(value - saved) <= slack_wh, (where, value, saved)
    else:
        assert value == saved, (where, value, saved)


def check_energies(house: House, last: dict[str, tuple[str, float]], since: float) -> None:
    """Within a day a load's energy only grows, by its watts at most (counted once: a measure corrects its belief
    since its switch on, a minute at most); at a new day it starts again."""
    day = house.reg.counted_day or ""
    counted = {load.name: load.energy_wh for load in house.reg.loads}
    counted["production"] = house.reg.production_energy.energy_wh
    for name, energy_wh in counted.items():
        before = last.get(name)
        if before is not None and before[0] == day:
            most_wh = before[1] + MAX_W * (house.now - since + 60.0) / 3600
            assert before[1] - ENERGY_SLACK_WH <= energy_wh <= most_wh, (name, before, energy_wh)
        last[name] = (day, energy_wh)


def run(setup: Setup, script: Script, start_at: float, plan: list[Restart]) -> None:
    pv_start_w, stretches, noise_w, loss, rng = script
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        house = House(setup, Path(folder), now=start_at)
        house.pv_w = float(pv_start_w)
        run = Run(house)
        try:
            house.reg.tick(house.now)
            energies: dict[str, tuple[str, float]] = {}
            for index, (periods, pv_ramp_w, base_ramp_w, event, house_step_w) in enumerate(stretches):
                for restart in (r for r in plan if r.before == index):
                    if restart.force is not None and restart.force[0] in house.reg.loads_by_name:
                        name, watts, duration = restart.force
                        house.now += 0.5
                        run.mode(name, watts, duration)
                        house.now += 0.5
                    run.restart(restart)
                    energies.clear()
                    check_energies(house, energies, house.now)  # (from the restored ones on)
                house.base_w = max(100.0, house.base_w + house_step_w)
                if event is not None and event[1] in house.reg.loads_by_name:
                    name = str(event[1])
                    before_forced = {load.name: load.is_forced() for load in house.reg.loads}
                    house.now += 0.5
                    if event[0] == "force":
                        run.mode(name, event[2], event[3])
                        check_force(house, name, int(str(event[2])))
                    else:
                        run.mode(name)
                    check_commands(house, run.watch)
                    check_switches(house, run.watch, before_forced, house.now)
                    house.now += 0.5
                for _ in range(periods):
                    house.pv_w = min(6000.0, max(0.0, house.pv_w + pv_ramp_w))
                    house.base_w = min(3000.0, max(100.0, house.base_w + base_ramp_w))
                    before_forced = {load.name: load.is_forced() for load in house.reg.loads}
                    since = house.now
                    house.step(rng, noise_w, loss)
                    run.offer()
                    for load in house.reg.loads:  # a force's end gives the load back
                        if load.is_forced() and load.force_end_at is not None:
                            assert house.now < load.force_end_at + 2.0, (load.name, "still forced")
                    check_commands(house, run.watch)
                    check_switches(house, run.watch, before_forced, since)
                    check_import(house, run.watch, noise_w, base_ramp_w - pv_ramp_w)
                    check_energies(house, energies, since)
            check_reports(house)
        finally:
            logger.removeHandler(run.watch.tap)
            logger.setLevel(level)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(setups(), scripts, st.sampled_from(STARTS), restarts, st.booleans())
def test_a_house_keeps_the_promises_across_restarts(setup: Setup, script: Script, start_at: float,
                                                    plan: list[Restart], small_tanks: bool) -> None:
    if small_tanks:  # (the heaters' tanks full within seconds, found so within three minutes: before a restart)
        setup = replace(setup, tank_wh={**setup.tank_wh, **{name: 3.0 for name in setup.order if name in HEATERS}})
        script = (script[0], [(80, 0, 0, None, 0), *script[1]], *script[2:])
    run(setup, script, start_at, plan)
