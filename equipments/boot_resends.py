"""How often a variator's boots get its command sent again: at once for a reboot, bounded for a flood of boots."""

from __future__ import annotations

from collections import deque
from typing import Literal

BootAnswer = Literal["send", "hold", "hold first"]

# A reboot says so twice (its boot message on the boot topic, then `boot_detected` on its status topic), a second or
# so apart, and each may be the one the variator hears the command after: both get it at once. More boot signals than
# that within BOOT_RESEND_WINDOW_S (a variator boot-looping, or a client publishing boot messages) get it at most
# BOOT_RESENDS_AT_ONCE times in any such window: 4 commands a minute at most, where each signal had one.
BOOT_RESENDS_AT_ONCE = 2
BOOT_RESEND_WINDOW_S = 30.0


class BootResendPace:
    """When a variator's boot signals get its command sent again. A signal over the bound is not dropped: one re-send
    is due when the window lets it (`due_at`), so the variator, which runs at its default after a boot, gets PySEB's
    command within BOOT_RESEND_WINDOW_S of its last boot whatever the flood."""

    def __init__(self) -> None:
        self._sent_at: deque[float] = deque(maxlen=BOOT_RESENDS_AT_ONCE)  # the last re-sends for boots
        self.due_at: float | None = None  # a re-send held back, due then (None: none)
        self.throttling = False  # signals held back since the last one let through at once: an episode, said once

    def on_boot(self, now: float) -> BootAnswer:
        """A boot signal at `now`: "send" when the command is to be sent again at once (then counted), else one
        re-send is due at `due_at`: "hold" ("hold first" for the first signal held back since one was let through,
        to be said)."""
        if self._allows(now):
            self._sent_at.append(now)
            self.due_at, self.throttling = None, False
            return "send"
        self.due_at = self._sent_at[0] + BOOT_RESEND_WINDOW_S
        first, self.throttling = not self.throttling, True
        return "hold first" if first else "hold"

    def resend_due(self, now: float) -> bool:
        """True when the re-send held back is due at `now` (then counted; a clock stepped back further than the window
        since: due at once, not the step's length later)."""
        due = self.due_at
        if due is None or not (now >= due or due - now > BOOT_RESEND_WINDOW_S):
            return False
        self._sent_at.append(now)
        self.due_at = None
        return True

    def _allows(self, now: float) -> bool:
        if len(self._sent_at) < BOOT_RESENDS_AT_ONCE:
            return True
        since_s = now - self._sent_at[0]
        return since_s >= BOOT_RESEND_WINDOW_S or since_s < 0  # (negative: a clock stepped back, judged anew)
