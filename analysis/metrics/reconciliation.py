"""Order-level reconciliation: which orders lack a server Purchase, and which Purchases lack a good order."""
from __future__ import annotations

from typing import Any

import duckdb

from analysis import store
from analysis.metrics.scope import Scope

ISSUES = ("no_server_purchase", "purchase_for_unpaid_order", "purchase_without_order", "value_mismatch")


def _sql(tolerance: float) -> str:
    # Per pixel: an order is reconciled with its own pixel's Purchases (an order of every pixel, once per pixel).
    return f"""
        WITH eo AS (SELECT * FROM m_orders WHERE day BETWEEN $since AND $until),
        per_order AS (
            SELECT pixel_id, matched_owner AS owner, matched_order AS order_id,
                   count(*) FILTER (side = 'server') AS server_purchases,
                   count(*) FILTER (side = 'browser') AS browser_purchases,
                   arg_min(event_id, event_time) FILTER (side = 'server') AS event_id,
                   min(event_time) FILTER (side = 'server') AS event_time,
                   arg_min(value, event_time) FILTER (side = 'server') AS server_value
            FROM m_purchases WHERE matched_order IS NOT NULL GROUP BY ALL),
        joined AS (SELECT eo.pixel_id, eo.order_id, eo.created_at, eo.status, eo.total, eo.currency, eo.eligible,
                          coalesce(p.server_purchases, 0) AS server_purchases,
                          coalesce(p.browser_purchases, 0) AS browser_purchases,
                          p.event_id, p.event_time, p.server_value
                   FROM eo LEFT JOIN per_order p ON p.pixel_id IS NOT DISTINCT FROM eo.pixel_id
                    AND p.owner = eo.owner AND p.order_id = eo.order_id)
        SELECT 'no_server_purchase' AS issue, pixel_id, order_id, created_at, status, total, currency, event_id,
               event_time, server_value, server_purchases, browser_purchases,
               CASE WHEN browser_purchases = 0 THEN 'server and browser' ELSE 'server' END AS missing
        FROM joined WHERE eligible AND server_purchases = 0
        UNION ALL
        SELECT 'purchase_for_unpaid_order', pixel_id, order_id, created_at, status, total, currency, event_id,
               event_time, server_value, server_purchases, browser_purchases, 'a paid order' FROM joined
        WHERE status IN ('pending', 'voided', 'cancelled') AND server_purchases > 0
        UNION ALL
        SELECT 'value_mismatch', pixel_id, order_id, created_at, status, total, currency, event_id, event_time,
               server_value, server_purchases, browser_purchases, NULL FROM joined
        WHERE eligible AND server_purchases > 0 AND server_value IS NOT NULL
          AND abs(server_value - total) > {float(tolerance)!r} * abs(total)
        UNION ALL
        SELECT 'purchase_without_order', pixel_id, order_key, NULL, NULL, NULL, NULL, event_id, event_time, value,
               1, 0, 'an order' FROM m_purchases
        WHERE side = 'server' AND matched_order IS NULL AND in_window"""


def rows(con: duckdb.DuckDBPyConnection, sc: Scope, tolerance: float = 0.01, issue: str | None = None,
         limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Reconciliation rows (ids, dates, statuses and values only), newest first; pageable."""
    where = "WHERE issue = $issue" if issue else ""
    page = f"LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    params: dict[str, Any] = {"since": sc.since, "until": sc.until}
    if issue:
        params["issue"] = issue
    return store.query(con, f"""SELECT * FROM ({_sql(tolerance)}) {where}
                               ORDER BY coalesce(created_at, event_time) DESC, issue, order_id, pixel_id, event_id {page}""", params)


def counts(con: duckdb.DuckDBPyConnection, sc: Scope, tolerance: float = 0.01) -> dict[str, int]:
    got = {r["issue"]: int(r["n"]) for r in store.query(
        con, f"SELECT issue, count(*) AS n FROM ({_sql(tolerance)}) GROUP BY 1", {"since": sc.since, "until": sc.until})}
    return {issue: got.get(issue, 0) for issue in ISSUES}


def section(con: duckdb.DuckDBPyConnection, sc: Scope, limit: int, tolerance: float = 0.01) -> dict[str, Any]:
    """The report's `reconciliation`: counts per issue and the newest rows (the CLI exports them all)."""
    c = counts(con, sc, tolerance)
    out = rows(con, sc, tolerance, limit=limit)
    for r in out:
        for k in ("created_at", "event_time"):
            if r[k] is not None:
                r[k] = r[k].strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"counts": c, "rows": out, "truncated": sum(c.values()) > len(out)}
