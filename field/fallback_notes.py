"""The fallback rules said in words at --check and at start: which load, when, and the most each may take
from the grid a night. The seed's rule is on by default: with the README's minimal config two grey days
force the water heater at 01:00, and the user should learn that from the check, not from the meter."""

from __future__ import annotations

from collections.abc import Sequence

from equipments.base import Equipment
from field.config import FieldSettings
from field.fallback_settings import DeadlineSettings, SeedRuleSettings


def fallback_notes(fs: FieldSettings, loads: Sequence[Equipment]) -> tuple[str, ...]:
    """One line per fallback rule that may force the water heater from the grid (none without a heater)."""
    heater = next((load for load in loads if load.name == fs.water_heater), None)
    if heater is None:
        return ()
    notes: list[str] = []
    seed = fs.fallback.seed
    most_wh = seed_most_wh(seed) if seed.enabled else 0.0
    if most_wh > 0:
        night = seed.check_at_hour < 7 or seed.check_at_hour >= 20
        notes.append(f"low-energy fallback (the seed's rule, on by default): at {seed.check_at_hour:02d}:00 every "
                     f"day, when {heater.name} got less than its day's threshold, it is forced from the grid at "
                     f"{heater.max_power_w:.0f} W for what it missed: at most {_energy(most_wh, heater.max_power_w)} "
                     f"a {'night' if night else 'day'}; to turn it off: [fallback] seed_rule = false")
    deadline = fs.fallback.deadline
    if deadline is not None:
        notes.append(f"deadline rule: {heater.name} must get {deadline.min_energy_wh:.0f} Wh by "
                     f"{deadline.deadline:%H:%M} every day; what the sun has not given is forced from the grid at "
                     f"{heater.max_power_w:.0f} W {_span(deadline)}: at most "
                     f"{_energy(deadline.min_energy_wh, heater.max_power_w)} before each deadline; to turn it off: "
                     "[fallback] min_energy_wh = 0")
    return tuple(notes)


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
