"""The docs have a front door: README.md stays a front page, every docs/ page is reachable from it, and
every relative link (and its #anchor) in README.md, CHANGES.md and docs/*.md points at something that exists, and
so does every docs/ page (and #anchor) a message or comment of the code names."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CHANGES.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 400
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _outside_code(text: str) -> str:
    """`text` without its fenced code blocks and inline code (a `](x)` there is no link)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(text: str) -> set[str]:
    """The #anchors GitHub makes for the headings of a Markdown page."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S), flags=re.M):
        slug = "".join(c for c in heading.strip().lower() if c.isalnum() or c in " -_").replace(" ", "-")
        found.add(slug)
    return found


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """One line per relative link of `page` whose file or #anchor does not exist."""
    problems = []
    for target in _LINK.findall(_outside_code(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            problems.append(f"{page.relative_to(root)}: link to {target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            problems.append(f"{page.relative_to(root)}: link to {target}: no such heading in {file.name}")
    return problems


def test_every_link_points_at_something() -> None:
    problems = [problem for page in PAGES for problem in broken_links(page)]
    assert not problems, "\n".join(problems)


def test_the_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move the details to a docs/ page"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve()
              for target in _LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))}
    unreachable = [page.name for page in PAGES[1:] if page.resolve() not in linked]
    assert not unreachable, f"docs pages no README link leads to: {unreachable}"


def test_the_checks_find_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other page\n\n## The part\n")
    page.write_text("# Page\n\n[ok](other.md#the-part) [gone](missing.md) [bad](other.md#nope) [self](#page)\n"
                    "`[code](missing.md)`\n```\n[fenced](missing.md)\n```\n")
    assert broken_links(page, tmp_path) == ["page.md: link to missing.md: no such file",
                                            "page.md: link to other.md#nope: no such heading in other.md"]


def test_the_readmes_minimal_config_is_valid(tmp_path: Path) -> None:
    """The README's minimal config loads as it is (beside a calibration/ folder, as in a checkout)."""
    from settings.config import load_settings

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("A minimal config", 1)[1].split("```ini\n", 1)[1].split("```", 1)[0]
    (tmp_path / "calibration").mkdir()
    curve = "power_calibration_ECS-04.csv"
    (tmp_path / "calibration" / curve).write_bytes((ROOT / "calibration" / curve).read_bytes())
    (tmp_path / "config.ini").write_text(block, encoding="utf-8")
    settings = load_settings(tmp_path / "config.ini")
    assert [load.name for load in settings.equipments] == ["ecs", "radiator"]
    assert settings.warnings == ()


def test_the_simulation_page_shows_every_simulation_key(tmp_path: Path) -> None:
    """docs/simulation.md's [simulation] example, uncommented, is read by the simulator and shows each key it
    takes (noise_w, lost_readings and seed were read but nowhere written down)."""
    from simulation.config import GLOBAL_KEYS, read_sim_config
    from simulation.config_loads import PER_LOAD_KEYS

    text = (ROOT / "docs" / "simulation.md").read_text(encoding="utf-8")
    block = text.split("### The `[simulation]` section", 1)[1].split("```ini\n", 1)[1].split("```", 1)[0]
    block = re.sub(r"^;(?=[a-z])", "", block, flags=re.M)  # the options shown commented out
    shown = {line.split("=")[0].strip() for line in block.splitlines() if re.match(r"^[a-z]", line)}
    assert set(GLOBAL_KEYS) <= shown
    assert set(PER_LOAD_KEYS) <= {key.partition(".")[2] for key in shown}
    demo = (ROOT / "simulation" / "demo.ini").read_text(encoding="utf-8")
    demo = re.sub(r"^\[simulation\].*?(?=^\[|\Z)", "", demo, flags=re.M | re.S)
    (tmp_path / "calibration").mkdir()
    for csv in (ROOT / "calibration").glob("*.csv"):
        (tmp_path / "calibration" / csv.name).write_bytes(csv.read_bytes())
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "demo.ini").write_text(demo + "\n" + block, encoding="utf-8")
    config = read_sim_config(tmp_path / "sim" / "demo.ini")
    assert config.noise_w == 10 and config.lost_readings == 0.02


def docs_named_outside(root: Path = ROOT) -> list[str]:
    """One line per `docs/<page>.md` (with its #anchor, if any) that the code, the sample config, the Makefile or
    the systemd unit names and that does not exist: such a name is in a message or a comment a user follows."""
    named = re.compile(r"docs/([A-Za-z0-9_-]+\.md)(?:#([a-z0-9_-]+))?")
    skipped = {".venv", ".venv-paho16", "build", "tests"}  # (the tests name made-up pages on purpose)
    files = [path for path in root.rglob("*.py") if not skipped & set(path.relative_to(root).parts)]
    files += [root / "config.ini.sample", root / "Makefile", root / "contrib" / "pyseb.service"]
    problems = []
    for file in files:
        for page, anchor in named.findall(file.read_text(encoding="utf-8", errors="replace")):
            target = root / "docs" / page
            if not target.exists():
                problems.append(f"{file.relative_to(root)}: names docs/{page}: no such file")
            elif anchor and anchor not in anchors(target.read_text(encoding="utf-8")):
                problems.append(f"{file.relative_to(root)}: names docs/{page}#{anchor}: no such heading")
    return sorted(set(problems))


def test_every_docs_page_the_code_names_exists() -> None:
    problems = docs_named_outside()
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_docs_page_the_code_names_wrongly(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# Page\n\n## The part\n")
    (tmp_path / "contrib").mkdir()
    (tmp_path / "contrib" / "pyseb.service").write_text("# see docs/page.md#the-part\n")
    (tmp_path / "config.ini.sample").write_text("; see docs/gone.md\n")
    (tmp_path / "Makefile").write_text("")
    (tmp_path / "tool.py").write_text('HINT = "see docs/page.md#nope"\n')
    assert docs_named_outside(tmp_path) == ["config.ini.sample: names docs/gone.md: no such file",
                                            "tool.py: names docs/page.md#nope: no such heading"]


def test_the_sample_and_the_docs_give_a_recorded_day_the_size_bench_record_measured() -> None:
    # config.ini.sample said a day was about 0.5 MB, docs/your-own-days.md 0.2 MB; bench/record.py measures
    # 0.20 MB (its output, quoted on that page).
    page = (ROOT / "docs" / "your-own-days.md").read_text(encoding="utf-8")
    (measured,) = re.findall(r"a day of 21600 decisions formatted and compressed in \d+ ms, ([\d.]+) MB on disk", page)
    sample = (ROOT / "config.ini.sample").read_text(encoding="utf-8")
    said = re.findall(r"is about (\d+\.\d+) MB", sample) + re.findall(r"a day is about (\d+\.\d+) MB", page)
    assert len(said) == 2 and all(float(figure) == round(float(measured), 1) for figure in said), (measured, said)


def _cron_restart_pattern() -> str:
    """The pattern of the README's cron restart line (`pkill -TERM -f '...'`)."""
    found = re.search(r"pkill -TERM -f '([^']+)'", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "the README's cron restart line is gone"
    return found.group(1)


def test_the_readmes_cron_restart_comes_a_minute_before_a_start_line_runs() -> None:
    # At 04:00, with the start line every 10 minutes: that start came while the old PySEB held its lock, was refused,
    # and PySEB stayed down until 04:10.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = re.search(r"^\*/(\d+) \* \* \* \* .*regulation\.py", readme, re.MULTILINE)
    restart = re.search(r"^(\d+) (\d+) \* \* \* +pkill -TERM", readme, re.MULTILINE)
    assert start and restart, "the README's cron lines are gone"
    minute = int(restart.group(1))
    assert minute % int(start.group(1)) != 0  # (not with a start)
    assert (minute + 1) % int(start.group(1)) == 0  # (the next minute's start brings it back)


@pytest.mark.skipif(shutil.which("pgrep") is None, reason="pgrep (procps) is not installed")
def test_the_readmes_cron_restart_signals_pyseb_and_not_the_shells_that_started_it(tmp_path: Path) -> None:
    """Cron starts PySEB through `sh -c 'cd ... && python3 regulation.py -c config.ini >>pyseb.out 2>&1'`: that
    shell stays, waiting, with PySEB's command line inside its own. The restart line must find PySEB alone (the
    shell, signalled too, died before PySEB had stopped)."""
    (tmp_path / "regulation.py").write_text("import time\ntime.sleep(30)\n", encoding="utf-8")
    python = os.path.realpath(sys.executable)
    cron_line = f"cd {tmp_path} && {python} regulation.py -c config.ini >>pyseb.out 2>&1"
    shell = subprocess.Popen(["/bin/sh", "-c", cron_line])
    try:
        pyseb_pid = None
        for _ in range(100):  # the shell forks PySEB's python
            children = subprocess.run(["pgrep", "-P", str(shell.pid)], capture_output=True, text=True).stdout.split()
            if children:
                pyseb_pid = int(children[0])
                break
            time.sleep(0.05)
        assert pyseb_pid is not None
        found = {int(pid) for pid in subprocess.run(["pgrep", "-f", _cron_restart_pattern()], capture_output=True,
                                                    text=True).stdout.split()}
        assert pyseb_pid in found
        assert shell.pid not in found
    finally:
        subprocess.run(["pkill", "-P", str(shell.pid)])
        shell.wait(10)


def _section(page: Path, heading: str) -> str:
    """The text of `page` under the `## heading`, up to the next `## ` heading ("" when there is none)."""
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", page.read_text(encoding="utf-8"),
                      re.MULTILINE | re.DOTALL)
    return found.group(1) if found else ""


def test_the_pi_page_says_how_to_undo_what_make_install_service_and_pyseb_leave() -> None:
    # The README and the Pi page said how to install, run and upgrade, and nothing of taking PySEB off a Pi: a unit
    # left enabled, restarting every 10 s once its checkout was gone, and retained messages on the broker (a relay's
    # last OFF, taken again at each of its reboots).
    unit_file = re.search(r"^UNIT_FILE \?= (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert unit_file, "the Makefile's UNIT_FILE is gone"
    section = _section(ROOT / "docs" / "running-on-a-pi.md", "Uninstalling")
    for said in ("sudo systemctl disable --now pyseb", f"sudo rm {unit_file.group(1)}\n", f"{unit_file.group(1)}.d",
                 "sudo systemctl daemon-reload", "--remove-retained", "discovery = false"):
        assert said in section, f"docs/running-on-a-pi.md#uninstalling does not say {said!r}"
    assert "docs/running-on-a-pi.md#uninstalling" in (ROOT / "README.md").read_text(encoding="utf-8")
