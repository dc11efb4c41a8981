"""What each dashboard page reads, from one connection: the report, its daily series and facts (plain rows)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from analysis import config as config_mod
from analysis import report
from analysis.metrics import facts
from analysis.metrics import mirror as mirror_mod
from analysis.metrics import scope as scope_mod
from analysis.views import health


def default_window(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, tz: str,
                   pixel: str | None) -> tuple[date, date]:
    """The report's default window: `report.days` days ending on the latest day with data."""
    sc = scope_mod.resolve(con, None, None, tz, pixel, int(cfg["report.days"]))
    return sc.since, sc.until


def months(con: duckdb.DuckDBPyConnection, tz: str, pixel: str | None) -> list[dict[str, Any]]:
    """Calendar months with server or browser events, orders or Meta /stats, up to today in tz
    (month, first_day, last_day, events)."""
    return scope_mod.months_with_data(con, tz, pixel, datetime.now(ZoneInfo(tz)).date())


def metric_daily(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, window: dict[str, str],
                 pixel: str | None) -> list[dict[str, Any]]:
    """Every comparable metric per pixel × event × local day (window ± 7 days): the facts the deployment
    verdicts and suspected breaks are computed from (pixel_id, event_name, metric, day, num, den)."""
    sc = scope_mod.Scope(date.fromisoformat(window["since"]), date.fromisoformat(window["until"]),
                         window["timezone"], pixel)
    facts.prepare(con, sc, cfg)      # already built by the report for this scope: reused, not recomputed
    return facts.daily(con, sc, cfg["discrepancy.event_name"])


def audit(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: report.Options) -> dict[str, Any]:
    """report.series for the window, with its daily facts, the first-party mirror's gaps and the priority events."""
    data = report.series(con, cfg, opts)
    # Both read the window's temp tables, so they come from the same connection, right after the report.
    data["metric_daily"] = metric_daily(con, cfg, data["window"], opts.pixel_id)
    data["mirror"] = [asdict(m) for m in mirror_mod.by_event(con, int(cfg["dedup.window_hours"]))]
    data["priority_events"] = dict(cfg["priority_events"])
    return data


def month(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, since: date, until: date, tz: str,
          pixel: str | None) -> dict[str, Any]:
    """report.full for a calendar month with its daily series and facts; the checklist compares it with the
    previous calendar month, whose report is `previous_numbers` (the month-over-month table's numbers)."""
    opts = report.Options(since, until, tz, pixel)
    # A calendar month is checked against the previous calendar month, not the 30 days before it.
    prev = health.month_bounds(health.previous_month(since))
    data, before = report.full_pair(con, cfg, opts, daily=True, previous=prev, whole_previous=True)
    data["metric_daily"] = metric_daily(con, cfg, data["window"], pixel)
    data["previous_numbers"] = before
    data["priority_events"] = dict(cfg["priority_events"])
    return data
