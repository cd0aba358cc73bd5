"""The seed's doubled percent signs: the seed read config.ini with configparser's BasicInterpolation, where `%%` is one
`%` (and a single `%` crashed it), so every seed config that works writes `100%%`. Read as `%` wherever PySEB reads a
config (the daemon, --check, the simulator, the sweep), a single `%` kept as it is; a config written back (tune's
variants, the benchmark's, the demo's) reads back as the same values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from settings.config import load_settings
from settings.ini_file import read_parser
from simulation.config import read_sim_config
from simulation.demo_config import write_demo_config
from simulation.tune_grid import build_grid, points, write_variants
from simulation.variants import write_variant
from tests.configs import write_config
from tests.harness import NOON, Harness

ROOT = Path(__file__).resolve().parent.parent
# The seed's Domoticz dimmer as a relay (its json_on as the seed's users write it), and a payload of PySEB's with a
# single `%`, and one holding `%%` itself (written `%%%%`).
ON_WRITTEN = '{"command": "setcolbrightnessvalue", "idx": 359, "brightness": 100%%}'
ON_SENT = '{"command": "setcolbrightnessvalue", "idx": 359, "brightness": 100%}'
OFF_WRITTEN, OFF_SENT = "dim 0% then %%%%off", "dim 0% then %%off"
TOPIC = "regul/cload/radiator"


def percent_config(directory: Path) -> Path:
    path = write_config(directory, loads=("radiator",))
    # (on a topic of no known firmware: on a Tasmota relay's cmnd/radiator/POWER, these switch nothing, and are warned)
    text = path.read_text().replace("cmnd/radiator/POWER\njson_on = ON\njson_off = OFF\n",
                                    f"{TOPIC}\njson_on = {ON_WRITTEN}\njson_off = {OFF_WRITTEN}\n")
    path.write_text(text.replace("client_id = pyseb-test\n",
                                 "client_id = pyseb-test\nusername = pi\npassword = pa%%ss\n"))
    path.chmod(0o600)  # (a password in a file others read is warned of)
    return path


def payloads(path: Path) -> tuple[str, str]:
    """The radiator's on and off payloads as the daemon's loader reads `path`."""
    radiator = load_settings(path, daemon_files=False).equipments[0]
    return radiator.command_for(1000)[0].payload, radiator.command_for(0)[0].payload


def test_a_doubled_percent_is_read_as_one_and_a_single_one_as_it_is(tmp_path: Path) -> None:
    path = percent_config(tmp_path)
    settings = load_settings(path)
    assert payloads(path) == (ON_SENT, OFF_SENT)
    assert settings.mqtt.password == "pa%ss"  # (the seed's parser read it so too)
    # (the check of payloads cut at ' ;' compares the file's values read the same way: nothing is said)
    assert not settings.warnings


def test_the_daemon_sends_one_percent(tmp_path: Path) -> None:
    # PySEB sent `100%%` to domoticz/in, which Domoticz did not take for a brightness.
    h = Harness(percent_config(tmp_path))
    h.meters(0, 1500, NOON)
    assert h.last(TOPIC) == ON_SENT


def test_check_reads_it_so(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(percent_config(tmp_path)),
                             "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and ": OK; loads in priority order: radiator" in result.stdout


def test_the_simulator_reads_it_so(tmp_path: Path) -> None:
    (radiator,) = read_sim_config(percent_config(tmp_path)).loads
    assert (radiator.payload_on, radiator.payload_off) == (ON_SENT, OFF_SENT)


def test_configs_written_back_read_as_the_same_values(tmp_path: Path) -> None:
    # tune's variants, the benchmark's and the demo's copies are written from the parsed values: a `%` written as held
    # came back as itself but `%%` (the file's `%%%%`) as `%`; every `%` is now doubled on the way out.
    path = percent_config(tmp_path)
    axes = build_grid(path, ["evaluate.margin=10,20"])
    (tmp_path / "tune").mkdir()
    written = write_variants(path, axes, points(axes), tmp_path / "tune")
    (tmp_path / "bench").mkdir()
    written.append(write_variant(path, tmp_path / "bench", (("evaluate", "margin", "30"),)))
    (tmp_path / "demo").mkdir()
    written.append(write_demo_config(path, tmp_path / "demo", "127.0.0.1", 45678, speed=10))
    for variant in written:
        assert payloads(variant) == (ON_SENT, OFF_SENT), variant
        assert read_parser(variant).get("mqtt", "password") == "pa%ss"
        (radiator,) = read_sim_config(variant).loads
        assert (radiator.payload_on, radiator.payload_off) == (ON_SENT, OFF_SENT)
        # and written as a user would: `100%%`, as the seed's files are
        assert "100%%}" in variant.read_text() and "%%%%off" in variant.read_text()
