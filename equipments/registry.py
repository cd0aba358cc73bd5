"""From a type name in [equipments] to a class: the built-in kinds by short name, or a user's own
`package.module:Class` (which must subclass Equipment)."""

from __future__ import annotations

import importlib

from equipments.base import Equipment

# Short names; `water_heater` is the seed's name for a variable load.
BUILTIN: dict[str, str] = {
    "variable": "equipments.variable:VariableEquipment",
    "water_heater": "equipments.variable:VariableEquipment",
    "constant": "equipments.constant:ConstantEquipment",
    "unknown": "equipments.unknown:UnknownEquipment",
}


def resolve_kind(type_name: str) -> type[Equipment]:
    """The class for `type_name`; ValueError with a readable reason when it cannot be used."""
    target = BUILTIN.get(type_name.strip().lower(), type_name.strip())
    if ":" not in target:
        raise ValueError(f"unknown type {type_name!r}: use one of {', '.join(sorted(BUILTIN))} "
                         "or package.module:Class")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import module {module_name!r} for type {type_name!r}: {exc}") from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise ValueError(f"module {module_name!r} has no class {class_name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Equipment)):
        raise ValueError(f"{target} is not a subclass of equipments.Equipment")
    return cls
