"""A user's own load class (`[equipments] name = package.module:Class`) that cannot be used is a config problem:
one line naming the load, exit code 2, no traceback. A syntax error in the module, an error at its import or in its
__init__, OPTIONS without topic_set_power, a method every load needs left out: each was a traceback and exit code 1,
which systemd restarts every 10 s, for ever, and hid the file's other problems (found by a bug hunt)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = '''
from equipments.base import BASE_OPTIONS, Command, Equipment
from settings.options import REQUIRED, Option


class Pump(Equipment):
    KIND = "pump"
    OPTIONS = BASE_OPTIONS + (Option("watts", float, REQUIRED, "the pump's watts", min=1, max=5000),)

    def __init__(self, name, options, context):
        super().__init__(name, options, context)
        self.watts = options["watts"]

    @property
    def max_power_w(self):
        return self.watts

    def command_for(self, watts):
        on = watts >= self.watts
        return Command(self.topic_set_power, "ON" if on else "OFF", False), self.watts if on else 0.0

    def increase_power_by(self, watts, now):
        if self.current_power_w == 0 and watts >= self.watts:
            self.set_power(self.watts, now, "surplus")
            return watts - self.watts
        return watts

    def decrease_power_by(self, watts, now):
        freed = self.current_power_w
        self.set_power(0.0, now, "over")
        return freed
'''


def config(tmp_path: Path, module_text: str, type_name: str = "pumps:Pump") -> Path:
    (tmp_path / "plugins").mkdir(exist_ok=True)
    (tmp_path / "plugins" / "pumps.py").write_text(module_text, encoding="utf-8")
    path = tmp_path / "config.ini"
    path.write_text(f"[mqtt]\nport = 1\n[status]\nfile = {tmp_path / 'status.json'}\n[record]\nenabled = false\n"
                    f"[equipments]\npump = {type_name}\n[pump]\ntopic_set_power = cmnd/pump/POWER\nwatts = 500\n"
                    "[radiator]\nmax_power = 1000\n", encoding="utf-8")
    return path


def check(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(path.parent / "plugins")}
    return subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize(("module_text", "type_name", "said"), [
    (GOOD + "\ndef broken(:\n", "pumps:Pump", "module 'pumps' for type 'pumps:Pump' fails at its import: SyntaxError"),
    (GOOD + "\nraise RuntimeError('no GPIO here')\n", "pumps:Pump",
     "fails at its import: RuntimeError: no GPIO here"),
    (GOOD, ".pumps:Pump", "'.pumps': a module named from the top (package.module), not relatively"),
    (GOOD, "pumpz:Pump", "cannot import module 'pumpz' for type 'pumpz:Pump': No module named 'pumpz' (a module is "
                         "found beside regulation.py or in a folder named by PYTHONPATH, not beside config.ini)"),
    (GOOD.replace("super().__init__(name, options, context)", "raise KeyError('gpio')"), "pumps:Pump",
     "[pump]: pumps:Pump failed to build this load: KeyError: 'gpio'"),
    (GOOD.replace("OPTIONS = BASE_OPTIONS + (", "OPTIONS = ("), "pumps:Pump",
     "pumps:Pump's OPTIONS must be a tuple of Option starting from Equipment.OPTIONS (OPTIONS = Equipment.OPTIONS + "
     "(Option(...), ...)): every load has its topic_set_power"),
    (GOOD.replace("def command_for", "def command_for_later"), "pumps:Pump",
     "pumps:Pump does not implement command_for (every load class must)"),
    (GOOD.replace('Option("watts"', 'Option("Watts"'), "pumps:Pump",
     "pumps:Pump's required option names must be in lower case, as a config's keys are read: Watts"),
    # (a package the module imports is missing: not a matter of where the module is)
    ("import numpyzz\n" + GOOD, "pumps:Pump",
     "module 'pumps' for type 'pumps:Pump' fails at its import: ModuleNotFoundError: No module named 'numpyzz'\n"),
    (GOOD.replace("OPTIONS = BASE_OPTIONS + (", "OPTIONS = BASE_OPTIONS + ('gain', "), "pumps:Pump",
     "pumps:Pump's OPTIONS must be a tuple of Option starting from Equipment.OPTIONS"),
    (GOOD, "equipments.base:Equipment", "equipments.base:Equipment does not implement max_power_w, command_for, "
                                        "increase_power_by, decrease_power_by"),
])
def test_a_user_class_that_cannot_be_used_is_a_config_problem(tmp_path: Path, module_text: str, type_name: str,
                                                               said: str) -> None:
    result = check(config(tmp_path, module_text, type_name))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and said in result.stderr, result.stderr
    # (the file's other problems are said with it: [radiator] is no load of [equipments])
    assert "[radiator]" in result.stderr


@pytest.mark.parametrize("module_text", [
    GOOD,
    # (an option with a default and a capital is never read from the file, but runs at its default, as it always did)
    GOOD.replace('Option("watts", float, REQUIRED, "the pump\'s watts", min=1, max=5000),',
                 'Option("watts", float, REQUIRED, "the pump\'s watts", min=1, max=5000), Option("Kp", float, 0.5, '
                 '"gain"),'),
])
def test_a_good_user_class_passes_the_check(tmp_path: Path, module_text: str) -> None:
    path = config(tmp_path, module_text)
    path.write_text(path.read_text().replace("[radiator]\nmax_power = 1000\n", ""))
    result = check(path)
    assert result.returncode == 0, result.stderr
    assert "loads in priority order: pump" in result.stdout


def test_the_loader_says_it_in_process_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    path = config(tmp_path, GOOD.replace("self.watts = options", "self.watts = 1 / 0 * options"), "pumps2:Pump")
    (tmp_path / "plugins" / "pumps2.py").write_text((tmp_path / "plugins" / "pumps.py").read_text())
    with pytest.raises(ConfigError, match="pumps2:Pump failed to build this load: ZeroDivisionError"):
        load_settings(path)


def test_the_simulation_says_it_knows_the_built_in_types_only(tmp_path: Path) -> None:
    # (the type was said in lower case, 'pumps:pump', which would not import, and not why)
    path = config(tmp_path, GOOD)
    path.write_text(path.read_text().replace("[radiator]\nmax_power = 1000\n", ""))
    result = subprocess.run([sys.executable, "-m", "simulation", "replay",
                             str(ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"), "-c", str(path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": f"{tmp_path / 'plugins'}{os.pathsep}{ROOT}"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "not 'pumps:Pump' (a load class of your own cannot be simulated)" in result.stderr, result.stderr
