"""Fuzz (hypothesis): junk on every topic the regulator subscribes to never changes a command. A regulator
with every kind of topic (both meters, the mode topic, a variator's status and boot topics, the meters'
boot topic, a load's own meter, Domoticz's out topic with a mode selector and two force switches) is
brought to a steady state, then fed junk: random bytes, broken JSON, and JSON shaped like the real
messages with wrong values (a negative or NaN power, an nvalue of -1 or 2 on an On/Off switch, an
unknown load, a selector level that is not one). No command may change, no force appear, and the next
good readings are used as before."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.field_house import field_config
from tests.harness import NOON, Harness

SELECTOR, ECS_SWITCH, RADIATOR_SWITCH = 338, 359, 360
LOAD_NAMES = {"ecs", "radiator"}

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
bad_power = st.one_of(st.none(), st.booleans(), st.text(max_size=8), st.integers(max_value=-1),
                      st.floats(max_value=-0.001), st.just(float("nan")), st.just(float("inf")),
                      st.floats(min_value=30000.5, allow_infinity=True), st.lists(st.integers(), max_size=2))


def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


# A force's power: a number given as text is taken ("1500", as shell scripts send it), and one over the load's
# maximum is held at it (as the seeds did): neither is junk there.
bad_force_power = st.one_of(st.none(), st.booleans(), st.text(max_size=8).filter(_not_a_number),
                            st.integers(max_value=-1), st.floats(max_value=-0.001), st.just(float("nan")),
                            st.just(float("inf")), st.lists(st.integers(), max_size=2))
bad_nvalue = st.one_of(st.integers().filter(lambda n: n not in (0, 1)), st.none(), st.text(max_size=4),
                       st.floats(allow_nan=True), st.booleans())
bad_level = st.one_of(st.integers().filter(lambda n: n < 0 or n > 1000 or n % 10).map(str),
                      st.text(max_size=5).filter(lambda t: not t.strip().isdigit()))
bad_name = st.text(max_size=10).filter(lambda t: t not in LOAD_NAMES)


def dumps(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def near_real(payload: bytes) -> bool:
    """Whether random bytes happen to make a message the regulator must act on: JSON with a mode command for
    one of the loads, an update of one of the Domoticz devices, or a power that is a number (a meter
    reading). Hypothesis draws from the literals of the code it runs: it made `{"command": "force", "name":
    "radiator", "power": 30, "": null}`, a real force. (`shaped` below is left whole: its values are wrong by
    construction.)"""
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        return False
    if not isinstance(value, dict):
        return False
    return (value.get("command") in ("force", "unforce") and value.get("name") in LOAD_NAMES
            or value.get("idx") in (SELECTOR, ECS_SWITCH, RADIATOR_SWITCH)
            or isinstance(value.get("power"), (int, float)))


shaped = st.one_of(
    st.builds(lambda p, extra: dumps({"voltage": 231.4, "power": p, **extra}), bad_power,
              st.dictionaries(st.text(max_size=6).filter(lambda k: k != "power"), scalars, max_size=2)),
    st.builds(lambda n, idx, t: dumps({"idx": idx, "nvalue": n, "switchType": t}), bad_nvalue,
              st.sampled_from([ECS_SWITCH, RADIATOR_SWITCH]), st.sampled_from(["On/Off", "Push On Button", ""])),
    st.builds(lambda n, idx: dumps({"idx": idx, "nvalue": n}), st.integers(0, 2),
              st.sampled_from([ECS_SWITCH, RADIATOR_SWITCH])),  # no switchType: not a switch update
    st.builds(lambda lv, idx: dumps({"idx": idx, "nvalue": 2, "switchType": "Selector", "svalue1": lv}), bad_level,
              st.sampled_from([SELECTOR, ECS_SWITCH, RADIATOR_SWITCH])),
    st.builds(lambda c, n, p: dumps({"command": c, "name": n, "power": p}),
              st.sampled_from(["force", "unforce", "Force", "", "stop"]), bad_name, scalars),
    st.builds(lambda c, p, d: dumps({"command": c, "name": "radiator", "power": p, "duration": d}),
              st.just("force"), bad_force_power, scalars),
    st.builds(lambda c: dumps({"command": c, "name": "ecs"}), st.text(max_size=8).filter(
        lambda c: c not in ("force", "unforce"))),
)
unstructured = st.one_of(st.binary(max_size=120), st.text(max_size=80).map(str.encode),
                         json_values.map(dumps)).filter(lambda b: not near_real(b))
junk = st.one_of(unstructured, shaped, shaped.map(lambda b: b[: max(1, len(b) // 2)]))


def steady(tmp_path: Path) -> Harness:
    ecs = f"topic_read_power = regul/vload/ECS/meter\ndomoticz_idx_force = {ECS_SWITCH}\n"
    config = field_config(tmp_path, ecs=ecs,
                          radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n",
                          extra=f"\n[domoticz]\nidx_ecs_mode = {SELECTOR}\n")
    h = Harness(config)
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.meters(300, 1800, NOON + 1)  # some surplus: the heater takes part of it
    h.meters(300 + h.load("ecs").current_power_w, 1800, NOON + 4)
    return h


def commands(h: Harness) -> dict[str, str]:
    return {load.name: load.current_command().payload for load in h.reg.loads}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(st.tuples(st.integers(min_value=0), junk), min_size=1, max_size=12))
def test_junk_on_any_subscribed_topic_never_changes_a_command(tmp_path_factory, messages) -> None:  # type: ignore[no-untyped-def]
    h = steady(tmp_path_factory.mktemp("fuzz"))
    topics = sorted({t.replace("/#", "") for t in h.reg.subscriptions()} | {"domoticz/out/Force_radiator"})
    assert {"smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/mode", "regul/vload/ECS", "regul/vload",
            "smeter/pzem", "regul/vload/ECS/meter", "domoticz/out"} <= set(topics)
    before = commands(h)
    sent_before = {topic for topic, _, _ in h.sent}
    now = NOON + 4
    for pick, payload in messages:
        now += 0.2  # well inside meter_timeout: no meter goes stale meanwhile
        h.reg.handle(topics[pick % len(topics)], payload, now)
        h.reg.tick(now + 0.01)
    assert commands(h) == before
    assert not any(load.is_forced() for load in h.reg.loads)
    assert {topic for topic, _, _ in h.sent} <= sent_before | {"domoticz/in"}
    h.meters(300, 3000, now + 3)  # still regulating on good readings
    assert h.reg.status(now + 3)["power_production"] == 3000
