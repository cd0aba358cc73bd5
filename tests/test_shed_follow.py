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
