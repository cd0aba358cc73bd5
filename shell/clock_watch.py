"""The wall clock's jumps, told from time passing by a clock no one sets (steady_s). A Pi has no clock chip:
it boots on the time it last saved (fake-hwclock), minutes to days behind, and NTP sets it once the network and a
time server answer, possibly hours after PySEB started. The core runs on the wall clock (midnight, check_at, the
status file's dates) and cannot tell such a jump from time passing; the daemon asks this."""

from __future__ import annotations

import time

from values.readings import CLOCK_STEP_BACK_S

# A jump this large or larger is said and handed to the core (NTP steps the clock only when it is off by more than a
# fraction of a second, and slews it gently below that: neither adds up here, each reading starts afresh).
CLOCK_JUMP_S = CLOCK_STEP_BACK_S
# A step back or forward this large or larger is handed to the core, whatever its size (NTP steps a clock off by more
# than 128 ms): the commands sent before it are dated on the new clock, and the next decision waits no longer (back),
# and no shorter (forward), for a reading that shows the last one (core/decision_gate.py); forward, the meters' readings
# keep their ages too (a step of 9.5 s made them 10 s old at once: every load cut). Smaller is a slew, or the two clocks
# read a moment apart; a step back seen where there was none moves nothing (only commands stamped after the time the
# step came back to are), and one forward makes a reading's wait that much longer at most.
CLOCK_NUDGE_S = 0.1

# Linux's clock that counts a suspend too (the monotonic one stops then): a laptop woken after an hour's suspend had
# no jump of its wall clock, and its meters were silent that hour. Elsewhere, the monotonic one.
_STEADY = getattr(time, "CLOCK_BOOTTIME", None)


def steady_s() -> float:
    """Seconds on a clock no one sets, that goes on through a suspend where the system has one."""
    return time.clock_gettime(_STEADY) if _STEADY is not None else time.monotonic()


class ClockWatch:
    """The wall clock against the steady one, from one reading of both to the next."""

    def __init__(self, wall_s: float, steady_at_s: float) -> None:
        self._offset_s = wall_s - steady_at_s
        # (how far the wall clock stepped back at the last reading, when CLOCK_NUDGE_S or more; else 0.0)
        self.back_s = 0.0
        # (how far it stepped forward, when CLOCK_NUDGE_S or more but under CLOCK_JUMP_S, no jump; else 0.0)
        self.forward_s = 0.0

    def jumped_s(self, wall_s: float, steady_at_s: float) -> float:
        """How far the wall clock jumped since the last reading, beyond the time that passed (forward: positive;
        back: negative); 0.0 under CLOCK_JUMP_S either way."""
        offset_s = wall_s - steady_at_s
        step_s, self._offset_s = offset_s - self._offset_s, offset_s
        self.back_s = -step_s if step_s <= -CLOCK_NUDGE_S else 0.0
        self.forward_s = step_s if CLOCK_NUDGE_S <= step_s < CLOCK_JUMP_S else 0.0
        return step_s if abs(step_s) >= CLOCK_JUMP_S else 0.0
