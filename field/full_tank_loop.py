"""The command's own moves as full-tank evidence, for a controller that moves it at nearly every reading.

The closed loop rarely holds a command still for the three settled readings a step probe needs. Its moves
are weighed together instead: from one house reading to the next, the command's move and the house's
(the other loads' belief subtracted). A working element follows its command, a cut one does not: the
least-squares slope of house moves on command moves is about 1 or about 0. A window of moves makes a
verdict only when it is big enough, spread over several moves, and the fit tight: a restless house or
one appliance switching between two readings must not decide it. Pure: readings come in, a slope out.
"""

from __future__ import annotations

from dataclasses import dataclass

from values.readings import shows_command


@dataclass(frozen=True, slots=True)
class LoopRule:
    """The numbers of a window of moves (documented in docs/field-features.md, "Full tank")."""

    evidence_s: float = 1.0  # a house reading this long after a command shows it (the regulator's `settle`)
    step_w: float = 300.0  # the moves' root-sum-square must reach this (or min_power, if larger)
    moves: int = 3  # at least this many moves
    max_share: float = 0.75  # no single move may weigh more than this share of the window
    max_slope_error: float = 0.125  # the slope's standard error must be under this (half the 25 % bar)
    max_gap_s: float = 10.0  # two readings further apart do not make a pair, and end the window
    window_s: float = 300.0  # a window still undecided after this long is dropped
    # The house (less the other loads' beliefs) falling by what the heater drew, within this share, from one
    # reading to the next or over two: the thermostat cutting a saturated heater, the one case the moves
    # cannot show (see LoopEvidence._cut for a command the loop moved meanwhile).
    cut_tolerance: float = 0.25
    # ...the command held, raised, or down by this share of what it drew at most: a dither's step, not the loop
    # answering an appliance (it takes the heater down by the appliance's watts, and when the appliance stops
    # the house falls by twice them: within the tolerance of a cut for one of 0.4 to 0.6 of the heater's size).
    cut_command_drop: float = 0.1
    # A move down further than that is weighed still when it is at most this share of the fall: a working element's
    # move explains its own size, the appliance the loop answered by it, stopping, twice it (gain 1) or three times
    # (gain 0.5); a cut, all the heater drew. (Hébert's rule sheds the whole excess from the lowest priority up: a
    # heater shed by 229 W of its 2298 W for a house step, its tank cutting at that reading, was no cut at 10.0 %, and
    # the fall taken for the other heater's, at its max: believed at 2066 W drawing nothing, each shed went into it.)
    # Only a first move down: the command held, raised or down by a dither's step into the reading before it. At a
    # `gain` under 1 the loop answers an appliance over several readings, each move smaller: stopping two or three
    # readings after it started, the appliance made the house fall by five times the latest move (gain 0.5: 1100 W
    # beside a 2 kW heater was a cut).
    cut_move_share: float = 0.25


@dataclass(frozen=True, slots=True)
class LoopVerdict:
    """What a window of moves says: the share of the command's moves the house followed."""

    slope: float
    moves_w: float  # root-sum-square of the command moves weighed
    started_at: float  # the window's first reading: when this probe began


HeaterBeliefs = tuple[tuple[float, bool], ...]  # (believed watts, suspected full) of each other heater


# (Not frozen, though never changed once made: a frozen dataclass's __init__ sets each of its six fields through
# object.__setattr__, 0.8 us a reading against 0.3 us, and a house reading comes every period.)
@dataclass(slots=True, unsafe_hash=True)  # (hashed by its fields, as a frozen one was)
class EvidenceReading:
    """A house reading that shows the command in force at it; never changed once made."""

    at: float
    own_w: float  # house consumption minus the other regulated loads' believed watts
    command_w: float
    others_w: float
    others_known: bool = True  # False: some other load's belief is no measure of this reading (see on_reading)
    # The other heaters watched for a full tank: each one's believed watts and whether it is suspected full (what it
    # draws in doubt), the same heaters in the same order at every reading.
    heaters: HeaterBeliefs = ()


@dataclass(frozen=True, slots=True)
class Cut:
    """The house falling at once by what the heater drew: its thermostat cutting, or an appliance of its size
    stopping beside it (the re-probe tells)."""

    fell_w: float  # the house's fall, the other loads' beliefs taken out
    drew_w: float  # the command in force before the fall


class LoopEvidence:
    """Moves from reading to reading, summed into windows; each full window gives one LoopVerdict."""

    def __init__(self, min_power_w: float, rule: LoopRule = LoopRule()) -> None:
        self.min_power_w = min_power_w
        self.rule = rule
        self.last: EvidenceReading | None = None  # the latest reading that showed its command
        self.cut: Cut | None = None  # the latest reading's fall, when it looked like a cut (see LoopRule)
        # The latest reading's fall, when it looked like a cut only with the suspected loads' belief moves put back
        # (see _cut): a cut if those moves were not real (their tanks full), which their verdicts tell.
        self.hidden_cut: Cut | None = None
        # The latest reading's fall from the one before, when it was a good part of what the heater drew but no
        # cut (yet): the first half of a cut a meter averaging over its period split in two, or an appliance.
        self.part_fall_w: float | None = None
        # When the latest reading's cut or part fall was read: that reading, or the one before it for a cut over two
        # readings whose latest moved less than a part fall (all of it read at the one before: a heater's own meter
        # read after that one showed it; taken for the latest, it was a doubt a reading more, until that meter read
        # again, an appliance's stop beside a heater holding a trial back for nothing).
        self.fell_at: float | None = None
        self._older: EvidenceReading | None = None  # the reading before `last`
        self._oldest: EvidenceReading | None = None  # the reading before `_older`
        self._reset()

    def _reset(self) -> None:
        self._started_at: float | None = None
        self._moved_w2 = 0.0  # sum of squared command moves
        self._followed_w2 = 0.0  # sum of command move x house move
        self._house_w2 = 0.0  # sum of squared house moves (for the fit's scatter)
        self._largest_w2 = 0.0
        self._count = 0

    def clear(self) -> None:
        """Forget everything (a daily clear, a verdict of full)."""
        self.last = self._older = self._oldest = self.cut = self.hidden_cut = None
        self._reset()

    def on_reading(self, own_w: float, others_w: float, command_w: float, changed_at: float | None,
                   now: float, others_known: bool = True, heaters: HeaterBeliefs = ()) -> LoopVerdict | None:
        """A house reading; `changed_at` is when the command last changed; `others_known`: False when some
        other load's belief is no measure of this reading (a load of unknown power on its first measure,
        believed at the whole surplus; a load commanded too recently to show in it); `heaters`: the other heaters
        watched for a full tank (EvidenceReading.heaters). A verdict when a window closes."""
        self.cut = self.hidden_cut = self.part_fall_w = self.fell_at = None
        if changed_at is not None and not shows_command(now, changed_at, self.rule.evidence_s):
            return None  # this reading may not show the last command yet: neither side of a pair
        reading = EvidenceReading(now, own_w, command_w, others_w, others_known, heaters)
        self.cut = self._cut(reading)
        if self.cut is None:
            if heaters:  # (only with another heater watched: with one, each reading would pay for nothing)
                backs = (self.last, self._older)
                if any(back is not None and abs(_doubted_move_w(back, reading)) >= 0.5 for back in backs):
                    self.hidden_cut = self._cut(reading, doubted_real=False)
            self.part_fall_w = self._part_fall(reading)
            self.fell_at = None if self.part_fall_w is None else now
        else:
            back = self.last  # (a cut found: there is a reading before this one)
            read_before = back is not None and back.own_w - own_w < self.rule.cut_tolerance * self.cut.drew_w
            self.fell_at = back.at if back is not None and read_before else now
        last, self._oldest, self._older, self.last = self.last, self._older, self.last, reading
        if last is None or not 0 < now - last.at <= self.rule.max_gap_s:
            self._reset()  # a silence (or a clock stepped back) ends the window: its moves are history
            return None
        if self.fell_at == now:
            # The house fell at this reading by a cut, or a good part of what the heater drew, more than its command's
            # move explains: the moves before it were of an element that drew, and the pair is no follow of a move
            # (Hébert's rule shed 232 W at the reading of a cut's second half, the house fell by 1134 W: weighed, the
            # window was too scattered for a verdict until its 300 s were up, the heater believed at 2 kW meanwhile).
            self._reset()
            return None
        if abs(others_w - last.others_w) >= 0.5:
            return None  # another regulated load moved in between: its real watts are a guess
        if 0 < command_w < self.min_power_w or 0 < last.command_w < self.min_power_w:
            return None  # under min_power the triac misfires: what it draws says nothing of the tank
        moved_w = command_w - last.command_w
        if moved_w == 0:
            return None
        if self._started_at is None:
            self._started_at = last.at
        elif now - self._started_at > self.rule.window_s:
            self._reset()  # undecided for too long: start again from this move
            self._started_at = last.at
        house_w = own_w - last.own_w
        self._moved_w2 += moved_w * moved_w
        self._followed_w2 += moved_w * house_w
        self._house_w2 += house_w * house_w
        # (the larger by a comparison in max()'s own order: its call parses its keywords on Python 3.11, and this runs
        # at each of the heater's moves; so below, at each reading weighed for a cut)
        moved_w2 = moved_w * moved_w
        self._largest_w2 = moved_w2 if moved_w2 > self._largest_w2 else self._largest_w2
        self._count += 1
        return self._judge()

    def _cut(self, reading: EvidenceReading, doubted_real: bool = True) -> Cut | None:
        """The house's fall by the command's watts, from the last reading or the one before it (a meter that
        averages over its period can split a cut in two). The command may have moved meanwhile: the loop raises
        it at the very reading that shows the first half of a cut (the surplus the cut made), or moves it with
        the sun; a working element moves the house by that move, a cut by all it drew before (LoopRule's
        cut_command_drop and cut_move_share bound a move down). The other loads' believed watts are out of `own_w` at
        each reading, so a relay switched between the two (the loop gives the surplus of the cut's first half to
        the next load) does not hide the cut: a relay's belief, its label or learned watts, is off by a few
        percent, well inside the tolerance. Not so when the others are not known at either reading (see
        on_reading): they must then hold still.

        `doubted_real` False: the fall as it is if the heaters suspected full (at either reading) drew nothing whatever
        their beliefs (their tanks full): their belief moves put back. Another heater's re-probe holding it at 0 W at
        the very reading this one's thermostat cut took the fall for that heater's, the rest no cut: this heater, at
        its max, was never found full that day (1.5 kW counted that it never drew)."""
        tolerance = self.rule.cut_tolerance
        if 0 < reading.command_w < self.min_power_w:
            return None  # under min_power the triac misfires: what it draws says nothing of the tank
        lowest_w = reading.command_w  # the lowest command since `back`
        for back, span, before in ((self.last, 1, self._older), (self._older, 2, self._oldest)):
            if back is None or not 0 < reading.at - back.at <= span * self.rule.max_gap_s:
                return None
            drew_w = back.command_w  # what a working element drew at `back`: a cut takes it all
            if abs(back.others_w - reading.others_w) >= 0.5 and not (back.others_known and reading.others_known):
                return None
            fell_w = back.own_w - reading.own_w
            if not doubted_real:
                fell_w += _doubted_move_w(back, reading)
            if not self._tells(drew_w, lowest_w, fell_w, back, before):
                return None
            if abs(fell_w - drew_w) <= tolerance * drew_w:
                return Cut(fell_w, drew_w)
            lowest_w = drew_w if drew_w < lowest_w else lowest_w
        return None

    def _tells(self, drew_w: float, lowest_w: float, fell_w: float, back: EvidenceReading,
               before: EvidenceReading | None) -> bool:
        """Whether a fall of the house by `fell_w` from `back`, where the heater was commanded `drew_w`, can be
        weighed against that: it drew something, at least min_power, and the command since (at least `lowest_w`) was
        held, raised, down by a dither's step at most (LoopRule.cut_command_drop), or down by a move the fall is
        four times at least (LoopRule.cut_move_share: more than the move and the appliance it answered explain) when
        that move was the first down (into `back` from `before`, the command held, raised or by a dither's step)."""
        if drew_w <= 0 or drew_w < self.min_power_w:
            return False
        moved_w, step_w = drew_w - lowest_w, self.rule.cut_command_drop * drew_w
        if moved_w <= step_w:
            return True
        return (moved_w <= self.rule.cut_move_share * fell_w and before is not None
                and 0 < back.at - before.at <= self.rule.max_gap_s and before.command_w - drew_w <= step_w)

    def _part_fall(self, reading: EvidenceReading) -> float | None:
        """The house's fall since the last reading, when it is at least the tolerance's share of what the heater
        drew, no move of its command explains it, and the others' beliefs are a measure of both readings."""
        last, tolerance = self.last, self.rule.cut_tolerance
        if (last is None or not 0 < reading.at - last.at <= self.rule.max_gap_s
                or not (last.others_known and reading.others_known)):
            return None
        fell_w = last.own_w - reading.own_w
        if not self._tells(last.command_w, reading.command_w, fell_w, last, self._older):
            return None
        return fell_w if fell_w >= tolerance * last.command_w else None

    def _judge(self) -> LoopVerdict | None:
        step_w = max(self.rule.step_w, self.min_power_w)
        if (self._moved_w2 < step_w * step_w or self._count < self.rule.moves
                or self._largest_w2 > self.rule.max_share * self._moved_w2):
            return None
        slope = self._followed_w2 / self._moved_w2
        # The fit's standard error: the house moves the slope does not explain, against the moves' size.
        residual_w2 = max(0.0, self._house_w2 - slope * self._followed_w2)
        error = (residual_w2 / (self._count - 1)) ** 0.5 / self._moved_w2 ** 0.5
        if error > self.rule.max_slope_error:
            return None  # too scattered yet: more moves may tighten it (until the window's time is up)
        assert self._started_at is not None
        verdict = LoopVerdict(slope, self._moved_w2 ** 0.5, self._started_at)
        self._reset()
        return verdict


def _doubted_move_w(back: EvidenceReading, reading: EvidenceReading) -> float:
    """How far the beliefs of the other heaters suspected full at either reading fell from `back` to `reading`. (Only
    their moves: a suspicion raised or cleared between the two moves no watts.)"""
    pairs = zip(back.heaters, reading.heaters, strict=True)
    return sum([back_w - now_w for (back_w, was_suspect), (now_w, is_suspect) in pairs if was_suspect or is_suspect])
