"""What the docs tell a user to type still exists: every `[section] key` README.md and docs/*.md name is a key the
configuration reference lists (docs/configuration.md, itself generated from the option tables and tested against
them), and every `python3 -m <tool> <subcommand> --option` (and `regulation.py`, `bench/`, `contrib/` script) they
give names a module, a subcommand and options its `--help` shows. A renamed key or option left in a page sent users
to a warning ("unknown key") or to argparse's refusal."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from simulation.config import GLOBAL_KEYS
from simulation.config_loads import PER_LOAD_KEYS

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "configuration.md")]
_FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)


def code_units(text: str) -> list[tuple[int, str]]:
    """(line, text) of each inline code span (one spanning lines joined) and each line of a fenced block (a line
    ending in a backslash joined with the next)."""
    units = []
    for block in _FENCE.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        for number, line in enumerate(block.group(1).split("\n")):
            units.append((first + number, line))
    units = [(n, line) for n, line in units if line.strip()]
    joined: list[tuple[int, str]] = []
    for number, line in units:
        if joined and joined[-1][1].endswith("\\"):
            joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + line.strip())
        else:
            joined.append((number, line))
    prose = _FENCE.sub(lambda block: "\n" * block.group(0).count("\n"), text)
    for span in re.finditer(r"`([^`]+)`", prose):
        joined.append((prose.count("\n", 0, span.start()) + 1, re.sub(r"\s+", " ", span.group(1))))
    return joined


# --- config keys -------------------------------------------------------------------------------------------------

def reference_keys(page: str) -> dict[str, set[str]]:
    """The keys docs/configuration.md lists, by section ("*load*": a load's section of any type; "debug" and the
    other seed keys from its last part): every `word` under the section's heading (its table rows, its keys
    accepted and ignored), lower case as the config parser reads them."""
    keys: dict[str, set[str]] = {}
    for heading, body in re.findall(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", page, re.M | re.S):
        name = re.sub(r"^\[(\*load\*|\w+)\].*", r"\1", heading) if heading.startswith("[") else "seed"
        keys.setdefault(name, set()).update(word.lower() for word in re.findall(r"`(\w+)`", body))
    keys["debug"] = keys.pop("seed", set())
    keys["simulation"] = set(GLOBAL_KEYS)
    return keys


def unknown_keys(pages: Iterable[Path], keys: dict[str, set[str]], root: Path = ROOT) -> list[str]:
    """One line per `[section] key` of `pages` the reference does not list (a section it has not is a load's)."""
    problems = []
    for page in pages:
        for line, code in code_units(page.read_text(encoding="utf-8")):
            for section, key in re.findall(r"^\[(\w+)\] (\w[\w.]*)(?![\w.*<])", code):  # (not low_nrj_*_<season>)
                if section == "simulation" and "." in key:
                    known = key.partition(".")[2] in PER_LOAD_KEYS
                else:
                    known = key.lower() in keys.get(section, keys["*load*"])
                if not known:
                    problems.append(f"{page.relative_to(root)}:{line}: [{section}] {key}: not in docs/configuration.md")
    return problems


def test_every_config_key_the_docs_name_is_in_the_reference() -> None:
    keys = reference_keys((ROOT / "docs" / "configuration.md").read_text(encoding="utf-8"))
    assert {"mqtt", "evaluate", "*load*", "fallback", "domoticz", "debug"} <= set(keys)  # (the page's layout)
    problems = unknown_keys(PAGES, keys)
    assert not problems, "\n".join(problems)


def test_the_key_check_finds_a_key_the_reference_lacks(tmp_path: Path) -> None:
    reference = ("## [mqtt]\n\n| `host` | text |\n\n- `topic_ecsmode`: ignored\n\n## [*load*] of type constant\n\n"
                 "| `max_power` | number |\n\n## The seed's sections\n\n`[debug]`: `log_file` is read\n")
    page = tmp_path / "page.md"
    page.write_text("`[mqtt] host = x`, `[mqtt] topic_ecsMode`, `[radiator] max_power`, `[debug] log_file`,\n"
                    "`[mqtt] hots`, `[radiator] max_powr`, `[simulation] ecs.tank_wh = 2000`, `[simulation] nois_w`\n"
                    "`[fallback] low_nrj_*_<season>` (a pattern)\n"
                    "```ini\n[mqtt] port\n```\n", encoding="utf-8")
    assert unknown_keys([page], reference_keys(reference), tmp_path) == [
        "page.md:5: [mqtt] port: not in docs/configuration.md",
        "page.md:2: [mqtt] hots: not in docs/configuration.md",
        "page.md:2: [radiator] max_powr: not in docs/configuration.md",
        "page.md:2: [simulation] nois_w: not in docs/configuration.md"]


# --- commands ----------------------------------------------------------------------------------------------------

_INVOCATION = re.compile(r"(?:^|[\s(])(?:python3?|\S*/bin/python)\s+(?:-m\s+([\w.]+)|(\S+\.py))((?:\s+[^\s;|&>#]+)*)")
# The project's scripts a page may run (another .py, such as the seed's power_regulation.py, is not checked)
_SCRIPTS = ("regulation.py", "bench/", "contrib/")


@cache
def project_help(*argv: str) -> str | None:
    """The `--help` of `python3 argv...` run in the checkout (None when it fails: no argparse there)."""
    done = subprocess.run([sys.executable, *argv, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    return done.stdout if done.returncode == 0 else None


def command_problems(pages: Iterable[Path], help_of: Callable[..., str | None] = project_help,
                     root: Path = ROOT) -> list[str]:
    """One line per command of `pages` whose module or script is not there, or whose subcommand or --option its
    --help does not show."""
    problems = []
    for page in pages:
        for line, code in code_units(page.read_text(encoding="utf-8")):
            for module, script, rest in _INVOCATION.findall(code):
                said = f"{page.relative_to(root)}:{line}: {' '.join(code.split())[:80]}"
                if module:
                    if importlib.util.find_spec(module) is None:
                        problems.append(f"{said}: no module {module}")
                        continue
                    argv: tuple[str, ...] = ("-m", module)
                else:
                    found = [tail for tail in (script.split("/")[i:] for i in range(script.count("/") + 1))
                             if "/".join(tail).startswith(_SCRIPTS) and (root / "/".join(tail)).is_file()]
                    if not found:
                        if "/".join(script.split("/")[-2:]).startswith(_SCRIPTS) or script.endswith("/regulation.py"):
                            problems.append(f"{said}: no script {script}")
                        continue
                    argv = ("/".join(found[0]),)
                words = [word.strip("[]") for word in rest.split()]
                options = [word.split("=")[0] for word in words if word.startswith("--")]
                shown = help_of(*argv)
                if shown is None:
                    continue
                choices = re.search(r"\{(\w+(?:,\w+)+)\}", shown.split("\n\n")[0])
                if choices and words and re.fullmatch(r"[a-z]+", words[0]):
                    if words[0] not in choices.group(1).split(","):
                        problems.append(f"{said}: {' '.join(argv)} has no subcommand {words[0]}")
                        continue
                    argv, shown = (*argv, words[0]), help_of(*argv, words[0]) or ""
                problems += [f"{said}: {' '.join(argv)} has no option {option}" for option in options
                             if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", shown)]
    return problems


def test_every_command_the_docs_give_takes_its_options() -> None:
    problems = command_problems([*PAGES, ROOT / "docs" / "configuration.md"])
    assert not problems, "\n".join(problems)


def test_the_command_check_finds_a_module_subcommand_or_option_that_is_not_there(tmp_path: Path) -> None:
    helps = {("-m", "calibration"): "usage: python3 -m calibration [-h] {fit,sweep,lag} ...\n\nmore",
             ("-m", "calibration", "sweep"): "usage: sweep [--resume] [--step STEP]",
             ("regulation.py",): "usage: regulation.py [-c CONFIG] [--check]"}
    (tmp_path / "regulation.py").write_text("")
    page = tmp_path / "page.md"
    page.write_text("`python3 -m calibration sweep --step 0.5 --resume`, `python3 -m calibration swep`,\n"
                    "`.venv/bin/python -m calibration sweep [--stpe 0.5]`, `python3 -m no_such_module_here`,\n"
                    "```\n$ python3 regulation.py -c config.ini \\\n    --chek\npython3 bench/gone.py --x\n```\n"
                    "`python3 power_regulation.py` (the seed's)\n", encoding="utf-8")
    assert command_problems([page], lambda *argv: helps.get(argv), tmp_path) == [
        "page.md:4: $ python3 regulation.py -c config.ini --chek: regulation.py has no option --chek",
        "page.md:6: python3 bench/gone.py --x: no script bench/gone.py",
        "page.md:1: python3 -m calibration swep: -m calibration has no subcommand swep",
        "page.md:2: .venv/bin/python -m calibration sweep [--stpe 0.5]: -m calibration sweep has no option --stpe",
        "page.md:2: python3 -m no_such_module_here: no module no_such_module_here"]
