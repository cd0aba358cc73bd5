"""The Home Assistant link wired into the regulator: discovery configs (re-sent on each connect and on HA's
birth message), configs of entities that no longer exist removed (all of an earlier run's, discovery off; those an
earlier run announced under another prefix, node id or topic_regul, which the status file says), one retained state
document after each status, and the controls' command topics, handed to HomeAssistantControls
(field/homeassistant_controls.py: every control goes through the validation of regul/mode or of the heater-mode
selector; a refused command is logged and changes nothing). Where the last run announced, and the removal of what it
left elsewhere: EarlierAnnouncement (field/homeassistant_moved.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from equipments.base import Equipment
from equipments.constant import RelayEquipment

# (FORCED_BY_HOMEASSISTANT: imported from here by field.features and field.forcers, the link's public name)
from field.homeassistant_controls import FORCED_BY_HOMEASSISTANT as FORCED_BY_HOMEASSISTANT
from field.homeassistant_controls import HomeAssistantControls
from field.homeassistant_moved import EarlierAnnouncement, is_config
from field.water_heater import HeaterControl
from integrations.domoticz_control import EcsMode
from integrations.homeassistant import (
    LoadInfo,
    Topics,
    announced_by,
    announced_by_another,
    build_entities,
    config_payload,
    dumps,
    state_document,
)
from integrations.homeassistant_settings import HomeAssistantSettings

log = logging.getLogger(__name__)

# Discovery is sent again at most this often for HA's birth message (its configs are retained: a restarting HA
# reads them anyway; they go again for a broker that lost them).
REANNOUNCE_GAP_S = 30.0
# A birth message this soon after the connect's own announcement, with no `offline` between, is the retained copy of
# HA's last one, which the broker delivers at each subscribe (HA's birth may be set to retain): every config went out
# twice at each connect. HA restarting meanwhile reads the configs, retained, anyway.
CONNECT_ECHO_S = 5.0

Send = Callable[[str, str, bool], None]  # (topic, payload, retain)


class HomeAssistantBridge:
    """Discovery, state and controls for one regulator's loads; `send` publishes."""

    def __init__(self, settings: HomeAssistantSettings, loads: Sequence[Equipment], heater: HeaterControl | None,
                 tank_loads: set[str], topic_regul: str, availability: str, meter_timeout_s: float,
                 sw_version: str, send: Send, on_heater_mode: Callable[[EcsMode, float], None] | None = None) -> None:
        self.enabled = settings.discovery
        self.meter_timeout_s = meter_timeout_s
        self.sw_version = sw_version
        self.device_name = settings.name
        self._send = send
        self.infos = [LoadInfo(load.name, load.max_force_power_w(), load.name in tank_loads,
                               isinstance(load, RelayEquipment)) for load in loads]
        self.controls = HomeAssistantControls({load.name: load for load in loads}, self.infos, heater, on_heater_mode)
        self.topics = Topics(settings.prefix, settings.node_id, f"{topic_regul}/ha", availability)
        self._births = self.topics.births  # (once: handles() runs for every message)
        self.entities = build_entities(self.infos, heater.heater.name if heater is not None else None)
        self._configs = {self.topics.config(entity) for entity in self.entities}
        self._controls = {self.topics.command(e): e for e in self.entities if e.command is not None}
        self._last_status: dict[str, Any] | None = None
        self._last_state: str | None = None
        # The broker link is down: no state is sent (retained at QoS 1, each waited in paho, which keeps them without
        # a bound, until the link was back: one a status while a forced load's energy changed); the connect's own
        # state, sent after the announcement, carries what changed meanwhile.
        self._link_down = False
        self._reannounced_at = float("-inf")  # the last discovery sent again for a birth message
        self._connected_at = float("-inf")  # the connect's announcement (-inf: `offline` heard since)
        self._states_removed: set[str] = set()  # the state documents an earlier run left, removed (once each)
        self._node_source = settings.node_source
        self._another_said = False  # another PySEB announcing under this node id: said once a run
        # Where the last run announced (the status file says), and its configs removed when that was elsewhere.
        self._moved = EarlierAnnouncement(self.topics, self.enabled, self._configs, send, self._remove_state)

    # --- topics -------------------------------------------------------------------------------------------
    def forces(self, name: str) -> bool:
        """True when Home Assistant has a force switch for load `name` (discovery on, its entities not left out)."""
        return self.enabled and any(e.command == "force" and e.load == name for e in self.entities)

    def subscriptions(self) -> tuple[str, ...]:
        """HA's birth message, our own configs (to find stale ones), those an earlier run announced elsewhere (and its
        availability topic: another PySEB there now?) and the controls' command topics; with discovery off, our own
        configs and the earlier run's only (to remove)."""
        earlier = (*self._moved.filters(), *self._moved.watched())
        if not self.enabled:
            return (self.topics.own_configs, *earlier)
        return (*self._births, self.topics.own_configs, *earlier, *self._controls)

    def refused(self, topic: str) -> str | None:
        """What the broker's refusal of the subscription to `topic` costs, when a topic of the earlier run's
        (EarlierAnnouncement.refused); None otherwise."""
        return self._moved.refused(topic)

    def live_only_topics(self) -> set[str]:
        """Command topics: a retained command is old news (it would come back at every reconnect)."""
        return set(self._controls) if self.enabled else set()

    def handles(self, topic: str) -> bool:
        """True for a topic `handle` reads."""
        moved = self._moved.is_config(topic) or self._moved.is_availability(topic)
        if not self.enabled:
            return self._is_config(topic) or moved
        return topic in self._births or topic in self._controls or self._is_config(topic) or moved

    def _is_config(self, topic: str) -> bool:
        return is_config(self.topics, topic)

    # --- messages -----------------------------------------------------------------------------------------
    def on_connected(self, now: float) -> None:
        """Announce every entity (retained: HA reads them whenever it starts), connected at `now`; after a change of
        prefix or node id, once the earlier run's configs had time to come back (tick)."""
        self._link_down = False
        waiting = self._moved.connected(now)  # (the earlier configs removed first: see EARLIER_WAIT_S)
        if not self.enabled:
            return
        self._connected_at = now
        if not waiting:
            self._announce()

    def tick(self, now: float) -> None:
        """The earlier run's configs read back EARLIER_WAIT_S after the connect (their removal sent as they came):
        this run's announcement, if it waited for them (EarlierAnnouncement.tick)."""
        if self._moved.tick(now, self._link_down):
            self._announce()

    def on_disconnected(self) -> None:
        """The broker link dropped: states wait for the connect (see `_link_down`)."""
        self._link_down = True

    def _announce(self) -> None:
        self._moved.waiting = False
        for entity in self.entities:
            self._send(self.topics.config(entity), json.dumps(config_payload(entity, self.topics, self.sw_version,
                                                                             self.device_name)), True)
        log.info("Home Assistant: %d entities announced under %s/", len(self.entities), self.topics.prefix)
        self._last_state = None  # the broker may have lost it: send the next state even if unchanged

    def handle(self, topic: str, payload: bytes, now: float, retained: bool = False) -> bool:
        """One message on a topic of ours; True when the regulator should publish a status (and state). `retained`:
        the broker's copy, from before this connect."""
        if self._moved.is_availability(topic):
            self._moved.availability(payload)  # (another PySEB at the old place now?)
            return False
        if self.enabled and not retained and self._is_config(topic):  # (off, it announces nothing: no collision)
            self._another_instance(topic, payload)
        # (retained only: a live one is another PySEB's, still running there)
        if retained and self._moved.handle(topic, payload, self._is_config(topic)):
            return False  # (an earlier run's config under another prefix, node id or topic_regul: removed)
        if not self.enabled:
            self._remove_if_announced_by_us(topic, payload)
            return False
        if topic in self._births:
            if payload.strip() != b"online":
                self._connected_at = float("-inf")  # (HA went: its next `online` is a restart, whenever it comes)
                return False
            if self._moved.waiting:
                # (announced now, the earlier run's configs were removed after it: HA gave every new entity whose id
                # an old one held a _2; the wait's end announces, to the HA subscribed by then)
                log.debug("Home Assistant: its birth message while the earlier run's configs are read back: "
                          "discovery sent at the wait's end")
                return False
            if 0 <= now - self._connected_at < CONNECT_ECHO_S:
                log.debug("Home Assistant: its birth message just after the connect's announcement (retained): "
                          "discovery not sent again")
                return False
            if 0 <= now - self._reannounced_at < REANNOUNCE_GAP_S:  # (negative: a clock stepped back since)
                # (anyone on the broker can send "online": each one made every config go out again)
                log.debug("Home Assistant: another birth message within %g s: discovery not sent again",
                          REANNOUNCE_GAP_S)
                return False
            self._reannounced_at = now
            log.info("Home Assistant (re)started: discovery sent again", extra={"limit_key": topic})
            self._announce()
            return True
        control = self._controls.get(topic)
        if control is not None:
            return self.controls.command(control, topic, payload, now)
        if topic not in self._configs and announced_by(self.topics, topic, payload):
            # A config this node announced for an entity that no longer exists (a load removed from the
            # config): an empty retained payload removes the entity from HA and the message from the broker. Ours
            # only: another instance's or tool's under the same node id was deleted as soon as it announced it.
            log.info("Home Assistant: removing %s (no longer configured)", topic,
                     extra={"limit_key": "homeassistant removal"})
            self._send(topic, "", True)
        return False

    def _another_instance(self, topic: str, payload: bytes) -> None:
        """A config announced now under this node id by another PySEB: two instances whose node ids are one (client
        ids "pyseb-2" and "pyseb_2" both make pyseb_2) are one device in HA, each announcement replacing the other's
        entities, their states shown by turns, without a word. Live messages only: a retained one may be an earlier
        run's of this instance, under a topic_regul since changed (replaced by this run's announcement)."""
        if self._another_said:
            return
        other = announced_by_another(self.topics, topic, payload)
        if other is None:
            return
        self._another_said = True
        made_of = f" (made of {self._node_source}: only a-z, digits and _ are kept)" if self._node_source else ""
        log.warning("Home Assistant: another PySEB (availability topic %s; this one's %s) announces its entities "
                    "under node id %r, this PySEB's%s: Home Assistant takes the two for one device, each "
                    "announcement replacing the other's entities; set [homeassistant] node_id to a name of its own "
                    "on one of them (said once)", other, self.topics.availability, self.topics.node_id, made_of)

    def _remove_if_announced_by_us(self, topic: str, payload: bytes) -> None:
        """Discovery off: a config an earlier run with it on left retained is removed (an empty retained payload,
        HA's way to delete an entity); kept, its entities stayed in HA for good, `online`, with its last state."""
        if not announced_by(self.topics, topic, payload):
            return
        log.info("Home Assistant: discovery is off: removing %s, announced by an earlier run", topic,
                 extra={"limit_key": "homeassistant removal"})
        self._send(topic, "", True)
        self._remove_state(self.topics.state)  # (its retained state document too: no entity reads it any more)

    def _remove_state(self, topic: str) -> None:
        """The retained state document on `topic`, which no entity reads any more, removed (once a run)."""
        if topic not in self._states_removed:
            self._states_removed.add(topic)
            self._send(topic, "", True)

    def status(self) -> dict[str, Any]:
        """Top-level fields of the status document: where this run's entities are announced (EarlierAnnouncement)."""
        return self._moved.status()

    def restore_announced(self, record: Any, left: Any = None) -> list[str]:
        """Where an earlier run announced, from a status file's `ha_discovery`, and the old places whose configs it
        left alone, its `ha_discovery_left_alone` (EarlierAnnouncement.restore)."""
        return self._moved.restore(record, left)

    def after_status(self, status: dict[str, Any]) -> None:
        """The state document for the status just published (retained; skipped when unchanged)."""
        if not self.enabled:
            return
        self._last_status = status
        if self._link_down:
            return
        state = dumps(state_document(status, self.meter_timeout_s, self.infos, self.controls.setpoints))
        if state != self._last_state:
            self._last_state = state
            self._send(self.topics.state, state, True)

    # --- controls and what a restart keeps: HomeAssistantControls ------------------------------------------------
    def load_status(self, name: str) -> dict[str, Any]:
        """The force switch's settings of load `name`, for the status file (restored at start)."""
        return self.controls.load_status(name) if self.enabled else {}

    def restore(self, entries: Any) -> list[str]:
        """The force switches' settings from a status file's `equipments` (HomeAssistantControls.restore)."""
        return self.controls.restore(entries) if self.enabled else []
