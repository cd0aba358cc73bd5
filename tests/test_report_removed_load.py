"""A load taken out of the config at a restart, then put back at another, the same day: the day's report (the status's
report_today, the report published at midnight) kept its morning only in `diverted_wh`, and counted the load from its
return: the status file had its energy all along, the report's figure for it lost it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.daily_report import DailyFigures, DailyReport
from tests.saved_status import REPORT, at, run_restored


def test_a_load_removed_then_put_back_the_same_day_keeps_its_morning_in_the_report(tmp_path: Path) -> None:
    # 08:00-09:00 the radiator forced on (1000 W: ~1 kWh); 09:00-10:00 a run without it; from 10:00 with it again.
    _, morning = run_restored(tmp_path, ("ecs", "radiator"), None, at(1, 8), at(1, 9), force_radiator=True,
                   production_w=3000)
    radiator_wh = morning["report_today"]["loads"]["radiator"]["energy_wh"]
    assert radiator_wh == pytest.approx(1000, rel=0.01)
    _, without = run_restored(tmp_path, ("ecs",), morning, at(1, 9, 1), at(1, 10))
    assert "radiator" not in without["report_today"]["loads"]  # (the report names the configured loads)
    assert without["report_today"]["diverted_wh"] >= radiator_wh
    back, again = run_restored(tmp_path, ("ecs", "radiator"), without, at(1, 10, 1), at(1, 10, 30))
    day = again["report_today"]
    assert day["loads"]["radiator"]["energy_wh"] == pytest.approx(radiator_wh)  # was 0: counted from its return
    assert day["loads"]["radiator"]["switches"] == morning["report_today"]["loads"]["radiator"]["switches"]
    assert day["diverted_wh"] == pytest.approx(sum(load["energy_wh"] for load in day["loads"].values()), abs=0.2)
    back.reg.tick(at(2, 0, 0) + 1)  # the midnight's report has it too
    report = json.loads(back.on(REPORT)[-1])
    assert report["loads"]["radiator"]["energy_wh"] == pytest.approx(radiator_wh)


def test_a_load_removed_for_the_rest_of_the_day_stays_in_the_report_s_removed_loads() -> None:
    morning = {"date": "2026-06-01", "covered_h": 12.0, "pv_wh": 5000.0, "house_wh": 1000.0, "diverted_wh": 2000.0,
               "exported_wh": 2000.0, "imported_wh": 0.0, "caused_import_wh": 0.0, "missed_wh": 0.0,
               "loads": {"ecs": {"energy_wh": 1000.0, "switches": 0, "relay": False, "recheck_probes": 0},
                         "towel": {"energy_wh": 1000.0, "switches": 4, "relay": True}}}
    figures = DailyFigures(["ecs"], [False], 10)
    figures.resume(DailyReport.from_json(morning, {"ecs": False}))
    doc = figures.close("2026-06-01", 0).as_json()
    assert list(doc["loads"]) == ["ecs"]
    assert doc["removed_loads"] == {"towel": {"energy_wh": 1000.0, "switches": 4, "relay": True}}
    assert doc["diverted_wh"] == 2000.0
    # Read back (a restart the day after: the day's report not sent yet), the removed load is kept as it was.
    assert DailyReport.from_json(doc, {"ecs": False}).as_json() == doc
    # A day without any has no such key: the documents of every other day are as they were.
    assert "removed_loads" not in DailyFigures(["ecs"], [False], 10).close("2026-06-02", 0).as_json()


def test_a_damaged_entry_of_a_load_no_longer_configured_loses_the_day_nothing() -> None:
    # (before removed loads were kept, such an entry was not read at all: it must not cost the day's figures now)
    morning = {"date": "2026-06-01", "covered_h": 12.0, "pv_wh": 5000.0, "house_wh": 1000.0, "diverted_wh": 2000.0,
               "exported_wh": 2000.0, "imported_wh": 0.0, "caused_import_wh": 0.0, "missed_wh": 0.0,
               "loads": {"ecs": {"energy_wh": 1000.0, "switches": 0, "relay": False, "recheck_probes": 0},
                         "towel": {"energy_wh": 1000.0, "switches": "4", "relay": True}},
               "removed_loads": {"plug": {"energy_wh": 0.0, "switches": 0}}}
    report = DailyReport.from_json(morning, {"ecs": False})
    assert (report.removed, report.diverted_wh, report.pv_wh) == ((), 2000.0, 5000.0)
    with pytest.raises(ValueError, match="ecs's switches"):  # (a configured load's, as before: not a report)
        DailyReport.from_json(morning | {"loads": {"ecs": {"energy_wh": 1.0, "switches": -1}}}, {"ecs": False})


def test_the_report_of_yesterday_sent_at_a_start_lists_yesterday_s_loads_not_this_config_s(tmp_path: Path) -> None:
    # PySEB stopped at 09:00 with the radiator, started the next morning with it renamed (or removed): the report of
    # the day no midnight published said the radiator removed that day (`removed_loads`), though it ran all of it.
    _, day = run_restored(tmp_path, ("ecs", "radiator"), None, at(1, 8), at(1, 9), force_radiator=True,
                          production_w=3000)
    h, _ = run_restored(tmp_path, ("ecs", "small"), day, at(2, 8), at(2, 8, 1))
    assert json.loads(h.on(REPORT)[-1]) == day["report_today"]


def test_yesterday_s_report_with_a_damaged_entry_of_a_load_gone_since_is_still_sent(tmp_path: Path) -> None:
    # (its entry left unnamed, as a load no longer configured: read with that day's loads, the report was not sent)
    _, day = run_restored(tmp_path, ("ecs", "radiator"), None, at(1, 8), at(1, 9), force_radiator=True,
                          production_w=3000)
    day["report_today"]["loads"]["radiator"]["switches"] = "1"
    h, _ = run_restored(tmp_path, ("ecs", "small"), day, at(2, 8), at(2, 8, 1))
    sent = json.loads(h.on(REPORT)[-1])
    assert list(sent["loads"]) == ["ecs"] and sent["diverted_wh"] == day["report_today"]["diverted_wh"]


def _with_a_removed_towel() -> DailyReport:
    """A day's report whose towel dryer was taken out of the config at a restart (1 kWh, 4 switches before)."""
    morning = {"date": "2026-06-01", "covered_h": 12.0, "pv_wh": 5000.0, "house_wh": 1000.0, "diverted_wh": 2000.0,
               "exported_wh": 2000.0, "imported_wh": 0.0, "caused_import_wh": 0.0, "missed_wh": 0.0,
               "loads": {"ecs": {"energy_wh": 1000.0, "switches": 0, "relay": False, "recheck_probes": 0}},
               "removed_loads": {"towel": {"energy_wh": 1000.0, "switches": 4, "relay": True}}}
    return DailyReport.from_json(morning, {"ecs": False})


def test_the_log_line_and_the_text_name_a_load_removed_during_the_day() -> None:
    # The report kept a removed load by name (removed_loads), but its log line and its text showed only the loads
    # configured: 1 kWh of `diverted` that no load line accounted for, and no word of why.
    report = _with_a_removed_towel()
    assert "removed from the config during the day: towel (1.00 kWh, 4 switches)" in report.line()
    assert report.line().index("relay switches: none") < report.line().index("removed from the config")
    text = report.text()
    assert "removed from the config during the day (its energy in diverted):" in text
    assert text.split("removed from the config during the day")[1].splitlines()[1].split() == \
        ["towel", "relay", "1.00", "4"]
    # A day without one: the line and the text as they were.
    plain = DailyFigures(["ecs"], [False], 10).close("2026-06-02", 0)
    assert "removed" not in plain.line() and "removed" not in plain.text()


def test_the_daemon_s_midnight_log_line_names_a_load_removed_during_the_day(tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    _, morning = run_restored(tmp_path, ("ecs", "radiator"), None, at(1, 8), at(1, 9), force_radiator=True,
                      production_w=3000)
    without, _ = run_restored(tmp_path, ("ecs",), morning, at(1, 9, 1), at(1, 10))
    with caplog.at_level("INFO", logger="core.regulator"):
        without.reg.tick(at(2, 0, 0) + 1)
    line = next(record.getMessage() for record in caplog.records if record.getMessage().startswith("day 2026-12-01"))
    assert "removed from the config during the day: radiator (1.00 kWh, " in line
