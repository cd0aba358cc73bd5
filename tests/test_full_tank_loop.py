"""The cut check of the loop's full-tank evidence (field.full_tank_loop), on hand-made readings: the house
falling at once by what the heater drew, its command held or moved by the loop at that very reading."""

from __future__ import annotations

import pytest

from field.full_tank_loop import Cut, LoopEvidence, LoopVerdict

T = 1_000_000.0


def cut_after(*readings: tuple[float, float]) -> Cut | None:
    """Feed (house watts less the other loads', heater command) readings 2 s apart, each command sent 0.5 s
    after the reading before it (the loop's decision); the cut the last one showed."""
    evidence = LoopEvidence(min_power_w=150.0)
    changed_at = None
    command_before = None
    for index, (own_w, command_w) in enumerate(readings):
        now = T + 2.0 * index
        if command_w != command_before:
            changed_at, command_before = now - 1.5, command_w
        evidence.on_reading(own_w, 0.0, command_w, changed_at, now)
    return evidence.cut


def test_a_steady_command_and_the_house_falling_by_it_is_a_cut() -> None:
    assert cut_after((2300, 2000), (2300, 2000), (300, 2000)) == Cut(2000, 2000)


def test_the_command_raised_at_the_cut_is_still_a_cut_of_what_it_drew() -> None:
    # The loop raised the command at the reading before; a working element would move the house up by 100 W.
    assert cut_after((2300, 2000), (2300, 2000), (300, 2100)) == Cut(2000, 2000)


def test_a_cut_split_over_two_readings_while_the_command_rises() -> None:
    assert cut_after((2300, 2000), (2300, 2000), (1300, 2000), (300, 2100)) == Cut(2000, 2000)


@pytest.mark.parametrize("command_w", [400, 1000, 1400])
def test_the_house_falling_with_the_command_taken_down_is_no_cut(command_w: float) -> None:
    # A working element taken from 2000 W to 400 W moves the house by 1600 W, within 25 % of the 2000 W it
    # drew; taken down part way, it is the loop answering an appliance, whose stop then looks like a cut (600 W down,
    # more than a quarter of the 2000 W fall: an appliance of 600 to 1200 W, answered at a gain of 1 to 0.5, stopping).
    assert cut_after((2300, 2000), (2300, 2000), (300, command_w)) is None


@pytest.mark.parametrize(("drew_w", "command_w"), [(2000, 1600), (2298, 2066)])
def test_a_cut_as_the_command_is_taken_down_by_a_quarter_of_the_fall_at_most_is_a_cut(drew_w: float,
                                                                                      command_w: float) -> None:
    # The house falls by all the heater drew, four times the move down at least: the move explains 400 W of it, an
    # appliance the move answered 800 W (gain 1) or 1200 W (gain 0.5) with its own stop; a cut all of it. Hébert's rule
    # sheds the whole excess at once: 229 W of 2298 W for a house step, in whole percents 2298 -> 2066 W (10.1 %, past a
    # dither's step), its tank cutting at that reading, was no cut, and the heater at its max believed drawing.
    assert cut_after((300 + drew_w, drew_w), (300 + drew_w, drew_w), (300, command_w)) == Cut(drew_w, drew_w)


@pytest.mark.parametrize("appliance_w", [1143, 1100])
def test_an_appliance_answered_at_a_gain_of_half_stopping_a_reading_or_two_after_is_no_cut(appliance_w: float) -> None:
    # A 2000 W heater; an appliance starts; the loop at a gain of 0.5 takes the heater down by half of it, then by a
    # quarter (1143 W: 2000 -> 1428.5 -> 1142.75 W); the appliance stops at the reading that shows the second move
    # (or the third, 1100 W): the house falls by the appliance and that move, five (nine) times the move, the watts
    # the heater drew at the reading before: the second move down is no first one, no cut.
    a = appliance_w
    first, second, third = 2000 - a / 2, 2000 - 3 * a / 4, 2000 - 7 * a / 8
    assert cut_after((2300, 2000), (2300 + a, 2000), (300 + first + a, first), (300 + second, second)) is None
    assert cut_after((2300, 2000), (2300 + a, 2000), (300 + first + a, first), (300 + second + a, second),
                     (300 + third, third)) is None


def test_an_appliance_answered_by_the_loop_then_stopping_is_no_cut() -> None:
    # An 800 W appliance starts; the loop takes the heater from 2000 to 1200 W; the appliance stops: the house
    # falls by 1600 W from the reading before the answer, within 25 % of 2000 W (a cold review's case).
    assert cut_after((2300, 2000), (2300, 2000), (3100, 2000), (1500, 1200)) is None
    assert cut_after((2300, 2000), (2300, 2000), (3100, 2000), (2300, 1200), (1500, 1200)) is None


def test_a_dither_step_down_still_shows_a_cut() -> None:
    # The sigma-delta's commands step between two percents: one step down (5 %) does not hide a cut.
    assert cut_after((2300, 2000), (2300, 2000), (300, 1900)) == Cut(2000, 2000)


def test_no_cut_under_min_power_or_for_a_fall_unlike_the_command() -> None:
    assert cut_after((400, 100), (400, 100), (300, 100)) is None
    assert cut_after((550, 250), (550, 250), (300, 140)) is None  # now under min_power: the triac misfires
    assert cut_after((2300, 2000), (2300, 2000), (1300, 2000)) is None  # half of it: an appliance


def part_fall_after(*readings: tuple[float, float], others_known: bool = True) -> float | None:
    evidence = LoopEvidence(min_power_w=150.0)
    for index, (own_w, command_w) in enumerate(readings):
        evidence.on_reading(own_w, 0.0, command_w, None, T + 2.0 * index, others_known)
    return evidence.part_fall_w


def test_a_fall_of_part_of_what_the_heater_drew_is_told_until_the_next_reading() -> None:
    # The first half of a split cut: no cut yet, but the house fell by half of the heater's 2000 W.
    assert part_fall_after((2300, 2000), (2300, 2000), (1300, 2000)) == 1000
    assert part_fall_after((2300, 2000), (2300, 2000), (1300, 2000), (300, 2000)) is None  # the cut itself
    assert part_fall_after((2300, 2000), (2300, 2000), (1300, 2000), (1300, 2000)) is None  # steady again


def test_no_part_fall_under_a_quarter_or_with_the_others_unknown_or_the_command_taken_down() -> None:
    assert part_fall_after((2300, 2000), (1900, 2000)) is None  # 400 W: under a quarter of 2000 W
    assert part_fall_after((2300, 2000), (1300, 2000), others_known=False) is None
    assert part_fall_after((2300, 2000), (1300, 800)) is None  # the loop took it down: its own move
    assert part_fall_after((2300, 2000), (1300, 1600)) is None  # down part way: the loop answering something


def verdicts_after(*readings: tuple[float, float]) -> list[LoopVerdict]:
    """As cut_after: the windows' verdicts, in order."""
    evidence = LoopEvidence(min_power_w=150.0)
    changed_at = None
    command_before = None
    verdicts = []
    for index, (own_w, command_w) in enumerate(readings):
        now = T + 2.0 * index
        if command_w != command_before:
            changed_at, command_before = now - 1.5, command_w
        verdict = evidence.on_reading(own_w, 0.0, command_w, changed_at, now)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


def test_a_fall_no_move_explains_starts_the_window_afresh() -> None:
    # Shed by 232 W at the reading of its cut's second half (the house falls by 1134 W), then raised by 232 W and shed
    # by 100 W three times, the house still: moves of 306 W (root of the sum of squares) followed at 0 %. Weighed with
    # the fall, the window was -232 W against -1134 W, slope 1.78, scattered (standard error 1.05): no verdict.
    verdicts = verdicts_after((2950, 2298), (2950, 2298), (1816, 2066), (1816, 2298), (1816, 2198), (1816, 2098),
                              (1816, 1998), (1816, 1898))
    assert [(verdict.slope, round(verdict.moves_w)) for verdict in verdicts] == [(0.0, 306)]
