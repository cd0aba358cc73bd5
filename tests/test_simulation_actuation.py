"""The replay's [simulation] actuation: when a command the regulator publishes takes effect (at the next period's start,
or from the reading that decided it), on hand-computable runs with a scripted regulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulation.replay import PublishFn, replay
from tests.replay_days import write_config, write_trace

HOUSE, SUN = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION"


class Script:
    """A scripted regulator: the radiator on at the third house reading (10:00:04), off at the sixth production
    reading (10:00:11), and on again at a timer half a second after the eighth house reading (10:00:14.5), when it has
    `timers` (the replay then runs its deadlines: it does so with jitter only). Keeps the house readings' watts."""

    def __init__(self, publish: PublishFn, timers: bool = False) -> None:
        self.publish = publish
        self.timers = timers
        self.heard: list[tuple[float, float]] = []  # (when, watts) of each house reading
        self.productions = 0
        self.deadline: float | None = None

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        if topic == HOUSE:
            self.heard.append((now, json.loads(payload)["power"]))
            if len(self.heard) == 3:
                self.publish("cmnd/radiator/POWER", "ON")
            elif len(self.heard) == 8 and self.timers:
                self.deadline = now + 0.5
        else:
            self.productions += 1
            if self.productions == 6:
                self.publish("cmnd/radiator/POWER", "OFF")

    def tick(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            self.deadline = None
            self.publish("cmnd/radiator/POWER", "ON")

    def next_deadline(self) -> float | None:
        return self.deadline


def _run(tmp_path: Path, simulation: str, timers: bool = False) -> tuple[list[tuple[float, float]], list[float],
                                                                          float, Script]:
    """Two minutes of steady sun (3000 W) and house (500 W) with `simulation`'s lines: the radiator's real watts row by
    row as (seconds from 10:00, watts), the house readings' watts, the radiator's energy (Wh), the script."""
    config = write_config(tmp_path, "radiator = constant", simulation)
    scripts: list[Script] = []

    def make(path: str, publish: PublishFn) -> Script:
        scripts.append(Script(publish, timers))
        return scripts[0]

    result = replay(config, write_trace(tmp_path, [(3000, 500)] * 2), make_regulator=make)
    start = result.rows[0].time_s
    drawn = [(round(row.time_s - start, 3), row.real_w[0]) for row in result.rows]
    return drawn, [watts for _, watts in scripts[0].heard], result.summary.load_kwh[0] * 1000, scripts[0]


def _on_from_to(drawn: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The stretches (from, to, seconds from 10:00) the radiator drew in."""
    stretches: list[tuple[float, float]] = []
    step = drawn[1][0] - drawn[0][0]
    for at, watts in drawn:
        if watts > 0:
            if stretches and stretches[-1][1] == at:
                stretches[-1] = (stretches[-1][0], at + step)
            else:
                stretches.append((at, at + step))
    return stretches


def test_by_default_a_command_acts_from_the_next_periods_start(tmp_path: Path) -> None:
    drawn, heard, energy_wh, _ = _run(tmp_path, "")
    assert len(drawn) == 60 and drawn[1][0] == 2.0  # a row a period (two minutes)
    # On at the house reading of 10:00:04: from the period at :06. Off at the production reading of :11: from :12.
    assert _on_from_to(drawn) == [(6.0, 12.0)]
    assert energy_wh == pytest.approx(1000 * 6 / 3600)


def test_at_once_a_command_acts_from_the_reading_that_decided_it(tmp_path: Path) -> None:
    drawn, heard, energy_wh, _ = _run(tmp_path, "actuation = at_once")
    # A row each half period, each reading opening one.
    assert len(drawn) == 120 and [at for at, _ in drawn[:3]] == [0.0, 1.0, 2.0]
    # On at the house reading of 10:00:04, off at the production reading of :11: 7 s on.
    assert _on_from_to(drawn) == [(4.0, 11.0)]
    assert energy_wh == pytest.approx(1000 * 7 / 3600)
    # The house meter reads the draw before the decision it brings: the reading that switched it on shows 500 W, the
    # three after it 1500 W, the one after the off 500 W again.
    assert heard[2:7] == [500.0, 1500.0, 1500.0, 1500.0, 500.0]


def test_the_readings_are_the_same_either_way_only_the_draws_timing_moves(tmp_path: Path) -> None:
    # The commands here come at readings whose effect the next house reading shows either way: it hears the same.
    assert _run(tmp_path, "")[1][:7] == _run(tmp_path, "actuation = at_once")[1][:7]


def test_at_once_a_timers_command_acts_from_the_next_reading(tmp_path: Path) -> None:
    # With jitter the replay runs the regulator's deadlines: the script's timer, half a second after the house reading
    # of about 10:00:14, switches the radiator on again; it draws from the next reading's row (the production
    # reading's, about :15), not from its own time nor from the next period.
    drawn, _, _, script = _run(tmp_path, "actuation = at_once\njitter_s = 0.01", timers=True)
    assert _on_from_to(drawn)[1] == (15.0, 120.0)
    assert script.deadline is None  # (the timer ran)
    assert _on_from_to(_run(tmp_path, "jitter_s = 0.01", timers=True)[0])[1] == (16.0, 120.0)


@pytest.mark.parametrize(("lag_s", "shown_w"), [("0", [1500.0, 500.0, 500.0]), ("0.5", [1500.0, 1000.0, 500.0]),
                                                ("1", [1500.0, 1500.0, 500.0])])
def test_a_lagging_house_meter_shows_a_command_that_much_later(tmp_path: Path, lag_s: str,
                                                               shown_w: list[float]) -> None:
    # The radiator goes off at the production reading of 10:00:11. The house meter reads the mean draw of the half
    # period that ended meter_lag_s before it reads: at :12, the off in full, half of it, or none of it (then at :14).
    drawn, heard, energy_wh, _ = _run(tmp_path, f"actuation = at_once\nmeter_lag_s = {lag_s}")
    assert heard[5:8] == shown_w
    assert heard[3] == 1500.0  # (the on at :04, a whole second in the half period before :06: in full at any lag)
    assert _on_from_to(drawn) == [(4.0, 11.0)] and energy_wh == pytest.approx(1000 * 7 / 3600)  # (the draw: as ever)


@pytest.mark.parametrize(("line", "message"), [
    ("actuation = at_once\nmeter_lag_s = 1.5", "meter_lag_s: must be at most half the period (1 s: the house meter "
                                                "reads a half period's mean at most that late), got 1.5"),
    ("meter_lag_s = 0.5", "meter_lag_s: needs actuation = at_once"),
    ("actuation = soon", "actuation: must be period or at_once (a command takes effect at the next period, or from "
                         "the reading that decided it), got 'soon'"),
    ("actuaton = at_once", "actuaton: unknown key (did you mean actuation?)"),
])
def test_an_unknown_actuation_or_an_impossible_lag_is_refused(tmp_path: Path, line: str, message: str) -> None:
    from settings.problems import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        _run(tmp_path, line)


def test_the_actuations_name_is_read_as_the_daemon_reads_a_word(tmp_path: Path) -> None:
    assert len(_run(tmp_path, "actuation = At_Once ; what a real variator does")[0]) == 120


def test_a_period_given_on_the_command_line_is_checked_against_the_meters_lag(tmp_path: Path) -> None:
    from simulation.replay import ReplayError

    config = write_config(tmp_path, "radiator = constant", "actuation = at_once\nmeter_lag_s = 0.8")
    with pytest.raises(ReplayError, match=r"meter_lag_s = 0\.8 s is over half the meter period \(1 s\)"):
        replay(config, write_trace(tmp_path, [(1000, 300)] * 2), period_s=1.0,
               make_regulator=lambda path, publish: Script(publish))


def test_at_once_each_half_period_has_its_own_house_and_sun(tmp_path: Path) -> None:
    # The house steps from 500 to 2700 W at 10:01:00; the sun falls from 3000 W at 10:00 to 2000 W at 10:01. Replayed
    # from 10:00:01, the house meter reads on odd seconds and the production meter on even ones: the step comes at a
    # production reading.
    config = write_config(tmp_path, "radiator = constant", "actuation = at_once")
    heard: list[tuple[str, float, float]] = []

    class Ears:
        def handle(self, topic: str, payload: bytes, now: float) -> None:
            heard.append((topic, now, json.loads(payload)["power"]))

        def tick(self, now: float) -> None:
            pass

    result = replay(config, write_trace(tmp_path, [(3000, 500), (2000, 2700)]), "10:00:01", "10:01:59",
                    make_regulator=lambda path, publish: Ears())
    start = result.rows[0].time_s - 1  # (10:00:00)
    rows = {round(row.time_s - start, 3): row for row in result.rows}
    # Each half period has the house and the sun of its start (the sun linear between the trace's rows, the house
    # held per row): the step is in the half period from 10:01:00, which the house reading of 10:00:59 opened.
    assert rows[31.0].production_w == pytest.approx(2483.33) and rows[32.0].production_w == pytest.approx(2466.67)
    assert rows[59.0].consumption_w == 500.0 and rows[60.0].consumption_w == 2700.0
    # So the house meter reads the step at 10:01:01, a second after it; the production meter, the sun as it reads.
    house = {round(now - start, 3): watts for topic, now, watts in heard if topic == HOUSE}
    sun = {round(now - start, 3): watts for topic, now, watts in heard if topic == SUN}
    assert house[59.0] == 500.0 and house[61.0] == 2700.0 and sun[32.0] == pytest.approx(2466.7, abs=0.1)


def test_at_once_a_lost_reading_leaves_the_loads_drawing(tmp_path: Path) -> None:
    # A lost reading brings no decision, but its half period is drawn and recorded all the same.
    drawn, heard, energy_wh, script = _run(tmp_path, "actuation = at_once\nlost_readings = 0.3\nseed = 4")
    assert len(drawn) == 120 and len(heard) < 50 and script.productions < 50
    on = _on_from_to(drawn)
    assert energy_wh == pytest.approx(1000 * sum(end - begin for begin, end in on) / 3600)


def test_at_once_a_tank_fills_over_the_half_periods(tmp_path: Path) -> None:
    # A 1 Wh tank behind the 1000 W radiator, on from 10:00:04: 3.6 s of drawing, the last half period only 0.6 s of it.
    drawn, _, energy_wh, _ = _run(tmp_path, "actuation = at_once\nradiator.tank_wh = 1")
    watts = dict(drawn)
    assert [watts[at] for at in (4.0, 5.0, 6.0, 7.0, 8.0)] == pytest.approx([1000.0, 1000.0, 1000.0, 600.0, 0.0])
    assert energy_wh == pytest.approx(1.0)
