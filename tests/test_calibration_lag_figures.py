"""The house meter's lag read from trials (calibration.lag_figures) and its report: hand-computed cases."""

from __future__ import annotations

import pytest

from calibration.lag_cli import format_lag_report
from calibration.lag_figures import Trial, lag_figures, replay_lag_line, settle_advice


def _up(at: float, *after: tuple[float, float], before: tuple[float, ...] = (300.0, 301.0)) -> Trial:
    """A step 0 -> 100 % commanded at `at`; `after`: (s after the command, W)."""
    return Trial(0.0, 100.0, at, before, tuple((at + delay, watts) for delay, watts in after))


def _down(at: float, *after: tuple[float, float]) -> Trial:
    return Trial(100.0, 0.0, at, (2300.0, 2300.0), tuple((at + delay, watts) for delay, watts in after))


# A meter that shows a step all at once, half a second late: readings 0.3 and 0.45 s after a command show none of
# it, 0.55 s and later all of it.
PURE_DELAY = [_up(10.0, (0.3, 300.0), (0.7, 2300.0), (1.3, 2300.0), (1.7, 2301.0)),
              _down(20.0, (0.45, 2300.0), (0.55, 300.0), (1.0, 300.0), (1.5, 300.0))]


def test_a_pure_delay_is_bounded_by_the_last_reading_that_did_not_show_it_and_the_first_that_did() -> None:
    figures = lag_figures(PURE_DELAY)
    assert [t.why for t in figures.trials] == [None, None]
    assert figures.trials[0].step_w == pytest.approx(2000.0)  # median(2300, 2301) - median(300, 301)
    assert figures.trials[1].step_w == pytest.approx(-2000.0)
    assert figures.trials[0].shown[0] == pytest.approx((0.3, -0.00025))
    assert figures.trials[1].shown[1] == pytest.approx((0.55, 1.0))
    assert (figures.not_shown_until_s, figures.shown_from_s) == pytest.approx((0.45, 0.55))


def test_a_meter_that_averages_shows_part_of_a_step_before_it_shows_it_in_full() -> None:
    trials = [_up(0.0, (0.4, 900.0), (0.6, 1700.0), (0.8, 2200.0), (1.4, 2300.0), (1.6, 2300.0)),
              _down(10.0, (0.2, 2300.0), (1.0, 300.0), (1.2, 300.0), (1.8, 300.0))]
    figures = lag_figures(trials)
    # shares: 0.4 s 30 %, 0.6 s 70 %, 0.8 s 95 %, 0.2 s 0 %, the rest 100 %
    assert (figures.not_shown_until_s, figures.shown_from_s) == pytest.approx((0.6, 0.8))
    # Readings every 1.2 s: the replay's only reading that shows a command in part comes half a period (0.6 s) after
    # it; the one reading within 0.15 s of that showed 70 % of the step: 1 - 0.18 / 0.6
    assert replay_lag_line(figures, 1.2) == (
        "to replay your days with this meter: [simulation] actuation = at_once, meter_lag_s = 0.18, period = 1.2; "
        "this meter's readings half a reading after a command showed 70% of it (docs/your-own-days.md)")


def test_a_trial_whose_house_moved_or_whose_heater_drew_nothing_is_left_out_and_says_why() -> None:
    moved = _up(0.0, (0.3, 2300.0), (1.0, 2300.0), (1.5, 2300.0), before=(300.0, 600.0))  # 300 W > 10 % of 1850
    flat = _up(5.0, (0.3, 310.0), (1.0, 305.0), (1.5, 300.0))  # the thermostat open: no step
    few = _up(9.0, (0.3, 2300.0), (1.0, 2300.0))  # two readings after: none to read before the level
    dip = _up(12.0, (0.3, 300.0), (0.7, 2300.0), (1.0, 1700.0), (1.3, 2300.0), (1.7, 2300.0))  # a kettle off, on
    slow = _up(15.0, (0.3, 300.0), (0.7, 1500.0), (1.3, 2300.0))  # the level's first reading still on its way
    figures = lag_figures([*PURE_DELAY, moved, flat, few, dip, slow])
    whys = [t.why for t in figures.trials]
    assert whys[:2] == [None, None]
    assert whys[2] == ("its level before the step moved by 300 W (the house moved, or the step before was still "
                       "showing: hold longer, --hold)")
    assert whys[3] == "no step (+2 W: the heater drew nothing, its thermostat open?)"  # 302.5 - 300.5
    assert whys[4] == "too few readings"
    assert whys[5] == "the house moved by 600 W after the step showed"  # (1 - 1399.5 / 1999.5) x 1999.5
    assert whys[6] == ("its last 2 readings differ by 800 W: the step had not settled (hold longer, --hold), or the "
                       "house moved")
    assert len(figures.kept) == 2
    # Their readings do not count: the moved trial's 0.3 s reading showed 100 % (its step from 450 W), the dip's
    # 1.0 s reading 70 %
    assert (figures.not_shown_until_s, figures.shown_from_s) == pytest.approx((0.45, 0.55))


def test_a_meter_still_on_its_way_at_the_end_of_the_hold_is_not_taken_for_a_house_that_moved() -> None:
    # 30, 60, 85 and 97 % of a 2000 W step: the level (the last two) is 91 %, the 85 % reading would read 93 %
    rising = _up(0.0, (0.3, 900.5), (0.7, 1500.5), (1.1, 2000.5), (1.5, 2240.5))
    # 50, 90 and 110 % with a hold of 3: slow, not a house that moved after the step showed
    overshooting = _up(5.0, (0.3, 1300.5), (0.7, 2100.5), (1.1, 2500.5))
    whys = [t.why for t in lag_figures([rising, overshooting]).trials]
    assert whys == ["its last 2 readings differ by 240 W: the step had not settled (hold longer, --hold), or the house "
                    "moved",
                    "its last 2 readings differ by 400 W: the step had not settled (hold longer, --hold), or the house "
                    "moved"]


def test_the_advice_says_whether_settle_is_enough_and_what_to_set() -> None:
    figures = lag_figures(PURE_DELAY)
    enough = settle_advice(figures, settle_s=1.0, pace_s=2.0)
    assert enough[0] == ("a reading showed a command in full from 0.45-0.55 s after it: [evaluate] settle = 1 is "
                         "enough (at least 0.6 is needed)")
    # Half a reading (1 s) after a command, it showed all of it: the replay's meter needs no lag
    assert enough[1] == ("to replay your days with this meter: [simulation] actuation = at_once, meter_lag_s = 0, "
                         "period = 2; this meter's readings half a reading after a command showed 100% of it "
                         "(docs/your-own-days.md)")
    short = settle_advice(figures, settle_s=0.3, pace_s=2.0)
    assert short[0] == ("a reading showed a command in full only from 0.45-0.55 s after it: [evaluate] settle = 0.3 is "
                        "too short, a decision may take a reading that shows part of the last command and correct the "
                        "rest again (the loop overshoots, and hunts when little of it shows): set settle = 0.6")
    assert len(short) == 2  # (0.6 s is under the pace: no note)


def test_the_advised_settle_covers_the_first_delay_that_showed_the_step_beyond_the_margin() -> None:
    # The last reading without the step at 0.1 s, the first with it at 0.45 s (the offsets left a gap): the lag may
    # be anywhere in between, so 0.2 s (0.1 + the margin) is not enough, 0.5 s is
    trials = [_up(0.0, (0.1, 300.0), (0.45, 2300.0), (0.9, 2300.0), (1.3, 2300.0)),
              _down(5.0, (0.05, 2300.0), (0.5, 300.0), (0.95, 300.0), (1.4, 300.0))]
    lines = settle_advice(lag_figures(trials), settle_s=0.2, pace_s=2.0)
    assert lines[0].startswith("a reading showed a command in full only from 0.10-0.45 s") and lines[0].endswith(
        "set settle = 0.5")


def test_a_settle_of_a_whole_reading_or_more_and_a_lag_beyond_the_replays_limit_are_said() -> None:
    figures = lag_figures(PURE_DELAY)
    lines = settle_advice(figures, settle_s=0.3, pace_s=0.5)
    assert lines[1].startswith("note: that is a whole reading of the house meter (0.50 s) or more")
    # Half a reading (0.25 s) after a command the 0.3 s reading showed none of it: the replay's most, half a period
    assert lines[2] == ("to replay your days with this meter: [simulation] actuation = at_once, meter_lag_s = 0.25, "
                        "period = 0.5; this meter's readings half a reading after a command showed 0% of it "
                        "(docs/your-own-days.md)")
    # The period as [simulation] period is written, to a tenth of a second, and never over half of it, which the
    # replay refuses: a meter at 1.34 s that showed nothing of a command 0.67 s after it replays at 1.3 s with 0.65 s
    # (not 0.67: refused), and one at 0.96 s at 1 s with 0.5 s (not 0.48)
    nothing_at_first = lag_figures([_up(0.0, (0.45, 300.0), (0.5, 300.0), (0.67, 300.0), (1.4, 2300.0), (2.0, 2300.0)),
                                    _down(5.0, (0.48, 2300.0), (1.6, 300.0), (2.4, 300.0))])
    assert "meter_lag_s = 0.65, period = 1.3;" in (replay_lag_line(nothing_at_first, 1.34) or "")
    assert "meter_lag_s = 0.5, period = 1;" in (replay_lag_line(nothing_at_first, 0.96) or "")


def test_the_share_half_a_reading_after_a_command_is_read_between_the_readings_either_side() -> None:
    # Readings every 2 s: 0.9 s after a command 50 %, 1.1 s after 100 % (and 0.3 s: 0 %, too far): 75 % at 1 s
    figures = lag_figures([_up(0.0, (0.3, 300.0), (0.9, 1300.0), (1.1, 2300.0), (1.5, 2300.0), (2.0, 2300.0)),
                           _down(5.0, (1.1, 300.0), (1.5, 300.0), (2.1, 300.0))])
    assert "meter_lag_s = 0.25, period = 2; this meter's readings half a reading after a command showed 75% of it" in (
        replay_lag_line(figures, 2.0) or "")


def test_no_replay_lag_is_said_without_a_reading_near_half_a_reading_after_a_command() -> None:
    assert replay_lag_line(lag_figures(PURE_DELAY), 6.0) is None  # (half: 3 s, give or take 0.75; the last: 1.7 s)


def test_a_meter_that_always_showed_the_command_needs_no_longer_settle() -> None:
    trials = [_up(0.0, (0.1, 2300.0), (0.5, 2300.0), (0.9, 2300.0)),
              _down(5.0, (0.3, 300.0), (0.7, 300.0), (1.1, 300.0))]
    figures = lag_figures(trials)
    assert (figures.not_shown_until_s, figures.shown_from_s) == (0.0, pytest.approx(0.1))
    lines = settle_advice(figures, settle_s=1.0, pace_s=0.6)
    assert lines[0] == ("every reading after a command showed at least 90% of it (the soonest 0.10 s after it): "
                        "[evaluate] settle = 1 is enough")
    assert "meter_lag_s = 0, period = 0.6;" in lines[1]


def test_the_report_tables_the_shares_by_time_and_refuses_to_advise_on_too_few_trials() -> None:
    four = PURE_DELAY * 2
    lines = format_lag_report(lag_figures(four), settle_s=1.0, pace_s=2.0)
    assert lines[0] == "share of a step the house meter showed, by time from the command (4 trials kept):"
    assert lines[1] == "   0.25- 0.50 s:   4 readings, lowest    0 %, highest    0 %"  # (-0.03 %: no "-0")
    assert lines[2] == "   0.50- 0.75 s:   4 readings, lowest  100 %, highest  100 %"
    assert any(line.startswith("a reading showed a command in full from 0.45-0.55 s") for line in lines)
    few = format_lag_report(lag_figures([*PURE_DELAY, _up(0.0, (0.3, 310.0), (1.0, 305.0), (1.5, 300.0))]),
                            settle_s=1.0, pace_s=2.0)
    assert few[0].startswith("left out: trial 3 (no step")
    assert few[1].startswith("2 trials kept of 3: too few to say how soon the house meter shows a command")
    assert len(few) == 2
    one = format_lag_report(lag_figures(PURE_DELAY[:1]), settle_s=1.0, pace_s=2.0)  # (it read "1 trials kept")
    assert one == ["1 trial kept of 1: too few to say how soon the house meter shows a command (at least 4); "
                   "measure again when the house is quieter, with more --trials"]
