"""Days to replay, shared by the simulation's tests (test_simulation_replay, _cli, _tune and its _days and _advice
files, test_report_days, test_simulation_recorded_loads, test_simulation_models and _trace, and the report, plot and
output-folder tests): a file of a given text (a trace, a response), a short synthetic day as CSV, a day recorded as the
daemon writes it (gzip batches), and a replay config with an hour's trace from 10:00 (write_config, write_trace)."""

from __future__ import annotations

from pathlib import Path

from tests.configs import LINEAR_CSV


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def write_day(directory: Path, name: str, rows: list[tuple[float, float]]) -> Path:
    lines = ["time,production_w,house_w"] + [f"2026-06-0{1 + len(name) % 2}T12:{i:02d}:00,{pv:g},{house:g}"
                                             for i, (pv, house) in enumerate(rows)]
    path = directory / name
    path.write_text("\n".join(lines) + "\n")
    return path


PARIS = "Europe/Paris"


def write_recorded_day(folder: Path, day: str, minutes: int, house_w: float = 500.0) -> Path:
    """A recorded day of the `ecs` heater alone, from 12:00 (Paris) for `minutes`, a decision every 4 s, in batches
    of 5 minutes (as the daemon writes them); `house_w` tells one house from another."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.decisions import DecisionRecord
    from recording.format import format_rows, header_text
    from recording.store import append_batch

    folder.mkdir(parents=True, exist_ok=True)
    path, header = folder / f"pyseb-{day}.csv.gz", header_text(["ecs"], [False], 10.0)
    noon = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=ZoneInfo(PARIS)).timestamp()
    records = [DecisionRecord(noon + 4.0 * i, house_w, 1500.0 + 10.0 * (i % 7), (0.0,), (0.0,), (2000.0,), (0.0,))
               for i in range(minutes * 15)]
    for start in range(0, len(records), 75):
        append_batch(path, format_rows(records[start:start + 75], ZoneInfo(PARIS)), header)
    return path


# Three loads of each kind (a variator, a relay of known watts, a relay of unknown watts); `[equipments]` picks
# which the regulator drives, `[simulation]` takes the per-test options.
REPLAY_CONFIG = """
[mqtt]
topic_cons = smeter/pzem/CONSOMMATION
topic_prod = smeter/pzem/PRODUCTION

[evaluate]
margin = 20
balance_threshold = 20
period = 2.5
meter_timeout = 10

[status]
file = status.json
persistent = false

[equipments]
{equipments}

[ecs]
topic_set_power = regul/vload/ECS/cmd
calibration = linear.csv
min_power = 150

[radiator]
max_power = 1000
topic_set_power = cmnd/radiator/POWER
json_on = ON
json_off = OFF

[towel]
topic_set_power = shellies/towel/relay/0/command
json_on = on
json_off = off

[simulation]
period = 2
{simulation}
"""


def write_config(directory: Path, equipments: str, simulation: str = "") -> Path:
    """A config with the loads listed in `equipments` (`name = type` lines)."""
    (directory / "linear.csv").write_text(LINEAR_CSV)
    path = directory / "config.ini"
    path.write_text(REPLAY_CONFIG.format(equipments=equipments, simulation=simulation))
    return path


def write_trace(directory: Path, rows: list[tuple[float, float]], start: str = "2022-03-19T10:") -> Path:
    """One row a minute from 10:00: (production_w, house_w)."""
    lines = ["time,production_w,house_w"]
    lines += [f"{start}{i:02d}:00,{pv:g},{house:g}" for i, (pv, house) in enumerate(rows)]
    path = directory / "trace.csv"
    path.write_text("\n".join(lines) + "\n")
    return path
