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


@pytest.mark.parametrize(("line", "message"), [
    ("actuation = soon", "actuation: is period or at_once (a command takes effect at the next period, or from the "
                         "reading that decided it), not 'soon'"),
    ("actuaton = at_once", "actuaton: unknown key (did you mean actuation?)"),
])
def test_an_unknown_actuation_is_refused(tmp_path: Path, line: str, message: str) -> None:
    from settings.problems import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        _run(tmp_path, line)


def test_the_actuations_name_is_read_as_the_daemon_reads_a_word(tmp_path: Path) -> None:
    assert len(_run(tmp_path, "actuation = At_Once ; what a real variator does")[0]) == 120
