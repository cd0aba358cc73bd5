"""The simulation's models: a heater's measured response, tanks, relays, the house, the PZEM's bytes. Trace
reading: test_simulation_trace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calibration import CalibrationError
from simulation.house import SimHouse
from simulation.loads import Relay, Tank, VariableHeater, same_payload
from simulation.pzem import PzemMeter, pzem_boot
from simulation.response import glitch_notes, read_response
from tests.replay_days import write

ROOT = Path(__file__).resolve().parent.parent


def sweep_text(anchors: dict[float, float], step: int = 10) -> str:
    """`percent;watts` lines every `step` percent, linear between the anchors (so interpolating them is exact)."""
    keys = sorted(anchors)
    return "".join(f"{p};{np.interp(p, keys, [anchors[k] for k in keys]):g}\n" for p in range(0, 101, step))


def test_response_reads_both_decimal_styles_and_interpolates(tmp_path: Path) -> None:
    comma = read_response(ROOT / "calibration" / "power_calibration_ECS-02_poly_decimal_comma.csv")
    assert comma.percents[0] == 0.0 and comma.percents[-1] == 100.0
    assert comma.watts[-1] == pytest.approx(2265.9585834265413)
    text = "percent;watts\n" + "".join(reversed(sweep_text({0: 0, 50: 800, 100: 2000}).splitlines(True)))
    curve = read_response(write(tmp_path / "c.csv", text))
    assert curve.percents == tuple(float(p) for p in range(0, 101, 10))  # sorted, whatever the file's order
    assert curve.watts_at(25) == 400
    assert curve.watts_at(75) == 1400
    assert curve.max_w == 2000


def test_response_of_one_percent_is_numpys_interp_to_the_last_bit() -> None:
    # One percent at a time takes interp_one, not numpy: the simulated truth must not move by a bit for it.
    curve = read_response(ROOT / "calibration" / "power_calibration_ECS-01.csv")
    percents = np.concatenate([np.random.default_rng(5).uniform(-5.0, 105.0, 20000), np.arange(1001) * 0.1,
                               curve.percents, np.nextafter(curve.percents, np.inf)])
    expected = np.interp(percents, curve.percents, curve.watts).tolist()
    assert [curve.watts_at(float(p)) for p in percents] == expected


def test_response_reads_what_the_calibration_reads(tmp_path: Path) -> None:
    # One reader for the regulator's fit and the simulated truth: a BOM does not turn the first point
    # into a header, a header may follow a comment, repeated sweeps of a percent are averaged.
    body = sweep_text({0: 0, 100: 2000})
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + body.replace("0;0\n", "0;40\n", 1).encode())
    assert read_response(bom).watts[0] == 40  # the first data row is a point, not a header
    late = read_response(write(tmp_path / "late.csv", "# sweep of 2024-01-02\npercent;watts\n" + body
                               + "100;2100\n"))
    assert late.percents[0] == 0 and late.watts[-1] == 2050


def test_response_leaves_out_the_sweeps_meter_glitches() -> None:
    # ECS-02 reads 2301 W at 71 % and 2019 W at 71.5 % (one triac state: the firmware acts on whole
    # percents). The simulated heater follows its neighbours there, and its maximum is its real top.
    curve = read_response(ROOT / "calibration" / "power_calibration_ECS-02.csv")
    # (The calibration's rule also leaves out 98.5 %, a half percent no command sends.)
    assert [(p, round(w, 2)) for p, w in curve.glitches] == [(71.0, 2301.08), (98.5, 2218.58)]
    assert 71.0 not in curve.percents
    assert curve.watts_at(70.5) < curve.watts_at(71) < curve.watts_at(71.5)
    assert curve.max_w == pytest.approx(2284.25)
    # The misfires at the bottom are the triac's own behaviour: they stay.
    assert curve.watts_at(1) == pytest.approx(91, abs=1)


def test_the_glitches_left_out_are_said(tmp_path: Path) -> None:
    ecs02 = ROOT / "calibration" / "power_calibration_ECS-02.csv"
    notes = glitch_notes({"ecs": ecs02, "clean": ROOT / "calibration" / "power_calibration_ECS-04.csv"})
    assert notes == ["ecs: its real response leaves out 2 reading(s) of power_calibration_ECS-02.csv, outliers by "
                     "the calibration's own rule (the meter's glitches): 71 % (2301 W), 98.5 % (2219 W)"]


def test_response_of_a_clean_sweep_keeps_every_point() -> None:
    curve = read_response(ROOT / "calibration" / "power_calibration_ECS-04.csv")
    assert curve.glitches == ()
    assert len(curve.percents) == 201


def test_response_leaves_out_a_wild_point_of_a_synthetic_sweep(tmp_path: Path) -> None:
    text = sweep_text({0: 0, 100: 2000}, step=2).replace("50;1000\n", "50;1900\n")
    curve = read_response(write(tmp_path / "c.csv", text))
    assert curve.glitches == ((50.0, 1900.0),)
    assert curve.watts_at(50) == pytest.approx(1000)


@pytest.mark.parametrize(("text", "message"), [
    ("0;0\n50;x\n", "c.csv, line 2: watts 'x' is not a number"),
    ("0;0\n150;10\n", "c.csv, line 2: percent 150 is outside 0..100"),
    ("0;0\n100;2000\n", "only 2 distinct percents"),  # two points cannot describe a triac's S-curve
])
def test_bad_response_csv_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CalibrationError) as caught:
        read_response(write(tmp_path / "c.csv", text))
    assert message in str(caught.value)


def heater(tmp_path: Path, tank: Tank | None = None) -> VariableHeater:
    return VariableHeater("ecs", read_response(write(tmp_path / "c.csv", sweep_text({0: 1, 50: 800, 100: 2000}))),
                          tank)


def test_heater_follows_its_measured_curve_and_the_firmware_words(tmp_path: Path) -> None:
    load = heater(tmp_path)
    assert load.step(2) == 0  # at 0 % the triac does not fire (the sweep's 1 W is its meter's floor)
    load.command("25")
    assert load.step(2) == pytest.approx(400.5)
    load.command("off")  # gates the output, keeps the percent
    assert (load.step(2), load.level, load.percent) == (0, 0, 25)
    load.command("on")
    assert load.step(2) == pytest.approx(400.5)
    for ignored in ("150", "-1", "nan", "status", "garbage"):
        load.command(ignored)
    assert load.percent == 25
    load.command("reboot")  # back at its default
    assert (load.percent, load.step(2)) == (0, 0)


def test_tank_thermostat_cuts_after_its_energy_mid_period(tmp_path: Path) -> None:
    tank = Tank(capacity_wh=3.0)
    load = heater(tmp_path, tank)
    load.command("100")  # 2000 W: 2000 * 3 s / 3600 = 1.667 Wh per 3 s period
    assert load.step(3) == pytest.approx(2000)
    assert load.step(3) == pytest.approx((3.0 - 2000 * 3 / 3600) * 3600 / 3)  # the rest of the room
    assert tank.full
    assert load.step(3) == 0
    assert tank.stored_wh == pytest.approx(3.0)


def test_relay_switches_on_its_own_payloads_only() -> None:
    relay = Relay("resille", 596, '{"command": "switchlight", "idx": 359, "switchcmd": "On" }',
                  '{"command": "switchlight", "idx": 359, "switchcmd": "Off" }')
    assert relay.command('{"command":"switchlight","idx":359,"switchcmd":"On"}')  # same JSON, other spacing
    assert relay.step(2) == 596
    assert not relay.command('{"command": "switchlight", "idx": 360, "switchcmd": "Off"}')  # another device
    assert relay.on
    assert relay.command('{"command": "switchlight", "idx": 359, "switchcmd": "Off" }')
    assert relay.step(2) == 0
    assert same_payload("on", "ON") and not same_payload("1", "0")
    with pytest.raises(ValueError, match="real power must be > 0"):
        Relay("x", 0, "1", "0")


def test_house_applies_commands_at_the_next_step_and_routes_shared_topics(tmp_path: Path) -> None:
    a = Relay("a", 500, '{"idx": 1, "switchcmd": "On"}', '{"idx": 1, "switchcmd": "Off"}')
    b = Relay("b", 300, '{"idx": 2, "switchcmd": "On"}', '{"idx": 2, "switchcmd": "Off"}')
    ecs = heater(tmp_path)
    house = SimHouse([ecs, a, b], ["regul/vload/ECS/cmd", "domoticz/in", "domoticz/in"])
    house.receive("domoticz/in", b'{"idx": 2, "switchcmd": "On"}')
    house.receive("regul/vload/ECS/cmd", "50")
    house.receive("elsewhere", "50")
    assert (a.on, b.on, ecs.percent) == (False, False, 0)  # nothing before the next physical step
    assert house.pending_commands() == 2
    assert house.step(2) == (800, 0, 300)
    assert house.levels() == (50, 0, 1)
    oracle = house.oracle_loads()
    assert [(o.name, o.variable, o.max_w) for o in oracle] == [("ecs", True, 2000), ("a", False, 500),
                                                             ("b", False, 300)]


def test_pzem_messages_are_the_firmwares_bytes() -> None:
    meter = PzemMeter()
    assert meter.reading(276, 3600) == ('{ "voltage": 231.40, "current": 1.19, "power": 276.00, "energy": '
                                        '276.00, "frequency": 50.00, "powerfactor": 1.00, "ppm_err": 0}')
    assert '"power": 0.00' in meter.reading(-50, 2)  # clamped: the meter never shows export
    night = [meter.reading(0, 2) for _ in range(50)]
    assert all(night[i] != night[i + 1] for i in range(len(night) - 1))  # never the same bytes twice in a row
    assert pzem_boot("CONSOMMATION").startswith('{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a')
