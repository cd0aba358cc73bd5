"""The Domoticz link while the broker link is down: nothing shown on a force switch, nor sensors sent (paho kept
them for the reconnect and replayed the night's flips; the daemon now drops them, and an echo awaited for one never
sent swallowed a user's same update after the reconnect). The connect asks each switch, and its answer gets the load's
state in effect."""

from __future__ import annotations

import json
from pathlib import Path

from tests.field_domoticz import DZ_IN, DZ_OUT, RADIATOR_SWITCH, switch, switchlights
from tests.field_house import field_config
from tests.harness import MODE, NOON, Harness


def test_a_force_that_ends_while_the_link_is_down_is_shown_from_the_connect_s_answer_not_meanwhile(
        tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n",
                             extra="[domoticz]\nidx_grid = 5\nidx_injection = 6\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)  # the answer: Off
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 60}', NOON + 1)
    h.reg.tick(NOON + 1.5)
    assert [s["switchcmd"] for s in switchlights(h, 0)] == ["On"]
    h.reg.on_disconnected(NOON + 10)
    mark = len(h.sent)
    for k in range(12):  # the force ends at NOON + 61
        h.reg.tick(NOON + 10 + 10 * k)
    assert not h.load("radiator").is_forced()
    assert [payload for topic, payload, _ in h.sent[mark:] if topic == DZ_IN] == []
    h.reg.on_connected(NOON + 200)
    assert [json.loads(payload)["command"] for topic, payload, _ in h.sent[mark:] if topic == DZ_IN] == [
        "getdeviceinfo"]
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 200.1)  # the answer: still On, the Off never sent
    assert [s["switchcmd"] for s in switchlights(h, mark)] == ["Off"]
    assert not h.load("radiator").is_forced()
