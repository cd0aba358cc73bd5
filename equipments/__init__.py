"""Load models, one class per control method, loaded by name from the config's [equipments]."""

from equipments.base import BuildContext, Command, Equipment, EquipmentBuildError

__all__ = ["BuildContext", "Command", "Equipment", "EquipmentBuildError"]
