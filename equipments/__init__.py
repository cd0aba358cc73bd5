"""Load models, one class per control method, loaded by name from the config's [equipments]."""

from equipments.base import Equipment
from equipments.load_build import BuildContext, EquipmentBuildError
from equipments.load_command import Command

__all__ = ["BuildContext", "Command", "Equipment", "EquipmentBuildError"]
