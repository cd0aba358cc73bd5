"""Every topic of the file checked for what it is used as: one topic for two roles, a variator's command topic
that is its status topic's shape, and each topic against its role (settings.topics: what a subscription or a
publish can take)."""

from __future__ import annotations

from typing import Any

from equipments.base import Equipment
from field.config import FieldSettings, reads_domoticz_output
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader
from settings.topics import TopicRole, topic_problem, topic_warning
from values.payloads import same_payload

_MQTT_TOPIC_KEYS = ("topic_cons", "topic_prod", "topic_mode", "topic_status", "topic_availability", "topic_report")


def check_topics(reader: SectionReader, mqtt_raw: dict[str, Any], equipments: list[Equipment],
                  forecast_topic: str | None) -> None:
    """One topic for two roles: a meter reading taken for the other meter, a status or a load's command
    read back as a mode command, a forecast read as a meter. Each role must have its own topic."""
    owner: dict[str, str] = {}
    for key in _MQTT_TOPIC_KEYS:
        topic = mqtt_raw.get(key)
        if not topic:
            continue
        if topic in owner:
            reader.problems.append(ConfigProblem("mqtt", key, f"{topic!r} is also [mqtt] {owner[topic]}: "
                                                 "each needs its own topic"))
        else:
            owner[topic] = _written(reader, key)
    if forecast_topic and forecast_topic in owner:
        reader.problems.append(ConfigProblem("forecast", "topic", f"{forecast_topic!r} is also [mqtt] "
                                             f"{owner[forecast_topic]}: each needs its own topic"))
    elif forecast_topic:
        # (a load's meter named there: each reading, every 2 s, refused as a forecast with a warning, for good)
        role = next((role for load in equipments for role, topic in _load_topics(load) if topic == forecast_topic),
                    None)
        if role is not None:
            reader.problems.append(ConfigProblem("forecast", "topic", f"{forecast_topic!r} is also {role}: each "
                                                 "needs its own topic"))
    for load in equipments:
        topic = load.options.get("topic_set_power")
        if topic in owner:
            reader.problems.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} is also [mqtt] "
                                                 f"{owner[topic]}: its commands would be read back as that"))
        own_meter = load.options.get("topic_read_power")
        if own_meter in owner:
            reader.problems.append(ConfigProblem(load.name, "topic_read_power", f"{own_meter!r} is also [mqtt] "
                                                 f"{owner[own_meter]}: the load's own meter (what it alone draws) "
                                                 "needs its own topic"))
        for role, topic in _load_topics(load):
            if topic in owner and topic not in (load.options.get("topic_set_power"), own_meter):
                # (a variator's answers, given or made from its command topic: PySEB's status read as junk answers
                # every few seconds, the device's own never heard, its reboot's resend lost)
                key = "topic_status" if role == f"[{load.name}] topic_status" else "topic_set_power"
                reader.problems.append(ConfigProblem(load.name, key, f"{topic!r}, where the load reads its device's "
                                                     f"answers, is also [mqtt] {owner[topic]}: each needs its own "
                                                     "topic"))


def check_shared_topics(reader: SectionReader, mqtt_raw: dict[str, Any], equipments: list[Equipment],
                        field: FieldSettings) -> None:
    """One topic for two roles outside [mqtt]'s own: Domoticz's input or output (each read under its `/#`) as one of
    [mqtt]'s topics or a load's command topic, and a load's command topic as what another load reads (a variator's
    status, a heater's meter) or another variator's commands. Each went unsaid: PySEB's status written into Domoticz's
    input, a relay's own orders read back from Domoticz's output as junk at every switch, a relay's ON read as the
    heater's meter."""
    owner = {mqtt_raw[key]: f"[mqtt] {_written(reader, key)}" for key in reversed(_MQTT_TOPIC_KEYS)
             if mqtt_raw.get(key)}
    domoticz = field.domoticz
    reads_out = reads_domoticz_output(domoticz, equipments)
    out = domoticz.topic_out.rstrip("/") if reads_out and domoticz.topic_out else None
    if domoticz.topic_in and (domoticz.send or reads_out) and domoticz.topic_in in owner:
        reader.problems.append(ConfigProblem("domoticz", "topic_in", f"{domoticz.topic_in!r} is also "
                                             f"{owner[domoticz.topic_in]}: each needs its own topic"))
    if domoticz.send and field.forecast.mqtt_topic and field.forecast.mqtt_topic == domoticz.topic_in:
        # (PySEB's own grid sensors, after each decision, read back as forecasts: refused, a warning each)
        reader.problems.append(ConfigProblem("forecast", "topic", f"{domoticz.topic_in!r} is also [domoticz] "
                                             "topic_in, where PySEB sends its grid sensors: each needs its own "
                                             "topic"))
    if out is not None:
        for topic, role in owner.items():
            if _under(topic, out):
                reader.problems.append(ConfigProblem("domoticz", "topic_out", f"{role} ({topic!r}) is under it, "
                                                     f"read as Domoticz's output ({out}/#): each needs its own topic"))
    read_by = {topic: role for load in equipments for role, topic in _load_topics(load)
               if not role.endswith("topic_set_power")}
    variators = {str(load.options.get("topic_set_power")): load.name for load in equipments if load.KIND == "variable"}
    for load in equipments:
        topic = str(load.options.get("topic_set_power") or "")
        read_as = read_by.get(topic)
        if read_as is not None and not read_as.startswith((f"[{load.name}] ", f"a topic [{load.name}] ")):
            reader.problems.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} is also {read_as}: its "
                                                 "commands would be read as that"))
        elif variators.get(topic, load.name) != load.name:
            reader.problems.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} is also "
                                                 f"[{variators[topic]}] topic_set_power, a variator's commands"))
        elif out is not None and topic and _under(topic, out):
            reader.problems.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} is under [domoticz] "
                                                 f"topic_out ({out}/#), read as Domoticz's output: its commands "
                                                 "would be read back as junk at every switch"))
    _warn_one_relay_for_two_loads(reader, equipments, domoticz.topic_in)


def _warn_one_relay_for_two_loads(reader: SectionReader, equipments: list[Equipment], domoticz_in: str) -> None:
    """Two relay loads with one command topic and the same on payload: one device (a copied section), its watts
    counted twice, each load switching the other. Warned, as two loads on one Domoticz device are (field.config, for
    Domoticz's input, whose orders the idx tells apart): a config that ran stays running."""
    seen: dict[str, list[Equipment]] = {}
    for load in equipments:
        on = load.options.get("json_on")
        topic = load.options.get("topic_set_power")
        if load.KIND == "variable" or not isinstance(on, str) or not isinstance(topic, str) or topic == domoticz_in:
            continue
        twin = next((other for other in seen.get(topic, []) if same_payload(on, str(other.options["json_on"]))),
                    None)
        if twin is not None:
            reader.warnings.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} with json_on {on!r} is "
                                                 f"also [{twin.name}]'s: one device for two loads (its watts counted "
                                                 "twice, switching one switches both)"))
        seen.setdefault(topic, []).append(load)


def _written(reader: SectionReader, key: str) -> str:
    """[mqtt] `key` as the file names it (the seed's topic_force for topic_mode): a message naming the other key of a
    pair by PySEB's name sent a user looking for a line the file does not have."""
    return reader.given_as.get(("mqtt", key), ("mqtt", key))[1]


def _under(topic: str, root: str) -> bool:
    """Whether `topic` is `root` or one of its subtopics (a subscription to `root/#` gets it)."""
    return topic == root or topic.startswith(f"{root}/")


def _load_topics(load: Equipment) -> list[tuple[str, str]]:
    """The topics a load reads or commands, each with what it is to the load ("[ecs] topic_read_power")."""
    named = [(f"[{load.name}] {key}", str(load.options[key]))
             for key in ("topic_set_power", "topic_read_power", "topic_status") if load.options.get(key)]
    return named + [(f"a topic [{load.name}] reads (its device's answers)", topic) for topic in load.subscriptions()
                    if topic not in {t for _, t in named}]


def check_variator_command_topic(reader: SectionReader, load: Equipment, topic_regul: str) -> None:
    """A variable load's commands go to the variator's `<topic>/<name>/cmd`. Coturex's older equipment.py
    added the /cmd itself, so its configs say `regul/vload/ECS`: PySEB would then send every percent to
    the variator's status topic and the heater would never move."""
    if load.KIND != "variable":
        return
    topic = load.topic_set_power
    status = getattr(load, "topic_status", None)
    if status and load.options.get("topic_read_power") == status:
        # The variator's answers say `"power": 0` always (it does not measure): read as the heater's own meter,
        # every command looked like a tank that draws nothing, "full" for the day, every day.
        reader.problems.append(ConfigProblem(load.name, "topic_read_power", f"{status!r} is this load's "
                                             "topic_status, the variator's own answers (their power is always 0: "
                                             "it does not measure): name the heater's power meter (e.g. "
                                             "smeter/pzem/ECS), or leave it out"))
    if status and topic == status:
        # Not a firmware question: the load would read its own commands back as the variator's answers
        # (and never command the device), whatever the firmware.
        reader.problems.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} is also this load's "
                                             "topic_status (the variator's status topic): commands go to "
                                             f"its command topic, e.g. {topic}/cmd"))
        return
    if topic.endswith("/cmd"):
        return
    # A warning, not an error: the topic's shape is a strong hint, not a certainty. The seed's own README puts
    # the percent at <vload_topic>/<id>, and another firmware (or a user's script) may take commands there.
    advice = (f"the variator firmware takes commands on <topic>/<name>/cmd only; if {topic!r} is its status "
              f"topic (Coturex's older equipment.py added /cmd itself), write topic_set_power = {topic}/cmd")
    if topic.startswith(f"{topic_regul}/vload/") and topic.count("/") == topic_regul.count("/") + 2:
        message = (f"{topic!r} is the shape of a variator's STATUS topic (<topic_regul>/vload/<id>): the "
                   f"heater would never move; {advice}")
    else:
        message = f"{topic!r} does not end in /cmd: {advice} (ignore this for another firmware)"
    reader.warnings.append(ConfigProblem(load.name, "topic_set_power", message))


# PySEB's own topics, whose shape no device imposes: a leading / in one is a slip (settings.topics.topic_warning).
OWN_TOPIC_KEYS = frozenset({("mqtt", "topic_regul"), ("mqtt", "topic_mode"), ("mqtt", "topic_status"),
                            ("mqtt", "topic_availability"), ("mqtt", "topic_report"), ("forecast", "topic"),
                            ("domoticz", "topic_in"), ("domoticz", "topic_out")})


def check_topic_roles(reader: SectionReader, mqtt_raw: dict[str, Any], equipments: list[Equipment],
                       field: FieldSettings, derived: set[str]) -> None:
    """Every topic checked for what it is used as (settings.topics): one clear line per bad topic, one warning per
    suspicious one the file gives (those `derived` from topic_regul repeat its own)."""
    publish, read = TopicRole.PUBLISH, TopicRole.READ
    checks: list[tuple[str, str, Any, TopicRole]] = [
        ("mqtt", "topic_cons", mqtt_raw.get("topic_cons"), read),
        ("mqtt", "topic_prod", mqtt_raw.get("topic_prod"), read),
        ("mqtt", "topic_mode", mqtt_raw.get("topic_mode"), read),
        ("mqtt", "topic_status", mqtt_raw.get("topic_status"), publish),
        ("mqtt", "topic_availability", mqtt_raw.get("topic_availability"), publish),
        ("mqtt", "topic_report", mqtt_raw.get("topic_report"), publish),
    ]
    if field.forecast.mqtt_topic is not None:
        checks.append(("forecast", "topic", field.forecast.mqtt_topic, read))
    if mqtt_raw.get("topic_regul") is not None and not mqtt_raw["topic_regul"].strip("/"):
        checks.append(("mqtt", "topic_regul", "", publish))
    if field.domoticz.send or reads_domoticz_output(field.domoticz, equipments):
        checks += [("domoticz", "topic_in", field.domoticz.topic_in, publish),
                   ("domoticz", "topic_out", field.domoticz.topic_out, read)]
    for load in equipments:
        checks.append((load.name, "topic_set_power", load.topic_set_power, publish))
        given = {key: value for key, value in load.options.items()
                 if key.startswith("topic_") and key != "topic_set_power" and value is not None}
        checks += [(load.name, key, value, read) for key, value in given.items()]
        if any(topic_problem(str(v), read) for v in given.values()) or topic_problem(load.topic_set_power, publish):
            continue  # topics derived from a bad one would only repeat its problem
        for topic in load.subscriptions():  # topics derived from others (a variator's status and boot topics)
            if topic not in given.values():
                checks.append((load.name, "topic_set_power", topic, read))
    seen: set[tuple[str, str]] = set()
    for section, key, value, role in checks:
        problem = topic_problem(None if value is None else str(value), role, (section, key) in OWN_TOPIC_KEYS)
        if problem and (section, key) not in seen:
            seen.add((section, key))
            reader.problems.append(ConfigProblem(section, key, problem))
    to_warn = [(section, key, value) for section, key, value, _ in checks
               if (section, key) not in seen and not (section == "mqtt" and key in derived) and value]
    if mqtt_raw.get("topic_regul") and ("mqtt", "topic_regul") not in seen:
        to_warn.append(("mqtt", "topic_regul", mqtt_raw["topic_regul"].rstrip("/")))
    warned: set[tuple[str, str]] = set()
    for section, key, value in to_warn:
        if (section, key) not in warned and (warning := topic_warning(str(value), (section, key) in OWN_TOPIC_KEYS)):
            warned.add((section, key))
            reader.warnings.append(ConfigProblem(section, key, warning))
