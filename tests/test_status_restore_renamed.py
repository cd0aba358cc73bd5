"""A saved status's load the config no longer has: "status has a load 'towel' that is not configured: ignored" gave no
hint of why, nor of what became of what was saved of it. A rename (one load of the file not configured, one configured
load not in the file; with several, each pair on the same device, or alone of its kind on both sides) is said as one,
with how to carry a load's state over a rename; otherwise what is dropped."""

from __future__ import annotations

import json
from pathlib import Path

from tests.configs import write_config
from tests.harness import NOON, Harness
from tests.removed_load_status import saved_with, started


def test_a_load_renamed_is_said_a_rename_with_the_hint(tmp_path: Path) -> None:
    # (the radiator's device, its off command the same, now named heater: the file has radiator, not heater)
    _, warnings = started(tmp_path, saved_with(tmp_path, None), loads=("ecs", "radiator"), renamed=True)
    said = [w for w in warnings if "'radiator'" in w]
    assert said == [
        "status has a load 'radiator' that is not configured, and 'heater' is configured but not in it: renamed? A "
        "load's saved state goes by its name: heater starts afresh (its energies, a force, a full tank, learned "
        "watts), radiator's (a force, a full tank, learned watts) is dropped (the file saved from now on has it no "
        "more: this start's cannot be carried over); its energies are kept for their day: configured again under "
        "that name, it resumes them; next time, to carry a load's state over a rename, rename it in the status file "
        "too, PySEB stopped, before starting it with the new config"], warnings


def test_a_load_removed_is_said_what_becomes_of_its_state(tmp_path: Path) -> None:
    # (no off command saved; the radiator gone, no other load new)
    doc = saved_with(tmp_path, None)
    del doc["equipments"][1]["off_command"]
    _, warnings = started(tmp_path, doc, loads=("ecs",))
    assert ("status has a load 'radiator' that is not configured: its saved state (a force, a full tank, learned "
            "watts) is dropped; its energies are kept for their day: configured again under that name, it resumes "
            "them") in warnings, warnings
    # The seed's file: its loads' energies are no day's (status.restore_removed), dropped with the rest.
    del doc["schema_version"]
    (tmp_path / "seed").mkdir()
    _, warnings = started(tmp_path / "seed", doc, loads=("ecs",))
    assert ("status has a load 'radiator' that is not configured: its saved state (its energies, a force, a full "
            "tank, learned watts) is dropped") in warnings, warnings


def test_a_load_left_on_and_maybe_renamed_onto_another_device_is_switched_off_and_said_both(tmp_path: Path) -> None:
    # (the radiator forced on, then the config has a plug in its place: its device is another one)
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    h, warnings = started(tmp_path, doc, loads=("ecs", "plug"))
    assert h.on("cmnd/radiator/POWER") == ["OFF"]
    said = [w for w in warnings if w.startswith("radiator is no longer configured but was left on")]
    assert len(said) == 1 and said[0].endswith(
        "commanded off ('OFF') at the start; status has a load 'radiator' that is not configured, and 'plug' is "
        "configured but not in it: renamed? A load's saved state goes by its name: plug starts afresh (its energies, "
        "a force, a full tank, learned watts), radiator's (a force, a full tank, learned watts) is dropped (the file "
        "saved from now on has it no more: this start's cannot be carried over); its energies are kept for their "
        "day: configured again under that name, it resumes them; next time, to carry a load's state over a rename, "
        "rename it in the status file too, PySEB stopped, before starting it with the new config"), warnings


def _renamed_twice(tmp_path: Path, saved: tuple[str, ...], configured: tuple[str, ...],
                   edits: tuple[tuple[str, str], ...]) -> list[str]:
    """The warnings of a restart whose config has `configured` with `edits` made to its text (names, topics), from the
    file a run with `saved` saved."""
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    first = Harness(write_config(tmp_path / "before", saved))
    first.meters(300, 0, NOON)
    doc = json.loads(json.dumps(first.reg.status(NOON + 2)))
    config = write_config(tmp_path / "after", configured)
    text = config.read_text()
    for old, new in edits:
        text = text.replace(old, new)
    config.write_text(text)
    h = Harness(config)
    warnings = h.reg.restore(doc, NOON + 60)
    h.reg.start(NOON + 60)
    return warnings


def _hint(old: str, new: str) -> str:
    return f"status has a load {old!r} that is not configured, and {new!r} is configured but not in it: renamed?"


def test_two_loads_renamed_on_their_own_devices_each_get_the_hint(tmp_path: Path) -> None:
    # radiator -> heater, plug -> socket, their devices the same: there was no hint at all for two renames at once.
    warnings = _renamed_twice(tmp_path, ("ecs", "radiator", "plug"), ("ecs", "radiator", "plug"),
                              (("radiator", "heater"), ("cmnd/heater/", "cmnd/radiator/"), ("plug", "socket"),
                               ("shellies/socket/", "shellies/plug/")))
    assert [w.split(": renamed?")[0] + ": renamed?" for w in warnings if "renamed?" in w] == [
        _hint("radiator", "heater"), _hint("plug", "socket")], warnings


def test_two_loads_renamed_onto_other_devices_get_the_hint_by_kind(tmp_path: Path) -> None:
    # A constant and an unknown one out, a constant and an unknown one in, each on another device: paired by kind.
    warnings = _renamed_twice(tmp_path, ("ecs", "radiator", "plug"), ("ecs", "small", "plug"),
                              (("plug", "socket"),))
    said = [w for w in warnings if "renamed?" in w]
    assert len(said) == 2 and _hint("radiator", "small") in said[0] and _hint("plug", "socket") in said[1], warnings
    assert said[0].startswith("radiator is no longer configured but was saved off")  # (its old device: off sent)


def test_two_loads_of_a_kind_renamed_onto_other_devices_get_no_guess(tmp_path: Path) -> None:
    # Two constant loads out, two in, none on the other's device: which is which is not known, none is guessed.
    warnings = _renamed_twice(tmp_path, ("ecs", "radiator", "small"), ("ecs", "radiator", "small"),
                              (("radiator", "heater"), ("small", "lamp")))
    assert not [w for w in warnings if "renamed?" in w], warnings
    assert ("status has a load 'small' that is not configured: its saved state (its energies, a force, a full tank, "
            "learned watts) is dropped") not in warnings  # (its off is sent: said as such)
    assert any(w.startswith("small is no longer configured but was saved off") for w in warnings), warnings
