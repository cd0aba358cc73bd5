"""What paho holds for a connection, dropped at its connect (paho_compat.drop_kept, MqttLink._on_connect): a paho whose
internals changed (the drop given up, said once, the link working)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from shell import paho_compat

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def said_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paho_compat, "_internals_said", False)


def test_a_paho_without_the_internals_the_drop_reads_drops_nothing_and_says_so_once(
        said_afresh: None, caplog: pytest.LogCaptureFixture) -> None:
    # A paho of tomorrow (its private queue renamed): the AttributeError broke the connect's callback, fatal, the
    # daemon stopped at every connect. Now the drop is given up: paho sends what it held late (as before the drop),
    # said once.
    client = paho_compat.new_client("pyseb-test")
    client.publish("regul/cload/small", "1", qos=1)  # (no connection: held)
    del client._out_messages
    caplog.set_level(logging.WARNING)
    assert paho_compat.drop_kept(client) == []
    assert paho_compat.drop_kept(client) == []
    said = [r for r in caplog.records if "not dropped at the reconnect" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert "_out_messages" in said[0].getMessage()


def test_a_paho_whose_lock_changed_drops_nothing(said_afresh: None, caplog: pytest.LogCaptureFixture) -> None:
    client = paho_compat.new_client("pyseb-test")
    client.publish("regul/cload/small", "1", qos=1)
    client._out_message_mutex = None  # type: ignore[assignment]
    assert paho_compat.drop_kept(client) == []
    assert "not dropped at the reconnect" in caplog.text


def test_a_paho_without_the_message_state_names_still_imports_and_drops_nothing() -> None:
    # paho's mqtt_ms_* names, read when the module was imported: a paho without them, and PySEB did not start at all.
    code = ("import logging; logging.basicConfig(level=logging.WARNING)\n"
            "import paho.mqtt.client as m\n"
            "del m.mqtt_ms_queued\n"
            "from shell import paho_compat\n"
            "c = paho_compat.new_client('pyseb-test')\n"
            "c.publish('regul/cload/small', '1', qos=1)\n"
            "print(paho_compat.drop_kept(c))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "not dropped at the reconnect" in done.stderr and "mqtt_ms_queued" in done.stderr
