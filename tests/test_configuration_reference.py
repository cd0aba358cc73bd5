"""docs/configuration.md is generated from the option tables (settings/reference.py): it fails here when a
table changed and the page was not generated again."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from equipments.registry import BUILTIN, resolve_kind
from field.config import FIELD_LOAD_OPTIONS, FIELD_SECTIONS
from settings import reference
from settings.load_building import EXTENSION_SECTIONS
from settings.options import Option

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "configuration.md"


def test_the_page_is_what_the_tables_say() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference.render(), (
        f"docs/configuration.md is out of date: run `{reference.COMMAND}` (or `make docs`) and commit it")


def test_the_command_prints_the_page() -> None:
    done = subprocess.run([sys.executable, "-m", "settings.reference"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout == reference.render()
    assert done.stderr == ""


def _rows(text: str, heading: str) -> list[str]:
    """The keys in the table under `heading`."""
    part = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)`", part, flags=re.M)


def test_every_section_the_loader_reads_has_its_keys() -> None:
    text = reference.render()
    for section in (*reference.DAEMON_SECTIONS, *reference.FIELD_SECTIONS):
        assert _rows(text, f"[{section.name}]") == [opt.name for opt in section.options]
    assert {s.name for s in reference.FIELD_SECTIONS} == set(FIELD_SECTIONS)
    assert {s.name for s in reference.DAEMON_SECTIONS} == {"mqtt", "evaluate", "status", "logging", "record"}
    for kind in {resolve_kind(name).KIND for name in BUILTIN}:
        cls = resolve_kind(kind)
        assert _rows(text, f"[*load*] of type {kind}") == [o.name for o in cls.OPTIONS + FIELD_LOAD_OPTIONS]


def test_a_changed_table_changes_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    before = reference.render()
    mqtt = reference.DAEMON_SECTIONS[0]
    changed = replace(mqtt, options=(*mqtt.options, Option("new_key", int, 7, "a key added to the table", min=1)))
    monkeypatch.setattr(reference, "DAEMON_SECTIONS", (changed, *reference.DAEMON_SECTIONS[1:]))
    after = reference.render()
    assert after != before
    assert "| `new_key` | integer | `7` | >= 1 | a key added to the table |".replace(">", "&gt;") in after


def test_a_value_is_shown_as_a_user_writes_it() -> None:
    text = reference.render()
    assert "| `port` | integer | `1883` | 1 to 65535 | broker port |" in text
    assert "| `host` (seed: `broker_ip`) | text | `127.0.0.1` |" in text
    assert "| `topic_set_power` | text | **required** |" in text
    assert "| `tls` | true/false | `false` |" in text


def test_a_section_the_daemon_leaves_to_another_tool_is_named() -> None:
    # The daemon takes [simulation] without a word (the simulator's house): a user told that "a section in no
    # table is warned about" and finding no warning nor a line here for it could not tell whether it was read.
    text = reference.render()
    for name in EXTENSION_SECTIONS:
        assert f"## [{name}]\n" in text
    assert "(simulation.md#the-simulation-section)" in text
