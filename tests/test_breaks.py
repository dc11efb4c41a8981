"""Suspected breaks: unannotated steps in daily series, once, on the right day; weekly rhythm, deployments
nearby and quiet days do not make one."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from analysis.metrics import breaks
from analysis.metrics.deployments import Thresholds
from tests.scenario import Scenario, sev, ud

START = date(2026, 10, 1)        # a Thursday


@pytest.fixture
def sc(tmp_path):
    return Scenario(tmp_path)


def leads(sc: Scenario, days: int, per_day, with_external_id) -> None:
    """Lead events from START: per_day(day) of them, every 30 minutes from 08:00 UTC; external_id on those
    for which with_external_id(day, i) holds."""
    for n in range(days):
        day = START + timedelta(days=n)
        sc.server(*[sev("Lead", f"{day}T{8 + i // 2:02d}:{30 * (i % 2):02d}:00", f"l-{day}-{i}",
                        ud("em", "fbp", "client_ip_address", "client_user_agent",
                           *(["external_id"] if with_external_id(day, i) else [])))
                    for i in range(per_day(day))])


STEP = date(2026, 10, 12)


def stepped(sc: Scenario) -> None:
    """external_id is sent until 10-11 and never from 10-12 (20 Leads a day, 3 weeks)."""
    leads(sc, 21, lambda day: 20, lambda day, i: day < STEP)


def test_an_unannotated_step_is_found_once_on_its_first_day(sc):
    stepped(sc)
    rep = sc.report("2026-10-01", "2026-10-21")
    # Later days of the run (10-13 … 10-16 also pass the window test) are the same break, not new ones;
    # EMQ moves 7.82 → 7.37, under its 1.0 bar.
    assert rep["suspected_breaks"] == [{"date": "2026-10-12", "metric": "coverage.external_id", "event_name": "Lead",
                                        "pixel_id": "111", "before": 1.0, "after": 0.0,
                                        "before_events": 140, "after_events": 140}]
    # A window starting inside the run still dates the break on its first day (the facts look 7 days back).
    assert [b["date"] for b in sc.report("2026-10-12", "2026-10-21")["suspected_breaks"]] == ["2026-10-12"]
    assert sc.report("2026-10-13", "2026-10-21")["suspected_breaks"] == []


def test_a_weekly_rhythm_is_not_a_break(sc):
    # At weekends only half the Leads carry external_id: each weekend day is 0.5 below the weekdays.
    leads(sc, 28, lambda day: 20, lambda day, i: day.weekday() < 5 or i % 2 == 0)
    assert sc.report("2026-10-01", "2026-10-28")["suspected_breaks"] == []
    # Also when the data ends on a weekend (a partial leading window is paired weekday by weekday).
    assert sc.report("2026-10-01", "2026-10-25")["suspected_breaks"] == []


@pytest.mark.parametrize("at, pixel, found", [
    ("2026-10-10T12:00:00", "", False),        # 2 days before, all pixels: the deployment's step
    ("2026-10-14T06:00:00", "111", False),     # 2 days after, this pixel
    ("2026-10-09T00:00:00", "", True),         # 3 days before: not near enough to explain it
    ("2026-10-12T00:00:00", "222", True),      # another pixel's deployment
])
def test_a_step_within_two_days_of_a_deployment_is_not_a_suspected_break(sc, at, pixel, found):
    stepped(sc)
    sc.deployment(at, "release", pixel)
    rep = sc.report("2026-10-01", "2026-10-21")
    assert [(b["date"], b["metric"]) for b in rep["suspected_breaks"]] == (
        [("2026-10-12", "coverage.external_id")] if found else [])


def test_low_volume_days_neither_start_nor_support_a_break(sc):
    # 30 Leads a day, but only 5 (none with external_id) on 10-12 … 10-15: a quiet spell, not a new level.
    quiet = {STEP + timedelta(days=i) for i in range(4)}
    leads(sc, 21, lambda day: 5 if day in quiet else 30, lambda day, i: day not in quiet)
    assert sc.report("2026-10-01", "2026-10-21")["suspected_breaks"] == []
    # Counted, those 20 events would make a break (0.82 after vs 1.0): the minimum volume is what stops it.
    found = sc.report("2026-10-01", "2026-10-21", breaks__min_day_events=1)["suspected_breaks"]
    assert [(b["date"], b["metric"], b["before"], b["after"], b["after_events"]) for b in found] == [
        ("2026-10-12", "coverage.external_id", 1.0, 0.8182, 110)]


def test_one_bad_day_in_a_normal_week_is_not_a_new_level():
    th = Thresholds()
    series = {START + timedelta(days=n): (20.0, 20.0) for n in range(21)}
    series[STEP] = (0.0, 20.0)                               # one day at 0
    assert breaks.find(series, "coverage.em", th, 10, 3) == []
    for n in range(3):
        series[STEP + timedelta(days=n)] = (0.0, 20.0)       # three days at 0: a new level
    found = breaks.find(series, "coverage.em", th, 10, 3)
    # 10-13 is not a break: its first paired days are at 0 but 10-15 is back at 1 (only two at the level).
    assert [(p.day, round(p.before.value, 4), round(p.after.value, 4), p.first) for p in found] == [
        (STEP, 1.0, 0.5714, True)]
