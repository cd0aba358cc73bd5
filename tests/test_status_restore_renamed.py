"""A saved status's load the config no longer has: "status has a load 'towel' that is not configured: ignored" gave no
hint of why, nor of what became of what was saved of it. A rename (one load of the file not configured, one configured
load not in the file) is said as one, with how to carry a load's state over a rename; otherwise what is dropped."""

from __future__ import annotations

from pathlib import Path

from tests.removed_load_status import saved_with, started


def test_a_load_renamed_is_said_a_rename_with_the_hint(tmp_path: Path) -> None:
    # (the radiator's device, its off command the same, now named heater: the file has radiator, not heater)
    _, warnings = started(tmp_path, saved_with(tmp_path, None), loads=("ecs", "radiator"), renamed=True)
    said = [w for w in warnings if "'radiator'" in w]
    assert said == [
        "status has a load 'radiator' that is not configured, and 'heater' is configured but not in it: renamed? A "
        "load's saved state goes by its name: heater starts afresh (its energies, a force, a full tank, learned "
        "watts), radiator's is dropped (the file saved from now on has it no more: this start's cannot be carried "
        "over); next time, to carry a load's state over a rename, rename it in the status file too, PySEB stopped, "
        "before starting it with the new config"], warnings


def test_a_load_removed_is_said_what_becomes_of_its_state(tmp_path: Path) -> None:
    # (the seed's file: no off command saved; the radiator gone, no other load new)
    doc = saved_with(tmp_path, None)
    del doc["equipments"][1]["off_command"]
    _, warnings = started(tmp_path, doc, loads=("ecs",))
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
        "a force, a full tank, learned watts), radiator's is dropped (the file saved from now on has it no more: this "
        "start's cannot be carried over); next time, to carry a load's state over a rename, rename it in the status "
        "file too, PySEB stopped, before starting it with the new config"), warnings
