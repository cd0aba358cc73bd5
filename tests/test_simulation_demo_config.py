"""The demo's config: write_demo_config scales the template's times to the demo's speed into a copy the daemon
accepts, holding the daemon's values; the demo's options out of range are refused before any broker starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.__main__ import main
from simulation.config import read_sim_config
from simulation.demo_config import DEMO_TEMPLATE, write_demo_config

ROOT = Path(__file__).resolve().parent.parent


def test_demo_config_scales_time_and_the_daemon_accepts_it(tmp_path: Path) -> None:
    from settings.config import load_settings

    path = write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 45678, speed=30)
    settings = load_settings(path)
    assert settings.mqtt.port == 45678
    assert settings.evaluate.period_s == pytest.approx(1 / 30, rel=1e-3)
    assert settings.evaluate.meter_timeout_s == 1.0  # 10 s / 30, floored at 1 s of wall clock
    # The closed loop's durations shrink too, the relays' dwell included (defaults 600 s on, 120 s off):
    # a 10-minute dwell must not outlast a 60-second demo.
    assert settings.evaluate.settle_s == pytest.approx(1 / 30, rel=1e-3)
    assert settings.evaluate.import_guard_s == pytest.approx(20 / 30, rel=1e-3)
    # A rate per second grows as much: the sun comes back 30 times faster on the daemon's clock.
    assert settings.evaluate.rising_rate_w_s == pytest.approx(5 * 30)
    relays = {load.name: load.options for load in settings.equipments if load.KIND != "variable"}
    assert relays["radiator"]["min_on_s"] == pytest.approx(20) and relays["towel"]["min_off_s"] == pytest.approx(4)
    sim = read_sim_config(path)  # absolute paths: the copy works from its own directory
    assert sim.loads[0].response_path == (ROOT / "calibration" / "power_calibration_ECS-02.csv").resolve()


def test_demo_config_scales_an_on_delay_too(tmp_path: Path) -> None:
    from settings.config import load_settings

    template = tmp_path / "house.ini"
    template.write_text(DEMO_TEMPLATE.read_text().replace("../calibration/", f"{ROOT / 'calibration'}/")
                        .replace("[towel]\n", "[towel]\non_delay_s = 60\n"))
    (tmp_path / "demo").mkdir()
    path = write_demo_config(template, tmp_path / "demo", "127.0.0.1", 45678, speed=30)
    relays = {load.name: load.options for load in load_settings(path).equipments if load.KIND != "variable"}
    assert relays["towel"]["on_delay_s"] == pytest.approx(2) and relays["radiator"]["on_delay_s"] == 0


def test_demo_config_copy_holds_the_daemons_values(tmp_path: Path) -> None:
    # A template with inline comments: the copy must hold what the daemon reads, not "1 ; s".
    template_dir = tmp_path / "template"
    template_dir.mkdir()
    text = DEMO_TEMPLATE.read_text().replace("period = 1\n", "period = 1 ; seconds\n")
    text = text.replace("json_on = ON\n", "json_on = ON ; tasmota\n")
    text = text.replace("../calibration/", str(ROOT / "calibration") + "/")
    template = template_dir / "demo.ini"
    template.write_text(text)
    path = write_demo_config(template, tmp_path, "127.0.0.1", 45678, speed=10)
    from settings.config import load_settings

    assert load_settings(path).evaluate.period_s == pytest.approx(0.1)
    radiator = read_sim_config(path).loads[1]
    assert (radiator.payload_on, radiator.payload_off) == ("ON", "OFF")
    assert "tasmota" not in path.read_text()


@pytest.mark.parametrize(("args", "message"), [
    # Faster than 100, the daemon's decisions (1 s / speed) came closer than its 0.01 s floor; slower than 0.01, the
    # relays' dwell outgrew a day: the demo started its broker and daemon, then failed on a demo.ini the user never
    # wrote ("[evaluate] period: must be >= 0.01, got 0.002").
    (["--speed", "500"], "--speed 500: the demo runs from 0.1 to 100 simulated seconds per second"),
    (["--speed", "inf"], "--speed inf: the demo runs from 0.1 to 100 simulated seconds per second"),
    (["--speed", "0.001"], "--speed 0.001: the demo runs from 0.1 to 100 simulated seconds per second"),
    (["--speed", "0"], "--speed 0: the demo runs from 0.1 to 100 simulated seconds per second"),
    (["--minutes", "inf"], "--minutes inf: a number of simulated minutes > 0"),  # (was an OverflowError)
    (["--minutes", "nan"], "--minutes nan: a number of simulated minutes > 0"),
    (["--minutes", "-3"], "--minutes -3: a number of simulated minutes > 0"),
    # (started the broker and the daemon, then "0 periods ... capture n/a", exit 0)
    (["--minutes", "0.01"], "--minutes 0.01: less than one reading of the meters (2 s of the house); give 0.034 or "
                            "more"),
    (["--minutes", "0.033"], "--minutes 0.033: less than one reading"),  # (0.99 of a reading)
])
def test_demo_options_out_of_range_are_refused_before_anything_starts(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    import simulation.demo

    def no_broker() -> None:
        raise AssertionError("a broker was started for options the demo refuses")

    monkeypatch.setattr(simulation.demo, "PrivateBroker", no_broker)
    assert main(["demo", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("speed", [0.1, 100])
def test_the_daemon_accepts_the_demo_config_at_both_ends_of_the_speed_range(tmp_path: Path, speed: float) -> None:
    from settings.config import load_settings
    from simulation.demo import SPEED_RANGE

    assert speed in SPEED_RANGE
    load_settings(write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 45678, speed=speed))


@pytest.mark.parametrize("speed", [0.1, 1, 30, 100])
def test_the_demo_config_is_not_warned_of_for_its_meters_pace(tmp_path: Path, speed: float) -> None:
    # Its meter_timeout and period are divided by the speed (1 s at least), as its meters' 2 s are: the warnings of a
    # meter_timeout under the meters' pace, or a period over it, judge them at the demo's pace.
    from settings.config import load_settings

    warned = load_settings(write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 45678, speed=speed)).warnings
    assert not [w for w in warned if "meter_timeout" in w or "[evaluate] period" in w], warned
