"""The Domoticz link wired into the regulator: grid and injection sensors after each decision, the water
heater's mode selector, and one force switch per load. At each connect Domoticz is asked what each switch is
(again until it answers: its first update of the switch since is the answer, however late); the regulator's own
force changes are then shown on the switches (reconcile); changes that came from a switch are not sent back, and
echoes are ignored. The requests' waits and what makes an update an answer: field/domoticz_answers.py; the mode
selector's updates read and a mode shown on it: field/domoticz_selector.py; the force switches' changes read and the
loads' forces shown on them: field/domoticz_switches.py (mixins of DomoticzBridge)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import tzinfo

from equipments.base import Equipment
from field.domoticz_answers import ANSWER_WAIT_S, Asked, Switch, judge_update, past_burst, say_late_answer
from field.domoticz_keep_alive import KeepAlive
from field.domoticz_selector import ModeSelectorLink

# (FORCED_BY_DOMOTICZ: imported from here by field.forcers, the link's public name)
from field.domoticz_switches import FORCED_BY_DOMOTICZ as FORCED_BY_DOMOTICZ
from field.domoticz_switches import ForceSwitchLinks
from field.water_heater import HeaterControl
from integrations.domoticz import DomoticzDevice, GridPublisher, Message, parse_domoticz_out, split_grid
from integrations.domoticz_control import EcsMode, EcsModeSelector, ForceLink
from integrations.domoticz_echoes import EchoQueue
from integrations.domoticz_settings import DomoticzSettings

log = logging.getLogger(__name__)

# Seconds within which the same bytes under topic_out, on another of its topics, are one update's copies (published
# back to back, one per topic of Domoticz's publish scheme).
COPY_WINDOW_S = 2.0
# ... on the same topic: two gateways of one Domoticz on the broker (two MQTT Client Gateways, one with MySensors')
# publish each update twice there, at once; a user's second click cannot come this soon.
SAME_TOPIC_COPY_S = 0.3
# The topics one update's copies are kept with, at most: a publish scheme gives a few ("Flat + Floor/Room", by idx, by
# name). More is someone sending it again and again under topic_out on ever new subtopics: kept, each copy (they
# restart the window) grew the set for as long as that lasted; the ones past this are copies all the same.
MAX_COPY_TOPICS = 16


class DomoticzBridge(ModeSelectorLink, ForceSwitchLinks):
    """Everything the regulator exchanges with Domoticz; `send` publishes (topic, payload)."""

    def __init__(self, ds: DomoticzSettings, loads: Sequence[Equipment], heater: HeaterControl | None,
                 send: Callable[[Message], None], tz: tzinfo | None = None) -> None:
        self.settings = ds
        self.heater = heater
        self._publish = send
        self.grid = (GridPublisher(ds.topic_in, ds.idx_grid, ds.idx_injection, ds.send_grid, ds.send_injection,
                                   ds.keepalive_s) if ds.send else None)
        self.selector = (EcsModeSelector(ds.idx_ecs_mode, ds.ecs_mode_levels, ds.ecs_mode_default, ds.topic_in)
                         if ds.idx_ecs_mode and heater is not None else None)
        self.keep_alive = KeepAlive(ds.idx_keep_alive, ds.topic_in, tz) if ds.idx_keep_alive else None
        self._switches = [Switch(load, ForceLink(load.name, idx, ds.topic_in, echoed=not ds.prevent_loop), False)
                          for load in loads if (idx := load.options.get("domoticz_idx_force") or 0)]
        # (fixed here: without a switch, `reconcile`, at every message and tick, has nothing to show)
        self.has_force_switches = bool(self._switches)
        # Each device's last update read under topic_out, and when (by device: junk or another device's update between
        # two copies of one made the second an order).
        # (with the topics it came on so far: a copy comes on another one)
        self._last_out: dict[int, tuple[bytes, float, set[str | None]]] = {}
        self._reading_idx: int | None = None  # the device whose update on_out is reading
        self._watched = {switch.link.idx for switch in self._switches} | (set() if self.selector is None
                                                                          else {self.selector.idx})
        self._asked: Asked | None = None  # the selector's state asked for, no answer yet
        # The broker link is down: nothing is shown on the switches (the daemon drops what is published then, and an
        # echo awaited for an update never sent swallowed a user's same update after the reconnect), no sensor sent;
        # the connect asks each switch, and shows its load's state from the answer.
        self._link_down = False
        # A mode chosen in Home Assistant that the selector has not been seen to show (no level maps to it, or its Set
        # Level lost, Domoticz down): the level an answer hands back at a reconnect is older, and set it back.
        self._unshown: EcsMode | None = None
        # (prevent_loop = false) the levels shown on the selector whose echo is awaited: the echo of a mode chosen in
        # Home Assistant, coming after a second choice there, set the first again
        self._mode_echoes: EchoQueue[int | None] = EchoQueue(f"water-heater mode selector idx {ds.idx_ecs_mode}",
                                                             lambda level: f"level {level}")
        # The levels sent to the selector in the last ECHO_WAIT_S (show_mode), when, and whether as a choice sent back
        # (_crossed): a user's choice read then may have crossed them
        self._levels_sent: list[tuple[int | None, float, bool]] = []

    def _send(self, message: Message) -> None:
        """Publish `message` to Domoticz. A device PySEB shows a state on (or asks about) has its last update
        forgotten: under Prevent Loop the state shown is never echoed, so a user's next update in the same bytes as
        the one before (a Domoticz without LastUpdate sends no other) was taken for a copy of it, and dropped (a
        repeat On within 2 s of PySEB's Off: the switch On, the load not forced). Not while reading an update of that
        device: what PySEB sends in answer to it comes between its copies."""
        self._publish(message)
        try:
            idx = json.loads(message[1]).get("idx")
        except (ValueError, AttributeError):
            return
        if isinstance(idx, int) and idx != self._reading_idx:
            self._last_out.pop(idx, None)

    def forces(self, name: str) -> bool:
        """True when load `name` has a Domoticz force switch (`domoticz_idx_force`)."""
        return any(switch.load.name == name for switch in self._switches)

    def subscriptions(self) -> tuple[str, ...]:
        """Domoticz's out topic and its subtopics, when a device of it steers the regulator."""
        return self.settings.subscriptions() if self.selector or self._switches else ()

    def live_only_topics(self) -> set[str]:
        """Domoticz's out topic and subtopics: a retained update there is old news. Domoticz retains them with its
        "(with Retain)" publish topics, and with its Prevent Loop the states PySEB showed since never replaced them
        (a user's On of hours ago forced the load again at each restart). PySEB shows its switches' states and
        asks for the selector's level at each connect, and the answer comes live."""
        return set(self.subscriptions())

    def handles(self, topic: str) -> bool:
        """True for a message from Domoticz this link reads."""
        return bool(self.selector or self._switches) and self.settings.is_out_topic(topic)

    def on_connected(self, now: float) -> None:
        """After each (re)connect: ask for the selector's level and what every force switch is; each switch is shown
        its load's state once Domoticz answered (an "On" sent to a selector before knowing it is one takes it to its
        last level, level 0 if never set above). The sensors' values go once more a minute later (GridPublisher)."""
        self._link_down = False
        if self.grid is not None:
            self.grid.connected(now)
        if self.selector is not None:
            self._send(self.selector.request())
            self._asked = Asked(now)
        for switch in self._switches:
            self._send(switch.link.request())
            switch.asked = Asked(now)

    def on_disconnected(self) -> None:
        """The broker link dropped: the echoes awaited are lost with the subscription; nothing is shown or sent until
        the connect."""
        self._link_down = True
        for switch in self._switches:
            switch.link.forget_pending()
            switch.asked = None  # (asked again at the next connect)
            switch.set_back = False
        self._last_out.clear()
        self._mode_echoes.forget()
        self._asked = None  # (asked again at the next connect)

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing (NTP setting a Pi's clock just after its
        connect): what was asked keeps its wait, or its answer, taken for a user's order once the wait had run out at
        the jump, forced a load on from an On left on the switch."""
        for switch in self._switches:
            switch.link.echoes.clock_stepped_forward(step_s)
        self._mode_echoes.clock_stepped_forward(step_s)
        for asked in (self._asked, *(switch.asked for switch in self._switches)):
            if asked is not None:
                asked.at += step_s
                asked.since = None if asked.since is None else asked.since + step_s

    def on_out(self, payload: bytes, now: float, topic: str | None = None) -> bool:
        """A device update from Domoticz, on `topic`; True when it changed the regulator's state."""
        device = parse_domoticz_out(payload)
        if device is None:
            return False
        last = self._last_out.get(device.idx)
        # (a last update dated after `now` is from before a clock stepped back: no copy of this one)
        if last is not None and last[0] == payload and 0 <= now - last[1] < COPY_WINDOW_S and \
                (topic is None or topic not in last[2] or now - last[1] < SAME_TOPIC_COPY_S):
            # The same update again at once, on another topic: Domoticz publishes each one on every topic of its
            # publish scheme ("Flat + Floor/Room", by idx, by name: all under topic_out), one after the other. A second
            # copy of an echo was taken for a user's change while the next echo was awaited (a load forced for a
            # moment after its unforce). Only at once, and on a topic this update has not come on: a Domoticz without
            # "LastUpdate" in its updates sends the same bytes for a user's second On, on the same topics again (an On
            # again on seeing PySEB set the switch back Off, within 2 s, was dropped as a copy: the switch On, the load
            # not forced), unless at once (two gateways). Each copy restarts the window: copies come back to back.
            if device.idx in self._watched:
                if len(last[2]) < MAX_COPY_TOPICS:
                    last[2].add(topic)
                self._last_out[device.idx] = (payload, now, last[2])
            return False
        if device.idx in self._watched:  # (the others change nothing: not kept, however many a house has)
            self._last_out[device.idx] = (payload, now, {topic})
        self._reading_idx = device.idx
        try:
            return self._read(device, now)
        finally:
            self._reading_idx = None

    def _read(self, device: DomoticzDevice, now: float) -> bool:
        """An update that is no copy: the selector's or a force switch's, answer or order (True: the state changed)."""
        changed = self._selected(device, now)
        for switch in self._switches:
            load = switch.load
            answer = False
            if device.idx == switch.link.idx:
                say_late_answer(switch.asked, now, f"[{load.name}] domoticz_idx_force = {switch.link.idx}")
                answer, switch.asked = judge_update(switch.asked, now)
            if answer:
                # The answer to what was asked at connect: the first update of the switch since, however late (a
                # Domoticz slow at boot). A user's change made before Domoticz read the request is taken for it, and
                # the answer, which shows that change, then comes second and acts.
                was_forced = load.is_forced()
                if (message := switch.answered(device, now, FORCED_BY_DOMOTICZ)) is not None:
                    self._send(message)
                changed |= was_forced != load.is_forced()
            else:
                changed |= self._switched(switch, device, now)
            if device.idx == switch.link.idx and device.on_at_level_0 and load.is_forced():
                # An On that found no level to go to (a selector never set above 0, sent "On" before PySEB knew it
                # is one), in an answer or not: it shows the level-0 name while the load is forced. Set it at a level.
                switch.shown_forced = True
                self._send(switch.link.publish_state(True, now))
        return changed

    def tick(self, now: float) -> None:
        """Give up the echoes Domoticz never sent; ask again for what is still unanswered after its wait (the wait
        doubled each time), and say once per connect when the first wait ran out: else a wrong idx_ecs_mode left the
        mode at its default, a wrong domoticz_idx_force the user's switch doing nothing, without a word in PySEB's
        log."""
        if self.keep_alive is not None and self.keep_alive.due(now) and not self._link_down:
            log.debug("[domoticz] idx_keep_alive = %d: the hourly heartbeat sent", self.keep_alive.idx)
            self._publish(self.keep_alive.message)  # (a device PySEB reads no update of: none forgotten)
        # (at each tick: an echo dated ahead of a clock stepped back is given up ECHO_WAIT_S after the step)
        self._mode_echoes.give_up_late(now)
        for switch in self._switches:
            switch.link.echoes.give_up_late(now)
            switch.asked = past_burst(switch.asked, now)
            if switch.asked is not None and switch.asked.due(now):
                if not switch.asked.overdue:
                    self._unanswered(switch, now)
                self._send(switch.link.request())
                switch.asked.again(now)
        self._asked = past_burst(self._asked, now)
        if self.selector is None or self.heater is None or self._asked is None or not self._asked.due(now):
            return
        if not self._asked.overdue:
            log.warning("[domoticz] idx_ecs_mode = %d: Domoticz has not answered for the water-heater mode selector "
                        "in %g s: no device with this idx, or Domoticz does not read %s; the mode stays %s until it "
                        "answers",
                        self.selector.idx, ANSWER_WAIT_S, self.settings.topic_in, self.heater.mode.value)
        self._send(self.selector.request())
        self._asked.again(now)

    def after_decision(self, consumption_w: float, production_w: float, now: float) -> None:
        """Grid import and injection, by the seed's rules (not while the link is down: the next decision's are the
        news)."""
        if self.grid is not None and not self._link_down:
            for message in self.grid.update(*split_grid(consumption_w - production_w), now):
                # (sensors, no device whose updates are read: published as they are, no JSON read back after each
                # decision to forget their last update)
                self._publish(message)
