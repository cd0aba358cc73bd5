"""The Domoticz link wired into the regulator: grid and injection sensors after each decision, the water
heater's mode selector, and one force switch per load. At each connect Domoticz is asked what each switch is
(again until it answers: its first update of the switch since is the answer, however late); the regulator's own
force changes are then shown on the switches (reconcile); changes that came from a switch are not sent back, and
echoes are ignored. The requests' waits and what makes an update an answer: field/domoticz_answers.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from equipments.base import Equipment
from equipments.power_log import force_line
from field.domoticz_answers import ANSWER_WAIT_S, Asked, Switch, judge_update, past_burst
from field.water_heater import HeaterControl
from integrations.domoticz import DomoticzDevice, GridPublisher, Message, parse_domoticz_out, split_grid
from integrations.domoticz_control import ECHO_SOON_S, EcsMode, EcsModeSelector, ForceLink
from integrations.domoticz_echoes import ECHO_WAIT_S, EchoQueue
from integrations.domoticz_settings import DomoticzSettings

log = logging.getLogger(__name__)

FORCED_BY_DOMOTICZ = "domoticz"


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


def _say_late_answer(asked: Asked | None, now: float, key: str) -> None:
    """Says an answer that came after the "has not answered" warning, which named a wrong idx as the likely cause."""
    late_s = None if asked is None else asked.late_answer(now)
    if late_s is not None:
        log.info("%s: Domoticz answered at last, %.0f s after the connect", key, late_s)


class DomoticzBridge:
    """Everything the regulator exchanges with Domoticz; `send` publishes (topic, payload)."""

    def __init__(self, ds: DomoticzSettings, loads: Sequence[Equipment], heater: HeaterControl | None,
                 send: Callable[[Message], None]) -> None:
        self.settings = ds
        self.heater = heater
        self._publish = send
        self.grid = (GridPublisher(ds.topic_in, ds.idx_grid, ds.idx_injection, ds.send_grid, ds.send_injection,
                                   ds.keepalive_s) if ds.send else None)
        self.selector = (EcsModeSelector(ds.idx_ecs_mode, ds.ecs_mode_levels, ds.ecs_mode_default, ds.topic_in)
                         if ds.idx_ecs_mode and heater is not None else None)
        self._switches = [Switch(load, ForceLink(load.name, idx, ds.topic_in, echoed=not ds.prevent_loop), False)
                          for load in loads if (idx := load.options.get("domoticz_idx_force") or 0)]
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

    @property
    def unshown_mode(self) -> EcsMode | None:
        """The mode chosen in Home Assistant that the selector has not been seen to show (no level maps to it, or its
        Set Level was lost), None when it shows the mode in effect: saved, so that a restart keeps it as a reconnect
        does."""
        return self._unshown

    def restore_unshown(self, mode: EcsMode) -> None:
        """A restored mode the selector was not seen to show when saved: the level Domoticz answers at the connect is
        older than it (its level from before, unchanged: no Set Level reached it), and does not undo it, as after a
        reconnect; a user's change on the selector still sets the mode."""
        if self.selector is not None:
            self._unshown = mode

    def on_connected(self, now: float) -> None:
        """After each (re)connect: ask for the selector's level and what every force switch is; each switch is shown
        its load's state once Domoticz answered (an "On" sent to a selector before knowing it is one takes it to its
        last level, level 0 if never set above)."""
        self._link_down = False
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
                _say_late_answer(switch.asked, now, f"[{load.name}] domoticz_idx_force = {switch.link.idx}")
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

    def show_mode(self, mode: EcsMode, now: float, sent_back: bool = False) -> None:
        """`mode` was chosen in Home Assistant: the selector is moved to it. Newer than the level Domoticz's answers
        still awaited show: they no longer set the mode (the selector is moved to it again)."""
        if self.selector is None:
            return
        if self._asked is not None:
            self._asked.superseded = True
        self._unshown = mode
        message = self.selector.show(mode)
        if message is not None:
            level = self.selector.level_for(mode)
            self._levels_sent = [*self._recent_levels(now), (level, now, sent_back)]
            if not self.settings.prevent_loop:
                self._mode_echoes.sent(level, now)
            self._send(message)

    def _selected(self, device: DomoticzDevice, now: float) -> bool:
        """An update of the mode selector (any other device: False): the mode it shows set, unless it is an answer
        older than a mode chosen in Home Assistant since the request (True when the mode changed)."""
        if self.selector is None or self.heater is None or device.idx != self.selector.idx:
            return False
        asked = self._asked
        _say_late_answer(asked, now, f"[domoticz] idx_ecs_mode = {self.selector.idx}")
        answer, self._asked = judge_update(asked, now)
        if answer and ((asked is not None and asked.superseded) or self._unshown is not None):
            # An answer read by Domoticz before Home Assistant's Set Level, or one showing the level from before a
            # mode the selector never showed: the mode in effect kept, and shown on the selector again.
            shows = self.selector.shown_mode(device)
            if shows is not None and shows is not self.selector.mode:
                log.info("water-heater mode selector idx %d: Domoticz's answer shows %s, from before %s was chosen in "
                         "Home Assistant: %s kept, and shown on the selector", self.selector.idx, shows.value,
                         self.selector.mode.value, self.selector.mode.value)
                self.show_mode(self.selector.mode, now)
            elif shows is not None:
                self._unshown = None  # (the selector shows it: its later answers are its own again)
            return False
        shown = (self.selector.levels.get(device.level)
                 if device.selector_problem() is None and device.level is not None else None)
        if not answer and shown is not None and self._mode_echoes.is_echo(device.level, now):
            if shown is self._unshown:
                self._unshown = None  # (the echo of its Set Level: the selector shows it)
            return False
        mode = self.selector.on_device(device)
        if mode is not None or (shown is not None and shown is self.selector.mode):
            self._unshown = None  # (a user's change on the selector, or its level shows the mode: the mode is its)
        if mode is None:
            return False
        self.heater.set_mode(mode, now, "domoticz")
        self._crossed(mode, device.level, now)
        return True

    def _recent_levels(self, now: float) -> list[tuple[int | None, float, bool]]:
        """The levels sent to the selector less than ECHO_WAIT_S ago (none ahead of a clock stepped back)."""
        return [sent for sent in self._levels_sent if 0 <= now - sent[1] < ECHO_WAIT_S]

    def _crossed(self, mode: EcsMode, level: int | None, now: float) -> None:
        """A user's choice on the selector, `mode` now in effect, read just after PySEB sent the selector a level (a
        mode chosen in Home Assistant): the two may have crossed, the user's made before Domoticz acted on PySEB's.
        Domoticz then shows PySEB's level while the mode is the user's, and under Prevent Loop nothing told: its answer
        at the next connect set the older level again (Home Assistant's forced, hours after the user chose off). The
        level is sent again: the selector shows the mode in effect, whichever came first. Not when Domoticz echoes:
        the echo of PySEB's level, read after the user's choice, sets that level's mode again, and the two agree (sent
        again, each echo answered the one before, for ever). Nor when the level read is the last one PySEB sent (the
        selector shows it), or one it sent in the last ECHO_SOON_S, or sent back so in that time: that may be its echo,
        from a Domoticz that echoes though `prevent_loop` says it does not (two modes chosen in Home Assistant within
        its echo delay flipped the heater between them twice a second, for ever; then, each sent back once, twice; now
        the echoes end on the last at once), as the force switches' (ForceLink.crossed)."""
        if self.selector is None or not self.settings.prevent_loop:
            return
        recent = self._recent_levels(now)
        if not recent or level == recent[-1][0] or any(
                sent == level and (back or now - sent_at < ECHO_SOON_S) for sent, sent_at, back in recent):
            return
        log.info("water-heater mode selector idx %d: %s chosen in Domoticz %.1f s after PySEB sent it a level; the two "
                 "may have crossed: %s kept, and shown on the selector again", self.selector.idx, mode.value,
                 now - recent[-1][1], mode.value)
        self.show_mode(mode, now, sent_back=True)

    def _switched(self, switch: Switch, device: DomoticzDevice, now: float) -> bool:
        """Any update but the answer to the request: its load forced or unforced as the switch says (True when it
        changed the regulator's state)."""
        load = switch.load
        wanted = switch.link.on_device(device, load.is_forced(), now)
        set_back = switch.after_set_back(device)
        # (bounded with the load's forces, as regul/mode's: anyone on the broker can flip the switch a thousand times
        # a minute, and each flip logged its line)
        if wanted is True:
            power_w = load.max_force_power_w()
            log.info("%s forced to %.0f W by its Domoticz switch idx %d (until switched off)", load.name,
                     power_w, switch.link.idx, extra=force_line(load.name))
            load.force(power_w, None, now, f"Domoticz switch idx {switch.link.idx} on", by=FORCED_BY_DOMOTICZ)
        elif wanted is False:
            log.info("%s unforced by its Domoticz switch idx %d", load.name, switch.link.idx,
                     extra=force_line(load.name))
            load.unforce(now, f"Domoticz switch idx {switch.link.idx} off")
        if wanted is None:
            return False
        switch.shown_forced = load.is_forced()  # the switch already shows it: nothing to send
        if set_back:
            # The update after an answer set back: a user's change just before Domoticz read the request came first,
            # taken for the answer, and this answer shows it. Domoticz applies the set-back after it (no echo to
            # tell): the switch would show the other state than the load it forced or unforced. Shown again.
            self._send(switch.link.publish_state(switch.shown_forced, now))
        elif not switch.link.echoed and switch.link.crossed(switch.shown_forced, now):
            log.info("%s: its Domoticz switch idx %d changed just after PySEB showed the load's state on it; the two "
                     "may have crossed: %s kept, and shown on the switch again", load.name, switch.link.idx,
                     "forced" if switch.shown_forced else "unforced")
            self._send(switch.link.publish_state(switch.shown_forced, now, again=True))
        return True

    def tick(self, now: float) -> None:
        """Give up the echoes Domoticz never sent; ask again for what is still unanswered after its wait (the wait
        doubled each time), and say once per connect when the first wait ran out: else a wrong idx_ecs_mode left the
        mode at its default, a wrong domoticz_idx_force the user's switch doing nothing, without a word in PySEB's
        log."""
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

    def _unanswered(self, switch: Switch, now: float) -> None:
        """No answer for a force switch in the first wait: said once, and its load's state shown as before the request
        existed (on an On/Off switch unless an earlier answer said selector), in case the answer alone was lost."""
        link, name = switch.link, switch.load.name
        log.warning("[%s] domoticz_idx_force = %d: Domoticz has not answered for this force switch in %g s: no device "
                    "with this idx (or one not in use), or Domoticz does not read %s; %s's forced state is shown on it "
                    "as on %s", name, link.idx, ANSWER_WAIT_S, self.settings.topic_in, name,
                    "a selector" if link.selector else "an On/Off switch")
        switch.shown_forced = switch.load.is_forced()
        if link.usable:
            self._send(link.publish_state(switch.shown_forced, now))

    def reconcile(self, now: float) -> None:
        """Show on its switch every forced-state change the regulator made itself since the last call (not while
        Domoticz is first asked what the switch is: shown with its answer; never on a device that is no switch; nor
        while the link is down: the connect asks, and the answer shows the state then)."""
        if self._link_down:
            return
        for switch in self._switches:
            if (switch.asked is not None and not switch.asked.overdue) or not switch.link.usable:
                continue
            forced = switch.load.is_forced()
            if forced != switch.shown_forced:
                switch.shown_forced = forced
                self._send(switch.link.publish_state(forced, now))

    def after_decision(self, consumption_w: float, production_w: float, now: float) -> None:
        """Grid import and injection, by the seed's rules (not while the link is down: the next decision's are the
        news)."""
        if self.grid is not None and not self._link_down:
            for message in self.grid.update(*split_grid(consumption_w - production_w), now):
                # (sensors, no device whose updates are read: published as they are, no JSON read back after each
                # decision to forget their last update)
                self._publish(message)
