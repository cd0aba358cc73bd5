"""A status the publish function refuses (paho's full queue: MqttLink raises PublishFailed) is said and replaced by the
next one: raised, it broke off the decision or the reconnect that published it, said as an internal error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from shell.mqtt_link import PublishFailed
from tests.field_house import ECS_CMD, field_config
from tests.harness import NOON, Harness


class RefusingStatus(Harness):
    """A harness whose publish refuses the status document, and takes everything else."""

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic == "regul/status":
            raise PublishFailed("Message queue full.")
        super().publish(topic, payload, retain)


def test_a_status_that_cannot_be_published_breaks_off_neither_the_reconnect_nor_the_decision(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    h = RefusingStatus(field_config(tmp_path))
    h.reg.start(NOON)
    h.reg.on_connected(NOON)  # (its status the last thing it publishes: raised out of it, said as an internal error)
    h.meters(300.0, 2000.0, NOON + 1)
    assert h.last(ECS_CMD) not in (None, "0")  # (the decision made: the surplus to the heater)
    assert h.reg.last_status is not None and h.reg.last_status["date"] == NOON + 1  # (its status built, then refused)
    assert caplog.messages.count("status not published: Message queue full.") >= 2
