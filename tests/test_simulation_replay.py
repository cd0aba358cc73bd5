"""Replay: figures on hand-computable traces equal the arithmetic, with a scripted regulator and the real one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulation.metrics import format_summary, read_log, summarize
from simulation.replay import PublishFn, ReplayError, replay
from simulation.trace import read_trace
from tests.replay_days import write_config, write_trace


class AlwaysOn:
    """A scripted regulator: switches the radiator on at its first message, then never changes."""

    def __init__(self, publish: PublishFn) -> None:
        self.publish = publish
        self.messages: list[tuple[str, float]] = []

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        if not self.messages:
            self.publish("cmnd/radiator/POWER", "ON", True)
        self.messages.append((topic, now))

    def tick(self, now: float) -> None:
        pass


def scripted(holder: list[AlwaysOn]):  # type: ignore[no-untyped-def]
    def make(config_path: str, publish: PublishFn) -> AlwaysOn:
        holder.append(AlwaysOn(publish))
        return holder[0]
    return make


def test_constant_day_figures_equal_the_arithmetic(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant")
    trace = write_trace(tmp_path, [(3000, 500)] * 60)  # 10:00 .. 11:00
    holder: list[AlwaysOn] = []
    result = replay(config, trace, make_regulator=scripted(holder))
    s = result.summary
    n = 1800  # one hour of 2 s periods
    assert s.periods == n and s.hours == 1.0
    assert s.pv_kwh == pytest.approx(3.0, abs=1e-12)
    assert s.house_kwh == pytest.approx(0.5, abs=1e-12)
    # The command sent at the first reading takes effect at the next physical step: on for n - 1 periods.
    assert s.load_kwh == pytest.approx((1000 * (n - 1) * 2 / 3600 / 1000,), abs=1e-12)
    assert s.export_wh == pytest.approx(2500 * 2 / 3600 + 1500 * (n - 1) * 2 / 3600, abs=1e-9)
    assert s.import_wh == 0 and s.caused_import_wh == 0
    assert s.oracle_kwh == pytest.approx((1.0,), abs=1e-12)  # the radiator fits in 2500 W all hour
    assert s.capture_pct == pytest.approx((n - 1) / n * 100)
    assert s.switches == (1,)
    # Meters: consumption at t, production half a period later, every period.
    topics = holder[0].messages[:4]
    assert [t for t, _ in topics] == ["smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION"] * 2
    assert [now - topics[0][1] for _, now in topics] == [0, 1, 2, 3]


def test_step_change_caused_import_is_the_loads_share(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant")
    # At 10:30 the house jumps to 3500 W: with the radiator held on, 1500 W come from the grid.
    trace = write_trace(tmp_path, [(3000, 500)] * 30 + [(3000, 3500)] * 30)
    s = replay(config, trace, make_regulator=scripted([])).summary
    half_h = 900 * 2 / 3600
    assert s.import_wh == pytest.approx(1500 * half_h, abs=1e-9)
    assert s.caused_import_wh == pytest.approx(1000 * half_h, abs=1e-9)  # min(import, load) each period
    assert s.house_kwh == pytest.approx((500 + 3500) * half_h / 1000, abs=1e-12)
    assert s.oracle_kwh == pytest.approx((1000 * half_h / 1000,), abs=1e-12)  # no surplus after the step
    load_wh = 1000 * 1799 * 2 / 3600
    assert s.capture_pct == pytest.approx((load_wh - 1000 * half_h) / (1000 * half_h) * 100)


def test_production_is_integrated_as_the_trapezoid(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant")
    trace = write_trace(tmp_path, [(0, 0), (600, 0), (600, 0)])
    s = replay(config, trace, "10:00", "10:01", make_regulator=scripted([])).summary
    assert s.pv_kwh * 1000 == pytest.approx(600 * 60 / 2 / 3600, abs=1e-9)  # a ramp 0 -> 600 W in a minute


def test_real_regulator_fills_the_heater_and_keeps_the_balance(tmp_path: Path) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    trace = write_trace(tmp_path, [(3000, 500)] * 60)
    result = replay(config, trace)
    s = result.summary
    # 2500 W of surplus: the heater takes 2000 W, the 1000 W radiator does not fit in the 500 W left.
    assert s.oracle_kwh == pytest.approx((2.0, 0.0), abs=1e-9)
    assert s.load_kwh[0] > 1.9 and s.load_kwh[1] == 0
    assert s.caused_import_wh < 1.0
    assert 95 < (s.capture_pct or 0) <= 100
    # Energy balance: what the loads and the house did not take was exported.
    assert s.pv_kwh - s.house_kwh - s.loads_kwh == pytest.approx((s.export_wh - s.import_wh) / 1000, abs=1e-6)
    # The belief (the regulator's status) follows the commands; the percent is the command held.
    last = result.rows[-1]
    assert last.command[0] > 90 and last.commanded_w[0] > 1900 and last.real_w[0] > 1900


def test_thermostat_cut_stops_the_heater_at_its_tank_energy(tmp_path: Path) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant", "ecs.tank_wh = 100")
    trace = write_trace(tmp_path, [(4000, 500)] * 60)
    s = replay(config, trace).summary
    assert s.load_kwh[0] == pytest.approx(0.1, abs=1e-6)
    assert s.oracle_kwh[0] == pytest.approx(0.1, abs=1e-6)
    assert s.load_kwh[1] > 0.8  # once the tank is hot, the radiator gets the surplus


def test_unknown_load_draws_its_real_watts(tmp_path: Path) -> None:
    config = write_config(tmp_path, "towel = unknown", "towel.power_w = 600")
    trace = write_trace(tmp_path, [(2000, 500)] * 60)
    result = replay(config, trace)
    assert result.summary.oracle_kwh == pytest.approx((0.6,), abs=1e-9)
    assert result.summary.load_kwh[0] > 0.55
    # On once the relays' off time after the start (min_off_s, 120 s) is over, then measured, and kept on.
    settled = [row for row in result.rows if row.time_s >= result.start_s + 130]
    assert set(row.real_w[0] for row in settled) == {600}
    assert result.rows[-1].commanded_w[0] == pytest.approx(600, abs=1)  # learned by measuring


def test_log_rows_recompute_the_figures(tmp_path: Path) -> None:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant\ntowel = unknown")
    trace = write_trace(tmp_path, [(1000 + 60 * i, 400 + (900 if 20 <= i < 25 else 0)) for i in range(60)])
    result = replay(config, trace)
    from simulation.metrics import write_log

    write_log(tmp_path / "steps.csv", result.names, result.rows)
    names, rows = read_log(tmp_path / "steps.csv")
    assert names == ("ecs", "radiator", "towel")
    assert rows == result.rows
    assert format_summary(summarize(names, rows)) == format_summary(result.summary)


def test_bad_range_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, "radiator = constant")
    trace = write_trace(tmp_path, [(3000, 500)] * 60)
    with pytest.raises(ReplayError, match="the trace covers 10:00 to 11:00; asked 09:00 to 10:30"):
        replay(config, trace, "09:00", "10:30", make_regulator=scripted([]))
    with pytest.raises(ReplayError, match="must come at least one period"):
        replay(config, trace, "10:30", "10:30", make_regulator=scripted([]))
    with pytest.raises(ReplayError, match="HH:MM"):
        replay(config, trace, "half past ten", None, make_regulator=scripted([]))


def test_a_range_a_little_outside_the_trace_means_its_ends(tmp_path: Path) -> None:
    # A recorded day starts at its first decision: `--from 00:00` of a day that starts at 00:00:01 asked for
    # the whole of it, and was refused with "the trace covers 00:00 to 24:00; asked 00:00 to 01:00".
    config = write_config(tmp_path, "radiator = constant")
    trace = write_trace(tmp_path, [(3000, 500)] * 60)
    trace.write_text(trace.read_text().replace(":00,", ":01,"))  # rows from 10:00:01, a minute each: to 11:00:01
    result = replay(config, trace, "10:00", "11:00", make_regulator=scripted([]))
    assert result.rows[0].time_s == pytest.approx(read_trace(trace).start_s + 2.0)  # (a period's end)
    with pytest.raises(ReplayError, match="the trace covers 10:00:01 to 11:00:01; asked 09:58 to 10:30"):
        replay(config, trace, "09:58", "10:30", make_regulator=scripted([]))
    with pytest.raises(ReplayError, match="asked 10:30 to 11:02"):
        replay(config, trace, "10:30", "11:02", make_regulator=scripted([]))


def test_inline_comments_are_read_as_the_daemon_reads_them(tmp_path: Path) -> None:
    # The daemon strips `; comment` after a value: the simulation must route the radiator's commands to
    # the topic the daemon publishes them on, and take `period = 2 ; seconds` as 2.
    config = write_config(tmp_path, "radiator = constant")
    text = config.read_text().replace("topic_set_power = cmnd/radiator/POWER",
                                      "topic_set_power = cmnd/radiator/POWER ; tasmota")
    config.write_text(text.replace("period = 2\n", "period = 2 ; seconds\n"))
    from simulation.config import read_sim_config

    sim = read_sim_config(config)
    assert (sim.loads[0].topic, sim.period_s) == ("cmnd/radiator/POWER", 2.0)
    s = replay(config, write_trace(tmp_path, [(3000, 500)] * 30)).summary
    assert s.load_kwh[0] > 0.45  # on nearly all of the half hour, with the real regulator


def test_oracle_keeps_the_variable_loads_min_power(tmp_path: Path) -> None:
    from simulation.config import read_sim_config

    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(600, 500)] * 30)  # 100 W of surplus: under min_power 150
    assert read_sim_config(config).loads[0].min_power_w == 150
    assert replay(config, trace, make_regulator=scripted([])).summary.oracle_kwh == (0.0,)
    config.write_text(config.read_text().replace("min_power = 150\n", "min_power = 60 ; W\n"))
    assert read_sim_config(config).loads[0].min_power_w == 60
    assert replay(config, trace, make_regulator=scripted([])).summary.oracle_kwh[0] == pytest.approx(0.05)
    config.write_text(config.read_text().replace("min_power = 60 ; W\n", ""))
    assert read_sim_config(config).loads[0].min_power_w == 150  # the daemon's default


def test_oracle_keeps_the_variable_loads_max_power(tmp_path: Path) -> None:
    """A heater limited by its max_power gets no more from the oracle than from the regulator: 1500 W of surplus for
    half an hour, the linear 2000 W heater capped at 1000 W, is 0.5 kWh (the oracle gave it 0.75 kWh, its curve's
    top, and the radiator after it nothing: a regulator that kept the order was scored as bending it)."""
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    config.write_text(config.read_text().replace("min_power = 150\n", "min_power = 150\nmax_power = 1000\n"))
    trace = write_trace(tmp_path, [(2500, 1000)] * 30)  # 1500 W of surplus: 1000 W for the heater, 500 W left
    assert replay(config, trace, make_regulator=scripted([])).summary.oracle_kwh == pytest.approx((0.5, 0.0))
    config.write_text(config.read_text().replace("max_power = 1000\n", "", 1))  # (the radiator's stays)
    assert replay(config, trace, make_regulator=scripted([])).summary.oracle_kwh == pytest.approx((0.75, 0.0))
    trace = write_trace(tmp_path, [(3500, 500)] * 30)  # 3000 W: the heater at its 2000 W top, the radiator's 1000 W
    assert replay(config, trace, make_regulator=scripted([])).summary.oracle_kwh == pytest.approx((1.0, 0.5))


def test_switches_and_shortest_dwells_per_load() -> None:
    from simulation.metrics import PeriodRow

    relay = [0, 1, 1, 1, 0, 0, 1, 0, 0, 0]  # off (cut by the start), on 6 s, off 4 s, on 2 s, off (cut by the end)
    variator = [50.0] * 10  # never switched
    rows = [PeriodRow(1000.0 + 2 * k, 2.0, 0.0, 0.0, 0.0, (relay[k], variator[k]), (0.0, 0.0), (0.0, 0.0),
                      (0.0, 0.0)) for k in range(10)]
    s = summarize(("radiator", "ecs"), rows)
    assert s.switches == (4, 0)
    assert s.shortest_on_s == (2.0, None) and s.shortest_off_s == (4.0, None)
    table = format_summary(s).splitlines()
    assert table[-3].endswith("switches  min on s  min off s")
    assert table[-2].split()[-3:] == ["4", "2", "4"] and table[-1].split()[-3:] == ["0", "-", "-"]


class Listener:
    """A scripted regulator that only keeps the watts of every meter reading it receives."""

    def __init__(self) -> None:
        self.watts: dict[str, list[float]] = {"smeter/pzem/CONSOMMATION": [], "smeter/pzem/PRODUCTION": []}

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        self.watts[topic].append(json.loads(payload)["power"])

    def tick(self, now: float) -> None:
        pass


def _readings(tmp_path: Path, simulation: str, listener: Listener | None = None) -> tuple[int, Listener]:
    """A replay of a steady minute with `simulation`'s lines, heard by `listener` (a new Listener if None)."""
    config = write_config(tmp_path, "radiator = constant", simulation)
    heard = Listener() if listener is None else listener
    rows = replay(config, write_trace(tmp_path, [(1000, 300)] * 31), make_regulator=lambda path, publish: heard).rows
    return len(rows), heard


@pytest.mark.parametrize("seed", ["0", "1", "7"])
def test_meter_noise_and_lost_readings_are_what_the_options_say(tmp_path: Path, seed: str) -> None:
    # noise_w: each reading off by up to that many watts; lost_readings: that share of each meter's readings never
    # arrives; seed: one draw of both per seed, the same again with the same seed.
    periods, heard = _readings(tmp_path, f"noise_w = 10\nlost_readings = 0.25\nseed = {seed}")
    for topic, truth in (("smeter/pzem/CONSOMMATION", 300.0), ("smeter/pzem/PRODUCTION", 1000.0)):
        watts = heard.watts[topic]
        assert 0.7 * periods < len(watts) < 0.8 * periods
        assert all(abs(w - truth) <= 10.0 for w in watts) and max(watts) - min(watts) > 15.0
    assert _readings(tmp_path, f"noise_w = 10\nlost_readings = 0.25\nseed = {seed}")[1].watts == heard.watts


def test_each_seed_is_a_draw_of_its_own(tmp_path: Path) -> None:
    # seed = 0 was read as `0 or 1`: the very draw of seed 1, and a spread over seeds 0..N one draw short.
    draws = [_readings(tmp_path, f"noise_w = 10\nlost_readings = 0.1\nseed = {seed}")[1].watts for seed in range(3)]
    assert draws[0] != draws[1] and draws[1] != draws[2] and draws[0] != draws[2]


def test_a_seed_is_a_whole_number(tmp_path: Path) -> None:
    from settings.problems import ConfigError

    with pytest.raises(ConfigError, match="seed: must be a whole number, got 1.5"):
        _readings(tmp_path, "noise_w = 10\nseed = 1.5")


@pytest.mark.parametrize(("line", "message"), [
    ("noise_w = 1_0", "noise_w: is not a number: '1_0' (no '_' in a number: write its digits only)"),
    ("seed = \uff15", "seed: is not a number: '\uff15'"),
    ("radiator.power_w = 1_000", "radiator.power_w: is not a number: '1_000' (no '_' in a number"),
])
def test_a_simulation_number_is_ascii_digits(tmp_path: Path, line: str, message: str) -> None:
    # As the daemon's config reads a number: float() read noise_w = 1_0 as 10 W and full-width digits as ASCII ones.
    from settings.problems import ConfigError

    with pytest.raises(ConfigError) as caught:
        _readings(tmp_path, line)
    assert message in str(caught.value)


class Timed(Listener):
    """A Listener that also keeps when each reading came and when its timers ran, and asks for a timer half a second
    after each house reading."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[str, list[float]] = {topic: [] for topic in self.watts}
        self.ticks: list[float] = []
        self.deadline: float | None = None

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        super().handle(topic, payload, now)
        self.at[topic].append(now)
        if topic == "smeter/pzem/CONSOMMATION":
            self.deadline = now + 0.5

    def tick(self, now: float) -> None:
        self.ticks.append(now)

    def next_deadline(self) -> float | None:
        return self.deadline


def _timed(tmp_path: Path, simulation: str) -> Timed:
    timed = Timed()
    _readings(tmp_path, simulation, timed)
    return timed


def test_meter_jitter_moves_each_reading_by_up_to_what_the_option_says(tmp_path: Path) -> None:
    plain, jittery = _timed(tmp_path, ""), _timed(tmp_path, "jitter_s = 0.05")
    for topic in plain.at:
        offsets = [b - a for a, b in zip(plain.at[topic], jittery.at[topic], strict=True)]
        assert all(abs(o) <= 0.05 for o in offsets) and max(offsets) - min(offsets) > 0.05
    # Without jitter, the timers run at the readings only; with it, also at the regulator's deadlines between them.
    assert set(plain.ticks) == set(plain.at["smeter/pzem/CONSOMMATION"] + plain.at["smeter/pzem/PRODUCTION"])
    between = [t for t in jittery.ticks if t not in jittery.at["smeter/pzem/CONSOMMATION"]
               and t not in jittery.at["smeter/pzem/PRODUCTION"]]
    assert between and all(any(abs(t - (c + 0.5)) < 1e-9 for c in jittery.at["smeter/pzem/CONSOMMATION"])
                           for t in between)
    # The noise and losses of a seed stay the same with jitter (drawn after them).
    noisy = _readings(tmp_path, "noise_w = 10\nlost_readings = 0.25")[1].watts
    assert _readings(tmp_path, "noise_w = 10\nlost_readings = 0.25\njitter_s = 0.05")[1].watts == noisy


@pytest.mark.parametrize(("simulation", "message"), [
    ("jitter_s = 0.5", "jitter_s: must be under a quarter of the period (0.5 s"),
    ("jitter_s = -0.1", "jitter_s: must be a number >= 0"),
])
def test_meter_jitter_stays_under_a_quarter_of_the_period(tmp_path: Path, simulation: str, message: str) -> None:
    from settings.problems import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        _timed(tmp_path, simulation)


def test_a_period_given_on_the_command_line_is_checked_against_the_jitter_too(tmp_path: Path) -> None:
    from simulation.replay import ReplayError

    config = write_config(tmp_path, "radiator = constant", "jitter_s = 0.3")
    with pytest.raises(ReplayError, match=r"jitter_s = 0\.3 s is not under a quarter of the meter period \(1 s\)"):
        replay(config, write_trace(tmp_path, [(1000, 300)] * 31), period_s=1.0,
               make_regulator=lambda path, publish: Listener())
