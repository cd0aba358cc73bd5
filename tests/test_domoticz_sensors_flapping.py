"""The sensors' resend after a connect (RESEND_AFTER_CONNECT_S, test_domoticz_sensors_reconnect) on a link that
reconnects faster than that: each connect put it off by another 60 s, and a link dropping every 30 s (a flaky Wi-Fi, a
broker's keepalive too short) never sent it, a flow's 0 lost at the first drop shown in Domoticz until the keepalive's
(30 min). A reconnect keeps the resend the series' first connect set, and has its own a minute later (the first's may
go before Domoticz is back from the outage the reconnect ends), replaced by a later reconnect's; one whose time came
while the link was down is set anew (the link was down then: Domoticz may not be back either)."""

from __future__ import annotations

import json
from pathlib import Path

from integrations.domoticz import RESEND_AFTER_CONNECT_S, GridPublisher
from tests.harness import NOON
from tests.test_domoticz_sensors_reconnect import reconnected_while_importing, sensors


def _values(messages: list[tuple[str, str]]) -> list[str]:
    return [json.loads(payload)["svalue"] for _, payload in messages]


def test_reconnects_faster_than_the_resend_keep_the_first_connect_s() -> None:
    pub = GridPublisher("domoticz/in", 5, 6)
    pub.update(400, 0, 0.0)
    pub.connected(100.0)
    assert _values(pub.update(0, 0, 101.0)) == ["0"]  # (the import stops: its single 0, lost: Domoticz not back)
    pub.connected(130.0)  # (the link dropped and came back: twice within the minute)
    pub.connected(155.0)
    assert pub.update(0, 0, 100.0 + RESEND_AFTER_CONNECT_S - 1) == []
    assert _values(pub.update(0, 0, 100.0 + RESEND_AFTER_CONNECT_S)) == ["0", "0"]
    pub.connected(170.0)  # (a connect after the resend: a resend of its own)
    assert pub.update(0, 0, 229.0) == [] and _values(pub.update(0, 0, 230.0)) == ["0", "0"]


def test_a_resend_whose_time_came_while_the_link_was_down_is_set_anew() -> None:
    pub = GridPublisher("domoticz/in", 5, 6)
    pub.update(0, 0, 0.0)
    pub.connected(100.0)  # (down at 110, back at 200: no decision sent anything meanwhile)
    pub.connected(200.0)
    assert pub.update(0, 0, 201.0) == []  # (not at once: Domoticz may not be back from the same outage)
    assert _values(pub.update(0, 0, 200.0 + RESEND_AFTER_CONNECT_S)) == ["0", "0"]


def test_a_clock_stepped_back_between_two_connects_does_not_hold_the_resend() -> None:
    pub = GridPublisher("domoticz/in", 5, 0)
    pub.update(0, 0, 5000.0)
    pub.connected(5000.0)
    pub.connected(5000.0 - 3600)  # (the resend dated an hour ahead of the new connect: set from it)
    assert len(pub.update(0, 0, 5000.0 - 3600 + 1)) == 1  # (the last 0 dated ahead: sent, as the keepalive is)
    assert pub.update(0, 0, 5000.0 - 3600 + RESEND_AFTER_CONNECT_S - 1) == []
    assert len(pub.update(0, 0, 5000.0 - 3600 + RESEND_AFTER_CONNECT_S)) == 1


def test_the_regulator_on_a_link_dropping_every_30_s_sends_the_lost_0_a_minute_after_the_first_connect(
        tmp_path: Path) -> None:
    h, mark = reconnected_while_importing(tmp_path)
    for k in range(40):  # readings every 3 s, the import gone; the link down for 2 s every 30 s
        now = NOON + 21 + 3 * k
        if k % 10 == 9:
            h.reg.on_disconnected(now - 1)
            h.reg.on_connected(now + 1)
        h.meters(2000, 2000, now + 1.5)
    # its stop, then both 60 s after the series' first connect (NOON + 20); before, never within the 2 minutes
    assert sensors(h.sent, mark) == [(5, "0"), (5, "0"), (6, "0")]


def test_a_broker_restart_just_before_the_first_connect_s_resend_gets_a_resend_of_its_own() -> None:
    # A start at 0, then the broker restarted at 55: PySEB back at 58, Domoticz at its next try (every 30 s). The
    # resend the start's connect set goes at 60, while Domoticz is still away, lost; the reconnect's own, a minute after
    # it, is the one Domoticz gets (kept alone, the flow's 0 lost at the restart showed the import until the keepalive).
    pub = GridPublisher("domoticz/in", 5, 6)
    pub.connected(0.0)
    pub.update(400, 0, 1.0)
    pub.connected(58.0)
    assert _values(pub.update(0, 0, 59.0)) == ["0"]  # (the import stops: its single 0, lost: Domoticz not back)
    assert _values(pub.update(0, 0, 60.0)) == ["0", "0"]  # (the start's, kept: lost too)
    assert pub.update(0, 0, 58.0 + RESEND_AFTER_CONNECT_S - 1) == []
    assert _values(pub.update(0, 0, 58.0 + RESEND_AFTER_CONNECT_S)) == ["0", "0"]


def test_connects_within_the_first_s_minute_share_the_last_one_s_resend() -> None:
    # (connects at 0, 20 and 45: the first's at 60, the last's at 105, none for the one at 20, which the last's covers)
    pub = GridPublisher("domoticz/in", 5, 6)
    sent = []
    for t in range(0, 200, 5):
        if t in (0, 20, 45):
            pub.connected(float(t))
        if pub.update(0, 0, float(t)):
            sent.append(t)
    assert sent == [0, 60, 105]
