"""A variable load's calibration curve: where its file is found (the seed's names, the example curves PySEB ships)
and its fit (plain Python; numpy only for a poly fit)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from calibration.examples import SHIPPED_CURVES, shipped_example
from equipments.load_build import EquipmentBuildError
from values.paths import user_path
from values.venv import python_command

if TYPE_CHECKING:
    from calibration.curve import PowerCurve


def calibration_wanted() -> str:
    """What a missing curve's error ends with: the curve is the variator's own (the sample's is another house's), so
    the way to one is said, not only where it was looked for (docs/ is no part of an install: the sweep's --help is).
    The sweep is named with the Python that reads the config, as the example curve's warning names it: on a `make`
    install, `python3 -m calibration sweep` ran the system's Python, which lacks the packages."""
    return (f"calibration = <path>, or measure one: {shlex.quote(python_command())} -m calibration sweep (its --help; "
            f"docs/calibration.md in PySEB's source; the example curves PySEB ships are in {SHIPPED_CURVES})")


def default_calibration_paths(name: str, config_dir: Path) -> list[Path]:
    """The seed's file names for load `name`'s curve, in the order they are looked for."""
    return [config_dir / "calibration" / f"power_calibration_{name}.csv",
            config_dir / f"power_calibration_{name}.csv"]


def _exists(path: Path) -> bool:
    """path.exists(), False for a path the system cannot look at (a name too long: an OSError out of --check as a
    traceback); reading it then says why."""
    try:
        return path.exists()
    except OSError:
        return False


def find_calibration(name: str, given: str | None, config_dir: Path) -> Path | None:
    """The curve file the daemon loads for load `name`: its `calibration` option (`given`), else the first of the
    seed's file names in `config_dir` that exists (None: none does). The one rule of the daemon and the sweep's
    note on which curve the regulator will load."""
    if given:
        path = user_path(given)
        if path.is_absolute():
            return path
        beside = config_dir / path
        # (config.ini.sample's curve, copied out of share/pyseb: a file of that name beside it, its user's, first)
        example = None if _exists(beside) else shipped_example(path)
        return example or beside
    return next((candidate for candidate in default_calibration_paths(name, config_dir) if _exists(candidate)), None)


def calibration_path(name: str, given: str | None, config_dir: Path) -> Path:
    """The curve file of load `name` (find_calibration); none found is an EquipmentBuildError that says where to
    put one."""
    found = find_calibration(name, given, config_dir)
    if found is not None and given and not _exists(found):
        elsewhere = _relative_elsewhere(given, config_dir)
        if elsewhere is not None:
            raise EquipmentBuildError("calibration", f"{found}: calibration file not found: a relative path is read "
                                      f"from the config file's folder ({config_dir}), and {elsewhere} is there: write "
                                      f"calibration = {elsewhere} (or move the file beside the config)")
    if found is not None:
        return found
    candidates = default_calibration_paths(name, config_dir)
    # The seed's files are named after the load as its users wrote it (power_calibration_ECS.csv for a load
    # `ecs`): a name that differs only in case is said, since Linux tells them apart.
    near = [file for folder in {c.parent for c in candidates} if folder.is_dir()
            for file in sorted(folder.glob("*.csv")) if file.name.lower() == candidates[0].name.lower()]
    hint = (f" ({near[0]} differs only in case: rename it, or set calibration = "
            f"{near[0].relative_to(config_dir)})" if near else "")
    raise EquipmentBuildError("calibration", "no calibration file: looked for "
                              + " and ".join(str(c) for c in candidates) + hint
                              + f"; put the variator's curve there (the seed's {candidates[0].name}), name it in "
                              + calibration_wanted())


def _relative_elsewhere(given: str, config_dir: Path) -> Path | None:
    """The file a relative `given` names from the current folder (where the user typed the command) or from PySEB's
    own (a config kept in a folder of its own, the curve put beside PySEB's examples), when one exists: read from the
    config file's folder, as every relative path is, the check said only "not found" for a file the user could see."""
    path = user_path(given)
    if path.is_absolute():
        return None
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = (base / path).resolve()
        if base.resolve() != config_dir.resolve() and _exists(candidate) and candidate.is_file():
            return candidate
    return None


def load_calibration(path: Path, fit: str, degree: int, min_power_w: float) -> PowerCurve:
    """The curve fitted to the file at `path` (`fit`, `degree`: the load's options); a file that cannot be read or
    fitted, or a poly fit's numpy that cannot be imported, is an EquipmentBuildError of the load's `calibration`."""
    # The robust fit is plain Python; the poly fit imports numpy (15 MB of a 45 MB daemon), only then.
    from calibration.fit import CalibrationError, load_curve

    try:
        return load_curve(path, method=fit, degree=degree, min_power_w=min_power_w)
    except CalibrationError as exc:
        missing = not _exists(path)
        raise EquipmentBuildError("calibration", f"{exc}; name your curve in {calibration_wanted()}" if missing
                                  else str(exc)) from exc
    except OSError as exc:
        raise EquipmentBuildError("calibration", f"cannot read {path}: {exc.strerror}") from exc
    except ImportError as exc:  # (the dependency check reads numpy's metadata: a broken install passes it)
        raise EquipmentBuildError("calibration", f"the poly fit needs numpy, which cannot be imported ({exc}): "
                                  "install it with 'sudo apt install python3-numpy' (Debian, Raspberry Pi OS) "
                                  "or 'make check', or use the default fit = robust") from exc
