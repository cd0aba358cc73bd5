"""The closed loop while the sun comes back: a relay does not switch on while production rises after an off
relay that may switch on and that the rise would soon cover (core/relay_switching.py, `RelaySwitcher.switch`).
Switched on at the start of the rise, its min_on_s would hold off the relay before it, which the rest of
the rise covers: the lower priority would keep the power the higher one could use for ten minutes.

The test house of tests/controller_house.py: a 1000 W radiator, then a 300 W relay (`small`); an export
setpoint of 20 W; readings every 2 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.control_params import MAX_GAP_S, ControlParams
from core.production_trend import RISE_SMOOTHING, ProductionTrend
from tests.controller_house import PLUG, RADIATOR, SMALL, House, closed_loop
from tests.harness import NOON


def ramp_to_the_small_relays_cover(house: House) -> None:
    """From 100 W of surplus, +100 W a reading (50 W/s) to 400 W: the small relay (300 W and the 20 W
    setpoint) is covered at the last reading, production still rising."""
    house.read()
    house.read()
    for _ in range(3):
        house.pv_w += 100
        house.read()


def test_while_the_sun_comes_back_a_relay_waits_for_the_one_before_it(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + 100)
    ramp_to_the_small_relays_cover(house)
    assert h.last(SMALL) == "0" and h.last(RADIATOR) == "OFF"  # it waits: the rise goes on
    assert h.reg.last_decision.endswith("waiting: small (production rising))")
    for _ in range(6):  # 1000 W of surplus: still short of the radiator's 1000 W and the 20 W setpoint
        house.pv_w += 100
        house.read()
        assert h.last(SMALL) == "0" and h.last(RADIATOR) == "OFF"
    house.pv_w += 100  # 1100 W
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "0"
    for _ in range(10):  # the sun holds: 100 W left, nothing for the small relay
        house.read()
        assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "0"


def test_once_the_rise_stops_the_relay_comes_on(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + 100)
    house.read()
    house.read()
    house.pv_w += 300  # a cloud gone at once: 400 W of surplus, rising at this reading
    house.read()
    assert h.last(SMALL) == "0"
    house.read()  # the same production: no rise any more
    assert h.last(SMALL) == "1" and h.last(RADIATOR) == "OFF"


def ramp_until_the_small_relay_is_on(tmp_path: Path, from_w: float, step_w: float) -> House:
    """From `from_w` of surplus, `step_w` more a reading: the small relay comes on at the first reading whose
    surplus covers it (300 W and the 20 W setpoint), without waiting for the radiator before it."""
    h = closed_loop(tmp_path, "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + from_w)
    house.read()
    while h.last(SMALL) == "0":
        house.pv_w += step_w
        house.read()
        assert house.pv_w - 300 < 320 + step_w
    assert h.last(RADIATOR) == "OFF"
    return house


def test_a_rise_as_slow_as_the_days_own_waits_for_nothing(tmp_path: Path) -> None:
    # 4 W a reading (2 W/s): the morning's own rise on a house array, under the 5 W/s of a sun coming back.
    ramp_until_the_small_relay_is_on(tmp_path, 300, 4)


def test_with_no_relay_before_it_a_relay_does_not_wait_for_the_rise(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "small")
    house = House(h, base_w=300, pv_w=300 + 100)
    house.read()
    house.read()
    house.pv_w += 300
    house.read()
    assert h.last(SMALL) == "1"


def test_a_relay_before_it_held_off_by_its_dwell_is_not_waited_for(tmp_path: Path) -> None:
    # The radiator just went off: its min_off_s (120 s) keeps it off whatever the rise; the small relay
    # does not wait for it.
    h = closed_loop(tmp_path, "radiator", "small", dwell_s=(0, 120))
    house = House(h, base_w=300, pv_w=300 + 1100)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 300 + 100  # a cloud: off (no dwell on)
    house.read()
    assert h.last(RADIATOR) == "OFF"
    for _ in range(10):  # 20 s of it: the fall no longer weighs on the smoothed rate
        house.read()
    house.pv_w += 300  # the sun comes back, rising at this reading
    house.read()
    assert h.last(SMALL) == "1" and h.last(RADIATOR) == "OFF"


def test_the_rising_rate_is_the_configs(tmp_path: Path) -> None:
    # `[evaluate] rising_rate`: 0 turns the wait off; at 40 W/s the ramp's rate, smoothed (15, 25.5 then
    # 32.9 W/s), stays under it. Either way the small relay comes on at once, as at the default it waits.
    for rate in ("0", "40"):
        folder = tmp_path / rate
        folder.mkdir()
        h = closed_loop(folder, "radiator", "small", evaluate_options=f"rising_rate = {rate}\n")
        ramp_to_the_small_relays_cover(House(h, base_w=300, pv_w=300 + 100))
        assert h.last(SMALL) == "1" and h.last(RADIATOR) == "OFF", rate


def test_an_idle_appliance_before_it_is_not_waited_for(tmp_path: Path) -> None:
    # A plug of unknown power before the small relay, found idle (it draws nothing): left alone for 5 minutes,
    # it may not switch on, so the small relay does not wait for it while production rises.
    h = closed_loop(tmp_path, "plug", "small")
    house = House(h, base_w=300, pv_w=300 + 200, plug_w=0)
    house.read()
    assert h.last(PLUG) == "on"  # tried, to be measured
    house.read()
    assert h.last(PLUG) == "off" and h.load("plug").idle_until > house.now + 200  # it drew nothing
    while house.now < NOON + 150:  # past its min_off_s (120 s): only its idle wait keeps it off
        house.read()
    ramp_to_the_small_relays_cover(house)  # from 200 W: 500 W, rising
    assert h.last(SMALL) == "1" and h.last(PLUG) == "off"


def test_the_rising_rate_starts_again_after_a_gap() -> None:
    trend = ProductionTrend(ControlParams(setpoint_w=0.0, gain=1.0, import_guard_w=100.0, import_guard_s=20.0))
    for k, production_w in enumerate((1000.0, 1100.0, 1200.0, 1300.0)):  # 50 W/s
        trend.ahead_w(production_w, 2.0 * k)
    assert trend.rate_w_s > 25 and trend.rising()
    trend.ahead_w(1320.0, 6.0 + MAX_GAP_S + 1)  # readings lost: no trend across the gap
    assert trend.rate_w_s == 0 and not trend.rising()
    trend.ahead_w(1340.0, 6.0 + MAX_GAP_S + 3)
    assert trend.rate_w_s == pytest.approx(RISE_SMOOTHING * 10.0)


def test_a_relay_before_it_the_rise_will_not_reach_within_a_minute_is_not_waited_for(tmp_path: Path) -> None:
    # +12 W a reading (6 W/s): a rise, but the radiator, 700 W short when the small relay is covered, is
    # over a minute of it away (RISE_HORIZON_S): the small relay comes on as soon as the surplus covers it.
    ramp_until_the_small_relay_is_on(tmp_path, 100, 12)


def test_a_relay_does_not_wait_for_one_before_it_already_covered(tmp_path: Path) -> None:
    # The radiator covered but waiting out its 30 s on delay, its watts kept for it; what is left covers the
    # small relay too: waiting for the rise would gain nothing.
    h = closed_loop(tmp_path, "radiator", "small", relay_options={"radiator": "on_delay_s = 30\n"})
    house = House(h, base_w=300, pv_w=300 + 1300)
    house.read()
    house.read()
    for _ in range(3):  # the sun still coming back: 1450 W of surplus, 430 W over the radiator
        house.pv_w += 50
        house.read()
    assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "1"


def test_a_relay_switched_off_at_this_decision_is_not_waited_for(tmp_path: Path) -> None:
    # The radiator on (no min_on_s), production rising; a kettle while it rises: the radiator goes off and
    # rests its min_off_s, so the small relay, covered, does not wait for it.
    h = closed_loop(tmp_path, "radiator", "small", relay_options={"radiator": "min_on_s = 0\n"})
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    house.read()
    for _ in range(3):
        house.pv_w += 50  # rising: 150 W exported at the end, short of the small relay
        house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "0"
    house.pv_w += 50
    house.base_w += 800  # 580 W of import: the radiator goes off, 400 W free for the small relay
    house.read()
    assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "1"


def test_the_start_up_log_says_whether_relays_wait_for_a_rise(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    for rate in ("5", "0"):
        folder = tmp_path / rate
        folder.mkdir()
        closed_loop(folder, "radiator", "small", evaluate_options=f"rising_rate = {rate}\n")
    assert "relays wait out a rise over 5 W/s)" in caplog.text and "relays wait for no rise)" in caplog.text
