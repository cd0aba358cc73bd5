"""When the regulator may decide, apart from the decision itself: a decision needs a reading of each meter
that no decision used yet, [evaluate] period since the last one, and (closed loop) a house reading taken
late enough to show the last command (or, from a house meter that reads on change, a relay's switch read once and
the meter quiet since), and a production reading as fresh as the meters' pace allows (a house reading that completes
the pair waits for a production reading due soon). These rules read only the meters and the loads' last command
times; kept here, they read in one place and the regulator only asks. The commands' times across the wall clock's
steps: core/decision_gate_clock.py (a mixin of DecisionGate)."""

from __future__ import annotations

from collections.abc import Sequence

from core.decision_gate_clock import GateClock
from core.decisions import is_relay
from core.meters import MeterState
from equipments.base import Equipment
from values.readings import EVIDENCE_SLACK_S, shows_command, stepped_back

# A decision that waited for a production reading and goes on without it is taken this long before the latest time
# whose command the next house reading still shows, when the production reading was due earlier: the daemon's
# timer runs a few milliseconds after the time it is set for, and a command a millisecond too late made the next
# house reading no evidence (the decision after it came a whole reading later).
WAIT_MARGIN_S = 0.1
# A Tasmota checks its power against its PowerDelta once a second: a house meter read on change sends its reading of a
# command this long after the command shows, at most (or one of its bursts' gaps, when longer).
ON_CHANGE_CHECK_S = 1.0
# A gap among a house meter's last ones at most this many of a Tasmota's checks is a burst (its 1 s, give or take its
# Wi-Fi), whatever its bursts' pace when told: at two of the checks, or of its bursts' gaps, a meter made to read every
# 2 s after its irregular pace was told (a PZEM, "every few seconds" as the warning says), or a PZEM told so for three
# outages of its Wi-Fi (its bursts every 2 s), was taken for one read on change, its reading within `settle` of a
# relay's switch, perhaps from before the switch shows, decided on when the next one was lost. (A meter read every
# second at a steady pace, told so for outages of its Wi-Fi, reads as a Tasmota's bursts: nothing in its gaps tells it
# apart, and that one decision is taken; the next house reading's decision corrects it: docs/how-it-decides.md.)
BURST_GAP_FACTOR = 1.5


class DecisionGate(GateClock):
    """The evidence the last decision used, and whether there is new evidence to decide on."""

    def __init__(self, consumption: MeterState, production: MeterState, period_s: float,
                 settle_s: float | None) -> None:
        """`settle_s`: how long a command takes to show in the house meter (None: no wait, Hébert's rule)."""
        self._consumption = consumption
        self._production = production
        self._period_s = period_s
        self._settle_s = settle_s
        self._decided_on = (0, 0)  # meter reading counts used by the last decision
        self._last_decision_at: float | None = None
        # (by load: the stamp of its last command when the wall clock jumped forward or stepped back, and by how much
        # it moved since: while that command is still its last, it was sent that much "earlier" (a step back: later)
        # than a reading's stamp says; _latest_command)
        self._moved: dict[int, tuple[float, float]] = {}
        # (a house reading completed the pair and the decision waits for the production reading until this time,
        # then goes on without it; None: not waiting)
        self.waiting_until: float | None = None
        self._wait_from = 0.0  # (the house reading's time the wait started at: moved with the clock as waiting_until)
        # (the house meter's count at its last reading, and the stamp of the latest command when it came: that reading
        # came after that command, by the messages' order, whatever the clock says of its stamp; heard_house)
        self._house_read: tuple[int, float | None] = (-1, None)
        # (the house meter's count at its last reading, and that reading's time on the readings' clock: its stamp, moved
        # by the wall clock's steps since as the commands are; the stale guard restarts its stamp at a step back for its
        # age, which says nothing of its distance from a command: claim)
        self._house_at: tuple[int, float] = (-1, 0.0)

    def heard_house(self, loads: Sequence[Equipment]) -> None:
        """A good house reading just came, before anything it leads to is commanded: every one, claimed or not (one
        while the regulation is suspended, its production meter silent, is what the house draws after the cut's switch
        when the production meter is back: recorded at the claim only, the one before the suspension was taken for the
        last, and the regulation sat idle until the house meter's next change or its cut)."""
        latest = self._latest_command(loads)
        meter = self._consumption
        self._house_read = (meter.count, latest[1] if latest is not None else None)
        if meter.last is not None:
            self._house_at = (meter.count, meter.last.received_at)

    def claim(self, now: float, loads: Sequence[Equipment], by_house: bool = False) -> bool:
        """True when a decision may be taken at `now`; its evidence then counts as used. `by_house`: asked on a
        house reading (the closed loop may then wait for the production reading: waiting_until)."""
        if not by_house:
            self.waiting_until = None  # (the production reading came, or the wait is over: no more waiting)
        counts = (self._consumption.count, self._production.count)
        if counts[0] <= self._decided_on[0] or counts[1] <= self._decided_on[1]:
            # Never twice on the same evidence: both meters must have spoken since the last decision (the
            # meters are not synchronous: the decision comes with the later of the two). Deciding on each house
            # reading with the previous production reading instead was measured worse on the cloudy day
            # (capture 97.4 % against 98.3 %, twice the import): the production it acted on was older.
            return False
        if self._last_decision_at is not None and 0 <= now - self._last_decision_at < self._period_s:
            return False  # (a clock stepped back gives a negative difference: decide, rather than freeze)
        consumption = self._consumption.last
        if consumption is None or self._production.last is None:
            return False  # (a meter never read: resume_after_silence's count of it is -1)
        if self._settle_s is not None and self._last_decision_at is not None:
            # Any command counts, the decisions' and the others' (a force, a full tank, a re-probe, the stale
            # guard), but the start's (every load to 0) does not hold back the first decision: skipping it would
            # put every later decision on the house reading instead of the production reading that follows it,
            # which the replay measured twice as importing on the cloudy day (docs/control.md).
            latest = self._latest_command(loads)
            last_command_at, latest_at = latest if latest is not None else (None, None)
            house_at = self._house_at[1] if self._house_at[0] == self._consumption.count else consumption.received_at
            if (last_command_at is not None and not stepped_back(house_at, last_command_at)
                    and not shows_command(house_at, last_command_at, self._settle_s)
                    and not self._relay_switch_read(last_command_at, latest_at, loads, now)):
                # This house reading was taken before the last command could show in it: deciding on it would
                # correct again what the last command already corrected. Wait for the next one. That holds for
                # a reading from before the command too (a force between the house reading and the production
                # reading); only one from long before it is a clock stepped back that no one told (a step told moves
                # the commands sent before it: clock_stepped_back): decide, rather than freeze.
                return False
        if by_house and self._settle_s is not None and self._wait_for_production(now, self._settle_s):
            return False
        self.waiting_until = None
        self._decided_on = counts
        self._last_decision_at = now
        return True

    def _relay_switch_read(self, command_at: float, stamped_at: float | None, loads: Sequence[Equipment],
                           now: float) -> bool:
        """Whether the last house reading, taken before `settle` after the last command (sent at `command_at`, stamped
        `stamped_at`), shows it all the same at `now`: the house meter reads on change, the command was a relay's
        switch, the reading came after it, and the meter has been quiet since for `settle` after it and one of its
        checks.

        A meter that reads on change (a Tasmota with PowerDelta set) sends a reading when its power moved more than its
        delta since the last one sent, and nothing while it moves less: its one reading of a switch, within a second of
        the command, and quiet after. Waiting for a reading after `settle`, the regulation sat idle until the cut at
        meter_timeout or the TelePeriod (a plug's trial never measured, the heater not given what it left). A relay's
        step (hundreds of watts) is over the delta (tens of watts): a reading from before it shows would have been
        followed by one of the switch, at the meter's first check once it shows, `settle` after the command at the
        latest. None came: the reading shows the switch, to within the delta, as any reading of this meter shows the
        house. Not so a variable load's step, which may be under the delta and never read: a decision on a reading from
        before it would correct again what it corrected (docs/how-it-decides.md); nor a meter read at a steady pace,
        whose silence is a reading lost, no sign of a steady house. One decision on it, as on any reading.

        The reading came after the command by the messages' order (the latest command was sent when it came), not by
        its stamp: a wall clock stepped back between the two by less than a step (CLOCK_STEP_BACK_S: NTP at a Pi's
        boot) stamped it before the command, and the regulation sat idle until the cut as before. (A reading stamped
        on paho's thread before a command the main loop sent while it was queued is taken too: from before the switch,
        it would have been followed by one of it, as above.) The wait is counted on the command's stamp still: a step
        makes it longer by as much, never shorter."""
        check_s = self._consumption.bursts_pace_s
        if check_s is None or self._settle_s is None or self._house_read != (self._consumption.count, stamped_at):
            return False
        # (the meter's check after the switch shows: its bursts' gap, a Tasmota's second at least)
        if check_s < ON_CHANGE_CHECK_S:
            check_s = ON_CHANGE_CHECK_S
        if now < command_at + self._settle_s + check_s - EVIDENCE_SLACK_S:
            return False
        if min(self._consumption.gaps_s, default=0.0) > BURST_GAP_FACTOR * ON_CHANGE_CHECK_S:
            # (no burst among its last gaps: a meter set since to read at a steady pace, PowerDelta 0 and TelePeriod 10
            # as it was told, or every 2 s as another meter, or a PZEM told for its outages, whose reading within
            # `settle` of a switch came by chance, perhaps from before it shows, and whose silence after is a reading
            # lost)
            return False
        return any(load.last_command_at == stamped_at and is_relay(load) for load in loads)

    def _wait_for_production(self, now: float, settle_s: float) -> bool:
        """Whether the decision that a house reading at `now` completes waits for the production reading due soon;
        if so, until when (waiting_until).

        The meters are not synchronous. A decision acts on the sun as the production reading showed it, and on a cloudy
        day production is the faster-moving of the two: a decision on the house reading with the production reading
        before it acts on a sun a whole reading older than the one on the production reading that follows (twice the
        import on the replayed cloudy day; the replay's default overstates it, and with commands acting at once the
        wait gains a few Wh on the cloudy day and costs as much on a day of appliance steps: docs/control.md, "When a
        command acts"). A house reading lost once put every later decision on that older sun, until a production
        reading was lost in turn. So the decision waits for the production reading when it is due no later than its
        command would still show in the next house reading (`settle` before it), each meter as late or early as its
        jitter: a wait that ran out would leave the decision to go on a second later with the same readings, worse than
        deciding at once. If none comes by then (lost, or too late), it is taken at that time, less WAIT_MARGIN_S when
        the reading was due earlier, on the production reading it has (Regulator.tick: decide_after_wait)."""
        waited = self.waiting_until
        if waited is not None and now >= waited:
            return False  # (waited already: a house reading came before any production one)
        due_at = self._production.next_due_at(now)
        house_pace_s = self._consumption.pace_s()
        if due_at is None or house_pace_s is None:
            return False
        # The latest time whose command the next house reading shows, were it early by its jitter; the production
        # reading due, were it late by its own.
        latest_s = now + house_pace_s - settle_s - self._consumption.jitter_s()
        due_at += self._production.jitter_s()
        if due_at > latest_s + EVIDENCE_SLACK_S:
            return False  # (waiting would halve the pace: the next house reading could not show the decision)
        self.waiting_until = max(due_at, latest_s - WAIT_MARGIN_S)
        self._wait_from = now
        return True

    @property
    def settle_s(self) -> float | None:
        """How long after a command a house reading shows it (None: Hébert's rule, which does not wait)."""
        return self._settle_s

    def wait_longer(self, settle_s: float) -> None:
        """From now on a house reading is evidence `settle_s` after a command (the loop hunts: core/hunting.py)."""
        if self._settle_s is not None and settle_s > self._settle_s:
            self._settle_s = settle_s

    def stop_waiting(self) -> None:
        """Regulation suspended (a silent meter): no decision waits any more for a production reading."""
        self.waiting_until = None

    def decide_after_wait(self, now: float, loads: Sequence[Equipment]) -> bool:
        """True when the decision that waited for a production reading is due at `now` without it (then claimed)."""
        if self.waiting_until is None or now < self.waiting_until:
            return False
        return self.claim(now, loads)

    def meter_booted(self, meter: MeterState) -> None:
        """`meter` rebooted: no decision uses a reading from before the boot."""
        if meter is self._consumption:
            self._decided_on = (meter.count, self._decided_on[1])
        else:
            self._decided_on = (self._decided_on[0], meter.count)

    def resume_after_silence(self) -> None:
        """Both meters fresh again after a silence: only readings after it count for the next decision."""
        self._decided_on = (self._consumption.count - 1, self._production.count - 1)
