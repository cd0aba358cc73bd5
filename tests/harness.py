"""An in-process regulator with a recording publish function and simulated time."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regulation import Regulator
from tests.configs import reading

CONS, PROD, MODE = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/mode"
T0 = 1_700_000_000.0  # 2023-11-14 23:13:20 in Paris: keep tests clear of midnight unless they mean it
NOON = 1_699_959_600.0  # 2023-11-14 12:00:00 Europe/Paris


@dataclass
class Harness:
    """Drives a Regulator built from a config file; `sent` records every publish."""

    config: Path
    sent: list[tuple[str, str, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reg = Regulator.from_config(self.config, publish=self.publish)

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        """The publish function the regulator and its loads were given: records (a test wraps it to refuse some)."""
        text = payload.decode() if isinstance(payload, bytes) else payload
        self.sent.append((topic, text, retain))

    def meters(self, consumption_w: float, production_w: float, now: float) -> None:
        """Both meters report (consumption first, production a moment later)."""
        self.reg.handle(CONS, reading(consumption_w), now)
        self.reg.handle(PROD, reading(production_w), now + 0.01)

    def on(self, topic: str) -> list[str]:
        """Payloads published on `topic`, oldest first."""
        return [p for t, p, _ in self.sent if t == topic]

    def last(self, topic: str) -> str | None:
        """The last payload on `topic`."""
        payloads = self.on(topic)
        return payloads[-1] if payloads else None

    def statuses(self) -> list[dict[str, Any]]:
        """Every status document published."""
        return [json.loads(p) for p in self.on("regul/status")]

    def load(self, name: str) -> Any:
        """A load of the regulator, by name."""
        return self.reg.loads_by_name[name]
