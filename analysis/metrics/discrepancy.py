"""Backend orders vs server and browser Purchases vs Meta's counts, per day of the order's date."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from analysis import store
from analysis.metrics import dedup
from analysis.metrics.scope import Scope
from analysis.rollups.schema import COUNTED_SERVER

ELIGIBLE = ("paid", "authorized", "partially_paid", "partially_refunded", "refunded")


@dataclass
class Discrepancy:
    event_name: str
    threshold: float
    min_orders: int
    days: list[dict[str, Any]] = field(default_factory=list)
    # What `gap` compares the orders with: our server Purchases, or Meta's /stats count without server logs.
    basis: str = "server_events"
    by_pixel: list[dict[str, Any]] = field(default_factory=list)   # [{"pixel_id", "basis", "days"}], days as above

    def as_dict(self) -> dict[str, Any]:
        return {"event_name": self.event_name, "threshold": self.threshold, "min_orders": self.min_orders,
                "basis": self.basis, "days": self.days, "by_pixel": self.by_pixel}


def keyed_sql(source: str, cols: str = "x.*") -> str:
    """`cols` of the event rows of `source` (a table or a parenthesised query) and their `order_key` (needs
    m_okeys and the $re parameter).

    Order key: custom_data.order_id; else an event_id equal to an order id of the event's own pixel; else
    the event_id with the settings regex removed. A join finds the ids that are order ids (m_okeys has one
    row per pixel and key), not a subquery per row.
    """
    return (f"SELECT {cols}, CASE WHEN x.order_id IS NOT NULL AND trim(x.order_id) <> '' THEN trim(x.order_id) "
            f"WHEN idk.k IS NOT NULL THEN x.event_id ELSE regexp_replace(x.event_id, $re, '') END AS order_key "
            f"FROM {source} x LEFT JOIN m_okeys idk ON idk.pixel_id IS NOT DISTINCT FROM x.pixel_id AND idk.k = x.event_id")


def shop_pixels(pixels: Any) -> list[tuple[str, str]]:
    """(shop, pixel id) pairs of the `pixels` setting (shop -> pixel id or list of ids)."""
    out: list[tuple[str, str]] = []
    for shop, ids in (pixels or {}).items() if isinstance(pixels, dict) else []:
        for pixel in ids if isinstance(ids, (list, tuple)) else [ids]:
            if str(shop).strip() and str(pixel).strip():
                out.append((str(shop).strip(), str(pixel).strip()))
    return out


def prepare_orders(con: duckdb.DuckDBPyConnection, scope: Scope, pixels: Any = None) -> None:
    """m_orders: one row per (pixel, order of that pixel); pixel_id is the pixel the order belongs to.

    An order belongs to its pixel_id; else to its shop's pixels in the `pixels` setting; else (no pixel,
    or a shop the setting does not name) to every pixel. For one pixel and one order id, the most specific
    owner wins (pixel_id over shop over none), so an order loaded once without and once with its pixel is
    one order. "Every pixel" is every pixel the store knows (events, orders, the setting) — or the scope's
    one pixel — so the answer for a pixel is the same whatever the report's scope. `spec` ranks owners.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE m_shop_px (shop VARCHAR, pixel_id VARCHAR)")
    pairs = shop_pixels(pixels)
    if pairs:
        con.executemany("INSERT INTO m_shop_px VALUES (?, ?)", [list(p) for p in pairs])
    if scope.pixel_id:
        con.execute("CREATE OR REPLACE TEMP TABLE m_universe AS SELECT CAST($pixel AS VARCHAR) AS pixel_id",
                    {"pixel": scope.pixel_id})
    else:
        con.execute("""CREATE OR REPLACE TEMP TABLE m_universe AS
            SELECT pixel_id FROM server_events UNION SELECT pixel_id FROM browser_events
            UNION SELECT pixel_id FROM orders WHERE pixel_id IS NOT NULL
            UNION SELECT pixel_id FROM m_shop_px""")
        # A store of orders only (no events, no pixels): its orders still count, under no pixel.
        if not store.scalar(con, "SELECT count(*) FROM m_universe"):
            con.execute("INSERT INTO m_universe VALUES (NULL)")
    # Only the columns the metrics read: every column is carried through the ranking below.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_orders AS
        WITH sp AS (SELECT shop, list(pixel_id) AS pxs FROM m_shop_px GROUP BY shop),
        o AS (
            SELECT o.owner, o.order_id, o.alt_id, o.shop, o.created_at, o.total, o.currency, o.status, o.channel,
                   o.test, o.pixel_id AS order_pixel_id,
                   CASE WHEN o.pixel_id IS NOT NULL THEN [o.pixel_id] ELSE sp.pxs END AS px,
                   CASE WHEN o.pixel_id IS NOT NULL THEN 2 WHEN sp.pxs IS NOT NULL THEN 1 ELSE 0 END AS spec
            FROM orders o LEFT JOIN sp ON sp.shop = o.shop),
        member AS (
            SELECT u.pixel_id, o.* FROM o, m_universe u WHERE o.px IS NULL
            UNION ALL BY NAME
            SELECT * FROM (SELECT unnest(px) AS pixel_id, * FROM o WHERE px IS NOT NULL)
            WHERE pixel_id IN (SELECT pixel_id FROM m_universe))
        SELECT member.* EXCLUDE (px), CAST(timezone($tz, CAST(created_at AS TIMESTAMPTZ)) AS DATE) AS day,
               status IN {ELIGIBLE} AND NOT test AND channel <> 'pos' AS eligible
        FROM member
        QUALIFY spec = max(spec) OVER (PARTITION BY pixel_id, order_id)""", {"tz": scope.tz})
    # Per pixel, each key names one order: its order id before an alias, the most specific owner first.
    con.execute("""CREATE OR REPLACE TEMP TABLE m_okeys AS
        SELECT pixel_id, k, owner, order_id FROM (
            SELECT pixel_id, order_id AS k, owner, order_id, 0 AS alias, spec FROM m_orders
            UNION ALL SELECT pixel_id, alt_id, owner, order_id, 1, spec FROM m_orders WHERE alt_id IS NOT NULL)
        QUALIFY row_number() OVER (PARTITION BY pixel_id, k ORDER BY alias, spec DESC, owner, order_id) = 1""")


def prepare_purchases(con: duckdb.DuckDBPyConnection, event_name: str, key_regex: str,
                      keyed_server: str | None = None) -> None:
    """m_purchases: one row per Purchase conversion (cluster, or id-less event) with the order it names
    among its own pixel's orders (matched_owner, matched_order). Needs m_orders and m_okeys (prepare_orders).

    Order key: custom_data.order_id; else an event_id equal to an order id; else the event_id with the
    settings regex removed. Shopify's numeric Id (alt_id) matches too. keyed_server: a table of m_server_all's
    events with their order_key and matched order already found, holding every event named `event_name`
    (the lint population, lint.prepare_base): its rows are taken instead of finding their orders again.
    """
    if keyed_server:
        found = f"""SELECT 'server' AS side, pixel_id, event_id, order_id, event_time, day, in_window, value,
                           order_key, matched_owner, matched_order FROM {keyed_server} s
                    WHERE event_name = $name AND {COUNTED_SERVER} AND {dedup.first_copies_sql('s', 'server')}
                    UNION ALL"""
        server = ""
    else:
        found = ""
        server = f"""SELECT 'server' AS side, pixel_id, event_id, order_id, event_time, day, in_window, value
                     FROM m_server WHERE event_name = $name AND {dedup.first_copies_sql('m_server', 'server')}
                     UNION ALL"""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_purchases AS
        WITH purch AS (
            {server}
            SELECT 'browser' AS side, pixel_id, event_id, order_id, event_time, day, in_window, value FROM m_browser
            WHERE event_name = $name AND {dedup.first_copies_sql('m_browser', 'browser')}),
        keyed AS ({keyed_sql('purch')})
        {found}
        SELECT keyed.*, ok.owner AS matched_owner, ok.order_id AS matched_order FROM keyed
        LEFT JOIN m_okeys ok ON ok.pixel_id IS NOT DISTINCT FROM keyed.pixel_id AND ok.k = keyed.order_key""",
                {"name": event_name, "re": key_regex})


def _rows(con: duckdb.DuckDBPyConnection, scope: Scope, event_name: str, per_pixel: bool) -> list[dict[str, Any]]:
    """Day rows of the whole scope (g NULL) or of each pixel (g = pixel_id); an order counts once per group."""
    start, end = scope.utc_bounds()
    pixel = "AND pixel_id = $pixel" if scope.pixel_id else ""
    params: dict[str, Any] = {"since": scope.since, "until": scope.until, "tz": scope.tz, "name": event_name,
                              "start": start, "end": end}
    if scope.pixel_id:
        params["pixel"] = scope.pixel_id
    g = "pixel_id" if per_pixel else "CAST(NULL AS VARCHAR)"
    same = "{a}.g IS NOT DISTINCT FROM {b}.g AND {a}.day = {b}.day"
    return store.query(con, f"""
        WITH days AS (SELECT CAST(d AS DATE) AS day FROM range(CAST($since AS TIMESTAMP),
                          CAST($until AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d)),
        eo AS (SELECT * FROM m_orders WHERE eligible AND day BETWEEN $since AND $until),
        o AS (SELECT g, day, count(*) AS backend_orders, sum(total) AS backend_revenue
              FROM (SELECT DISTINCT {g} AS g, day, owner, order_id, total FROM eo) GROUP BY ALL),
        matched AS (
            SELECT {g.replace('pixel_id', 'eo.pixel_id')} AS g, eo.day, p.side, count(*) AS n, sum(p.value) AS value
            FROM m_purchases p JOIN eo ON eo.pixel_id IS NOT DISTINCT FROM p.pixel_id
             AND eo.owner = p.matched_owner AND eo.order_id = p.matched_order GROUP BY ALL),
        orphan AS (
            SELECT {g} AS g, day, side, count(*) AS n FROM m_purchases
            WHERE matched_order IS NULL AND in_window GROUP BY ALL),
        stats AS (
            SELECT {g} AS g, CAST(timezone($tz, CAST(hour AS TIMESTAMPTZ)) AS DATE) AS day, event_source,
                   sum(count) FILTER (value = $name) AS n
            FROM meta_stats WHERE aggregation = 'event' AND event_source IN ('SERVER_ONLY', 'WEB_ONLY')
              AND hour >= $start - INTERVAL 1 DAY AND hour < $end + INTERVAL 1 DAY {pixel}
            GROUP BY ALL),
        grid AS (SELECT g, days.day FROM (SELECT g FROM o UNION SELECT g FROM matched UNION SELECT g FROM orphan
                                          UNION SELECT g FROM stats), days)
        SELECT d.g, d.day,
               coalesce(o.backend_orders, 0) AS backend_orders,
               coalesce(ms.n, 0) + coalesce(os.n, 0) AS server_events,
               coalesce(mb.n, 0) + coalesce(ob.n, 0) AS browser_events,
               CASE WHEN ss.day IS NOT NULL THEN coalesce(ss.n, 0) END AS meta_received,
               CASE WHEN sw.day IS NOT NULL THEN coalesce(sw.n, 0) END AS meta_browser_received,
               coalesce(o.backend_revenue, 0) AS backend_revenue, coalesce(ms.value, 0) AS server_value
        FROM grid d
        LEFT JOIN o ON {same.format(a='o', b='d')}
        LEFT JOIN matched ms ON {same.format(a='ms', b='d')} AND ms.side = 'server'
        LEFT JOIN matched mb ON {same.format(a='mb', b='d')} AND mb.side = 'browser'
        LEFT JOIN orphan os ON {same.format(a='os', b='d')} AND os.side = 'server'
        LEFT JOIN orphan ob ON {same.format(a='ob', b='d')} AND ob.side = 'browser'
        LEFT JOIN stats ss ON {same.format(a='ss', b='d')} AND ss.event_source = 'SERVER_ONLY'
        LEFT JOIN stats sw ON {same.format(a='sw', b='d')} AND sw.event_source = 'WEB_ONLY'
        ORDER BY d.g NULLS FIRST, d.day""", params)


def _basis(con: duckdb.DuckDBPyConnection, event_name: str, rows: list[dict[str, Any]], pixel: Any = all) -> str:
    """Without server logs (no counted server event of the name inside the window, for the scope or for one
    pixel), the orders are compared with what Meta says it received from the server (/stats SERVER_ONLY)."""
    where, params = "in_window AND event_name = ?", [event_name]
    if pixel is not all:
        where, params = where + " AND pixel_id IS NOT DISTINCT FROM ?", params + [pixel]
    logs = store.scalar(con, f"SELECT count(*) FROM m_server WHERE {where}", params)
    return "meta_received" if not logs and any(r["meta_received"] is not None for r in rows) else "server_events"


def _days(rows: list[dict[str, Any]], threshold: float, min_orders: int, basis: str) -> list[dict[str, Any]]:
    if not any(r["backend_orders"] or r["server_events"] or r["browser_events"] or r["meta_received"]
               for r in rows):
        return []
    out = []
    for r in rows:
        n = r["backend_orders"]
        # A day without /stats has no gap when Meta's count is the basis.
        seen = r["server_events"] if basis == "server_events" else r["meta_received"]
        gap = (n - seen) / n if n and seen is not None else None
        out.append({
            "date": r["day"].isoformat(), "backend_orders": int(n), "server_events": int(r["server_events"]),
            "browser_events": int(r["browser_events"]),
            "meta_received": None if r["meta_received"] is None else int(r["meta_received"]),
            "meta_browser_received": None if r["meta_browser_received"] is None else int(r["meta_browser_received"]),
            "backend_revenue": round(float(r["backend_revenue"]), 2), "server_value": round(float(r["server_value"]), 2),
            "gap": None if gap is None else round(gap, 4),
            "flagged": bool(gap is not None and abs(gap) > threshold and n >= min_orders),
        })
    return out


def compute(con: duckdb.DuckDBPyConnection, scope: Scope, event_name: str, threshold: float,
            min_orders: int) -> Discrepancy:
    """`days` over the scope (an order of several pixels counts once; every Purchase once), and `by_pixel`:
    the same per pixel, each exactly what `--pixel-id` that pixel reports as its `days`."""
    result = Discrepancy(event_name, threshold, min_orders)
    rows = _rows(con, scope, event_name, False)
    result.basis = _basis(con, event_name, rows)
    result.days = _days(rows, threshold, min_orders, result.basis)
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for r in _rows(con, scope, event_name, True):
        groups.setdefault(r["g"], []).append(r)
    for pixel, rows in groups.items():
        basis = _basis(con, event_name, rows, pixel)
        days = _days(rows, threshold, min_orders, basis)
        if days:
            result.by_pixel.append({"pixel_id": pixel, "basis": basis, "days": days})
    return result
