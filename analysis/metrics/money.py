"""Money at stake (an estimate): orders Meta never received, and duplicated Purchases that inflate ROAS."""
from __future__ import annotations

import math

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import duckdb

from analysis import store
from analysis.rollups import read
from analysis.metrics.scope import Scope

FORMULA = {
    "missed_orders": "per day: max(0, backend_orders − max(meta_received, paired_server_purchases)); "
                     "missed_value = missed_orders × average_order_value",
    "duplicate_purchases": "server_repeats + browser_repeats + unpaired_double_counts; "
                           "duplicate_value = duplicate_purchases × average_order_value",
    "average_order_value": "sum of eligible orders' totals / eligible orders, over the window",
}


def _days(con: duckdb.DuckDBPyConnection, sc: Scope, event_name: str) -> list[dict[str, Any]]:
    """Per local day of the window: paired server Purchases, repeats by side and unpaired double counts.

    Needs the report's temp tables (m_orders, m_purchases, dd_matched) and the rollups.
    """
    return store.query(con, f"""
        WITH days AS (SELECT CAST(d AS DATE) AS day FROM range(CAST($since AS TIMESTAMP),
                          CAST($until AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d)),
        eo AS (SELECT order_id, day FROM m_orders WHERE eligible AND day BETWEEN $since AND $until),
        -- Each conversion Meta counts once: a key that paired across sides is one, anything else is its own.
        units AS (
            SELECT p.matched_order, p.side,
                   CASE WHEN m.event_id IS NOT NULL THEN 'k:' || p.event_id
                        ELSE p.side || ':' || coalesce(p.event_id, '') || ':' || CAST(p.event_time AS VARCHAR)
                   END AS unit
            FROM m_purchases p LEFT JOIN dd_matched m
              ON m.pixel_id = p.pixel_id AND m.event_name = $name AND m.event_id = p.event_id
            WHERE p.matched_order IS NOT NULL),
        per_order AS (
            SELECT eo.day, eo.order_id, count(DISTINCT u.unit) AS conversions,
                   count(*) FILTER (u.side = 'server') > 0 AS has_server
            FROM eo JOIN units u ON u.matched_order = eo.order_id GROUP BY ALL),
        o AS (SELECT day, count(*) FILTER (has_server) AS paired_server,
                     sum(greatest(conversions - 1, 0)) AS unpaired_double FROM per_order GROUP BY day),
        r AS (SELECT {read.LOCAL_DAY} AS day,
                     sum(r.repeats) FILTER (r.side = 'server') AS server_repeats,
                     sum(r.repeats) FILTER (r.side = 'browser') AS browser_repeats
              FROM rollup_events r, m_scope sc WHERE {read.IN_SCOPE} AND r.event_name = $name GROUP BY 1)
        SELECT d.day, coalesce(o.paired_server, 0) AS paired_server,
               coalesce(r.server_repeats, 0) AS server_repeats, coalesce(r.browser_repeats, 0) AS browser_repeats,
               coalesce(o.unpaired_double, 0) AS unpaired_double
        FROM days d LEFT JOIN o USING (day) LEFT JOIN r USING (day) ORDER BY d.day""",
                       {"since": sc.since, "until": sc.until, "name": event_name})


def _money(n: int | None, aov: float | None) -> float | None:
    return None if n is None or aov is None else round(n * aov, 2)


def _total(rows: list[dict[str, Any]], aov: float | None) -> dict[str, Any]:
    missed = [r["missed_orders"] for r in rows if r["missed_orders"] is not None]
    dup = [r["duplicate_purchases"] for r in rows if r["duplicate_purchases"] is not None]
    m, d = (sum(missed) if missed else None), (sum(dup) if dup else None)
    return {"backend_orders": sum(r["backend_orders"] for r in rows), "missed_orders": m,
            "missed_value": _money(m, aov), "duplicate_purchases": d, "duplicate_value": _money(d, aov)}


def _periods(days: list[dict[str, Any]], sc: Scope, start_of: Callable[[date], date],
             end_of: Callable[[date], date], aov: float | None) -> list[dict[str, Any]]:
    groups: dict[date, list[dict[str, Any]]] = {}
    for d in days:
        groups.setdefault(start_of(date.fromisoformat(d["date"])), []).append(d)
    return [{"since": max(k, sc.since).isoformat(), "until": min(end_of(k), sc.until).isoformat(), **_total(v, aov)}
            for k, v in sorted(groups.items())]


def _month_end(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def section(con: duckdb.DuckDBPyConnection, sc: Scope, disc: dict[str, Any]) -> dict[str, Any] | None:
    """The report's `money_at_stake` (null without eligible orders in the window: no order value to use).

    Missed orders need something to compare with: a day is judged when it has Meta's /stats count or the
    window has server logs of the event; duplicates need logs of the event (server or browser) in the window.
    """
    name = disc["event_name"]
    orders = store.query(con, """SELECT count(*) AS n, sum(total) AS revenue, count(DISTINCT currency) AS currencies,
                                        any_value(currency) AS currency
                                 FROM m_orders WHERE eligible AND day BETWEEN ? AND ?""", [sc.since, sc.until])[0]
    if not orders["n"]:
        return None
    aov: float | None = float(orders["revenue"]) / orders["n"]
    if not math.isfinite(aov):
        aov = None      # an order total that is not a number: no money figure rather than a false one
    has_server = bool(store.scalar(con, "SELECT count(*) FROM m_server WHERE in_window AND event_name = ?", [name]))
    has_logs = has_server or bool(store.scalar(
        con, "SELECT count(*) FROM m_browser WHERE in_window AND event_name = ?", [name]))
    by_day = {r["day"].isoformat(): r for r in _days(con, sc, name)}
    days = []
    for d in disc["days"]:
        r, meta = by_day[d["date"]], d["meta_received"]
        judged = meta is not None or has_server
        received = max(meta or 0, r["paired_server"])
        missed = max(0, d["backend_orders"] - received) if judged else None
        dup = r["server_repeats"] + r["browser_repeats"] + r["unpaired_double"] if has_logs else None
        days.append({"date": d["date"], "backend_orders": d["backend_orders"], "meta_received": meta,
                     "paired_server": r["paired_server"] if has_server else None, "missed_orders": missed,
                     "missed_value": _money(missed, aov),
                     "server_repeats": r["server_repeats"] if has_logs else None,
                     "browser_repeats": r["browser_repeats"] if has_logs else None,
                     "unpaired_double": r["unpaired_double"] if has_logs else None,
                     "duplicate_purchases": dup, "duplicate_value": _money(dup, aov)})
    return {
        "estimate": True, "event_name": name, "formula": FORMULA,
        "currency": orders["currency"] if orders["currencies"] == 1 else None,
        "average_order_value": None if aov is None else round(aov, 2), "total": _total(days, aov),
        "weeks": _periods(days, sc, lambda d: d - timedelta(days=d.weekday()), lambda d: d + timedelta(days=6), aov),
        "months": _periods(days, sc, lambda d: d.replace(day=1), _month_end, aov),
        "days": days,
    }
