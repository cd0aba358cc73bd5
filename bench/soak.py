#!/usr/bin/env python3
"""Soak: the real daemon for several simulated days, fed junk, its memory, threads and descriptors sampled.

    python3 bench/soak.py [--days 5] [--day-s 60] [--junk 12] [--flood N]

Starts a private mosquitto on a free loopback port and the daemon (regulation.py) as a subprocess whose wall
clock runs fast: one simulated day takes `--day-s` real seconds, so midnights, the recorder's day files and
their pruning, the daily report and the fallback's checks all come round. A crude house feeds the two meters
(a sunny day; the loads' commands added to the house's draw), and every reading comes with `--junk` messages
that each differ from every earlier one: malformed meter payloads, mode commands for loads that do not exist,
forecasts for ever new dates, Domoticz and Home Assistant messages, boot messages of unknown devices; `--flood N`
sends N more at once each simulated noon. Prints the daemon's RSS, threads, open descriptors, log, record and status
file sizes at each quarter of a simulated day, then the log's most frequent kinds of line. Exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402

from localbroker import BrokerError, PrivateBroker  # noqa: E402
from simulation.pzem import PzemMeter  # noqa: E402

TZ = ZoneInfo("Europe/Paris")
READING_EVERY_S = 0.05  # real seconds between two pairs of meter readings

# The daemon's wall clock, sped up `speed` times from `start` (epoch s); the queue's "waited too long" limit grows
# as much (a few real milliseconds in the queue would otherwise be simulated minutes).
LAUNCHER = """\
import runpy, sys, time
speed, start = float(sys.argv[1]), float(sys.argv[2])
_real, _t0 = time.time, time.time()
time.time = lambda: start + (_real() - _t0) * speed
sys.path.insert(0, {root!r})
sys.argv = ["regulation.py", *sys.argv[3:]]
import shell.daemon_messages
shell.daemon_messages.QUEUED_TOO_LONG_S *= speed
runpy.run_path({script!r}, run_name="__main__")
"""

CONFIG = """\
[mqtt]
host = 127.0.0.1
port = {port}
client_id = pyseb-soak
topic_cons = smeter/pzem/CONSOMMATION
topic_prod = smeter/pzem/PRODUCTION

[evaluate]
period = 1
meter_timeout = 600
status_time = 1
status_interval = 60
timezone = Europe/Paris

[status]
file = {dir}/status.json
persistent = true

[logging]
level = INFO
file = {dir}/pyseb.log
max_bytes = 200000
backup_count = 2

[record]
enabled = true
dir = {dir}/records
keep_days = 3
flush_interval = 1

[forecast]
topic = forecast/pv

[fallback]
min_energy_wh = 2000
deadline = 07:00

[domoticz]
idx_grid = 11
idx_injection = 12
idx_ecs_mode = 13

[homeassistant]
discovery = true

[equipments]
ecs = variable
radiator = constant
towel = unknown

[ecs]
topic_set_power = regul/vload/ECS/cmd
calibration = {root}/calibration/power_calibration_ECS-04.csv
domoticz_idx_force = 14

[radiator]
max_power = 1000
topic_set_power = cmnd/radiator/POWER
json_on = ON
json_off = OFF
min_on_s = 600
min_off_s = 120

[towel]
topic_set_power = shellies/towel/relay/0/command
json_on = on
json_off = off
"""


def _proc(pid: int) -> tuple[int, int, int]:
    """RSS (kB), threads and open descriptors of process `pid`."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]), int(fields["Threads"]), len(os.listdir(f"/proc/{pid}/fd"))


def _junk(n: int, day: datetime) -> list[tuple[str, bytes]]:
    """Messages that each differ from every earlier one (`n` numbers them)."""
    ahead = (day.date() + timedelta(days=3 + n)).isoformat()
    return [
        ("smeter/pzem/CONSOMMATION", f"junk {n}".encode()),
        ("smeter/pzem/PRODUCTION", json.dumps({"power": f"x{n}"}).encode()),
        ("regul/mode", json.dumps({"command": "force", "name": f"load{n}", "power": 100}).encode()),
        ("regul/mode", f"nonsense {n}".encode()),
        ("forecast/pv", json.dumps({"date": ahead, "clouds_percent": n % 100}).encode()),
        ("forecast/pv", f"{{bad {n}".encode()),
        ("domoticz/out", json.dumps({"idx": 1000 + n, "nvalue": 1, "svalue1": str(n)}).encode()),
        ("domoticz/out", json.dumps({"idx": 13, "svalue1": str(n), "nvalue": n}).encode()),
        (f"domoticz/out/room{n}", b"{}"),
        ("homeassistant/status", f"junk{n}".encode()),
        ("regul/vload/ECS", json.dumps({"boot_detected": f"dev{n}"}).encode()),
        ("smeter/pzem", json.dumps({"boot": f"pzem{n}"}).encode()),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=5.0, help="simulated days (default 5)")
    parser.add_argument("--day-s", type=float, default=60.0, help="real seconds per simulated day (default 60)")
    parser.add_argument("--junk", type=int, default=12, help="junk messages per reading pair (default 12, 0: none)")
    parser.add_argument("--flood", type=int, default=0,
                        help="junk messages sent at once each simulated noon, as fast as they go (default 0)")
    parser.add_argument("--kinds", type=int, default=12, help="log line kinds shown at the end (default 12)")
    args = parser.parse_args(argv)
    speed = 86400.0 / args.day_s
    start_dt = datetime(2026, 6, 1, 22, 0, tzinfo=TZ)
    with tempfile.TemporaryDirectory(prefix="pyseb-soak-") as tmp, PrivateBroker() as broker:
        work = Path(tmp)
        (work / "launch.py").write_text(LAUNCHER.format(root=str(ROOT), script=str(ROOT / "regulation.py")))
        config = work / "config.ini"
        config.write_text(CONFIG.format(port=broker.port, dir=work, root=ROOT))
        os.chmod(config, 0o600)
        started = time.time()
        daemon = subprocess.Popen([sys.executable, str(work / "launch.py"), f"{speed:g}",
                                   f"{start_dt.timestamp() + 0.0:.3f}", "-c", str(config)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        commanded = {"ecs": 0.0, "radiator": 0.0, "towel": 0.0}

        def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
            text = msg.payload.decode("utf-8", "replace")
            if msg.topic == "regul/vload/ECS/cmd":
                commanded["ecs"] = 30.0 * float(text) if text.replace(".", "", 1).isdigit() else 0.0
            elif msg.topic == "cmnd/radiator/POWER":
                commanded["radiator"] = 1050.0 if text == "ON" else 0.0
            elif msg.topic.startswith("shellies/towel"):
                commanded["towel"] = 600.0 if text == "on" else 0.0

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="soak-house")
        client.on_message = on_message
        client.connect(broker.host, broker.port)
        client.subscribe([("regul/vload/ECS/cmd", 0), ("cmnd/radiator/POWER", 0), ("shellies/towel/#", 0)])
        client.loop_start()
        cons, prod = PzemMeter("power"), PzemMeter("power")
        print(f"speed x{speed:.0f} (a simulated day in {args.day_s:g} s), {args.junk} junk messages per reading pair")
        print(f"{'simulated time':<17} {'RSS kB':>8} {'threads':>7} {'fds':>4} {'log kB':>7} {'records':>7}"
              f" {'status kB':>9}")
        n = 0
        next_sample = 0.0
        flooded: set[object] = set()
        try:
            time.sleep(2.0)
            while daemon.poll() is None:
                real = time.time() - started
                sim = start_dt + timedelta(seconds=real * speed)
                if sim >= start_dt + timedelta(days=args.days):
                    break
                hour = sim.hour + sim.minute / 60
                production = max(0.0, 4500 * math.sin(math.pi * (hour - 7) / 13)) if 7 < hour < 20 else 0.0
                house = 350 + 200 * math.sin(n / 9) + sum(commanded.values())
                client.publish("smeter/pzem/PRODUCTION", prod.reading(production, READING_EVERY_S * speed))
                client.publish("smeter/pzem/CONSOMMATION", cons.reading(house, READING_EVERY_S * speed))
                for topic, payload in _junk(n, sim)[:args.junk]:
                    client.publish(topic, payload)
                if args.flood and sim.date() not in flooded and sim.hour >= 12:
                    flooded.add(sim.date())
                    for k in range(args.flood):
                        client.publish("regul/mode", f"flood {n} {k}".encode())
                n += 1
                if real >= next_sample:
                    rss, threads, fds = _proc(daemon.pid)
                    logs = sum(p.stat().st_size for p in work.glob("pyseb.log*")) // 1024
                    records = len(list((work / "records").glob("*"))) if (work / "records").exists() else 0
                    status = (work / "status.json").stat().st_size / 1024 if (work / "status.json").exists() else 0
                    print(f"{sim:%Y-%m-%d %H:%M} {rss:>8} {threads:>7} {fds:>4} {logs:>7} {records:>7} "
                          f"{status:>9.1f}", flush=True)
                    next_sample += args.day_s / 4
                time.sleep(READING_EVERY_S)
        finally:
            client.loop_stop()
            client.disconnect()
            if daemon.poll() is None:
                daemon.terminate()
                try:
                    daemon.wait(20)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()
            print(f"daemon exit code {daemon.returncode}; {n} reading pairs")
            lines = [line for path in sorted(work.glob("pyseb.log*"), reverse=True)
                     for line in path.read_text(errors="replace").splitlines()]
            # The lines by kind (level, logger and the start of the text, digits left out): a condition logged at
            # every reading shows as a kind with thousands of lines.
            kinds = Counter(re.sub(r"[\d.]+", "#", " ".join(line.split()[2:])[:90]) for line in lines)
            print(f"log files kept: {len(lines)} lines; the most frequent kinds:")
            for kind, count in kinds.most_common(args.kinds):
                print(f"  {count:>6}  {kind}")
            print("the last lines:")
            print(textwrap.indent("\n".join(line[:220] for line in lines[-6:]), "  "))
    return 0


if __name__ == "__main__":
    try:
        main()
    except BrokerError as exc:  # (a figure-printing bench: it says why it has none, and never fails)
        print(f"no soak: {exc}")
    sys.exit(0)
