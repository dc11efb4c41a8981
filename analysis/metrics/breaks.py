"""Suspected breaks: a metric's daily series steps to a worse level with no deployment nearby.

For every candidate day d, the 7 days from d (the leading window) are compared with the same weekdays one
week earlier (the trailing window): day d+i is paired with d+i−7, so a weekly rhythm (quiet weekends) is in
both windows alike and cancels, also when data ends before the leading window is full. A day below the
minimum volume is dropped with its pair: it never starts or supports a break. d is a break when

- at least `breaks.new_level_days` (3) pairs remain and each window has ≥ `deployments.min_events` events;
- the leading window is worse than the trailing one by the deployments' bars (shares: ≥ 0.10 and ≥ 4 SE of
  the difference of the pooled proportions; EMQ ≥ 1.0; |gap| ≥ 0.15; name mismatches from 0 to ≥ 1 %);
- d and the next two paired days are each at the new level: each moved from its paired day by at least
  half the step, in the worse direction (one bad day in an otherwise normal week is not a new level);
- the day before d was not at the new level yet (against its weekday a week earlier or, where that is
  before the facts, a week later), so `date` is the first day at the new level;
- no deployment of that pixel (or of all pixels) lies within `breaks.quiet_days` (2) local days of d.

A step makes a run of passing days (d, d+1, … while the trailing window still holds old days); a passing
day within a week of the previous one continues the run, which is reported once, at its first day.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import duckdb

from analysis import config as config_mod
from analysis.metrics import deployments, facts
from analysis.metrics.deployments import Thresholds, comparable, regressed, worse_by
from analysis.metrics.facts import Agg
from analysis.metrics.scope import Scope

WEEK = 7       # leading window length and pairing distance: whole weeks cancel a weekly rhythm


def _sum(points: list[tuple[float, float]]) -> Agg:
    return Agg(sum(p[0] for p in points), sum(p[1] for p in points), len(points))


def _deployment_days(con: duckdb.DuckDBPyConnection, sc: Scope) -> list[tuple[str | None, date]]:
    zone = ZoneInfo(sc.tz)
    out = []
    for d in deployments.visible(con, sc):
        local = d["deployed_at"].replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
        out.append((d["pixel_id"], local))
    return out


class Passing(NamedTuple):
    day: date
    before: Agg           # the trailing window (paired days)
    after: Agg            # the leading window
    first: bool           # the day before was not at the new level yet (or cannot be told)


def find(series: dict[date, tuple[float, float]], metric: str, th: Thresholds, min_day: int,
         new_level_days: int) -> list[Passing]:
    """Every day that passes the test for one daily series {day: (num, den)}."""
    min_day = max(1, min_day)
    busy = {d for d, (_, den) in series.items() if den >= min_day}
    out = []
    for d in sorted(busy):
        # Leading days d+i paired with the same weekday a week earlier; quiet days drop out with their pair.
        days = [d + timedelta(days=i) for i in range(WEEK)]
        pairs = [(series[a - timedelta(days=WEEK)], series[a])
                 for a in days if a in busy and a - timedelta(days=WEEK) in busy]
        if len(pairs) < new_level_days or d - timedelta(days=WEEK) not in busy:
            continue              # d's own pair is missing or too quiet: d cannot start a break
        before, after = _sum([b for b, _ in pairs]), _sum([a for _, a in pairs])
        if not comparable(before, after, th) or not regressed(metric, before, after, th):
            continue
        step = worse_by(metric, before.value, after.value)
        if not all(worse_by(metric, _value(b), _value(a)) >= step / 2 for b, a in pairs[:new_level_days]):
            continue
        # d is the first day at the new level only if the day before was not there yet: d−1 against its own
        # weekday a week earlier, else (that day is before the facts) against its weekday a week later, d+6.
        prev, week_before, week_after = (d - timedelta(days=n) for n in (1, 1 + WEEK, 1 - WEEK))
        first = True
        if prev in busy and week_before in busy:
            first = worse_by(metric, _value(series[week_before]), _value(series[prev])) < step / 2
        elif prev in busy and week_after in busy:
            first = worse_by(metric, _value(series[prev]), _value(series[week_after])) >= step / 2
        out.append(Passing(d, before, after, first))
    return out


def _value(point: tuple[float, float]) -> float:
    return point[0] / point[1]


def section(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config) -> list[dict[str, Any]]:
    """The report's `suspected_breaks` whose date is inside the window (needs report.prepare)."""
    th = Thresholds.from_config(cfg)
    min_day, new_level, quiet = (int(cfg["breaks.min_day_events"]), int(cfg["breaks.new_level_days"]),
                                 int(cfg["breaks.quiet_days"]))
    facts.prepare(con, sc, cfg)
    series: dict[tuple[str | None, str, str], dict[date, tuple[float, float]]] = defaultdict(dict)
    for r in facts.daily(con, sc, cfg["discrepancy.event_name"]):
        series[(r["pixel_id"], r["event_name"], r["metric"])][r["day"]] = (float(r["num"]), float(r["den"]))
    deps = _deployment_days(con, sc)
    out = []
    for (pixel, event, metric), days in sorted(series.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2])):
        previous: date | None = None
        for d, before, after, first in find(days, metric, th, min_day, new_level):
            # A passing day within a week of the previous one continues the same run: reported once.
            starts_run = first and (previous is None or (d - previous).days > WEEK)
            previous = d
            if not starts_run or not sc.since <= d <= sc.until:
                continue
            if any(abs((d - day).days) <= quiet and (pixel is None or p is None or p == pixel) for p, day in deps):
                continue
            out.append({"date": d.isoformat(), "metric": metric, "event_name": event, "pixel_id": pixel,
                        "before": deployments.rounded(metric, before.value),
                        "after": deployments.rounded(metric, after.value),
                        "before_events": int(before.den), "after_events": int(after.den)})
    out.sort(key=lambda b: (b["date"], b["pixel_id"] or "", b["event_name"], b["metric"]))
    return out

