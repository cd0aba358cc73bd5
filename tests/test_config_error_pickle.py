"""A ConfigError crosses a process boundary whole: raised in a worker of the benchmark's or `simulation tune`'s process
pool, it came back as "BrokenProcessPool" (Exception's pickling passes the message alone to __init__, which takes the
path and the problems), and the replay's real complaint was lost."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from settings.problems import ConfigError, ConfigProblem

GAIN = ConfigProblem("evaluate", "gain", "must be <= 1, got 1.5")
TYPO = ConfigProblem("ecs", "calibraton", "unknown key")


def _refuse(path: str) -> None:
    raise ConfigError(path, [GAIN], [TYPO])


def test_pickled_and_back_it_is_the_same_error() -> None:
    error = pickle.loads(pickle.dumps(ConfigError("house.ini", [GAIN], [TYPO])))
    assert isinstance(error, ConfigError)
    assert (error.path, error.problems, error.warnings) == ("house.ini", [GAIN], [TYPO])
    assert str(error) == str(ConfigError("house.ini", [GAIN], [TYPO]))


def test_raised_in_a_worker_process_it_reaches_the_caller() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool, pytest.raises(ConfigError, match="gain: must be <= 1"):
        pool.submit(_refuse, "variant.ini").result()


def test_an_unused_key_stays_one_after_the_crossing() -> None:
    # (the keys PySEB does not use are said in one line, ConfigProblem.unused: the flag crosses with the warning)
    unused = ConfigProblem("debug", "simul_prod", "ignored: use the simulator instead", unused=True)
    error = pickle.loads(pickle.dumps(ConfigError("house.ini", [GAIN], [TYPO, unused])))
    assert error.warnings == [TYPO, unused] and error.warnings[1].unused
    assert "house.ini: 1 key that PySEB does not use, ignored: [debug] simul_prod; " in str(error)
