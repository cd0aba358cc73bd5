#!/usr/bin/env python3
"""Benchmark of the live daemon through a real (private) mosquitto: start-until-subscribed time,
reading->command latency p50/p99 over N readings, and the daemon's RSS. Prints figures; asserts nothing.

    .venv/bin/python bench/latency.py [--readings 1000] [--pause-ms 11] [--timeout-s 2]

(`--pause-ms` spaces the pairs, `--timeout-s` is how long each one's command is waited for: the test suite runs 20
pairs 500 ms apart, each waited for 10 s, to check that every pair is decided on whatever the machine's load.)
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402

from localbroker import PrivateBroker  # noqa: E402
from shell import paho_compat  # noqa: E402
from shell.link_callbacks import set_nodelay  # noqa: E402

CONFIG = """
[mqtt]
host = 127.0.0.1
port = {port}
client_id = pyseb-bench
[evaluate]
period = 0.01
meter_timeout = 30
; The closed loop waits `settle` (1 s) after a command for a house reading that can show it. Here each house
; reading is sent once the last command has arrived, 11 ms apart: with the default, most readings got no
; decision and were timed at the 2 s timeout. 0 keeps the rule (a house reading from after the command).
settle = 0
[status]
file = status.json
[logging]
level = WARNING
[equipments]
ecs = variable
radiator = constant
[ecs]
topic_set_power = regul/vload/ECS/cmd
calibration = {calibration}
[radiator]
max_power = 1000
topic_set_power = cmnd/radiator/POWER
"""

TARGETS = {"p99_ms": 10.0, "rss_mb": 40.0, "start_s": 1.0}


_readings = itertools.count()


def reading(power_w: float) -> str:
    # The energy counter advances, as a real meter's does: the very same bytes twice is a frozen meter.
    energy_wh = 1234.0 + next(_readings) * 0.01
    return (f'{{ "voltage": 231.40, "current": 1.23, "power": {power_w:.2f}, "energy": {energy_wh:.2f}, '
            f'"frequency": 50.00, "powerfactor": 0.98, "ppm_err": 0}}')


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1000, help="reading pairs to time (default 1000)")
    # (the test suite's: every pair gets its command, whatever the machine's load. The bench's swings are taken for
    # hunting, which raises the wait for evidence to 0.75 of the meter's pace: at 11 ms that left the daemon 2 ms, and
    # a busy 2-core CI machine's had no decision for 5 pairs of 20, "5 without a command within 2 s")
    parser.add_argument("--pause-ms", type=float, default=11.0,
                        help="pause between two pairs (default 11 ms: the daemon's 10 ms period, and a little)")
    parser.add_argument("--timeout-s", type=float, default=2.0,
                        help="how long a pair's command is waited for (default 2 s)")
    args = parser.parse_args()
    if args.pause_ms < 11.0 or args.timeout_s <= 0:
        parser.error("--pause-ms must be at least 11 (the daemon decides once a period, 10 ms) and --timeout-s over 0")
    with PrivateBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.ini"
        config.write_text(CONFIG.format(port=broker.port,
                                        calibration=ROOT / "calibration" / "power_calibration_ECS-04.csv"))
        received: dict[str, float] = {}
        got = threading.Condition()
        online_at: list[float] = []

        def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
            with got:
                if msg.topic == "regul/availability" and msg.payload == b"online":
                    online_at.append(time.perf_counter())
                elif msg.topic == "regul/vload/ECS/cmd":
                    received[msg.payload.decode()] = time.perf_counter()
                got.notify_all()

        client = paho_compat.new_client()
        client.on_message = on_message
        client.on_socket_open = lambda c, u, sock: set_nodelay(sock)
        client.connect(broker.host, broker.port)
        client.subscribe([("regul/availability", 0), ("regul/vload/ECS/cmd", 0)])
        client.loop_start()
        time.sleep(0.3)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "regulation.py"), "-c", str(config)], cwd=tmp)
        try:
            with got:
                if not got.wait_for(lambda: online_at, timeout=30):
                    print("daemon did not come online", file=sys.stderr)
                    return 1
            start_s = online_at[0] - started
            time.sleep(0.5)
            latencies_ms: list[float] = []
            for i in range(args.readings):
                # alternate a large import (the heater is shed to 0) and a surplus (the heater takes
                # it): every decision then sends a new command, whose arrival is timed
                importing = i % 2 == 1  # starts with a surplus: the heater starts at 0 W
                consumption_w = 4000.0 if importing else 300.0
                production_w = 300.0 if importing else 300 + 800 + (i % 400) + 20
                client.publish("smeter/pzem/CONSOMMATION", reading(consumption_w), qos=0)
                with got:
                    received.clear()
                sent = time.perf_counter()
                client.publish("smeter/pzem/PRODUCTION", reading(production_w), qos=0)
                with got:
                    if got.wait_for(lambda: bool(received), timeout=args.timeout_s):
                        latencies_ms.append((min(received.values()) - sent) * 1000)
                time.sleep(args.pause_ms / 1000)  # the daemon decides at most once per period (10 ms here)
            rss = rss_mb(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            client.disconnect()
            client.loop_stop()
    if not latencies_ms:
        print("no command received", file=sys.stderr)
        return 1
    # A reading whose command never came (2 s) is counted in the percentiles as 2000 ms, not dropped.
    missed = args.readings - len(latencies_ms)
    latencies_ms.extend([args.timeout_s * 1000] * missed)
    latencies_ms.sort()
    p50 = statistics.median(latencies_ms)
    p99 = latencies_ms[min(len(latencies_ms) - 1, int(0.99 * len(latencies_ms)))]
    print(f"readings timed:         {args.readings} ({missed} without a command within {args.timeout_s:g} s)")
    print(f"reading->command p50:   {p50:.2f} ms")
    print(f"reading->command p99:   {p99:.2f} ms   (target <= {TARGETS['p99_ms']:.0f} ms: "
          f"{p99 / TARGETS['p99_ms']:.2f} of it)")
    print(f"daemon RSS:             {rss:.1f} MB   (target <= {TARGETS['rss_mb']:.0f} MB: "
          f"{rss / TARGETS['rss_mb']:.2f} of it)")
    print(f"start until subscribed: {start_s:.2f} s   (target <= {TARGETS['start_s']:.0f} s: "
          f"{start_s / TARGETS['start_s']:.2f} of it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
