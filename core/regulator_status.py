"""The regulator's status, apart from its routing: the document built (status.document), published on the status
topic as JSON or handed to a replay's sink as the document itself, kept as the last one published; the last decision's
summary it shows.

A mixin of `core.regulator.Regulator`, as `core.life_cycle` is: the regulator's interface (the daemon, the tests and
the simulator call `reg.status`, `reg.publish_status`), acting on its state (declared below, set by
`Regulator.__init__`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from core.decision_summary import DecisionSummary
from core.status_pacing import StatusPacing
from equipments.base import Equipment
from equipments.load_command import Publish
from field.features import FieldFeatures
from settings.config import Settings
from status.document import build_status
from status.view import RegulatorView
from values.status_json import STATUS_JSON

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows, so it stays what it was.
log = logging.getLogger("core.regulator")


class RegulatorStatus:
    """The status document and its publication: the part of `Regulator` that shows its state."""

    # The regulator's state these use (set by Regulator.__init__).
    settings: Settings
    _publish: Publish
    _status_sink: Callable[[dict[str, Any]], None] | None
    loads: tuple[Equipment, ...]
    field: FieldFeatures
    _status_pacing: StatusPacing
    _last_decision: str | DecisionSummary
    last_status: dict[str, Any] | None

    @property
    def last_decision(self) -> str:
        """The last decision's one-line summary (the status's last_decision)."""
        return str(self._last_decision)

    def status(self, now: float, clean: bool = True) -> dict[str, Any]:
        """The status document, as it would be published (`clean=False`: see build_status)."""
        for load in self.loads:
            load.accumulate_energy(now)
        return build_status(cast(RegulatorView, self), now, clean)  # (the whole Regulator is one)

    def publish_status(self, now: float) -> None:
        """Publish the status document on the status topic."""
        sink = self._status_sink
        try:
            document = self.status(now, clean=False)
            if sink is None:
                try:
                    payload = STATUS_JSON.encode(document)
                except ValueError:  # a NaN or an infinity in a part: the document again, each such value null
                    document = self.status(now)
                    payload = STATUS_JSON.encode(document)
        except ValueError as exc:
            log.error("status not published: %s", exc)
            return
        self.last_status = document  # a fresh dict, never mutated: the daemon hands it to its saver
        self._status_pacing.published(now)
        if sink is None:
            try:
                self._publish(self.settings.mqtt.topic_status, payload, False)
            except Exception as exc:  # paho's ValueError, ...: the next status replaces it (raised, it broke off the
                # decision or the reconnect that published it)
                log.warning("status not published: %s", exc)
        else:
            sink(document)
        self.field.after_status(document)

