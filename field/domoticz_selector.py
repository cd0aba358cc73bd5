"""The water heater's mode selector in Domoticz, a part of the Domoticz link (field.domoticz.DomoticzBridge): a mode
chosen in Home Assistant shown on it; its updates read, an answer to what was asked at the connect (older than a mode
chosen since?), the echo of a level PySEB sent, or a user's choice (one that may have crossed PySEB's level, sent
again).

A mixin of `DomoticzBridge`, acting on its state (declared below, set by `DomoticzBridge.__init__`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from field.domoticz_answers import Asked, judge_update, say_late_answer
from field.water_heater import HeaterControl
from integrations.domoticz import DomoticzDevice, Message
from integrations.domoticz_control import ECHO_SOON_S, EcsMode, EcsModeSelector
from integrations.domoticz_echoes import ECHO_WAIT_S, EchoQueue
from integrations.domoticz_settings import DomoticzSettings

# The link's lines, moved here with the code that writes them: the logger name is part of what the log shows (and of
# the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.domoticz")


class ModeSelectorLink:
    """The mode selector's part of `DomoticzBridge`."""

    # The bridge's state these use (set by DomoticzBridge.__init__).
    settings: DomoticzSettings
    heater: HeaterControl | None
    selector: EcsModeSelector | None
    _asked: Asked | None
    _unshown: EcsMode | None
    _mode_echoes: EchoQueue[int | None]
    _levels_sent: list[tuple[int | None, float, bool]]
    # (declared only: an annotation is no attribute, so it hides no method another part defines)
    _send: Callable[[Message], None]  # field.domoticz

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
        say_late_answer(asked, now, f"[domoticz] idx_ecs_mode = {self.selector.idx}")
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
