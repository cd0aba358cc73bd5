"""A load's own thermostat that cycles ([simulation] <load>.loss_w, <load>.band_wh): a radiator or a towel dryer on a
relay draws nothing for a while with its relay on, in the house and in the oracle alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.problems import ConfigError
from simulation.config import read_sim_config
from simulation.house import build_load
from simulation.loads import Relay, Tank
from simulation.oracle import OracleLoad, allocate
from simulation.replay import replay
from tests.replay_days import write_config, write_trace

# A 3600 W element puts 2 Wh in a 2-second period; the tank loses 1800 W, 1 Wh a period; it cuts at 4 Wh and closes
# again once it has lost 2 Wh: three periods to fill from cold, then one on in two.
CYCLE_W = [3600.0, 3600.0, 3600.0, 0.0, 3600.0, 0.0, 3600.0, 0.0]


def test_a_tank_that_loses_heat_closes_its_thermostat_again_after_its_band() -> None:
    tank = Tank(capacity_wh=4.0, loss_w=1800.0, band_wh=2.0)
    relay = Relay("radiator", 3600.0, "ON", "OFF", tank)
    relay.command("ON")
    drawn = []
    for _ in CYCLE_W:
        drawn.append(relay.step(2.0))
    assert drawn == CYCLE_W
    assert tank.full  # cut at the last period's end, 1 Wh to lose before it closes again


def test_a_cut_thermostat_stays_cut_until_the_band_is_lost_whatever_the_relay_does() -> None:
    tank = Tank(capacity_wh=4.0, loss_w=450.0, band_wh=2.0)  # 0.25 Wh a period: 8 periods to close again
    relay = Relay("radiator", 7200.0, "ON", "OFF", tank)
    relay.command("ON")
    assert relay.step(2.0) == 7200.0  # 4 Wh in one period: cut at its end
    assert tank.full
    drawn = [relay.step(2.0) for _ in range(3)]
    relay.command("OFF")
    drawn += [relay.step(2.0) for _ in range(3)]
    relay.command("ON")
    drawn.append(relay.step(2.0))
    assert drawn == [0.0] * 7  # 1.75 Wh lost: still cut, on, off or on again
    assert relay.step(2.0) == 3600.0  # 2 Wh lost: closed, it takes them back in half the period, and cuts
    assert tank.full


def test_a_tank_without_loss_stays_full_as_before() -> None:
    tank = Tank(capacity_wh=2.0)
    relay = Relay("radiator", 3600.0, "ON", "OFF", tank)
    relay.command("ON")
    assert [relay.step(2.0) for _ in range(3)] == [3600.0, 0.0, 0.0]
    assert tank.full and tank.stored_wh == 2.0


def test_the_oracle_follows_the_same_thermostat() -> None:
    radiator = OracleLoad("radiator", variable=False, max_w=3600.0, tank_room_wh=4.0, loss_w=1800.0,
                          capacity_wh=4.0, band_wh=2.0)
    plug = OracleLoad("plug", variable=False, max_w=300.0)
    rows = allocate([5000.0] * len(CYCLE_W), [radiator, plug], 2.0)
    assert [row[0] for row in rows] == CYCLE_W
    assert [row[1] for row in rows] == [300.0] * len(CYCLE_W)  # (what the radiator leaves is the next load's)


def test_the_house_tells_the_oracle_its_tanks_thermostat(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant",
                          "radiator.tank_wh = 1500\nradiator.loss_w = 400\nradiator.band_wh = 150")
    spec = read_sim_config(config).loads[0]
    assert (spec.tank_wh, spec.loss_w, spec.band_wh) == (1500, 400, 150)
    load = build_load(spec)
    assert load.tank == Tank(1500.0, loss_w=400.0, band_wh=150.0)


def test_the_band_is_a_tenth_of_the_tank_when_not_given(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant", "radiator.tank_wh = 1500\nradiator.loss_w = 400")
    assert read_sim_config(config).loads[0].band_wh == 150


@pytest.mark.parametrize(("lines", "said"), [
    ("radiator.loss_w = 400", "[simulation] radiator.loss_w: needs radiator.tank_wh"),
    ("radiator.band_wh = 100", "[simulation] radiator.band_wh: needs radiator.tank_wh"),
    ("radiator.tank_wh = 100\nradiator.band_wh = 150", "[simulation] radiator.band_wh: must be at most "
                                                       "radiator.tank_wh (100 Wh), got 150"),
    ("radiator.tank_wh = 100\nradiator.band_wh = 10", "[simulation] radiator.band_wh: needs radiator.loss_w"),
    ("radiator.tank_wh = 100\nradiator.loss_w = -1", "[simulation] radiator.loss_w: must be a number >= 0"),
    ("radiator.tank_wh = 100\nradiator.loss_w = 5\nradiator.band_wh = 0",
     "[simulation] radiator.band_wh: must be a number > 0"),
])
def test_a_thermostat_the_simulation_cannot_build_is_refused(tmp_path: Path, lines: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_sim_config(write_config(tmp_path, "radiator = constant", lines))
    assert said in caught.value.render()


def test_a_replayed_relay_draws_nothing_while_its_own_thermostat_is_cut(tmp_path: Path) -> None:
    # The 1000 W radiator, on all the while under steady sun, heats a room of 10 Wh losing 600 W, closed again 4 Wh
    # below its cut: it draws 1000 W for 90 s from cold (400 W net), then in cycles of 36 s on (at 400 W net)
    # and 24 s off (at 600 W lost).
    config = write_config(tmp_path, "radiator = constant",
                          "radiator.tank_wh = 10\nradiator.loss_w = 600\nradiator.band_wh = 4")
    result = replay(config, write_trace(tmp_path, [(3000.0, 500.0)] * 6))
    levels = [row.command[0] for row in result.rows]
    drawn = [row.real_w[0] for row in result.rows]
    on_at = levels.index(1.0)
    assert all(level == 1.0 for level in levels[on_at:])  # the relay stays on (the surplus covers it all along)...
    assert 0.0 in drawn[on_at + 50:]  # ...and its thermostat cuts it, then closes again
    assert drawn[-30:].count(0.0) >= 5 and drawn[-30:].count(1000.0) >= 5
    oracle = [row.oracle_w[0] for row in result.rows]
    assert 0.0 in oracle[50:]  # (the oracle's thermostat cuts too)
    # Neither puts more in the room than it holds and loses: 10 Wh, and 600 W for the replay's 6 minutes.
    most_wh = 10.0 + 600.0 * len(result.rows) * 2.0 / 3600.0
    assert sum(drawn) * 2.0 / 3600.0 <= most_wh and most_wh - 2.0 <= sum(oracle) * 2.0 / 3600.0 <= most_wh
