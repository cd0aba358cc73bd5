"""`replay DATE -c demo.ini`, the config a demo kept with `--keep` wrote for its daemon: it failed on "a meter period of
2 s is not under [evaluate] meter_timeout (1 s) ... give a shorter --period", with no word that the file is the
sped-up demo's (every time of it divided by the demo's speed), nor of what to pass instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.__main__ import main
from simulation.demo_config import DEMO_TEMPLATE, write_demo_config
from tests.replay_days import write_recorded_day


@pytest.mark.parametrize("command", [["replay"], ["tune", "--set", "evaluate.margin=0,10", "-j", "1"]])
@pytest.mark.parametrize("period", [[], ["--period", "0.5"]])
def test_the_demo_s_kept_config_is_said_the_sped_up_demo_s(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           command: list[str], period: list[str]) -> None:
    # (a --period under its meter_timeout of 1 s passed the check, and replayed a house whose waits were a 30th of
    # the daemon's at home)
    config = write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 9, 30.0)
    write_recorded_day(tmp_path / "records", "2026-06-01", 10)  # (its [record] dir: the demo's records/)
    assert main([command[0], "2026-06-01", "-c", str(config), *command[1:], *period]) == 2
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if line.startswith("error: ")]
    assert said == [
        "error: this config is the live demo's (python3 -m simulation demo wrote it for its daemon, [evaluate] "
        "demo_speed = 30): its times are the house's divided by 30 (meter_timeout 1 s, period 0.03333 s), a replay "
        f"runs the house at its own pace: give the demo's house at that pace, -c {DEMO_TEMPLATE} (the demo's records "
        "are of the sped-up house: no day to tune on; recorded days from a trace: replay --record)"], err


def test_the_meter_period_s_check_reads_the_config_file_no_more(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # meter_period read the INI again at each replay to see its demo_speed: a tune's 24 replays read it 24 times. The
    # SimConfig carries it, read once with the rest.
    import settings.config
    from simulation.config import read_sim_config
    from simulation.replay_inputs import ReplayError, meter_period

    demo = read_sim_config(write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 9, 30.0))
    own = read_sim_config(DEMO_TEMPLATE)
    assert (demo.demo_speed, own.demo_speed) == (30.0, 1.0)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the config file read again")
    monkeypatch.setattr(settings.config, "read_parser", refused)
    with pytest.raises(ReplayError, match=r"demo_speed = 30\): .* \(meter_timeout 1 s, period 0.03333 s\)"):
        meter_period(demo, None)
    assert meter_period(own, None) == own.period_s
