"""The fallback rules said in words at --check and at start: which load, when, and the most each may take
from the grid a night. The seed's rule is on by default: with the README's minimal config two grey days
force the water heater at 01:00, and the user should learn that from the check, not from the meter. The rules
force only in the mode solar+fallback: under another default mode the line says when they may force, or that
they never do."""

from __future__ import annotations

from collections.abc import Sequence

from equipments.base import Equipment
from field.config import FieldSettings
from field.fallback_settings import DeadlineSettings, SeedRuleSettings
from integrations.domoticz_control import EcsMode

SEED_RULE = "low-energy fallback (the seed's rule, on by default)"
DEADLINE_RULE = "deadline rule"


def fallback_notes(fs: FieldSettings, loads: Sequence[Equipment]) -> tuple[str, ...]:
    """One line per fallback rule that may force the water heater from the grid; without a heater, the seed's rule
    (on by default) said off, and why."""
    heater = next((load for load in loads if load.name == fs.water_heater), None)
    if heater is None:
        # (a seed user told to list a relay heater as `constant` lost the rule without a word: it takes the first
        # variable load unless [fallback] water_heater names one)
        if not fs.fallback.seed.enabled:
            return ()
        return (f"{SEED_RULE}: off: no water heater to force (no variable load); for a water heater on a relay: "
                "[fallback] water_heater = <its load's name>",)
    rules: list[tuple[str, str]] = []  # (the rule, what it does in the mode solar+fallback)
    seed = fs.fallback.seed
    most_wh = seed_most_wh(seed) if seed.enabled else 0.0
    if most_wh > 0:
        night = seed.check_at_hour < 7 or seed.check_at_hour >= 20
        rules.append((SEED_RULE, f"at {seed.check_at_hour:02d}:00 every day, when {heater.name} got less than its "
                                 f"day's threshold, it is forced from the grid at {heater.max_power_w:.0f} W for what "
                                 f"it missed: at most {_energy(most_wh, heater.max_power_w)} a "
                                 f"{'night' if night else 'day'}; to turn it off: [fallback] seed_rule = false"))
    deadline = fs.fallback.deadline
    if deadline is not None:
        rules.append((DEADLINE_RULE, f"{heater.name} must get {deadline.min_energy_wh:.0f} Wh by "
                                     f"{deadline.deadline:%H:%M} every day; what the sun has not given is forced from "
                                     f"the grid at {heater.max_power_w:.0f} W {_span(deadline)}: at most "
                                     f"{_energy(deadline.most_wh(heater.max_power_w), heater.max_power_w)} before each "
                                     "deadline; to "
                                     "turn it off: [fallback] min_energy_wh = 0"))
    return tuple(f"{rule}: {_in_mode(fs, heater, does)}" for rule, does in rules)


def _in_mode(fs: FieldSettings, heater: Equipment, does: str) -> str:
    """What a rule does under the default mode: `does` in solar+fallback; else only once something outside sets that
    mode, or never (nothing changes the mode: the default is the mode for good). "Forced from the grid every day"
    under the mode off or solar, where nothing is, had the owner turn the rule off for nothing, or trust a
    mode selector that is not configured."""
    mode = fs.domoticz.ecs_mode_default
    if mode.allows_fallback:
        return does
    default = f"[domoticz] ecs_mode_default = {mode.value}"
    setters = fs.mode_setters()
    if not setters:
        # (under `forced` the heater is forced anyway: "never forces" read as a contradiction of "held at 2000 W")
        verb = "adds no force of its own to" if mode is EcsMode.FORCED else "never forces"
        return (f"{verb} {heater.name}: its mode is {mode.value} for good ({_held(mode, heater)}; {default}, "
                "and no Domoticz idx_ecs_mode nor Home Assistant discovery to change it)")
    return (f"only while {heater.name}'s mode is {EcsMode.SOLAR_FALLBACK.value}, as {' or '.join(setters)} may set "
            f"it ({default} until then: {_held(mode, heater)}): {does}")


def _held(mode: EcsMode, heater: Equipment) -> str:
    """What the heater does in a mode that excludes the fallback."""
    if mode is EcsMode.OFF:
        return "held at 0 W"
    if mode is EcsMode.FORCED:
        return f"held at {heater.max_force_power_w():.0f} W"
    return "surplus only"


def seed_most_wh(seed: SeedRuleSettings) -> float:
    """The most the seed's rule forces in one check: the largest day threshold (nothing counted today), or
    the cloudy top-up (`cloudy_min_today_wh`) when larger, in a season whose threshold is not 0."""
    return max((max(t.today_wh, seed.cloudy_min_today_wh) for t in seed.thresholds.values() if t.today_wh > 0),
               default=0.0)


def _energy(wh: float, max_power_w: float) -> str:
    """`7000 Wh (3 h 03 min at full power)`: the force lasts 3600 x Wh / max W (Hébert's formula)."""
    if max_power_w <= 0:
        return f"{wh:.0f} Wh"
    minutes = round(60.0 * wh / max_power_w)
    return f"{wh:.0f} Wh ({minutes // 60} h {minutes % 60:02d} min)"


def _span(deadline: DeadlineSettings) -> str:
    if deadline.offpeak is None:
        return "at the latest hour that still meets it"
    start, end = deadline.offpeak
    return f"inside {start:%H:%M}-{end:%H:%M}"
