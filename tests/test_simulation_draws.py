"""Hot water drawn from a simulated tank at times of day ([simulation] <load>.draws): a shower takes its Wh at once, in
the house and in the oracle alike, and closes a cut thermostat once the tank is its band below full."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from settings.problems import ConfigError
from simulation.config import read_sim_config
from simulation.house import SimHouse, build_load, draw_instants
from simulation.loads import Relay, Tank
from simulation.oracle import OracleLoad, allocate
from simulation.replay import replay
from simulation.trace import parse_clock, read_trace
from tests.replay_days import write_config


def _full_tank(capacity_wh: float = 4.0, band_wh: float = 2.0) -> tuple[Tank, Relay]:
    """A tank filled to its cut by a 3600 W element (2 Wh a 2-second period), its relay left on."""
    tank = Tank(capacity_wh=capacity_wh, band_wh=band_wh)
    relay = Relay("ecs", 3600.0, "ON", "OFF", tank)
    relay.command("ON")
    while not tank.full:
        relay.step(2.0)
    assert relay.step(2.0) == 0.0 and tank.stored_wh == capacity_wh
    return tank, relay


def test_a_draw_over_the_band_closes_a_cut_thermostat_and_the_heater_draws_again() -> None:
    tank, relay = _full_tank()
    tank.take(3.0)  # 3 Wh below full, its band 2 Wh: the water is under the band, the thermostat closes
    assert not tank.full and tank.stored_wh == 1.0
    assert [relay.step(2.0) for _ in range(3)] == [3600.0, 1800.0, 0.0]  # 2 Wh, the last 1 Wh, then cut again
    assert tank.full and tank.stored_wh == 4.0


def test_a_draw_under_the_band_leaves_it_cut_until_the_loss_makes_up_the_rest() -> None:
    def drawn(taken_wh: float) -> list[float]:
        tank = Tank(capacity_wh=4.0, stored_wh=4.0, loss_w=900.0, band_wh=2.0)  # cut; 0.5 Wh lost a 2-second period
        assert tank.full
        tank.take(taken_wh)
        relay = Relay("ecs", 3600.0, "ON", "OFF", tank)
        relay.command("ON")
        return [relay.step(2.0) for _ in range(4)]

    # 1 Wh drawn, under its 2 Wh band: still cut, until the loss has made up the other 1 Wh, two periods on (then it
    # takes the 2 Wh back at once, and cuts); without the draw, four periods of loss.
    assert drawn(1.0) == [0.0, 3600.0, 0.0, 0.0]
    assert drawn(0.0) == [0.0, 0.0, 0.0, 3600.0]


def test_a_draw_larger_than_the_band_on_a_tank_that_never_cut_just_empties_it() -> None:
    tank = Tank(capacity_wh=10.0, stored_wh=3.0, band_wh=1.0)
    tank.take(2.0)
    assert (tank.stored_wh, tank.full) == (1.0, False)
    tank.take(5.0)  # more than it holds: empty, not below
    assert (tank.stored_wh, tank.full) == (0.0, False)


def test_a_draw_larger_than_the_tank_empties_a_full_one_and_no_further() -> None:
    tank, _ = _full_tank()
    tank.take(100.0)
    assert (tank.stored_wh, tank.full) == (0.0, False)


class _Clock:
    """A day whose clock reads from epoch 0, no zone: 00:01:40 is 100 s."""

    def at_clock(self, text: str, days_later: int = 0) -> float:
        return 86400.0 * days_later + parse_clock(text)


def test_two_draws_are_taken_each_at_the_first_step_at_or_after_it() -> None:
    tank, relay = _full_tank(capacity_wh=8.0, band_wh=1.0)
    tank.draws = ((110.0, 3.0), (100.0, 2.0))  # (in any order)
    house = SimHouse([relay], ["cmnd/ecs"])
    house.schedule_draws(_Clock(), 0.0, 200.0)
    drawn = [house.step(2.0, at)[0] for at in (98.0, 100.0, 102.0, 104.0, 106.0, 108.0, 109.0, 111.0, 113.0)]
    # 100: 2 Wh drawn, closed, taken back in one period; 110: 3 Wh, at the step from 111, taken back in a period and a
    # half.
    assert drawn == [0.0, 3600.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3600.0, 1800.0]
    assert not tank.due and tank.stored_wh == 8.0
    tank.schedule([(120.0, 2.0)])
    assert house.step(2.0)[0] == 0.0  # (a step without its time takes none: the demo before it had no clock)
    assert tank.stored_wh == 8.0


def test_the_oracle_gives_the_heater_power_again_after_a_draw_into_its_full_tank() -> None:
    # A 2000 W heater's tank, full and cut; 2 Wh drawn at 10 s (its band 1 Wh): from the period at 10 s the heater
    # takes its 2000 W again (1.11 Wh in a 2-second period), then the rest of the draw; the relay after it gets the
    # surplus all along.
    heater = OracleLoad("ecs", variable=True, max_w=2000.0, tank_room_wh=0.0, capacity_wh=6.0, band_wh=1.0, cut=True,
                        draws=((10.0, 2.0),))
    radiator = OracleLoad("radiator", variable=False, max_w=1000.0)
    times = [2.0 * k for k in range(10)]
    rows = allocate([3000.0] * len(times), [heater, radiator], 2.0, times)
    assert [row[0] for row in rows] == pytest.approx([0.0] * 5 + [2000.0, 1600.0] + [0.0] * 3)
    assert [row[1] for row in rows] == [1000.0] * 5 + [1000.0, 1000.0] + [1000.0] * 3
    assert sum(row[0] for row in rows) * 2.0 / 3600.0 == pytest.approx(2.0)


def test_the_oracle_under_the_band_waits_for_the_loss_as_the_house_does() -> None:
    # 0.5 Wh drawn into a full tank whose band is 1 Wh: still cut; its loss (900 W, 0.5 Wh a period) closes it a period
    # later, as the house's tank.
    heater = OracleLoad("ecs", variable=True, max_w=3600.0, tank_room_wh=0.0, capacity_wh=6.0, band_wh=1.0, cut=True,
                        loss_w=900.0, draws=((0.0, 0.25),))
    rows = allocate([5000.0] * 3, [heater], 2.0, [0.0, 2.0, 4.0])
    tank = Tank(6.0, stored_wh=6.0, loss_w=900.0, band_wh=1.0, cut=True)
    tank.schedule([(0.0, 0.25)])
    drawn = []
    for at in (0.0, 2.0, 4.0):
        tank.take_due(at)
        drawn.append(tank.draw(3600.0, 2.0))
    assert [row[0] for row in rows] == pytest.approx(drawn)
    assert drawn[0] == 0.0 and drawn[1] > 0.0


def test_the_oracle_needs_the_periods_times_to_place_draws() -> None:
    heater = OracleLoad("ecs", variable=True, max_w=2000.0, tank_room_wh=0.0, capacity_wh=6.0, cut=True,
                        draws=((10.0, 2.0),))
    with pytest.raises(ValueError, match="each period's time"):
        allocate([3000.0], [heater], 2.0)


def _trace(tmp_path: Path, rows: list[tuple[str, float, float]]) -> Path:
    path = tmp_path / "day.csv"
    path.write_text("time,production_w,house_w\n" + "".join(f"{t},{pv:g},{house:g}\n" for t, pv, house in rows))
    return path


def test_draws_are_placed_on_the_traces_own_clock_each_day_it_covers(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    # A trace from 12:00 to 12:00 the next day, a row every 30 minutes.
    rows = [(datetime.fromtimestamp(datetime(2022, 6, 18, 12, tzinfo=paris).timestamp() + 1800 * k, paris)
             .replace(tzinfo=None).isoformat(), 0.0, 0.0) for k in range(48)]
    trace = read_trace(_trace(tmp_path, rows), paris)
    instants = draw_instants([(7 * 3600.0, 2000.0), (19 * 3600.0, 3000.0), (11 * 3600.0, 500.0)], trace,
                             trace.start_s, trace.end_s)
    said = [(datetime.fromtimestamp(at, paris).isoformat(), wh) for at, wh in instants]
    # (11:00 of the first day is before the trace's start: none; 19:00 the first evening; 07:00 and 11:00 the next day)
    assert said == [("2022-06-18T19:00:00+02:00", 3000.0), ("2022-06-19T07:00:00+02:00", 2000.0),
                    ("2022-06-19T11:00:00+02:00", 500.0)]
    # (a replay of the afternoon only: the evening's draw alone)
    assert draw_instants([(19 * 3600.0, 3000.0), (7 * 3600.0, 2000.0)], trace, trace.start_s,
                         trace.at_clock("20:00")) == [(trace.at_clock("19:00"), 3000.0)]


def test_the_config_reads_draws_sorted_and_builds_a_tank_that_gives_them(tmp_path: Path) -> None:
    config = write_config(tmp_path, "ecs = variable",
                          "ecs.tank_wh = 6000\necs.draws = 19:00 3000, 07:05 1e2 ,12:30 1500.5,")
    spec = read_sim_config(config).loads[0]
    assert spec.draws == ((7 * 3600 + 300, 100.0), (12.5 * 3600, 1500.5), (19 * 3600, 3000.0))
    assert spec.band_wh == 600  # (a tenth of the tank, as with loss_w)
    tank = build_load(spec).tank
    assert tank is not None and tank.draws == spec.draws
    # A band with draws alone is a thermostat that closes after a shower: taken, without loss_w.
    config = write_config(tmp_path, "ecs = variable", "ecs.tank_wh = 6000\necs.draws = 07:00 2000\necs.band_wh = 400")
    assert read_sim_config(config).loads[0].band_wh == 400


@pytest.mark.parametrize(("lines", "said"), [
    ("ecs.draws = 12:30 1500", "[simulation] ecs.draws: needs ecs.tank_wh"),
    ("ecs.tank_wh = 6000\necs.draws = 12h30 1500",
     "[simulation] ecs.draws: '12h30 1500' is not a draw: write HH:MM WH"),
    ("ecs.tank_wh = 6000\necs.draws = 12:30", "[simulation] ecs.draws: '12:30' is not a draw"),
    ("ecs.tank_wh = 6000\necs.draws = 12:30 1500 07:00 2000", "'12:30 1500 07:00 2000' is not a draw"),
    ("ecs.tank_wh = 6000\necs.draws = 24:00 1500", "'24:00 1500': 24:00 is not a time of day (00:00 to 23:59)"),
    ("ecs.tank_wh = 6000\necs.draws = 12:60 1500", "'12:60 1500': 12:60 is not a time of day"),
    ("ecs.tank_wh = 6000\necs.draws = 12:30 0", "'12:30 0': the watt-hours drawn must be > 0, got '0'"),
    ("ecs.tank_wh = 6000\necs.draws = 12:30 -5", "the watt-hours drawn must be > 0, got '-5'"),
    ("ecs.tank_wh = 6000\necs.draws = 12:30 nan", "the watt-hours drawn must be > 0, got 'nan'"),
    ("ecs.tank_wh = 6000\necs.draws = 12:30 1.5kWh", "the watt-hours drawn are not a number: '1.5kWh'"),
    ("ecs.tank_wh = 6000\necs.draws = 12:30 1_500", "are not a number: '1_500' (no '_' in a number"),
    ("ecs.tank_wh = 6000\necs.draws = １２:30 1500", "is not a draw"),  # (full-width digits)
    ("ecs.tank_wh = 6000\necs.band_wh = 400", "[simulation] ecs.band_wh: needs ecs.loss_w or ecs.draws"),
])
def test_draws_the_simulation_cannot_place_are_refused(tmp_path: Path, lines: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_sim_config(write_config(tmp_path, "ecs = variable", lines))
    assert said in caught.value.render()


def test_every_bad_draw_is_said_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        read_sim_config(write_config(tmp_path, "ecs = variable", "ecs.tank_wh = 6000\necs.draws = 25:00 1, 07:00 0"))
    assert "'25:00 1'" in caught.value.render() and "'07:00 0'" in caught.value.render()


def test_a_replayed_heater_takes_the_sun_again_after_a_midday_draw(tmp_path: Path) -> None:
    # The real core, the heater alone (0-2000 W) under steady sun with 2500 W to spare: its 300 Wh tank cuts at about
    # 10:09 and the regulator finds it full; 200 Wh drawn at 10:30 close its thermostat (band 30 Wh). The oracle gives
    # it power again from 10:30; the regulator, once it gives the tank the surplus again (an hour after it found it
    # full), puts the draw back in.
    config = write_config(tmp_path, "ecs = variable", "ecs.tank_wh = 300\necs.draws = 10:30 200")
    rows = [(f"2022-03-19T{10 + i // 60:02d}:{i % 60:02d}:00", 3000.0, 500.0) for i in range(130)]
    result = replay(config, _trace(tmp_path, rows))
    trace = result.trace
    draw_s = trace.at_clock("10:30")
    before = [row for row in result.rows if trace.at_clock("10:20") <= row.time_s < draw_s]
    after = [row for row in result.rows if row.time_s >= draw_s]
    assert before and all(row.real_w[0] == 0.0 and row.oracle_w[0] == 0.0 for row in before)  # full, cut
    assert after[0].oracle_w[0] == 2000.0  # the oracle takes the draw back at once
    assert max(row.real_w[0] for row in after) > 1500.0  # the heater draws again...
    heated_wh = sum(row.real_w[0] * row.period_s for row in after) / 3600.0
    assert heated_wh == pytest.approx(200.0, abs=1.0)  # ...what the draw took, and the tank cuts again
    assert after[-1].real_w[0] == 0.0
    oracle_wh = sum(row.oracle_w[0] * row.period_s for row in after) / 3600.0
    assert oracle_wh == pytest.approx(200.0, abs=1.0)
