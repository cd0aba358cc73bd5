"""Properties of the closed loop's "act on evidence" gate under a wall clock that steps (hypothesis): a Regulator (the
closed loop's test house, tests/controller_house.py: the heater `ecs` and the relay `radiator`, short dwells) is driven
with both meters' readings every ~2 s (jitter, the production meter at a phase of its own) and the timers every half
second on a TRUE steady time line, while the wall clock it is given is that time plus an offset moved by random steps:
NTP's small ones back and forward (0.1-10 s), some around 10 s (CLOCK_STEP_BACK_S), big ones (minutes, hours) and a
boot's jump of days forward. Either the daemon tells each step as shell/daemon.py's _follow_the_clock does (a
ClockWatch on the steady time, at its pass before each event: any step of 0.1 s or more), or no one does (a replay:
the core's own detection in the readings' stamps). Forces come and go on the mode topic.

Judged on the steady time line:

1. no decision is taken on a house reading that came less than `settle` after a command (or before it): when the
   daemon tells the steps, none; untold, a step forward between the command and the reading, or back between the
   reading and a command after it, counts as time (the core takes the stamps as they are);
2. no stall: a reading that is evidence on the steady time line (both meters new since the last decision, `period`
   and `settle` over) is decided on before the next house reading (a wait for the production reading at most), when
   the daemon tells the steps; untold, a step back under 10 s holds the decisions as long, one over it a reading;
3. a relay's dwell (min_on_s, min_off_s) the regulation keeps is never shortened, but by the import guard, a silent
   meter, and a step forward (the documented safe side, docs/running-on-a-pi.md);
4. a timed force never ends early, but by a step forward (a force to 0 W keeps its time across a jump told);
5. told the steps, the regulation is never suspended: the meters are never silent on the steady time line.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from equipments.constant import RelayEquipment
from shell.clock_watch import CLOCK_JUMP_S, CLOCK_NUDGE_S, ClockWatch
from tests.configs import reading
from tests.controller_house import closed_loop
from tests.harness import CONS, MODE, NOON, PROD, Harness
from values.readings import CLOCK_STEP_BACK_S

PACE_S = 2.0  # both meters' pace
TICK_S = 0.5  # shell/daemon.py's timers' pass
DWELL_S = (30.0, 20.0)  # the radiator's min_on_s, min_off_s: short, for a run of minutes to meet them
SLACK_S = 1e-3  # values.readings.EVIDENCE_SLACK_S, and the floats' noise


@dataclass(frozen=True)
class Script:
    """One run: how many readings, their jitter, the production meter's phase, the clock's steps (steady time, signed
    length: + forward), the forces (steady time, load, watts, duration), the house and sun, told or not."""

    told: bool
    settle_s: float
    readings: int
    phase_s: float
    jitter_s: tuple[float, ...]
    steps: tuple[tuple[float, float], ...]
    forces: tuple[tuple[float, str, float, float], ...]
    base_w: tuple[float, ...]
    pv_w: tuple[float, ...]


def _step_lengths() -> st.SearchStrategy[float]:
    small = st.floats(0.1, 10.0)
    around = st.floats(9.5, 10.5)
    big = st.floats(60.0, 7200.0)
    sign = st.sampled_from((1.0, -1.0))
    signed = st.tuples(sign, st.one_of(small, small, around, big)).map(lambda pair: pair[0] * pair[1])
    boot = st.floats(86400.0, 30 * 86400.0)  # (a Pi booted days behind, NTP setting its clock)
    return st.one_of(signed, signed, signed, boot)


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    readings = draw(st.integers(20, 120))
    span_s = readings * PACE_S
    jitter = draw(st.lists(st.floats(-0.25, 0.25), min_size=readings, max_size=readings))
    step_at = st.floats(1.0, span_s)
    steps = draw(st.lists(st.tuples(step_at, _step_lengths()), max_size=8))
    force = st.tuples(step_at, st.sampled_from(("ecs", "radiator")), st.sampled_from((0.0, 1000.0, 2000.0)),
                      st.floats(5.0, 120.0))
    forces = draw(st.lists(force, max_size=4))
    base = draw(st.lists(st.floats(200.0, 1200.0), min_size=1, max_size=6))
    pv = draw(st.lists(st.floats(0.0, 4000.0), min_size=1, max_size=6))
    return Script(told=draw(st.booleans()), settle_s=draw(st.sampled_from((1.0, 1.5, 3.0))), readings=readings,
                  phase_s=draw(st.floats(0.05, 1.95)),
                  jitter_s=tuple(jitter), steps=tuple(sorted(steps)), forces=tuple(sorted(forces)),
                  base_w=tuple(base), pv_w=tuple(pv))


@dataclass
class Run:
    """The house, the two clocks and what happened on the steady one."""

    h: Harness
    script: Script
    steady_s: float = 0.0
    offset_s: float = 0.0
    watch: ClockWatch | None = None
    # (the steps so far: steady time, signed length, told to the core by the daemon)
    steps: list[tuple[float, float, bool]] = field(default_factory=list)
    house_at: float | None = None  # steady time of the last house reading
    house_before_at: float | None = None  # and of the one before it
    house_count: int = 0
    prod_count: int = 0
    decided_counts: tuple[int, int] = (0, 0)
    command_at: dict[str, float] = field(default_factory=dict)  # by load: steady time of its last command
    command_stamp: dict[str, float | None] = field(default_factory=dict)  # by load: its last_command_at then
    decisions: list[float] = field(default_factory=list)  # steady times
    ready_since: float | None = None  # evidence on the steady time line not decided on yet, since
    relay: tuple[bool, float, bool] = (False, 0.0, True)  # the radiator: on, since, a stretch not judged (a force)
    forces: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # by load: since, duration, watts
    guard_sheds: int = 0
    faults: list[str] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return NOON + self.steady_s + self.offset_s

    def latest_command(self) -> float | None:
        """Steady time of the latest command of any load, this event's too (seen by their stamps changing)."""
        for load in self.h.reg.loads:
            if load.last_command_at != self.command_stamp.get(load.name):
                self.command_stamp[load.name] = load.last_command_at
                self.command_at[load.name] = self.steady_s
        return max(self.command_at.values(), default=None)

    def forward_s(self, since: float, until: float, told_too: bool = True) -> float:
        """The jumps forward between two steady times (those the daemon told too, unless `told_too` is False)."""
        return sum(length for at, length, told in self.steps
                   if since <= at <= until and length > 0 and (told_too or not told))

    def fault(self, text: str) -> None:
        self.faults.append(f"at {self.steady_s:.2f} (wall {self.wall_s - NOON:+.2f}): {text}")

    def judge_evidence(self, decided: bool, kind: str) -> None:
        """Invariant 2: evidence on the steady time line is decided on by the next house reading (after a wait for
        the production reading at most); a step back no one told, a reading later per step, and the step's length
        for one under 10 s (docs/control.md, "Safety is unchanged")."""
        reg = self.h.reg
        gate = reg._gate
        command_at = self.latest_command()
        if kind == "house" and self.ready_since is not None and self.house_before_at is not None \
                and self.ready_since <= self.house_before_at:
            # (untold, one under 10 s holds the decisions as long, one over it a reading: docs/control.md, "Safety is
            # unchanged"; measured from the last message or tick, the time since not counted, one of 10.4 s is 9.9 s)
            allowed_s = sum(PACE_S if -length > CLOCK_STEP_BACK_S + TICK_S else -length
                            for at, length, told in self.steps
                            if self.ready_since - 10.0 <= at <= self.steady_s and length < 0 and not told)
            if self.steady_s - self.ready_since > PACE_S + allowed_s + 0.5:
                self.fault(f"no decision since {self.ready_since:.2f}, evidence then (decided at "
                           f"{self.decisions[-3:]})")
                self.ready_since = None
        settle_s = gate.settle_s or 0.0
        last_at = self.decisions[-1] if self.decisions else None
        ready = (not decided and reg.stale_reason is None and self.house_at is not None
                 and self.house_count > self.decided_counts[0] and self.prod_count > self.decided_counts[1]
                 and (last_at is None or self.steady_s - last_at >= gate._period_s)
                 and (command_at is None or self.house_at >= command_at + settle_s + SLACK_S))
        if not ready:
            self.ready_since = None
        elif self.ready_since is None:
            self.ready_since = self.steady_s

    def judge_relay(self, decided: bool) -> None:
        """Invariant 3: the radiator's dwell, on the steady time line."""
        reg = self.h.reg
        radiator = reg.loads_by_name["radiator"]
        controller = reg.controller
        assert controller is not None
        sheds, self.guard_sheds = controller.guard_sheds - self.guard_sheds, controller.guard_sheds
        on, since, unjudged = self.relay
        if radiator.is_forced():
            unjudged = True
        if radiator.is_on == on:
            self.relay = (on, since, unjudged)
            return
        held_s = self.steady_s - since
        dwell_s = DWELL_S[0] if on else DWELL_S[1]
        # (a jump forward ends a dwell that much earlier: docs/running-on-a-pi.md, "the safe side")
        if (not unjudged and decided and not radiator.is_forced() and reg.stale_reason is None and not sheds
                and held_s < dwell_s - self.forward_s(since, self.steady_s) - SLACK_S):
            self.fault(f"radiator switched {'off' if on else 'on'} after {held_s:.2f} s (dwell {dwell_s:g} s)")
        self.relay = (radiator.is_on, self.steady_s, radiator.is_forced())

    def judge_forces(self) -> None:
        """Invariant 4: a timed force runs its time on the steady time line."""
        for load in self.h.reg.loads:
            kept = self.forces.get(load.name)
            if kept is None or load.is_forced():
                continue
            since, duration_s, power_w = kept
            del self.forces[load.name]
            # (a jump forward ends a force on that much earlier, the safe side; one to 0 W keeps its time when told a
            # jump, not a step under 10 s: docs/running-on-a-pi.md)
            early_s = sum(length for at, length, told in self.steps if since <= at <= self.steady_s and length > 0
                          and (not told or power_w > 0 or length < CLOCK_JUMP_S))
            if self.steady_s - since < duration_s - early_s - SLACK_S:
                self.fault(f"{load.name}'s force of {duration_s:.2f} s at {power_w:g} W ended after "
                           f"{self.steady_s - since:.2f} s")


def _daemon_pass(run: Run) -> None:
    """shell/daemon.py's _follow_the_clock, on the run's two clocks."""
    assert run.watch is not None
    wall_s = run.wall_s
    step_s = run.watch.jumped_s(wall_s, run.steady_s)
    reg = run.h.reg
    if run.watch.back_s:
        reg.clock_stepped_back(run.watch.back_s, wall_s)
    if run.watch.forward_s:
        reg.clock_stepped_forward(run.watch.forward_s)
    if step_s > 0:
        reg.clock_stepped_forward(step_s)


def _watch_claims(run: Run) -> None:
    """Check each decision as the gate lets it through (invariant 1)."""
    gate = run.h.reg._gate
    claim = gate.claim

    def checked(now: float, loads: Any, by_house: bool = False) -> bool:
        ok = claim(now, loads, by_house)
        if not ok:
            return False
        command_at = run.latest_command()
        house_at = run.house_at
        settle_s = gate.settle_s
        if run.decisions and command_at is not None and house_at is not None and settle_s is not None:
            # (a step no one told, in a replay: the core takes the stamps as they are, a step under 10 s being two
            # threads' stamps out of order to it, docs/control.md, "Safety is unchanged"; a reading looks later than a
            # command before it by a step forward between them, and than a command after it by a step back)
            excused_s = sum(abs(length) for at, length, told in run.steps if not told and (
                length > 0 and command_at <= at <= house_at or length < 0 and house_at <= at <= command_at))
            if house_at < command_at + settle_s - SLACK_S - excused_s:
                run.fault(f"decided on the house reading of {house_at:.2f}, the last command at {command_at:.2f} "
                          f"(settle {settle_s:g} s)")
        run.decisions.append(run.steady_s)
        run.decided_counts = (run.house_count, run.prod_count)
        return True

    gate.claim = checked  # type: ignore[method-assign]


def _house_w(run: Run, index: int) -> tuple[float, float]:
    """The house's own draw and the sun at reading `index` (stepwise between the script's values)."""
    script = run.script
    base = script.base_w[index * len(script.base_w) // script.readings]
    pv = script.pv_w[index * len(script.pv_w) // script.readings]
    drawn = 0.0
    for load in run.h.reg.loads:
        drawn += (1000.0 if load.is_on else 0.0) if isinstance(load, RelayEquipment) else load.current_power_w
    return base + drawn, pv


def drive(script: Script, directory: Path) -> Run:
    """Run `script` on a fresh regulator; the faults found on the way in `faults`."""
    h = closed_loop(directory, "ecs", "radiator", dwell_s=DWELL_S, status_interval_s=60,
                    evaluate_options=f"settle = {script.settle_s:g}\n")
    run = Run(h, script)
    run.watch = ClockWatch(run.wall_s, run.steady_s)
    run.latest_command()
    _watch_claims(run)
    events: list[tuple[float, int, Any]] = []
    for k in range(script.readings):
        at = (k + 1) * PACE_S + script.jitter_s[k]
        events.append((at, 2, ("house", k)))
        events.append((at - PACE_S + script.phase_s, 1, ("prod", k)))
    events += [(k * TICK_S, 3, ("tick",)) for k in range(1, int((script.readings + 2) * PACE_S / TICK_S))]
    events += [(at, 0, ("step", length)) for at, length in script.steps]
    events += [(at, 4, ("force", name, power_w, duration_s)) for at, name, power_w, duration_s in script.forces]
    events.sort(key=lambda event: (event[0], event[1]))
    reg = h.reg
    for at, _order, what in events:
        run.steady_s = at
        kind = what[0]
        if kind == "step":
            run.offset_s += what[1]
            told = script.told and abs(what[1]) >= CLOCK_NUDGE_S
            run.steps.append((at, what[1], told))
            continue
        if script.told:
            _daemon_pass(run)
        decisions, stale = len(run.decisions), reg.stale_reason is not None
        if kind == "house":
            consumption_w, _ = _house_w(run, what[1])
            run.house_before_at = run.house_at
            run.house_at, run.house_count = at, run.house_count + 1
            reg.handle(CONS, reading(consumption_w), run.wall_s)
        elif kind == "prod":
            _, production_w = _house_w(run, what[1])
            run.prod_count += 1
            reg.handle(PROD, reading(production_w), run.wall_s)
        elif kind == "tick":
            reg.tick(run.wall_s)
        else:
            _, name, power_w, duration_s = what
            payload = {"command": "force", "name": name, "power": power_w, "duration": duration_s}
            reg.handle(MODE, json.dumps(payload).encode(), run.wall_s)
            if reg.loads_by_name[name].is_forced():
                run.forces[name] = (at, duration_s, power_w)
        decided = len(run.decisions) > decisions
        if stale and reg.stale_reason is None:  # (resumed: DecisionGate.resume_after_silence)
            run.decided_counts = (run.house_count - 1, run.prod_count - 1)
        elif not stale and reg.stale_reason is not None and script.told and run.decisions:
            # (the meters read every 2 s on the steady time line: never silent, when the daemon tells the steps; a
            # replay's jump forward is the meters' silence to the core, which cannot tell: docs/how-it-decides.md)
            run.fault(f"suspended: {reg.stale_reason}")
        run.judge_evidence(decided, kind)
        run.judge_relay(decided)
        run.judge_forces()
    return run


def _script(steps: tuple[tuple[float, float], ...], forces: tuple[tuple[float, str, float, float], ...] = (),
            told: bool = True, readings: int = 16) -> Script:
    """A run of `readings` at a steady pace, the production meter a second after the house meter, in the sun."""
    return Script(told=told, settle_s=1.0, readings=readings, phase_s=1.0, jitter_s=(0.0,) * readings, steps=steps,
                  forces=forces, base_w=(200.0,), pv_w=(3000.0,))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
# A force 0.1 s before a house reading, the clock stepped back a second (told) before the production reading: the force
# moved by the step, the reading not, it was taken for one 1.1 s after the force and decided on.
@example(_script(steps=((22.5, -1.0),), forces=((21.9, "ecs", 1000.0, 5.0),)))
# The same over 10 s (the reading's age restarted at the first message after the step, a second after the force)
@example(_script(steps=((22.95, -60.0),), forces=((21.9, "ecs", 1000.0, 5.0),)))
# A step forward of 9.5 s, under a jump, was not told: the readings 10 s old at once, every load cut.
@example(_script(steps=((20.2, 9.5),)))
def test_the_gate_acts_on_evidence_on_the_steady_time_line(script: Script) -> None:
    with tempfile.TemporaryDirectory() as directory:
        run = drive(script, Path(directory))
    assert run.faults == []
    assert math.isfinite(run.offset_s)
