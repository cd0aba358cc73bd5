"""A recorded day's loads (its header: each load's name and kind) against the config it is replayed with. The replay
runs the config's loads on the house rebuilt from the recording (the consumption less what the recorded loads drew):
a day recorded before a load was added, renamed or changed replayed as if nothing differed, and its figures (the
loads' energy, a relay's switches, the capture) were taken for the day's own. Said, in one note a day file."""

from __future__ import annotations

from pathlib import Path

from recording.format import RecordedDay
from simulation.config import SimConfig

__all__ = ["loads_note"]


def _kind(relay: bool) -> str:
    return "relay" if relay else "variable"


def loads_note(day: RecordedDay, part: Path, config: SimConfig) -> str | None:
    """What differs between the loads `day` (the file `part`) was recorded with and `config`'s, or None."""
    recorded = dict(zip(day.names, day.relays, strict=True))
    configured = {spec.name: spec.relay for spec in config.loads}
    if list(recorded.items()) == list(configured.items()):
        return None
    details = [f"{name} recorded, not in the config" for name in recorded if name not in configured]
    details += [f"{name} in the config, not recorded" for name in configured if name not in recorded]
    details += [f"{name} recorded as a {_kind(relay)} load, as a {_kind(configured[name])} load in the config"
                for name, relay in recorded.items() if name in configured and configured[name] != relay]
    if not details:  # (the same names and kinds: only their order, which is their priority)
        details.append("the same loads in another priority order")
    listing = "; ".join(
        f"{which}: {', '.join(f'{name} {_kind(relay)}' for name, relay in loads.items()) or 'none'}"
        for which, loads in (("recorded", recorded), ("config", configured)))
    return (f"{part}: recorded with other loads than the config's ({config.path}): {'; '.join(details)}; replayed "
            f"with the config's loads ({listing}), the house's own load as recorded")
