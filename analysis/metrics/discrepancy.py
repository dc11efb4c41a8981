"""Backend orders vs server and browser Purchases vs Meta's counts, per day of the order's date."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from analysis import store
from analysis.metrics.scope import Scope

ELIGIBLE = ("paid", "authorized", "partially_paid", "partially_refunded", "refunded")


@dataclass
class Discrepancy:
    event_name: str
    threshold: float
    min_orders: int
    days: list[dict[str, Any]] = field(default_factory=list)
    # What `gap` compares the orders with: our server Purchases, or Meta's /stats count without server logs.
    basis: str = "server_events"

    def as_dict(self) -> dict[str, Any]:
        return {"event_name": self.event_name, "threshold": self.threshold, "min_orders": self.min_orders,
                "basis": self.basis, "days": self.days}


def order_key_sql(alias: str) -> str:
    """The report's order key of an event row (needs m_okeys and the $re parameter)."""
    return (f"CASE WHEN {alias}.order_id IS NOT NULL AND trim({alias}.order_id) <> '' THEN trim({alias}.order_id) "
            f"WHEN {alias}.event_id IN (SELECT k FROM m_okeys) THEN {alias}.event_id "
            f"ELSE regexp_replace({alias}.event_id, $re, '') END")


def prepare_order_keys(con: duckdb.DuckDBPyConnection, scope: Scope, event_name: str, key_regex: str) -> None:
    """m_purchases: one row per Purchase conversion (cluster, or id-less event) with the order it names.

    Order key: custom_data.order_id; else an event_id equal to an order id; else the event_id with the
    settings regex removed. Shopify's numeric Id (alt_id) matches too.
    """
    pixel = "AND (o.pixel_id IS NULL OR o.pixel_id = $pixel)" if scope.pixel_id else ""
    params: dict[str, Any] = {"tz": scope.tz}
    if scope.pixel_id:
        params["pixel"] = scope.pixel_id
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_orders AS
        SELECT o.*, CAST(timezone($tz, CAST(created_at AS TIMESTAMPTZ)) AS DATE) AS day,
               status IN {ELIGIBLE} AND NOT test AND channel <> 'pos' AS eligible
        FROM orders o WHERE true {pixel}""", params)
    con.execute("""CREATE OR REPLACE TEMP TABLE m_okeys AS
        SELECT order_id AS k, order_id FROM m_orders
        UNION SELECT alt_id, order_id FROM m_orders WHERE alt_id IS NOT NULL""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_purchases AS
        WITH purch AS (
            SELECT side, pixel_id, event_id, order_id, event_time, day, in_window, value
            FROM dd WHERE event_name = $name AND first_copy
            UNION ALL
            SELECT 'server', pixel_id, event_id, order_id, event_time, day, in_window, value FROM m_server
            WHERE event_name = $name AND (event_id IS NULL OR trim(event_id) = '')
            UNION ALL
            SELECT 'browser', pixel_id, event_id, order_id, event_time, day, in_window, value FROM m_browser
            WHERE event_name = $name AND (event_id IS NULL OR trim(event_id) = '')),
        keyed AS (SELECT p.*, {order_key_sql('p')} AS order_key FROM purch p)
        SELECT keyed.*, ok.order_id AS matched_order FROM keyed LEFT JOIN m_okeys ok ON ok.k = keyed.order_key""",
                {"name": event_name, "re": key_regex})


def compute(con: duckdb.DuckDBPyConnection, scope: Scope, event_name: str, threshold: float,
            min_orders: int) -> Discrepancy:
    start, end = scope.utc_bounds()
    pixel = "AND pixel_id = $pixel" if scope.pixel_id else ""
    params: dict[str, Any] = {"since": scope.since, "until": scope.until, "tz": scope.tz, "name": event_name,
                              "start": start, "end": end}
    if scope.pixel_id:
        params["pixel"] = scope.pixel_id
    rows = store.query(con, f"""
        WITH days AS (SELECT CAST(d AS DATE) AS day FROM range(CAST($since AS TIMESTAMP),
                          CAST($until AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d)),
        eo AS (SELECT * FROM m_orders WHERE eligible AND day BETWEEN $since AND $until),
        o AS (SELECT day, count(*) AS backend_orders, sum(total) AS backend_revenue FROM eo GROUP BY day),
        matched AS (
            SELECT eo.day, p.side, count(*) AS n, sum(p.value) AS value
            FROM m_purchases p JOIN eo ON eo.order_id = p.matched_order GROUP BY ALL),
        orphan AS (
            SELECT day, side, count(*) AS n FROM m_purchases
            WHERE matched_order IS NULL AND in_window GROUP BY ALL),
        stats AS (
            SELECT CAST(timezone($tz, CAST(hour AS TIMESTAMPTZ)) AS DATE) AS day, event_source,
                   sum(count) FILTER (value = $name) AS n
            FROM meta_stats WHERE aggregation = 'event' AND event_source IN ('SERVER_ONLY', 'WEB_ONLY')
              AND hour >= $start - INTERVAL 1 DAY AND hour < $end + INTERVAL 1 DAY {pixel}
            GROUP BY ALL)
        SELECT d.day,
               coalesce(o.backend_orders, 0) AS backend_orders,
               coalesce(ms.n, 0) + coalesce(os.n, 0) AS server_events,
               coalesce(mb.n, 0) + coalesce(ob.n, 0) AS browser_events,
               CASE WHEN ss.day IS NOT NULL THEN coalesce(ss.n, 0) END AS meta_received,
               CASE WHEN sw.day IS NOT NULL THEN coalesce(sw.n, 0) END AS meta_browser_received,
               coalesce(o.backend_revenue, 0) AS backend_revenue, coalesce(ms.value, 0) AS server_value
        FROM days d
        LEFT JOIN o ON o.day = d.day
        LEFT JOIN matched ms ON ms.day = d.day AND ms.side = 'server'
        LEFT JOIN matched mb ON mb.day = d.day AND mb.side = 'browser'
        LEFT JOIN orphan os ON os.day = d.day AND os.side = 'server'
        LEFT JOIN orphan ob ON ob.day = d.day AND ob.side = 'browser'
        LEFT JOIN stats ss ON ss.day = d.day AND ss.event_source = 'SERVER_ONLY'
        LEFT JOIN stats sw ON sw.day = d.day AND sw.event_source = 'WEB_ONLY'
        ORDER BY d.day""", params)
    result = Discrepancy(event_name, threshold, min_orders)
    if not any(r["backend_orders"] or r["server_events"] or r["browser_events"] or r["meta_received"]
               for r in rows):
        return result
    # Without server logs (no counted server event of the name inside the window), the orders are compared
    # with what Meta says it received from the server (/stats SERVER_ONLY); a day without /stats has no gap.
    logs = store.scalar(con, "SELECT count(*) FROM m_server WHERE in_window AND event_name = ?", [event_name])
    if not logs and any(r["meta_received"] is not None for r in rows):
        result.basis = "meta_received"
    for r in rows:
        n = r["backend_orders"]
        seen = r["server_events"] if result.basis == "server_events" else r["meta_received"]
        gap = (n - seen) / n if n and seen is not None else None
        result.days.append({
            "date": r["day"].isoformat(), "backend_orders": int(n), "server_events": int(r["server_events"]),
            "browser_events": int(r["browser_events"]),
            "meta_received": None if r["meta_received"] is None else int(r["meta_received"]),
            "meta_browser_received": None if r["meta_browser_received"] is None else int(r["meta_browser_received"]),
            "backend_revenue": round(float(r["backend_revenue"]), 2), "server_value": round(float(r["server_value"]), 2),
            "gap": None if gap is None else round(gap, 4),
            "flagged": bool(gap is not None and abs(gap) > threshold and n >= min_orders),
        })
    return result
