"""A heater's own meter (`topic_read_power`) in a replay: read at each house reading, just before it, with what the
heater really drew, as the house meter reads it. Without it, a heater with one had its tank inferred from the house
meter in a replay (the daemon watching it with its meter) and the replay warned that meter silent."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from settings.problems import ConfigError
from simulation.replay import PublishFn, replay
from tests.replay_days import write_config, write_trace

HOUSE, OWN = "smeter/pzem/CONSOMMATION", "smeter/pzem/RADIATOR"


class Script:
    """A scripted regulator: the radiator on at the third house reading (10:00:04); a load that names its own meter
    (read in `watts`); keeps every reading of that meter and of the house, in order, with their times."""

    def __init__(self, publish: PublishFn) -> None:
        self.publish = publish
        self.loads = [SimpleNamespace(name="radiator", topic_read_power=OWN, json_read_power="watts")]
        self.heard: list[tuple[str, float, float]] = []  # (which, when, watts)

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        if topic == OWN:
            self.heard.append(("own", now, json.loads(payload)["watts"]))
        elif topic == HOUSE:
            self.heard.append(("house", now, json.loads(payload)["power"]))
            if sum(which == "house" for which, _, _ in self.heard) == 3:
                self.publish("cmnd/radiator/POWER", "ON")

    def tick(self, now: float) -> None:
        """No timers."""


def _heard(tmp_path: Path, simulation: str) -> list[tuple[str, float, float]]:
    config = write_config(tmp_path, "radiator = constant", "radiator.power_w = 950\n" + simulation)
    scripts: list[Script] = []

    def make(path: str, publish: PublishFn) -> Script:
        scripts.append(Script(publish))
        return scripts[0]

    result = replay(config, write_trace(tmp_path, [(3000, 500)] * 2), make_regulator=make)
    start = result.rows[0].time_s
    return [(which, round(at - start, 3), watts) for which, at, watts in scripts[0].heard]


@pytest.mark.parametrize("simulation", ["", "actuation = at_once"])
def test_the_own_meter_reads_what_the_load_drew_just_before_each_house_reading(tmp_path: Path,
                                                                               simulation: str) -> None:
    heard = _heard(tmp_path, simulation)
    # A reading of each at every house reading (every 2 s), the own meter's first, at the same time.
    assert [which for which, _, _ in heard[:6]] == ["own", "house"] * 3
    owns = [(at, watts) for which, at, watts in heard if which == "own"]
    houses = [(at, watts) for which, at, watts in heard if which == "house"]
    assert [at for at, _ in owns] == [at for at, _ in houses]
    # Switched on at the house reading of 10:00:04: both meters show its 950 W from the same reading on (the next
    # period's with the default actuation, the next house reading's at once: :06 either way), the house meter over
    # its 500 W.
    assert [watts for _, watts in owns[:5]] == [0.0, 0.0, 0.0, 950.0, 950.0]
    assert [watts for _, watts in houses[:5]] == [500.0, 500.0, 500.0, 1450.0, 1450.0]


@pytest.mark.parametrize("simulation", ["", "actuation = at_once", "actuation = at_once\njitter_s = 0.45"])
def test_own_meter_after_reads_what_the_load_drew_since_the_house_reading_after_the_decision(
        tmp_path: Path, simulation: str) -> None:
    # The heater's own meter and the house meter are not in step: read after each production reading (the decision it
    # brings), at a decision the house meter has read the heater's last half period, its own not yet.
    heard = _heard(tmp_path, "own_meter = after\n" + simulation)
    assert [which for which, _, _ in heard[:6]] == ["house", "own"] * 3
    owns = [(at, watts) for which, at, watts in heard if which == "own"]
    houses = [(at, watts) for which, at, watts in heard if which == "house"]
    # After the production reading (1 s after the house reading), before the next house reading whatever the jitter.
    assert all(house_at < own_at < next_house_at for (house_at, _), (own_at, _), (next_house_at, _)
               in zip(houses, owns, houses[1:], strict=False))
    if "jitter" not in simulation:
        assert [at for at, _ in owns[:3]] == [1.01, 3.01, 5.01]
    # Switched on at the house reading of 10:00:04: the house meter shows it from :06 (as above), the radiator's own
    # meter from :07 with the default actuation (on from the next period's start, :06), from :05 at once (on from :04).
    on_from = 2 if "at_once" in simulation else 3
    assert [watts for _, watts in houses[:5]] == [500.0, 500.0, 500.0, 1450.0, 1450.0]
    assert [watts for _, watts in owns[:5]] == [0.0] * on_from + [950.0] * (5 - on_from)


@pytest.mark.parametrize("own_meter", ["before", "after"])
def test_the_own_meter_reads_as_late_as_the_house_meter(tmp_path: Path, own_meter: str) -> None:
    # meter_lag_s 0.5 s of the 1-s half period: a reading shows half of the half period before the last. Read after,
    # the heater's own meter read without that lag: 950 W from :05, the house meter half of it at :04's next reading.
    heard = _heard(tmp_path, f"own_meter = {own_meter}\nactuation = at_once\nmeter_lag_s = 0.5")
    owns = [watts for which, _, watts in heard if which == "own"]
    houses = [watts for which, _, watts in heard if which == "house"]
    assert houses[:5] == [500.0, 500.0, 500.0, 1450.0, 1450.0]  # (:06 reads :05-:06 whole, :04-:05 whole)
    assert owns[:5] == ([0.0, 0.0, 0.0, 950.0, 950.0] if own_meter == "before" else [0.0, 0.0, 475.0, 950.0, 950.0])


class Deadlines(Script):
    """The script, with a timer due `after_s` after each production reading (the regulator's next_deadline): every
    call's time is kept, in order, and each tick at the timer, with how late it ran."""

    after_s = 0.005

    def __init__(self, publish: PublishFn) -> None:
        super().__init__(publish)
        self.times: list[float] = []
        self.late_s: list[float] = []
        self.due_at: float | None = None

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        super().handle(topic, payload, now)
        self.times.append(now)
        if topic == "smeter/pzem/PRODUCTION":
            self.due_at = now + self.after_s

    def tick(self, now: float) -> None:
        self.times.append(now)
        if self.due_at is not None and now >= self.due_at:
            self.late_s.append(now - self.due_at)
            self.due_at = None

    def next_deadline(self) -> float | None:
        return self.due_at


@pytest.mark.parametrize("after_s", [0.005, 0.01])
def test_a_deadline_just_after_the_production_reading_is_ticked_before_the_own_meter_reads(
        tmp_path: Path, after_s: float) -> None:
    # Read 10 ms after the production reading, the heater's meter came before a deadline due within them, ticked
    # after it: the regulator's time stepped back. (Due at that reading's very time: ticked then, not at the next house
    # reading, a second late.)
    config = write_config(tmp_path, "radiator = constant",
                          "radiator.power_w = 950\nown_meter = after\nactuation = at_once\njitter_s = 0.2")
    scripts: list[Deadlines] = []

    def make(path: str, publish: PublishFn) -> Deadlines:
        scripts.append(Deadlines(publish))
        scripts[0].after_s = after_s
        return scripts[0]

    replay(config, write_trace(tmp_path, [(3000, 500)] * 2), make_regulator=make)
    times, late_s = scripts[0].times, scripts[0].late_s
    assert len(times) > 100 and all(a <= b for a, b in zip(times, times[1:], strict=False))
    assert len(late_s) > 50 and max(late_s) < 1e-9, max(late_s)


@pytest.mark.parametrize("value", ["late", "2"])
def test_own_meter_is_before_or_after(tmp_path: Path, value: str) -> None:
    config = write_config(tmp_path, "radiator = constant", f"own_meter = {value}")
    with pytest.raises(ConfigError, match="own_meter: must be before or after"):
        replay(config, write_trace(tmp_path, [(3000, 500)] * 2))


def test_a_replay_without_own_meters_reads_the_two_meters_only(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant")
    topics: set[str] = set()

    class Plain:
        def __init__(self, publish: PublishFn) -> None:
            self.loads = [SimpleNamespace(name="radiator")]  # (a load with no own meter)

        def handle(self, topic: str, payload: bytes, now: float) -> None:
            topics.add(topic)

        def tick(self, now: float) -> None:
            """No timers."""

    replay(config, write_trace(tmp_path, [(3000, 500)] * 2), make_regulator=lambda path, publish: Plain(publish))
    assert topics == {HOUSE, "smeter/pzem/PRODUCTION"}


def test_a_heater_with_its_own_meter_is_found_full_by_it_in_a_replay(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # The real regulator: the heater's tank (100 Wh) fills within minutes of sun; its meter reads 0 W while it is
    # commanded, and the meter's rule finds it full, as the daemon would with the meter on the heater's line. Before,
    # the replay warned the meter silent and found the tank from the house meter.
    config = write_config(tmp_path, "ecs = variable", "ecs.tank_wh = 100")
    config.write_text(config.read_text().replace("[ecs]\n", "[ecs]\ntopic_read_power = smeter/pzem/ECS\n"))
    with caplog.at_level(logging.INFO):
        replay(config, write_trace(tmp_path, [(3000, 500)] * 20))
    said = [record.getMessage() for record in caplog.records]
    assert any(line.startswith("ecs is full: its meter read 0.0 W") for line in said), said
    assert not any("has given no usable reading" in line for line in said)
