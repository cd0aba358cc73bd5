"""Which loads of a saved status the config no longer has look renamed, and to which configured load (the restore's
warning says so, with how to carry a load's state over a rename: status.restore_offs). Only pairs that leave no doubt:
a guess between two loads of a kind would send the owner to edit the wrong one's state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from equipments.base import Equipment


def likely_renames(gone: dict[str, dict[str, Any]], new: Sequence[Equipment],
                   same_device: Callable[[dict[str, Any], Equipment], bool]) -> dict[str, str]:
    """Each saved load of `gone` (name -> its entry in the file) that looks renamed to a load of `new` (configured, not
    in the file): its new name. One out and one in: a pair, whatever their kinds (a relay's config rewritten as a plug
    of unknown power is still a rename, likely). More: first the pairs on the same device (`same_device`: the saved
    off command is that load's, the one and only on both sides), then by kind, a kind with one load out and one in (a
    constant and an unknown one renamed at once had no hint at all). Two of a kind out and in, on other devices, are
    not guessed."""
    if len(gone) == 1 and len(new) == 1:
        return {next(iter(gone)): new[0].name}
    pairs: dict[str, str] = {}
    for name, entry in gone.items():
        matches = [load for load in new if same_device(entry, load)]
        if len(matches) == 1 and sum(same_device(other, matches[0]) for other in gone.values()) == 1:
            pairs[name] = matches[0].name
    left_out = {name: entry for name, entry in gone.items() if name not in pairs}
    left_in = [load for load in new if load.name not in pairs.values()]
    for name, entry in left_out.items():
        kind = entry.get("type")  # (the seed's file has none: its load is paired only alone, above)
        outs = [other for other in left_out.values() if other.get("type") == kind]
        ins = [load for load in left_in if kind == load.KIND]
        if isinstance(kind, str) and len(outs) == 1 and len(ins) == 1:
            pairs[name] = ins[0].name
    return pairs
