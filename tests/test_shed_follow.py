"""core/shed_follow.py: whether the house followed Hébert's sheds of a load in doubt, weighed on hand-made readings."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from core.shed_follow import ShedFollow


def _shed(follow: ShedFollow, heater: Any, house_w: float, from_w: float, to_w: float) -> None:
    """A decision on a house reading of `house_w` that took `heater` from `from_w` to `to_w`."""
    heater.current_power_w = to_w
    follow.shed(house_w, [heater], [from_w])


def test_a_shed_the_house_did_not_follow_makes_the_load_counted_as_none() -> None:
    follow, ecs = ShedFollow(), SimpleNamespace(name="ecs", current_power_w=1000.0)
    _shed(follow, ecs, 2000.0, 1000.0, 950.0)
    assert follow.seen(2000.0)  # (50 W shed, the house did not move)
    assert follow.counted_as_none({"ecs"}) == ["ecs"]


def test_the_reading_after_a_suspension_does_not_weigh_the_shed_before_it() -> None:
    # ecs found not followed (its tank cut), then shed again just before a meter's silence suspended the regulation:
    # every unforced load commanded to 0 W, the house 1000 W lower when the meters are back. That fall is the
    # suspension's, not the shed's answer: weighed, ecs was found followed, and its phantom watts counted again.
    follow, ecs = ShedFollow(), SimpleNamespace(name="ecs", current_power_w=1000.0)
    _shed(follow, ecs, 2000.0, 1000.0, 950.0)
    follow.seen(2000.0)
    _shed(follow, ecs, 2000.0, 950.0, 900.0)
    follow.suspended()
    assert follow.seen(1000.0)
    assert follow.counted_as_none({"ecs"}) == ["ecs"]


def test_a_meter_that_averages_is_weighed_on_the_reading_after_too() -> None:
    # A 50 W shed of ecs, drawing; the house meter averages over its period: the first reading after shows 24 W of the
    # fall (under half, over a quarter), the next the rest (50 W in all), the decision between having moved nothing.
    # Found not followed on the first reading alone, ecs's sheds were counted as none (Hébert's rule passed them on to
    # a relay before it); it is found following on both.
    follow, ecs = ShedFollow(), SimpleNamespace(name="ecs", current_power_w=1000.0)
    _shed(follow, ecs, 2000.0, 1000.0, 950.0)
    assert follow.seen(1976.0)
    assert follow.counted_as_none({"ecs"}) == [] and follow.pending
    follow.shed(1976.0, [ecs], [950.0])  # (the decision between: nothing moved)
    follow.seen(1950.0)
    assert follow.counted_as_none({"ecs"}) == [] and set(follow.followed) == {"ecs"} and not follow.pending


def test_a_fall_under_half_on_both_readings_is_not_followed() -> None:
    # The same 50 W shed, the house falling by 20 W at the first reading (over a quarter: the next is waited for) and
    # 4 W more at the next: 24 W in all, under half.
    follow, ecs = ShedFollow(), SimpleNamespace(name="ecs", current_power_w=1000.0)
    _shed(follow, ecs, 2000.0, 1000.0, 950.0)
    follow.seen(1980.0)
    assert follow.counted_as_none({"ecs"}) == []
    follow.shed(1980.0, [ecs], [950.0])
    follow.seen(1976.0)
    assert follow.counted_as_none({"ecs"}) == ["ecs"] and not follow.followed


def test_a_shed_again_before_the_rest_is_weighed_with_it() -> None:
    # The first reading shows 20 W of a 50 W shed (waited on); the decision there sheds ecs by 30 W more, and the next
    # reading shows the first's other 30 W and half of the second's, 15 W: 65 W of the 80 W shed in all, half or more:
    # followed (the two sheds weighed together: the falls of readings in a row add up to the whole).
    follow, ecs = ShedFollow(), SimpleNamespace(name="ecs", current_power_w=1000.0)
    _shed(follow, ecs, 2000.0, 1000.0, 950.0)
    follow.seen(1980.0)
    _shed(follow, ecs, 1980.0, 950.0, 920.0)
    follow.seen(1935.0)
    assert follow.counted_as_none({"ecs"}) == [] and set(follow.followed) == {"ecs"}


def test_a_raise_of_another_load_shown_in_part_makes_no_cut_heater_followed() -> None:
    # One decision raises ecs by 300 W and sheds ecs2 by as much (the closed loop giving ecs2's watts to ecs before it),
    # ecs2's tank cut; the house meter averages over its period: the first reading after shows half of ecs's rise,
    # 150 W. Beyond the raise taken whole, that is a fall of 150 W, half of ecs2's shed: ecs2 was found followed
    # (drawing, for the closed loop, whose loads before it then took its phantom watts). The raise counted at half,
    # ecs2's answer is the next reading's, which shows the rest of the rise: not followed.
    follow = ShedFollow()
    ecs = SimpleNamespace(name="ecs", current_power_w=1300.0)
    ecs2 = SimpleNamespace(name="ecs2", current_power_w=700.0)
    follow.shed(2000.0, [ecs, ecs2], [1000.0, 1000.0])
    follow.seen(2150.0)
    assert follow.counted_as_none({"ecs2"}) == [] and not follow.followed
    follow.shed(2150.0, [ecs, ecs2], [1300.0, 700.0])  # (the decision between: nothing moved)
    follow.seen(2300.0)
    assert follow.counted_as_none({"ecs2"}) == ["ecs2"] and not follow.followed


def test_a_raise_of_another_load_beside_a_shed_followed_at_once() -> None:
    # The same moves, ecs2 drawing, the meter showing them whole at once: the house does not move (ecs's 300 W up,
    # ecs2's 300 W down); with ecs's raise counted at half, 150 W of ecs2's 300: followed.
    follow = ShedFollow()
    ecs = SimpleNamespace(name="ecs", current_power_w=1300.0)
    ecs2 = SimpleNamespace(name="ecs2", current_power_w=700.0)
    follow.shed(2000.0, [ecs, ecs2], [1000.0, 1000.0])
    follow.seen(2000.0)
    assert follow.counted_as_none({"ecs2"}) == [] and set(follow.followed) == {"ecs2"}
