"""The cut check of the loop's full-tank evidence (field.full_tank_loop), on hand-made readings: the house
falling at once by what the heater drew, its command held or moved by the loop at that very reading."""

from __future__ import annotations

import pytest

from field.full_tank_loop import Cut, LoopEvidence

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


@pytest.mark.parametrize("command_w", [400, 1000, 1600])
def test_the_house_falling_with_the_command_taken_down_is_no_cut(command_w: float) -> None:
    # A working element taken from 2000 W to 400 W moves the house by 1600 W, within 25 % of the 2000 W it
    # drew; taken down part way, it is the loop answering an appliance, whose stop then looks like a cut.
    assert cut_after((2300, 2000), (2300, 2000), (300, command_w)) is None


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
