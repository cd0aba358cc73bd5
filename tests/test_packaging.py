"""`pip install .`: the wheel holds the daemon, its tools and their data, and runs away from the checkout."""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the build does not need (and a copy of which would only cost time).
NOT_BUILT = shutil.ignore_patterns(".venv*", ".git", "tests", "docs", "bench", "__pycache__", "*_cache", "records",
                                  "demo-records")


# A warning of Python's warnings module in the build's output ("...build_py.py:215: BuildBackendWarning: Package
# 'simulation.traces' is absent from the `packages` configuration"): setuptools' word that the build may stop working
# in a later version of it. (pip's own "WARNING: " lines are not these.)
BUILD_WARNING = re.compile(r"\b\w+Warning: .*")


class Build(NamedTuple):
    wheel: Path
    stderr: str  # what the build said (pip --quiet passes the backend's warnings on)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The wheel `pip install .` builds, from a copy of the checkout (the build writes build/ and an egg-info into
    the folder it builds) where an earlier install left build/ with a module since removed upstream."""
    work = tmp_path_factory.mktemp("build")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=NOT_BUILT)
    (source / "build" / "lib" / "core").mkdir(parents=True)
    (source / "build" / "lib" / "core" / "removed_upstream.py").write_text("x = 1\n")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "-w", str(work / "dist"), str(source)],
                          capture_output=True, text=True, timeout=300)
    # (a .venv made before requirements-dev.txt asked for setuptools>=70.1: `make test` installs it)
    assert "invalid command 'bdist_wheel'" not in done.stderr, "setuptools too old to build a wheel: run make test"
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = (work / "dist").glob("pyseb-*.whl")
    return Build(built, done.stderr)


@pytest.fixture(scope="module")
def wheel(build: Build) -> Path:
    return build.wheel


def test_the_wheel_builds_without_a_warning(build: Build) -> None:
    # setuptools warned at each build that simulation.traces, shipped as simulation's data, was "absent from the
    # `packages` configuration", and that this may stop working.
    assert not BUILD_WARNING.findall(build.stderr), build.stderr[-3000:]


def test_the_wheel_holds_the_code_the_data_and_the_command(wheel: Path) -> None:
    # `pip install .` stopped at "Multiple top-level packages discovered in a flat-layout" (no package list).
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("regulation.py", "core/regulator.py", "localbroker/__init__.py", "simulation/demo.ini",
                   "simulation/traces/serf-east-2022-03-19.csv", "calibration/power_calibration_ECS-04.csv"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("tests/", "bench/", "docs/"))]
    # (build/lib from an earlier install was packed too: a module removed by a `git pull` stayed installed)
    assert "core/removed_upstream.py" not in names
    (data,) = [n for n in names if n.endswith(".data/data/share/pyseb/config.ini.sample")]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "pyseb = regulation:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_sdist_holds_the_build_backend(tmp_path: Path) -> None:
    # pyproject.toml's build backend is scripts/build_backend.py: a wheel built from the sdist (`python -m build`)
    # needs it there.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=NOT_BUILT)
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'scripts'); import build_backend; "
                           f"print(build_backend.build_sdist({str(tmp_path / 'dist')!r}))"], cwd=source,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not BUILD_WARNING.findall(done.stderr), done.stderr[-3000:]
    with tarfile.open(tmp_path / "dist" / done.stdout.splitlines()[-1]) as sdist:
        names = sdist.getnames()
    assert {name.partition("/")[2] for name in names} >= {"scripts/build_backend.py", "pyproject.toml"}, names


def _installed(wheel: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The wheel installed by pip under a prefix of its own (site-packages and share/ as in a virtualenv), and an
    environment whose Python finds PySEB there and not in the checkout (numpy and paho-mqtt: the test's own)."""
    prefix = tmp_path / "prefix"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--no-warn-script-location", "--prefix", str(prefix), str(wheel)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    (site,) = prefix.glob("lib/python3*/site-packages")
    return site, {**os.environ, "PYTHONPATH": str(site)}


RELAY_ONLY = """[mqtt]
topic_cons = smeter/pzem/CONSOMMATION
topic_prod = smeter/pzem/PRODUCTION

[equipments]
radiator = constant

[radiator]
topic_set_power = cmnd/radiator/POWER
json_on = ON
json_off = OFF
max_power = 1000
"""


def _daemon(site: Path, env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import regulation, sys; print(regulation.__file__); "
                           "sys.exit(regulation.main())", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_installed_daemon_runs_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site, env = _installed(wheel, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.ini").write_text(RELAY_ONLY)
    done = _daemon(site, env, home, "--check", "-c", "config.ini")
    assert done.stdout.splitlines()[0] == str(site / "regulation.py")  # (not the checkout's)
    assert done.returncode == 0 and "config.ini: OK" in done.stdout, done.stdout + done.stderr
    # No config yet: the hint names the sample the install holds, not one beside regulation.py in site-packages.
    missing = _daemon(site, env, home, "--check", "-c", "nope.ini")
    sample = site.parents[2] / "share" / "pyseb" / "config.ini.sample"
    assert missing.returncode == 2 and f"start from the sample: cp {sample} nope.ini" in missing.stderr, \
        missing.stdout + missing.stderr
    assert sample.read_text() == (ROOT / "config.ini.sample").read_text()


def test_the_installed_tools_find_their_own_data(wheel: Path, tmp_path: Path) -> None:
    site, env = _installed(wheel, tmp_path)
    done = subprocess.run([sys.executable, "-m", "simulation", "replay", str(site / "simulation" / "traces" /
                           "serf-east-2022-03-19.csv"), "-c", str(site / "simulation" / "demo.ini"), "--from", "12:00",
                           "--to", "12:10"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "capture" in done.stdout


def test_the_installed_command_runs_as_a_service(wheel: Path, tmp_path: Path) -> None:
    # A `pip install .` had no unit (render_service.py wanted a checkout's regulation.py): its `pyseb` command is run
    # on the folder of config.ini, checked first as the unit will run it.
    site, env = _installed(wheel, tmp_path)
    command = site.parents[2] / "bin" / "pyseb"
    data = tmp_path / "pyseb-data"
    data.mkdir()
    (data / "config.ini").write_text(RELAY_ONLY)
    done = subprocess.run([sys.executable, str(ROOT / "contrib" / "render_service.py"), "--user",
                           pwd.getpwuid(os.getuid()).pw_name, "--dir", str(data), "--pyseb", str(command)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"ExecStart={command} -c {data / 'config.ini'}\n" in done.stdout, done.stdout


def test_the_installed_command_names_itself(wheel: Path, tmp_path: Path) -> None:
    # Its usage line said `regulation.py`, a file the user of the `pyseb` command never sees.
    site, env = _installed(wheel, tmp_path)
    command = site.parents[2] / "bin" / "pyseb"
    done = subprocess.run([str(command), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: pyseb "), done.stdout + done.stderr


def test_the_installed_sample_copied_out_passes_the_check(wheel: Path, tmp_path: Path) -> None:
    # The hint's `cp <prefix>/share/pyseb/config.ini.sample config.ini`, then --check: the sample's curve,
    # calibration/power_calibration_ECS-04.csv, was not beside the copy ("calibration file not found"). It is the
    # install's own, with a warning that it is another heater's.
    site, env = _installed(wheel, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(site.parents[2] / "share" / "pyseb" / "config.ini.sample", home / "config.ini")
    done = _daemon(site, env, home, "--check", "-c", "config.ini")
    assert done.returncode == 0 and "config.ini: OK (1 warning above)" in done.stdout, done.stdout + done.stderr
    curve = site / "calibration" / "power_calibration_ECS-04.csv"
    assert f"ecs: calibration {curve} (robust fit), 150..2298 W" in done.stderr
    # (the Python that runs the install, by its path in a virtualenv: the install's own checkout venv is none)
    python = shlex.quote(sys.executable) if sys.prefix != sys.base_prefix else "python3"
    assert (f"config.ini: [ecs] calibration: {curve} is an example PySEB ships, the sweep of another heater: "
            f"measure this load's own ({python} -m calibration sweep -c config.ini --equipment ecs) and name it here"
            in done.stderr), done.stderr
