"""One decision's walk down the relays (RelayPass), and the watts the closed loop counts a relay at: the pass's
state, split from core/relay_switching.py, which walks it."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from core.relay_dwell import RelayClock
from equipments.base import Equipment
from equipments.constant import ConstantEquipment, RelayEquipment
from equipments.unknown import UnknownEquipment


def relay_power_w(load: RelayEquipment) -> float | None:
    """The watts a relay draws when on, as far as the controller knows (None: never measured)."""
    if isinstance(load, ConstantEquipment):
        return load.on_power_w
    if isinstance(load, UnknownEquipment):
        if load.measuring:  # (switched on, believed at what it was tried on until the next reading measures it)
            return load.current_power_w
        if load.learned_power_w is not None:
            return load.learned_power_w
        return load.current_power_w if load.is_on else None
    return load.max_power_w


def watts_measured(load: RelayEquipment) -> bool:
    """True when `relay_power_w(load)` is a figure learned from the relay's own steps (a relay of known watts), not its
    label; a load of unknown power's figure may be another appliance's (a plug learned at 500 W drawing 2000 W)."""
    return isinstance(load, ConstantEquipment) and load.learned_power_w is not None


NO_WAITS: Mapping[str, str] = MappingProxyType({})  # (RelayPass.relays_wait: no relay waits)


@dataclass(slots=True)
class RelayPass:
    """One decision's walk down the relays, in priority order: what it starts from (the totals, and what holds
    the relays back at this decision), then what it finds on the way."""

    left_w: float  # what the loads from here on may take, the ones before at their max (the decision's total)
    keep_total_w: float  # the loads' total for a grid at 0 W: no relay stays on that it does not cover
    # Another load's believed watts are in doubt (a heater suspected full, the house just fell by part of its
    # watts): no load of unknown power, measured by the house's step less the others' beliefs, switches on.
    measures_wait: bool = False
    # Relays after a load held at 0 W for a moment (a full-tank re-probe) or a silent variator, each with why it waits.
    relays_wait: Mapping[str, str] = field(default_factory=dict)
    importing: bool = False  # the grid imports: no trial of a load of unknown power
    heaters_give: bool = False  # the variable loads draw: a relay switched on takes its watts from them (a hand-over)
    rising: bool = False  # production rises (the sun back after a cloud): see RelaySwitcher.switch
    rise_rate_w_s: float = 0.0  # production's smoothed rate of change
    # The continuous loads that may draw nothing whatever they are believed to (a heater suspected full, a variator
    # silent), and the believed watts of those not passed yet: no relay before one switches on over them. At its
    # thermostat's cut the house falls by the heater's watts: counted as the heater's give-back too, they "covered"
    # a 1000 W radiator before it with 800 W exported, which came on into a 200 W import.
    draws_in_doubt: Collection[str] = ()
    doubted_w: float = 0.0
    # What the on decision holds back more than the keep total (the setpoint, the anticipated fall), given back to
    # an on relay's hysteresis band too.
    keep_margin_w: float = field(init=False)
    # (What the walk finds on the way, from here on: never passed in, so the generated __init__ sets each without
    # asking whether it was, at every decision.)
    # Each relay the surplus covers but that stays off, and why.
    waiting: list[str] = field(init=False)
    # By index in the loads: whether each relay's dwell lets it switch now (only its own switch restarts its
    # clock), the watts of those it holds on, and each relay's clock, fetched once for the decision.
    free: list[bool] = field(init=False)
    held_w: list[float] = field(init=False)
    # By index: the watts of the relays on that their dwell lets switch off, at this decision and the next (not one
    # handed over at an unforce): a load of unknown power is not tried on them while it may be tried on the spare
    # surplus (core/relay_trials.trial_free_w).
    free_on_w: list[float] = field(init=False)
    clocks: dict[int, RelayClock] = field(init=False)
    on_w: float = field(init=False, default=0.0)  # what the relays on so far draw
    # Watts of relays waiting out their on delay (or a measure): not free for the relays after them, or a lower
    # relay would switch on in their place and its dwell keep them off.
    waiting_w: float = field(init=False, default=0.0)
    # Relays the surplus covers but that rest their min_off_s: (their watts, when the rest ends). A lower relay
    # whose min_on_s would outlast that rest does not take them: its dwell would keep the higher one off once free
    # (a towel dryer switched on in a resting radiator's place kept it off for eight minutes more, 500 W exported).
    resting: list[tuple[float, float]] = field(init=False)
    # A load of unknown power is measured by the house's step at the next reading: it switches on alone, in a
    # decision where no other relay switches, or the two steps would be taken for one. So is a trial shed as too
    # big, by its step down (measuring_off): a relay after it switching on in the same decision threw that
    # measure away, and a plug measured at 2500 W with a kettle stayed off for good.
    switched: bool = field(init=False, default=False)
    measuring: bool = field(init=False, default=False)
    measuring_off: bool = field(init=False, default=False)
    # The load of unknown power switched on in this pass, to be measured.
    trial: str | None = field(init=False, default=None)
    # The continuous loads passed so far, each with what the walk left for it and those after it (the loads before at
    # their max): what they go up by at this decision (core/relay_trials.raised_before_w) is a load of unknown
    # power's to wait for. Switched on meanwhile, their rise, with their calibration's error, was measured as its own at
    # the next reading (held below their max for its measure, a heater before it was a priority turned round for a
    # reading).
    # (Their rise is worked out only when such a load would switch on: a decision's cost otherwise.)
    passed_continuous: list[tuple[Equipment, float]] = field(init=False)
    # The least shortfall of the off relays so far that may switch on (free by their dwell, not an idle
    # appliance) and are not covered yet: one covered and off waits out an on delay or a measure, its watts
    # already kept for it.
    before_short_w: float = field(init=False, default=math.inf)
    wanted_off: list[RelayEquipment] = field(init=False)  # on, wanted off, held by their dwell
    # Why the last relay judged on is wanted off, when not the surplus's fall (its log).
    off_why: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.keep_margin_w = self.keep_total_w - self.left_w
        # (made here as literals rather than by default_factory: the generated __init__ calls list() or dict() for
        # each, 0.5 us of a decision's pass made at every decision)
        self.waiting, self.free, self.held_w, self.free_on_w, self.clocks = [], [], [], [], {}
        self.resting, self.passed_continuous, self.wanted_off = [], [], []
