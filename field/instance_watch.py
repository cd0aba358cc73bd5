"""Another publisher on this instance's status topic: two PySEB instances given one [mqtt] topic_regul (or the
seed's power_regulation.py beside PySEB) share their status, mode commands, availability and Home Assistant state
and controls, and undo each other's. Nothing in one config can show it; the status topic can: each status PySEB
publishes names its instance ([mqtt] client_id, one connection per id on a broker), and a live status naming
another, or none, is someone else's. Said once, with what to change."""

from __future__ import annotations

import json
import logging

from values.status_json import STATUS_INSTANCE_KEY, instance_fragment

log = logging.getLogger(__name__)


class InstanceWatch:
    """Reads the status topic (live messages only: a retained one is an earlier run's, maybe of an older
    version) for statuses that are not this instance's."""

    def __init__(self, topic_status: str, client_id: str) -> None:
        self.topic = topic_status
        self.client_id = client_id
        # Our own status holds these very bytes (written by the status's own encoder): found, the message is ours
        # and is not parsed (every status comes back to us).
        self._own_marker = instance_fragment(client_id)
        self.said = False

    def status(self) -> dict[str, str]:
        """The status document's field naming this instance."""
        return {STATUS_INSTANCE_KEY: self.client_id}

    def handle(self, payload: bytes) -> None:
        """A live message on the status topic."""
        if self.said or self._own_marker in payload:
            return
        try:
            document = json.loads(payload)
        except (ValueError, RecursionError):  # (UnicodeDecodeError is a ValueError; RecursionError: [[[...]]])
            document = None
        self.said = True
        if _the_seeds(document):
            # (the seed left running beside PySEB, its cron line kept: both drive the same loads; a topic of its own
            # for each, the advice for two PySEBs, would hide that and leave them at it)
            # (Coturex's fork runs as regulation.py, from its /etc/init.d/pv_router service or a cron line)
            log.warning("the seed (Hébert's power_regulation.py or Coturex's regulation.py: a status without PySEB's "
                        "schema_version) publishes on %s, this PySEB's status topic: it most likely drives the same "
                        "loads, each undoing the other's commands; stop it for good: its cron line (crontab -e), "
                        "Coturex's service (sudo systemctl disable --now pv_router); pgrep -af regulation lists it "
                        "(this PySEB too) (said once)", self.topic)
            return
        other = document.get(STATUS_INSTANCE_KEY) if isinstance(document, dict) else None
        who = (f"another PySEB (client id {str(other)[:60]!r})" if isinstance(other, str) else
               "something else (a PySEB older than 2026-12-02, or a test)")
        log.warning("%s publishes on %s, this PySEB's status topic (client id %r): two regulators on one "
                    "[mqtt] topic_regul share their status, mode commands (a force reaches both), availability and "
                    "Home Assistant state and controls; give each instance its own topic_regul (said once)",
                    who, self.topic, self.client_id)


def _the_seeds(document: object) -> bool:
    """Whether a status is the seed's: its list of loads, without the schema_version every PySEB status has had
    since 2026-11-24."""
    return (isinstance(document, dict) and isinstance(document.get("equipments"), list)
            and "schema_version" not in document and STATUS_INSTANCE_KEY not in document)
