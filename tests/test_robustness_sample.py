"""config.ini.sample claims to list every option: checked against the option tables themselves (the
daemon's sections, the field features, Domoticz, and every built-in load kind), so a new option cannot
be added without its line in the sample."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from equipments.registry import BUILTIN, resolve_kind
from field.config import FIELD_LOAD_OPTIONS
from field.fallback_settings import FALLBACK_EVALUATE_OPTIONS, FALLBACK_OPTIONS, SEASON_OPTIONS
from field.forecast_settings import FORECAST_OPTIONS, OWM_OPTIONS
from integrations.domoticz_settings import DOMOTICZ_EVALUATE_OPTIONS, DOMOTICZ_OPTIONS
from integrations.homeassistant_settings import HOMEASSISTANT_OPTIONS
from settings.options import REQUIRED, Option
from settings.sections import EVALUATE_OPTIONS, LOGGING_OPTIONS, MQTT_OPTIONS, RECORD_OPTIONS, STATUS_OPTIONS

SAMPLE = Path(__file__).resolve().parent.parent / "config.ini.sample"

# The sample's conventions: `key = value` or `;key = value` (an option shown commented out: no blank after
# the `;`), `[section]` or `;[section]` (an example section commented out), prose comments start "; ".
_SECTION = re.compile(r"^;?\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^;?([a-z][a-z0-9_]*)\s*=\s*(.*?)\s*$")

SECTIONS: dict[str, tuple[Option, ...]] = {
    "mqtt": MQTT_OPTIONS,
    "evaluate": EVALUATE_OPTIONS + FALLBACK_EVALUATE_OPTIONS + DOMOTICZ_EVALUATE_OPTIONS,
    "status": STATUS_OPTIONS,
    "logging": LOGGING_OPTIONS,
    "record": RECORD_OPTIONS,
    "fallback": FALLBACK_OPTIONS,
    "season": SEASON_OPTIONS,
    "domoticz": DOMOTICZ_OPTIONS,
    "openweathermap": OWM_OPTIONS,
    "forecast": FORECAST_OPTIONS,
    "homeassistant": HOMEASSISTANT_OPTIONS,
}


@dataclass
class Shown:
    """One option line of the sample: its value and the comment paragraph it belongs to."""

    value: str
    paragraph: str


@dataclass
class Sample:
    """The sample's option lines by section, active or commented out."""

    sections: dict[str, dict[str, Shown]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Sample:
        sample = cls()
        section: dict[str, Shown] | None = None
        paragraph: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            header = _SECTION.match(line)
            key = _KEY.match(line)
            if header:
                section = sample.sections.setdefault(header[1], {})
                paragraph = []
            elif not line.strip():
                paragraph = []
            elif line.startswith(("; ", "# ")) or line.strip() in (";", "#"):
                paragraph.append(line)
            elif key and section is not None:
                section[key[1]] = Shown(key[2], "\n".join(paragraph))
        return sample


def _default_shown(opt: Option, shown: Shown) -> bool:
    """True when the sample shows the option's default, or its paragraph says what the default is."""
    if opt.default is REQUIRED:
        return True  # an example value is the only thing the sample can show
    try:
        value: Any = opt.parse(shown.value) if shown.value else None
    except ValueError:
        value = object()
    if value == opt.default or (value is None and opt.default is None):
        return True
    return "default" in shown.paragraph.lower()


def _missing(sample_section: dict[str, Shown], options: Iterable[Option]) -> list[str]:
    problems = []
    for opt in options:
        shown = sample_section.get(opt.name)
        if shown is None:
            problems.append(f"{opt.name}: not in the sample")
        elif not _default_shown(opt, shown):
            problems.append(f"{opt.name}: sample shows {shown.value!r}, the default is {opt.default!r} and its "
                            "comment does not say so")
    return problems


@pytest.fixture(scope="module")
def sample() -> Sample:
    return Sample.read(SAMPLE)


def test_the_reader_sees_what_the_sample_holds(sample: Sample) -> None:
    assert sample.sections["evaluate"]["meter_timeout"].value == "10"
    assert sample.sections["evaluate"]["low_ecs_energy_today"].value == "7000"  # commented out
    assert "send_domoticz" in sample.sections["domoticz"]
    assert "name" not in sample.sections["equipments"]  # "; name = type, ..." is prose


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_option_of_a_daemon_section_is_in_the_sample(sample: Sample, section: str) -> None:
    assert section in sample.sections, f"[{section}] missing from the sample"
    assert _missing(sample.sections[section], SECTIONS[section]) == []


def test_max_meter_power_is_in_the_sample_with_its_default(sample: Sample) -> None:
    assert sample.sections["evaluate"]["max_meter_power"].value == "30000"


@pytest.mark.parametrize("kind", sorted({target for target in BUILTIN.values()}))
def test_every_load_kind_has_an_example_with_all_its_options(sample: Sample, kind: str) -> None:
    cls = resolve_kind(kind)
    listed = sample.sections.get("equipments", {})
    examples = [name for name, shown in listed.items() if resolve_kind(shown.value) is cls]
    assert examples, f"no load of kind {cls.KIND} in the sample's [equipments] (commented out is fine)"
    name = examples[0]
    assert name in sample.sections, f"[{name}] (a {cls.KIND} load) has no section in the sample"
    assert _missing(sample.sections[name], cls.OPTIONS + FIELD_LOAD_OPTIONS) == []


def test_the_check_catches_a_missing_option(tmp_path: Path) -> None:
    # The test above is only worth something if a line taken out of the sample is noticed.
    text = SAMPLE.read_text(encoding="utf-8")
    trimmed = tmp_path / "sample.ini"
    trimmed.write_text(text.replace("max_meter_power = 30000\n", "").replace("retain = true\n", "", 1))
    sample = Sample.read(trimmed)
    assert _missing(sample.sections["evaluate"], EVALUATE_OPTIONS) == ["max_meter_power: not in the sample"]
    constant = resolve_kind("constant")
    assert _missing(sample.sections["radiator"], constant.OPTIONS) == ["retain: not in the sample"]
    sample.sections["evaluate"]["period"] = Shown("3", "; no word about it")
    assert "period: sample shows '3', the default is 1.0 and its comment does not say so" in \
        _missing(sample.sections["evaluate"], EVALUATE_OPTIONS)
