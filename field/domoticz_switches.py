"""The loads' force switches in Domoticz, a part of the Domoticz link (field.domoticz.DomoticzBridge): a user's change
on a switch forces or unforces its load (one that may have crossed the state PySEB showed, shown again); a switch
Domoticz does not answer for, said once; the regulator's own force changes shown on the switches.

A mixin of `DomoticzBridge`, acting on its state (declared below, set by `DomoticzBridge.__init__`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from equipments.power_log import force_line
from field.domoticz_answers import ANSWER_WAIT_S, Switch
from integrations.domoticz import DomoticzDevice, Message
from integrations.domoticz_settings import DomoticzSettings

# The link's lines, moved here with the code that writes them: the logger name is part of what the log shows (and of
# the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.domoticz")

FORCED_BY_DOMOTICZ = "domoticz"


class ForceSwitchLinks:
    """The force switches' part of `DomoticzBridge`."""

    # The bridge's state these use (set by DomoticzBridge.__init__).
    settings: DomoticzSettings
    _switches: list[Switch]
    _link_down: bool
    # (declared only: an annotation is no attribute, so it hides no method another part defines)
    _send: Callable[[Message], None]  # field.domoticz

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
