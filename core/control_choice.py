"""The regulation the config chooses: the closed loop (the default) or Hébert's open-loop rule, exactly as the
seed had it; said once in the log."""

from __future__ import annotations

import logging

from core.control_params import max_gap_for
from core.controller import ClosedLoop, ControlParams
from settings.sections import EvaluateSettings

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows, so it stays what it was.
log = logging.getLogger("core.regulator")


def chosen_controller(ev: EvaluateSettings) -> ClosedLoop | None:
    """The closed loop of `[evaluate]`, or None for Hébert's rule (core.allocation)."""
    controller = (
        ClosedLoop(ControlParams(setpoint_w=ev.margin_w, gain=ev.gain, import_guard_w=ev.import_guard_w,
                                 import_guard_s=ev.import_guard_s, anticipate=ev.anticipate,
                                 anticipate_rise=ev.anticipate_rise, dither_import_w=ev.dither_import_w,
                                 rising_rate_w_s=ev.rising_rate_w_s,
                                 max_gap_s=max_gap_for(ev.period_s)))
        if ev.algorithm == "closed_loop" else None)
    if controller is not None:
        rise = (f"relays wait out a rise over {ev.rising_rate_w_s:g} W/s" if ev.rising_rate_w_s > 0
                else "relays wait for no rise")
        log.info("regulation: closed loop (export setpoint %.0f W, whole percents importing %.0f W at most, "
                 "gain %g, settle %g s, import guard %.0f W for %g s, %s)", ev.margin_w, ev.dither_import_w,
                 ev.gain, ev.settle_s, ev.import_guard_w, ev.import_guard_s, rise)
    else:
        log.info("regulation: Hébert's rule (margin %.0f W, balance threshold %.0f W)", ev.margin_w,
                 ev.balance_threshold_w)
    return controller
