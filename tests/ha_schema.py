"""Home Assistant's documented MQTT discovery keys, per platform (home-assistant.io/integrations/
<platform>.mqtt, "Configuration Variables"; cross-checked with the hass-mqtt-discovery crate's entity
structs), and a checker a fake HA uses on every config it receives.
Only the keys PySEB could plausibly use are listed with their types; anything else is refused, so a typo
(`unit_of_measure`, `availability_topics`) fails the test; the `device` and `origin` blocks are checked too."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

COMMON = {
    "availability", "availability_mode", "availability_template", "availability_topic", "device",
    "enabled_by_default", "encoding", "entity_category", "icon", "json_attributes_template",
    "json_attributes_topic", "name", "object_id", "default_entity_id", "payload_available",
    "payload_not_available", "qos", "unique_id", "origin", "entity_picture",
}
PLATFORM_KEYS = {
    "sensor": {"device_class", "expire_after", "force_update", "last_reset_value_template", "options",
               "state_class", "state_topic", "suggested_display_precision", "unit_of_measurement",
               "value_template"},
    "binary_sensor": {"device_class", "expire_after", "force_update", "off_delay", "payload_off", "payload_on",
                      "state_topic", "value_template"},
    "switch": {"command_template", "command_topic", "device_class", "optimistic", "payload_off", "payload_on",
               "retain", "state_off", "state_on", "state_topic", "value_template"},
    "number": {"command_template", "command_topic", "device_class", "max", "min", "mode", "optimistic",
               "payload_reset", "retain", "state_topic", "step", "unit_of_measurement", "value_template"},
    "select": {"command_template", "command_topic", "optimistic", "options", "retain", "state_topic",
               "value_template"},
}
REQUIRED = {"sensor": {"state_topic"}, "binary_sensor": {"state_topic"}, "switch": {"command_topic"},
            "number": {"command_topic"}, "select": {"command_topic", "options"}}
# origin (MQTT's MQTT_ORIGIN_INFO_SCHEMA): the application that publishes the config; HA logs it with each entity.
ORIGIN_REQUIRED = {"name"}
ORIGIN_KEYS = {"name", "sw_version", "support_url"}
DEVICE_KEYS = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model",
               "model_id", "name", "serial_number", "suggested_area", "sw_version", "via_device"}
DEVICE_CLASSES = {
    "sensor": {"power", "energy", "duration"},  # the ones PySEB may use (the full list is longer)
    "binary_sensor": {"problem", "running", "power", "heat"},
    "switch": {"switch", "outlet"},
    "number": {"power", "duration"},
}
STATE_CLASSES = {"measurement", "total", "total_increasing"}
# entity_category (MQTT's ENTITY_CATEGORIES_SCHEMA: config or diagnostic; HA 2021.11's "system" is gone): `config`
# is for an entity that changes a setting, so a read-only one cannot have it (sensor.mqtt: "When set, the entity
# category must be diagnostic for sensors"; HA warns of a config sensor since 2023.11).
ENTITY_CATEGORIES = {"sensor": {"diagnostic"}, "binary_sensor": {"diagnostic"}, "switch": {"config", "diagnostic"},
                     "number": {"config", "diagnostic"}, "select": {"config", "diagnostic"}}
TEMPLATE = re.compile(r"^\{\{ value_json\['([a-z0-9_]+)'\] \}\}$")


def schema_problems(component: str, config: dict[str, Any]) -> list[str]:
    """What is wrong with one discovery config, by HA's documented schema; [] when it is good."""
    problems: list[str] = []
    allowed = COMMON | PLATFORM_KEYS.get(component, set())
    if component not in PLATFORM_KEYS:
        return [f"unknown platform {component!r}"]
    problems += [f"unknown key {key!r}" for key in config if key not in allowed]
    problems += [f"missing {key!r}" for key in REQUIRED[component] if key not in config]
    if "availability" in config and "availability_topic" in config:
        problems.append("availability and availability_topic together")
    device = config.get("device")
    if not isinstance(device, dict) or not device.get("identifiers") or not device.get("name"):
        problems.append("device needs identifiers and a name")
    else:
        problems += [f"unknown device key {key!r}" for key in device if key not in DEVICE_KEYS]
    if "origin" in config:
        problems += _origin_problems(config["origin"])
    if "device_class" in config and config["device_class"] not in DEVICE_CLASSES.get(component, set()):
        problems.append(f"device_class {config['device_class']!r} for a {component}")
    if "entity_category" in config and config["entity_category"] not in ENTITY_CATEGORIES[component]:
        problems.append(f"entity_category {config['entity_category']!r} for a {component}")
    precision = config.get("suggested_display_precision", 0)
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 0:  # (cv.positive_int)
        problems.append(f"suggested_display_precision {precision!r}: a whole number of decimals, >= 0")
    if "state_class" in config and config["state_class"] not in STATE_CLASSES:
        problems.append(f"state_class {config['state_class']!r}")
    if config.get("device_class") == "energy" and config.get("state_class") not in ("total", "total_increasing"):
        problems.append("an energy sensor needs state_class total or total_increasing")
    if config.get("device_class") == "energy" and config.get("unit_of_measurement") not in ("Wh", "kWh", "MWh"):
        problems.append("an energy sensor needs Wh, kWh or MWh")
    if config.get("device_class") == "power" and config.get("unit_of_measurement") not in ("W", "kW"):
        problems.append("a power entity needs W or kW")
    # sensor's DEVICE_CLASS_STATE_CLASSES: HA warns of a power sensor of another state class (and keeps no
    # mean/min/max statistics for one without); a duration is d, h, min, s or ms (DEVICE_CLASS_UNITS).
    if component == "sensor" and config.get("device_class") == "power" and config.get("state_class") != "measurement":
        problems.append("a power sensor needs state_class measurement")
    if config.get("device_class") == "duration" and config.get("unit_of_measurement") not in ("d", "h", "min", "s",
                                                                                               "ms"):
        problems.append("a duration needs d, h, min, s or ms")
    if component == "number" and not (isinstance(config.get("min"), (int, float))
                                      and isinstance(config.get("max"), (int, float))
                                      and config["min"] < config["max"]):
        problems.append("a number needs min < max")
    if component == "number" and config.get("mode", "auto") not in ("auto", "box", "slider"):
        problems.append(f"number mode {config['mode']!r}")
    if "value_template" in config and not TEMPLATE.match(str(config["value_template"])):
        problems.append(f"value_template {config['value_template']!r} is not one this fake HA renders")
    if "last_reset_value_template" in config:
        # sensor.mqtt: "When last_reset_value_template is set, the state_class option must be total".
        if config.get("state_class") != "total":
            problems.append(f"last_reset_value_template with state_class {config.get('state_class')!r}")
        if not TEMPLATE.match(str(config["last_reset_value_template"])):
            problems.append(f"last_reset_value_template {config['last_reset_value_template']!r} is not one this "
                            "fake HA renders")
    if not config.get("unique_id"):
        problems.append("no unique_id: HA could not edit or remove the entity")
    return problems


def _origin_problems(origin: Any) -> list[str]:
    """What is wrong with a config's `origin` (HA refuses the whole config for it)."""
    if not isinstance(origin, dict):
        return [f"origin {origin!r} is not a mapping"]
    problems = [f"origin needs {key!r}" for key in sorted(ORIGIN_REQUIRED) if not origin.get(key)]
    problems += [f"unknown origin key {key!r}" for key in origin if key not in ORIGIN_KEYS]
    problems += [f"origin {key} {value!r} is not text" for key, value in origin.items()
                 if key in ORIGIN_KEYS and not isinstance(value, str)]
    return problems


def render(config: dict[str, Any], state: dict[str, Any], template: str = "value_template") -> Any:
    """The entity's state as HA would render `{{ value_json['key'] }}` from the state document."""
    match = TEMPLATE.match(str(config[template]))
    assert match, config[template]
    return state[match[1]]


def render_last_reset(config: dict[str, Any], state: dict[str, Any]) -> datetime:
    """The sensor's last_reset as HA's MQTT sensor reads it from the state document (parse_datetime: ISO 8601); an
    AssertionError when it is not an aware timestamp (HA logs 'Invalid last_reset message' and keeps the old one)."""
    text = render(config, state, "last_reset_value_template")
    assert isinstance(text, str), f"last_reset {text!r}"
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, f"last_reset {text!r} has no UTC offset"
    return moment


def recorder_sum(config: dict[str, Any], states: list[dict[str, Any]]) -> float:
    """The long-term statistics' sum HA's recorder compiles for one energy sensor from its successive states
    (homeassistant/components/sensor/recorder.py, compile_statistics): the first state is the zero point; with
    state_class total_increasing a drop below 90 % of the last state starts a new meter cycle, counted from 0
    (reset_detected); with total, a changed last_reset starts one, and any other drop is a decrease of the sum."""
    total, last, last_reset = 0.0, None, None
    for state in states:
        value = float(render(config, state))
        reset_at = render_last_reset(config, state) if "last_reset_value_template" in config else None
        if last is None:
            last, last_reset = value, reset_at
            continue
        if config["state_class"] == "total" and reset_at != last_reset:
            total, last_reset = total + value, reset_at
        elif config["state_class"] == "total_increasing" and value < 0.9 * last:
            total += value
        else:
            total += value - last
        last = value
    return total
