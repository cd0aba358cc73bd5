"""Shared set-up of the tests of the Domoticz link wired into the regulator (test_field_domoticz and the
test_field_domoticz_*, test_domoticz_* and test_field_mqtt files): its topics and idx, the real selector and switch
updates, a Domoticz that echoes, and a user's On then an unforce from regul/mode."""

from __future__ import annotations

import json
from pathlib import Path

from tests.field_house import field_config
from tests.harness import MODE, NOON, Harness

DZ_IN, DZ_OUT = "domoticz/in", "domoticz/out"
SELECTOR_IDX, ECS_SWITCH, RADIATOR_SWITCH = 338, 359, 360
DOMOTICZ = f"[domoticz]\nidx_ecs_mode = {SELECTOR_IDX}\n"
ECHOED = "[domoticz]\nprevent_loop = false\n"  # Domoticz's "Prevent Loop" at No: it echoes our updates


def selector(level: int, idx: int = SELECTOR_IDX) -> bytes:
    """The real selector update (PROTOCOL.md), at `level` (the mode selector's, or another selector's `idx`)."""
    return json.dumps({"Battery": 255, "RSSI": 12, "dtype": "Light/Switch", "id": "00014051", "idx": idx,
                       "name": "Automate_Cumulus", "nvalue": 2 if level else 0, "stype": "Selector Switch",
                       "svalue1": str(level),
                       "switchType": "Selector", "unit": 1, "LastUpdate": "2023-01-01 12:00:00"}).encode()


def switch(idx: int, on: bool) -> bytes:
    """An On/Off switch update as Domoticz publishes it on domoticz/out."""
    return json.dumps({"Battery": 255, "RSSI": 12, "dtype": "Light/Switch", "id": "0001405A", "idx": idx,
                       "name": f"Force_{idx}", "nvalue": int(on), "stype": "Switch", "svalue1": "0",
                       "switchType": "On/Off", "unit": 1}).encode()


def asked(idx: int) -> dict:
    """What PySEB asks Domoticz at each connect for a device: to publish it (its answer says what it is)."""
    return {"command": "getdeviceinfo", "idx": idx}


class EchoingDomoticz:
    """Reads what the regulator sent on domoticz/in and echoes every switchlight back on domoticz/out (and on each
    of `copies_on`, as Domoticz's publish topic "Flat + Floor/Room" does: the same message, one after the other);
    answers getdeviceinfo with the switch's state (Off until switched), as Domoticz does."""

    def __init__(self, h: Harness, copies_on: tuple[str, ...] = ()) -> None:
        self.h, self.read_upto, self.echoes = h, len(h.sent), 0
        self.topics = (DZ_OUT, *copies_on)
        self.state: dict[int, bool] = {}

    def switch_messages(self, since: int = 0) -> list[dict]:
        return [json.loads(p) for t, p, _ in self.h.sent[since:] if t == DZ_IN and "switchlight" in p]

    def deliver(self, now: float) -> None:
        while self.read_upto < len(self.h.sent):
            topic, payload, _ = self.h.sent[self.read_upto]
            self.read_upto += 1
            if topic == DZ_IN and '"getdeviceinfo"' in payload:
                idx = json.loads(payload)["idx"]
                for topic in self.topics:
                    self.h.reg.handle(topic, switch(idx, self.state.get(idx, False)), now)
            if topic == DZ_IN and '"switchlight"' in payload:
                doc = json.loads(payload)
                self.echoes += 1
                assert self.echoes < 20, "the regulator and Domoticz are ping-ponging"
                self.state[doc["idx"]] = doc["switchcmd"] == "On"
                for topic in self.topics:
                    self.h.reg.handle(topic, switch(doc["idx"], doc["switchcmd"] == "On"), now)


def user_on_then_unforced(tmp_path: Path) -> Harness:
    """The radiator forced by a user's On on its Domoticz switch at NOON + 30 (answered Off at the connect), then
    unforced from regul/mode at NOON + 40: the switch still shows On, a Domoticz under Prevent Loop told nothing."""
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)  # Domoticz's answer
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)
    assert h.load("radiator").forced_by == "domoticz"
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 40)
    assert not h.load("radiator").is_forced()
    return h


def switchlights(h: Harness, since: int) -> list[dict]:
    return [json.loads(p) for t, p, _ in h.sent[since:] if t == DZ_IN and "switchlight" in p]
