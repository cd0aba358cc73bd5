"""The broker and the topics of the one load a sweep (or the house meter's lag measure) drives and reads, as
calibration.sweep_config reads them from the daemon's INI file."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SweepTarget"]


@dataclass(frozen=True, slots=True)
class SweepTarget:
    """The broker and the topics of the one load being calibrated."""

    name: str
    config_dir: Path
    host: str
    port: int
    keepalive_s: int
    username: str | None
    password: str | None = field(repr=False)  # (never shown: a traceback or a debug print of the target)
    tls: bool
    ca_file: str | None
    cert_file: str | None
    key_file: str | None
    topic_set_power: str
    topic_read_power: str
    json_read_power: str
    topic_availability: str
    topic_status: str | None = None  # the load's own `topic_status` key, when its config sets one
    # [evaluate] frozen_meter, the daemon's: a reading that repeats the last one byte for byte is no new reading
    frozen_meter: bool = True
    # [evaluate] max_meter_power, the daemon's: a reading above it is a glitch, not the load's watts
    max_meter_power_w: float = 30000.0
    calibration: str | None = None  # the load's `calibration` key as written, when its config sets one
    # Said when topic_set_power has the shape of the variator's status topic (the daemon's check warns of it too)
    command_topic_note: str | None = None
    # The daemon's warnings about what the sweep reads ([mqtt], the two [evaluate] keys), one line each with the file
    config_warnings: tuple[str, ...] = ()
    # [evaluate] settle, read for the lag measure only (None for a sweep): what its advice compares with
    settle_s: float | None = None
    # The variator answers every command on its status topic (PROTOCOL.md's firmware); False (`sweep --no-answers`):
    # a firmware that publishes no answers, swept as a load without a status topic is
    answers: bool = True

    def mosquitto_pub(self, *words: str) -> str:
        """The mosquitto_pub command line a message tells the user to run against this broker (`words`: the rest of
        it, `-t TOPIC -m on`): with its host and port (without, it goes to localhost:1883, maybe another broker), and a
        note for the user and TLS options it cannot show (no password in a message)."""
        credentials = " (with your broker's user and TLS options)" if self.username or self.tls else ""
        return shlex.join(["mosquitto_pub", "-h", self.host, "-p", str(self.port), *words]) + credentials

    @property
    def topic_variator_status(self) -> str | None:
        """The variator's status topic, as the daemon takes it: the load's `topic_status`, else
        `regul/vload/ECS` for commands on `regul/vload/ECS/cmd`; None if neither, or if it publishes no answers."""
        if not self.answers:
            return None
        if self.topic_status is not None:
            return self.topic_status
        return self.topic_set_power[: -len("/cmd")] if self.topic_set_power.endswith("/cmd") else None
