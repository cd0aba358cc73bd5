"""The seed rule's own force, followed until it has given what it was for. A user's 10-minute boost at 01:30
took the heater over from the rule's 01:00 force (7000 Wh planned); when the boost ended the heater went back
to the regulation, 0 W at night, and the morning's water had 1333 Wh of the 7000 credited. As the deadline
rule does, the rule now waits for that force to end and forces what is still missing; too late for the night,
it credits only what the heater drew. Pure: times, energies and who holds the heater come in. Saved in the status
file with the rule's window (a restart during a user's boost over the night's force forgot it: when the boost
ended, the rest of the night's Wh was never forced, yet credited)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from equipments.modes import MAX_FORCE_DURATION_S
from field.fallback_answers import answer_delay_s, past_answer_wait
from values.saved_numbers import saved_energy, saved_epoch, saved_number

log = logging.getLogger(__name__)

# Less than this missing is not worth a force of its own (a few minutes of the heater): neither rule forces it, nor
# the rest of a displaced force.
MIN_FORCE_WH = 100.0
# A force that could not be published is tried again this much later, doubling each time up to the most (tried at
# every tick, a broker link refusing all night wrote 4308 lines to the log).
RETRY_FIRST_S, RETRY_MOST_S = 60.0, 600.0
# The seed rule's night: its check, come late, runs if it comes within this after check_at: the night's force still
# fits in the night. Later, the night's check is skipped. Held by another's force (a user's, the mode's): a force to
# 0 W "until unforced" at 00:55, unforced at 18:00 the next day, forced 7000 Wh in the evening peak. PySEB stopped at
# check_at: back at 18:00 after a power cut, the check forced the same (the seed, not running at check_at, never
# checked that night).
MAX_LATE_S = 3 * 3600
# The most a saved own force's night may last after its check_at: the night's room plus the longest force.
_MAX_LATEST_S = MAX_LATE_S + MAX_FORCE_DURATION_S


@dataclass(slots=True)
class RetryClock:
    """When a rule's force that could not be published may be tried again (both fallback rules keep one)."""

    retry_at: float = float("-inf")
    failures: int = 0  # in a row

    def failed(self, now: float) -> None:
        """Not delivered at `now`: the next try a minute later, then 2, 4... 10."""
        self.retry_at = now + min(RETRY_FIRST_S * 2 ** min(self.failures, 8), RETRY_MOST_S)
        self.failures += 1

    def waiting(self, now: float) -> bool:
        """True before the next try (a retry further ahead than any wait is from before a clock step back)."""
        return 0 <= self.retry_at - now <= RETRY_MOST_S


@dataclass(slots=True)
class OwnForce:
    """A force the seed rule made, for `wanted_wh`, at the check due at `due_at`, planned to end at `planned_end`;
    `latest_s` after `due_at` (the night's room: MAX_LATE_S plus its own length) it is no longer resumed."""

    wanted_wh: float
    due_at: float
    planned_end: float
    latest_s: float
    drawn_wh: float = 0.0  # what the heater drew from its start to its planned end, whoever forced it
    displaced: bool = False  # another's force took the heater over before its planned end
    given_up: bool = False  # displaced, and too late for the night when that force ended
    cut: bool = False  # ended early by someone else (a user's unforce, the mode): not forced again (closed at once,
    # never saved)
    jumped_s: float = 0.0  # the wall clock jumped forward this much during it (NTP): it ended that much early (closed
    # at the next tick if the jump went past its end; not saved: a restart before its end owes its rest anyway)
    started_at: float = float("-inf")  # when it was made (or forced again): its variator's answer is looked for since
    heard: bool = True  # its variator answered it (or answers nothing: no judging); False from its start until then
    late: bool = False  # its variator answered it more than ANSWER_WAIT_S after its command: it heated from then on
    unheard_wh: float = 0.0  # counted for it (from the command: a variator's energy is, meter or not) before its
    # variator's late answer: energy the heater could not have got
    retry: RetryClock = field(default_factory=RetryClock)  # its command not delivered
    cut_off_wh: float = 0.0  # of what was still missing when it was forced again, what no longer fitted the night's
    # room (its rest shortened to end in time): never forced, not drawn

    def not_delivered(self, now: float) -> None:
        """Its command could not be published: owed, as if displaced, and tried again after a wait that doubles."""
        self.displaced = True
        self.retry.failed(now)

    def started(self, now: float) -> None:
        """Its command sent at `now`: its variator's answer is waited for."""
        self.started_at, self.heard, self.late, self.unheard_wh = now, False, False, 0.0

    def follow(self, now: float, delta_wh: float, held_by: str | None, on: bool = True, heard_at: float | None = None,
               commanded_at: float | None = None) -> float | None:
        """One tick: count the heater's energy while this force is owed. Returns the Wh to force again now (another's
        force over it has just ended, with enough still missing and time left), 0.0 when it is done with nothing
        more to force, None while it goes on. `on`: the heater is still forced by the rule (False with no other force
        on it: unforced before its planned end, see `end_early`); `heard_at`, `commanded_at`: the heater's variator's
        last answer and command (`listen`)."""
        if held_by is None and not on and not self.displaced and now < self.planned_end:
            self.end_early(now)  # (this tick's energy is the regulation's: not drawn for the force)
            return 0.0
        if now < self.planned_end:  # (after it, the heater's energy is the next window's, as the rule counts it)
            self.drawn_wh += delta_wh
            self.listen(delta_wh, heard_at, commanded_at)
        if held_by is not None:
            if now < self.planned_end:
                self.displaced = True
            return None
        if not self.displaced:
            return 0.0 if now >= self.planned_end else None
        if self.retry.waiting(now):
            return None
        self.displaced = False
        missing_wh = self.wanted_wh - self.heated_wh
        if missing_wh < MIN_FORCE_WH:
            return 0.0
        if now - self.due_at > self.latest_s:
            self.given_up = True
            return 0.0
        return missing_wh

    def listen(self, delta_wh: float, heard_at: float | None, commanded_at: float | None) -> None:
        """Whether its variator has answered the command in effect or one sent during it (`heard_at`: its last answer,
        None when it never answers: nothing to judge by, -inf when not yet after a restart it had answered before,
        fallback_answers.VariatorAnswers; `commanded_at`: when the heater's command was last sent).
        Its energy is counted from the command: until a late answer, `delta_wh` is energy a variator off the network
        never gave (credited, the water was cold and the next night's check took it for hot)."""
        if self.heard:
            return
        delay_s = None if heard_at is None else answer_delay_s(self.started_at, heard_at, commanded_at)
        if heard_at is None or delay_s is not None:
            self.heard = True
            self.late = delay_s is not None and past_answer_wait(delay_s)
            if not self.late:
                self.unheard_wh = 0.0  # (answered at once: the ticks before were its answer's way)
        else:
            self.unheard_wh += delta_wh

    def closing(self, now: float) -> None:
        """It is closed at `now`: a variator not heard yet, within ANSWER_WAIT_S of its start, may have had no time to
        answer (a force unforced at once): not judged. A `now` before its start (the wall clock stepped back) tells no
        time since it: judged."""
        if not self.heard and now >= self.started_at and not past_answer_wait(now - self.started_at):
            self.heard, self.unheard_wh = True, 0.0

    def tank_full(self) -> None:
        """The tank was found full during it: the night's heating done, credited whole (the water is hot)."""
        self.jumped_s, self.heard, self.late, self.unheard_wh, self.cut_off_wh = 0.0, True, False, 0.0, 0.0

    @property
    def heated_wh(self) -> float:
        """What the heater drew for it, as far as anyone can tell: counted, less what its variator did not hear."""
        return max(0.0, self.drawn_wh - self.unheard_wh)

    def snapshot(self) -> dict[str, float | bool]:
        """What to persist across a restart (JSON-ready); a retry's wait is not kept: a restart tries at once."""
        return {"wanted_wh": round(self.wanted_wh, 1), "due_at": self.due_at, "planned_end": self.planned_end,
                "latest_s": self.latest_s, "drawn_wh": round(self.drawn_wh, 1), "displaced": self.displaced,
                "given_up": self.given_up, "heard": self.heard, "late": self.late,
                "unheard_wh": round(self.unheard_wh, 1), "cut_off_wh": round(self.cut_off_wh, 1)}

    @classmethod
    def from_snapshot(cls, saved: Any) -> OwnForce:
        """Its snapshot taken back; KeyError, TypeError or ValueError when it is damaged (a field missing, a number
        not plausible, a flag not a boolean). (`heard`, `late` and `unheard_wh`, absent from a file saved before they
        were: nothing to judge by.) A restored force not heard yet is owed (SeedWindow.restore): forced again, judged
        afresh, or given up."""
        return cls(_present(saved_energy(saved["wanted_wh"])), _present(saved_epoch(saved["due_at"])),
                   _present(saved_epoch(saved["planned_end"])),
                   _present(saved_number(saved["latest_s"], 0.0, _MAX_LATEST_S)),
                   _present(saved_energy(saved["drawn_wh"])), _flag(saved["displaced"]), _flag(saved["given_up"]),
                   heard=_flag(saved.get("heard", True)), late=_flag(saved.get("late", False)),
                   unheard_wh=_present(saved_energy(saved.get("unheard_wh", 0.0))),
                   cut_off_wh=_present(saved_energy(saved.get("cut_off_wh", 0.0))))

    def end_early(self, now: float) -> None:
        """Its force was ended by someone else (a user's unforce, a mode that excludes the fallback): the user's word,
        not forced again; before its planned end, or while owed, what it did not draw is not credited (credited whole,
        the next night's check took the water for hot)."""
        if now < self.planned_end or self.displaced:
            self.cut = True

    def clock_jumped(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` during it, with no time passing: its end (and the heater's force,
        both on the wall clock) came that much early, the jump no energy drawn. Not forced again (a jump ends a timed
        force early, the safe side: core.forces); only what the heater drew is credited (credited whole, the next
        night's check took the water for hot)."""
        self.jumped_s += step_s

    def clock_set_back(self, behind_s: float) -> None:
        """The wall clock was set back by `behind_s`: its times move back with it, so it keeps the time it had left (as
        the heater's force does)."""
        self.due_at -= behind_s
        self.planned_end -= behind_s

    @property
    def not_drawn_wh(self) -> float:
        """Given up, cut, cut short by a clock jump, or not heard at once by its variator (see `closing`): what it was
        for and the heater did not draw; else 0 (a force that ran its course gave it). Plus what was cut off its rest
        when it was forced again (credited whole when it was made: the next night's check took it for drawn)."""
        short = self.given_up or self.cut or self.jumped_s > 0 or not self.heard or self.late
        return (max(0.0, self.wanted_wh - self.heated_wh) if short else 0.0) + self.cut_off_wh

    def why_short(self) -> str:
        """Why it gave less than it was for, as the log says it."""
        if self.cut:
            return "was ended early (unforced, or the water-heater mode)"
        if self.jumped_s > 0:
            return f"was cut short by the clock jumping {self.jumped_s / 60:.0f} min forward"
        if self.given_up:
            return "was displaced and the night is over"
        return "was displaced, and its rest no longer fitted the night"


def _present(value: float | None) -> float:
    """A saved number that passed its check (None: it did not)."""
    if value is None:
        raise ValueError("not plausible")
    return value


def _flag(value: Any) -> bool:
    """A saved boolean (anything else is a damaged file)."""
    if not isinstance(value, bool):
        raise ValueError("not a boolean")
    return value
