"""A replay reads the status document, not its JSON: the real regulator hands each status to the replay's publisher
as the document (`status_sink`), encoded by no one, and the replay's rows are the very ones a regulator publishing
JSON gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import core.regulator_status as regulator_status  # (where the status is encoded)
from regulation import Regulator
from settings.config import load_settings
from simulation.replay import PublishFn, RegulatorLike, real_regulator, replay
from tests.replay_days import write_config, write_trace

TOPIC_STATUS = "regul/status"  # (the default: the test config names none)
CONS, PROD = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION"


def _day(tmp_path: Path) -> tuple[Path, Path]:
    config = write_config(tmp_path, "ecs = variable\nradiator = constant")
    # A sun that rises and falls: the heater moves, the radiator switches (news and interval statuses both).
    sun = [500 + 150 * i for i in range(20)] + [3500 - 150 * i for i in range(20)]
    return config, write_trace(tmp_path, [(pv, 400) for pv in sun])


def test_the_real_regulator_in_a_replay_hands_its_statuses_as_documents(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config, trace = _day(tmp_path)
    encoded: list[dict[str, Any]] = []
    encoder = regulator_status.STATUS_JSON

    class Counting:
        def encode(self, document: dict[str, Any]) -> str:
            encoded.append(document)
            return encoder.encode(document)

    monkeypatch.setattr(regulator_status, "STATUS_JSON", Counting())
    built: list[Any] = []

    def make(path: str, publish: PublishFn) -> RegulatorLike:
        built.append(real_regulator(path, publish))
        return built[-1]

    result = replay(config, trace, make_regulator=make)
    assert encoded == []  # (no status was encoded...)
    assert built[0].last_status is not None  # (...though statuses went out)
    assert max(row.commanded_w[0] for row in result.rows) > 1500  # the belief followed them


def test_its_rows_are_those_of_a_regulator_publishing_json(tmp_path: Path) -> None:
    config, trace = _day(tmp_path)

    def publishing_json(path: str, publish: PublishFn) -> RegulatorLike:
        return Regulator.from_config(path, publish=publish)  # (no sink: the status published as JSON)

    with_sink = replay(config, trace)
    with_json = replay(config, trace, make_regulator=publishing_json)
    assert with_sink.rows == with_json.rows
    # (the belief moved: the statuses were read, both ways)
    assert len({row.commanded_w for row in with_json.rows}) > 5


def test_a_regulator_with_a_sink_publishes_no_status(tmp_path: Path) -> None:
    config, _ = _day(tmp_path)
    published: list[str] = []
    documents: list[dict[str, Any]] = []
    reg = Regulator(load_settings(config), publish=lambda topic, payload, retain=False: published.append(topic),
                    status_sink=documents.append)
    reg.start(1_647_680_400.0)
    reg.handle(CONS, b'{"power": 400.0, "voltage": 231.0}', 1_647_680_401.0)
    reg.handle(PROD, b'{"power": 3000.0}', 1_647_680_402.0)
    assert documents and TOPIC_STATUS not in published
    assert "regul/vload/ECS/cmd" in published  # (its commands are published: the heater takes the surplus)
    assert documents[-1] is reg.last_status
    assert documents[-1] == reg.status(1_647_680_402.0)


def test_a_topic_regul_written_with_a_slash_at_its_end_is_the_daemons(tmp_path: Path) -> None:
    # `topic_regul = regul/`: the daemon publishes its status on regul/status (its root's slash cut), the replay took
    # statuses on regul//status: a regulator publishing JSON fed its belief nothing (every load believed at 0 W),
    # while the real one, handing its documents to the replay, did.
    config, trace = _day(tmp_path)
    config.write_text(config.read_text().replace("[mqtt]\n", "[mqtt]\ntopic_regul = regul/\n", 1))

    def publishing_json(path: str, publish: PublishFn) -> RegulatorLike:
        return Regulator.from_config(path, publish=publish)

    assert replay(config, trace, make_regulator=publishing_json).rows == replay(config, trace).rows
