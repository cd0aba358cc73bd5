"""A seed user's own config.ini, edited as users do (notes after values, Coturex's later keys and sections), and the
seed's status file: what --check says about each, and what the status keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import LINEAR_CSV, seed_sample_text


def seed_config(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The seed's sample with its calibration beside it, each (old, new) of `edits` replaced."""
    text = seed_sample_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    path = tmp_path / "config.ini"
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return [p.render(str(path)) for p in info.value.problems]


@pytest.mark.parametrize(("written", "advice"), [
    ("resille = constant   # the greenhouse mat\n", "' #' starts no comment"),
    ('resille = "constant"\n', "INI values take no quotes"),
])
def test_a_load_type_with_a_note_or_quotes_says_why_it_is_unknown(tmp_path: Path, written: str, advice: str) -> None:
    # Every other key told the ' #' note or the quotes with its error; a load's type said only "unknown type".
    path = seed_config(tmp_path, ("resille = constant\n", written))
    [problem] = problems_of(path)
    assert "[equipments] resille: unknown type" in problem and advice in problem


def test_a_plain_unknown_type_gets_no_slip_advice(tmp_path: Path) -> None:
    [problem] = problems_of(seed_config(tmp_path, ("resille = constant\n", "resille = boiler\n")))
    assert "unknown type 'boiler'" in problem and "#" not in problem and "quotes" not in problem


def test_coturex_s_simul_fallback_is_named_as_the_seed_s(tmp_path: Path) -> None:
    # Coturex's dry run had simul_fallback beside simul_prod: it was "unknown key, ignored", as if a typo.
    path = seed_config(tmp_path, ("simul_prod = 2000\n", "simul_prod = 2000\nsimul_fallback = None\n"))
    warnings = load_settings(path).warnings
    assert any(w.endswith("[debug] simul_fallback: ignored: use the simulator instead") for w in warnings)


def test_coturex_s_cloud_forecast_section_says_what_replaces_it(tmp_path: Path) -> None:
    # Coturex's last version read its forecast (wttr.in) from [cloudForecast]: "did you mean [forecast]?" pointed at
    # the MQTT forecast alone, as if the section were misspelt.
    section = "[cloudForecast]\nkey = xxx\nlocation = Chambery\n\n"
    path = seed_config(tmp_path, ("[openweathermap]\n", section + "[openweathermap]\n"))
    [warning] = [w for w in load_settings(path).warnings if "cloudForecast" in w]
    assert "did you mean" not in warning
    assert "[openweathermap] key, location" in warning and "[forecast] topic" in warning
