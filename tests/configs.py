"""Writing small config files for tests."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

LINEAR_CSV = "".join(f"{p};{20.0 * p}\n" for p in range(0, 101, 5))  # 0..2000 W, 20 W per percent

BASE = """
[mqtt]
host = 127.0.0.1
port = {port}
client_id = {client_id}
topic_cons = smeter/pzem/CONSOMMATION
topic_prod = smeter/pzem/PRODUCTION

[evaluate]
algorithm = {algorithm}
margin = 20
period = {period}
meter_timeout = {meter_timeout}
status_time = {status_time}
; Tests wait for statuses: every second at most (the daemon's default is 10 s; test_controller_status checks it).
status_interval = 1
timezone = Europe/Paris

[status]
file = status.json

[equipments]
{equipments}
"""

LOADS = {
    "ecs": """
[ecs]
topic_set_power = regul/vload/ECS/cmd
calibration = linear.csv
min_power = 150
min_percent = 4
""",
    "radiator": """
[radiator]
max_power = 1000
topic_set_power = cmnd/radiator/POWER
json_on = ON
json_off = OFF
""",
    "plug": """
[plug]
topic_set_power = shellies/plug/relay/0/command
json_on = on
json_off = off
""",
    "small": """
[small]
max_power = 300
topic_set_power = regul/cload/small
""",
}
KINDS = {"ecs": "variable", "radiator": "constant", "plug": "unknown", "small": "constant"}


# The port of a config no test pointed at a broker of its own: nothing listens there, so a test that forgot to (or
# whose edit of the port did not apply) fails at the connection. With MQTT's 1883 it reached the machine's own
# mosquitto on 127.0.0.1:1883, which the tests must never touch, and published there (retained commands included).
NO_BROKER_PORT = 9  # (the discard service's: not served on loopback)


def write_config(directory: Path, loads: tuple[str, ...] = ("ecs", "radiator"), port: int = NO_BROKER_PORT,
                 period: float = 2.5, meter_timeout: float = 10, status_time: float = 900,
                 client_id: str = "pyseb-test", extra: str = "", algorithm: str = "hebert") -> Path:
    """A config in `directory` with the named test loads in that priority order; returns its path.

    The seed's scenarios (one decision, one exact step) are Hébert's rule: `algorithm` says which one the
    test means; the closed loop's own tests (test_controller*.py) ask for `closed_loop`."""
    (directory / "linear.csv").write_text(LINEAR_CSV)
    text = BASE.format(port=port, period=period, meter_timeout=meter_timeout, status_time=status_time,
                       algorithm=algorithm,
                       client_id=client_id, equipments="\n".join(f"{n} = {KINDS[n]}" for n in loads))
    text += "".join(LOADS[n] for n in loads) + extra
    path = directory / "config.ini"
    path.write_text(text)
    return path


_readings = itertools.count()


def with_mqtt_lines(path: Path, lines: str) -> Path:
    """`path`, a config written by write_config, with `lines` added to its [mqtt] section (after client_id)."""
    path.write_text(path.read_text().replace("client_id = pyseb-test", f"client_id = pyseb-test\n{lines}"))
    return path


def config_error(path: Path) -> str:
    """The rendered ConfigError loading `path` raises (the test fails if it loads)."""
    import pytest

    from settings.config import load_settings
    from settings.problems import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return caught.value.render()


def problems_of(path: Path) -> list[str]:
    """Each problem of the ConfigError loading `path` raises, rendered (the test fails if it loads)."""
    import pytest

    from settings.config import load_settings
    from settings.problems import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return [problem.render(str(path)) for problem in caught.value.problems]


def reading(power_w: float) -> bytes:
    """A PZEM reading as the firmware prints it (two decimals, odd spacing). Like a real meter's, no two
    are the same: the energy counter advances (a repeat is a frozen meter's, see frozen_reading)."""
    energy_wh = 1234.0 + next(_readings) * 0.01
    return (f'{{ "voltage": 231.40, "current": 1.23, "power": {power_w:.2f}, "energy": {energy_wh:.2f}, '
            f'"frequency": 50.00, "powerfactor": 0.98, "ppm_err": 0}}').encode()


SEED_SAMPLE = Path(__file__).resolve().parent / "data" / "seed-config.ini.sample"  # the seed project's, as shipped
SEED_STATUS = Path(__file__).resolve().parent / "data" / "seed-status.ini.example.json"  # the seed's status file


def seed_sample_text() -> str:
    """The seed's sample as a user who ran the seed for real holds it: its `[debug] simulation = true`, the seed's
    dry run (refused: test_a_seed_dry_run_is_refused), set to false."""
    text = SEED_SAMPLE.read_text()
    assert "simulation = true\n" in text
    return text.replace("simulation = true\n", "simulation = false\n")


def point_at(path: Path, port: int) -> Path:
    """Point the config at `path` at the broker on `port` (its one `port = ` line); returns `path`. Refuses a config
    without that line: a replace that silently did nothing sent a test's daemon to another broker."""
    text, count = re.subn(r"(?m)^port = \d+$", f"port = {port}", path.read_text())
    if count != 1:
        raise AssertionError(f"{path}: {count} 'port = ' lines, not one")
    path.write_text(text)
    return path


def seed_config(directory: Path, *edits: tuple[str, str]) -> Path:
    """The seed's sample (seed_sample_text) as `directory`/config.ini with its calibration beside it, each (old, new)
    of `edits` replaced (the test fails if `old` is not in it); returns its path."""
    text = seed_sample_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    (directory / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    path = directory / "config.ini"
    path.write_text(text)
    return path
