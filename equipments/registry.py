"""From a type name in [equipments] to a class: the built-in kinds by short name, or a user's own
`package.module:Class` (which must subclass Equipment)."""

from __future__ import annotations

import importlib

from equipments.base import Equipment
from settings.options import REQUIRED, Option

# Short names; `water_heater` is the seed's name for a variable load.
BUILTIN: dict[str, str] = {
    "variable": "equipments.variable:VariableEquipment",
    "water_heater": "equipments.variable:VariableEquipment",
    "constant": "equipments.constant:ConstantEquipment",
    "unknown": "equipments.unknown:UnknownEquipment",
}


# What a load class must implement itself (the base class's raise NotImplementedError): the allocation calls them.
REQUIRED_METHODS = ("max_power_w", "command_for", "increase_power_by", "decrease_power_by")
# Where Python finds a user's module: said with an import that failed (not beside config.ini, as the config's paths)
WHERE_MODULES_GO = ("a module is found beside regulation.py or in a folder named by PYTHONPATH, not beside "
                    "config.ini")


def resolve_kind(type_name: str) -> type[Equipment]:
    """The class for `type_name`; ValueError with a readable reason when it cannot be used: a user's module that does
    not import (whatever it raises: a syntax error in it, an error at its import), a class that is no Equipment or
    leaves out what every load has (`topic_set_power` in its OPTIONS, the methods the allocation calls). Each was a
    traceback and exit code 1, which systemd restarts every 10 s, rather than a config problem."""
    target = BUILTIN.get(type_name.strip().lower(), type_name.strip())
    if ":" not in target:
        raise ValueError(f"unknown type {type_name!r}: use one of {', '.join(sorted(BUILTIN))} "
                         "or package.module:Class")
    module_name, _, class_name = target.partition(":")
    if module_name.startswith("."):
        raise ValueError(f"{module_name!r}: a module named from the top (package.module), not relatively")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # (its own error at import too: a SyntaxError, a NameError, a device not there...)
        parents = {module_name.rsplit(".", depth)[0] for depth in range(module_name.count(".") + 1)}
        if isinstance(exc, ModuleNotFoundError) and exc.name in parents:
            raise ValueError(f"cannot import module {module_name!r} for type {type_name!r}: {exc} "
                             f"({WHERE_MODULES_GO})") from exc
        # (found, but a package it imports is missing, or it fails: not a matter of where it is)
        raise ValueError(f"module {module_name!r} for type {type_name!r} fails at its import: "
                         f"{type(exc).__name__}: {exc}") from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise ValueError(f"module {module_name!r} has no class {class_name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Equipment)):
        raise ValueError(f"{target} is not a subclass of equipments.Equipment")
    options = getattr(cls, "OPTIONS", None)
    if not isinstance(options, tuple) or not all(isinstance(o, Option) for o in options) \
            or "topic_set_power" not in {o.name for o in options}:
        raise ValueError(f"{target}'s OPTIONS must be a tuple of Option starting from Equipment.OPTIONS (OPTIONS = "
                         "Equipment.OPTIONS + (Option(...), ...)): every load has its topic_set_power")
    upper = [o.name for o in options if o.default is REQUIRED and o.name != o.name.lower()]
    if upper:
        # (a config's keys are read in lower case: `Watts` was never found, "is required", and `watts` "not a key";
        # one with a default is left as it was: it runs at its default, as it always did)
        raise ValueError(f"{target}'s required option names must be in lower case, as a config's keys are read: "
                         f"{', '.join(upper)}")
    missing = [name for name in REQUIRED_METHODS if getattr(cls, name) is getattr(Equipment, name)]
    if missing:
        raise ValueError(f"{target} does not implement {', '.join(missing)} (every load class must)")
    return cls
