"""Pixel-vs-server deduplication: keys, 48-hour clusters, pairing, repeats, reused ids, name mismatches."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb

from analysis import store

EMPTY = {"browser_with_event_id": None, "server_with_event_id": None, "matched": 0, "overlap": None,
         "browser_only": 0, "server_only": 0, "name_mismatch": 0, "server_repeats": 0,
         "browser_repeats": 0, "reused_event_ids": 0}


def prepare(con: duckdb.DuckDBPyConnection, window_hours: int = 48) -> None:
    """Temp table dd: every counted copy with a key, its cluster start, and whether its key pairs."""
    hours = int(window_hours)
    con.execute("""CREATE OR REPLACE TEMP TABLE dd AS
        SELECT row_number() OVER () AS rid, *,
               min(event_time) OVER k AS kmin, max(event_time) OVER k AS kmax, min(event_time) OVER k AS cluster_start
        FROM (SELECT 'server' AS side, pixel_id, event_name, event_id, event_time, in_window, day, order_id, value
              FROM m_server WHERE event_id IS NOT NULL AND trim(event_id) <> ''
              UNION ALL
              SELECT 'browser', pixel_id, event_name, event_id, event_time, in_window, day, order_id, value
              FROM m_browser WHERE event_id IS NOT NULL AND trim(event_id) <> '')
        WINDOW k AS (PARTITION BY side, pixel_id, event_name, event_id)""")
    # Most keys span < 48 h and form one cluster; the few that do not are walked in order here,
    # because a cluster's start depends on the previous cluster (a copy joins if within 48 h of its start).
    rows = con.execute(f"""SELECT rid, side, pixel_id, event_name, event_id, event_time FROM dd
        WHERE kmax - kmin > INTERVAL {hours} HOUR ORDER BY side, pixel_id, event_name, event_id, event_time, rid""").fetchall()
    fixes, key, start = [], None, None
    for rid, side, pixel, name, eid, t in rows:
        if (side, pixel, name, eid) != key or t - start > timedelta(hours=hours):
            key, start = (side, pixel, name, eid), t
        fixes.append((rid, start))
    if fixes:
        con.execute("CREATE OR REPLACE TEMP TABLE dd_fix (rid BIGINT, cluster_start TIMESTAMP)")
        con.executemany("INSERT INTO dd_fix VALUES (?, ?)", fixes)
        con.execute("UPDATE dd SET cluster_start = f.cluster_start FROM dd_fix f WHERE dd.rid = f.rid")
    con.execute("""CREATE OR REPLACE TEMP TABLE dd AS SELECT *,
        row_number() OVER (PARTITION BY side, pixel_id, event_name, event_id, cluster_start ORDER BY event_time, rid) = 1 AS first_copy
        FROM dd""")
    # A key is matched when a browser cluster and a server cluster start ≤ 48 h apart.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dd_matched AS
        SELECT DISTINCT b.pixel_id, b.event_name, b.event_id
        FROM (SELECT DISTINCT pixel_id, event_name, event_id, cluster_start FROM dd WHERE side = 'browser') b
        JOIN (SELECT DISTINCT pixel_id, event_name, event_id, cluster_start FROM dd WHERE side = 'server') s
          USING (pixel_id, event_name, event_id)
        WHERE abs(epoch(b.cluster_start) - epoch(s.cluster_start)) <= {hours} * 3600""")
    # Same id across sides within 48 h, names equal only ignoring case and whitespace.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dd_name_mismatch AS
        SELECT DISTINCT s.pixel_id, s.event_name, s.event_id
        FROM (SELECT DISTINCT pixel_id, event_name, event_id, cluster_start,
                     bool_or(in_window) OVER (PARTITION BY pixel_id, event_name, event_id) AS any_in
              FROM dd WHERE side = 'server') s
        JOIN (SELECT DISTINCT pixel_id, event_name, event_id, cluster_start,
                     bool_or(in_window) OVER (PARTITION BY pixel_id, event_name, event_id) AS any_in
              FROM dd WHERE side = 'browser') b
          ON b.pixel_id = s.pixel_id AND b.event_id = s.event_id AND b.event_name <> s.event_name
         AND lower(regexp_replace(b.event_name, '\\s', '', 'g')) = lower(regexp_replace(s.event_name, '\\s', '', 'g'))
        WHERE abs(epoch(b.cluster_start) - epoch(s.cluster_start)) <= {hours} * 3600 AND (s.any_in OR b.any_in)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE dd_reused AS
        SELECT side, pixel_id, event_name, event_id FROM dd
        GROUP BY pixel_id, event_name, event_id, side
        HAVING count(DISTINCT cluster_start) > 1 OR count(DISTINCT order_id) > 1""")


def by_event(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, Any]]:
    """The report's dedup block per pixel × event name (in-window events; pairing looks past the edges)."""
    rows = store.query(con, """
        WITH ev AS (
            SELECT 'server' AS side, pixel_id, event_name, event_id FROM m_server WHERE in_window
            UNION ALL SELECT 'browser', pixel_id, event_name, event_id FROM m_browser WHERE in_window),
        flagged AS (
            SELECT ev.*, (m.event_id IS NOT NULL) AS in_matched,
                   (ev.event_id IS NOT NULL AND trim(ev.event_id) <> '') AS has_id
            FROM ev LEFT JOIN dd_matched m
              ON m.pixel_id = ev.pixel_id AND m.event_name = ev.event_name AND m.event_id = ev.event_id),
        sides AS (
            SELECT pixel_id, event_name,
                   count(*) FILTER (side = 'server') AS n_s, count(*) FILTER (side = 'browser') AS n_b,
                   avg(CAST(has_id AS DOUBLE)) FILTER (side = 'server') AS server_with_event_id,
                   avg(CAST(has_id AS DOUBLE)) FILTER (side = 'browser') AS browser_with_event_id,
                   count(*) FILTER (side = 'server' AND NOT in_matched) AS server_only,
                   count(*) FILTER (side = 'browser' AND NOT in_matched) AS browser_only
            FROM flagged GROUP BY ALL),
        keys_in AS (SELECT DISTINCT pixel_id, event_name, event_id FROM dd WHERE in_window),
        matched AS (SELECT pixel_id, event_name, count(*) AS matched FROM dd_matched JOIN keys_in USING (pixel_id, event_name, event_id) GROUP BY ALL),
        repeats AS (SELECT pixel_id, event_name,
                           count(*) FILTER (side = 'server' AND NOT first_copy) AS server_repeats,
                           count(*) FILTER (side = 'browser' AND NOT first_copy) AS browser_repeats
                    FROM dd WHERE in_window GROUP BY ALL),
        reused AS (SELECT pixel_id, event_name, count(DISTINCT event_id) AS reused
                   FROM (SELECT DISTINCT pixel_id, event_name, event_id FROM dd_reused)
                   JOIN keys_in USING (pixel_id, event_name, event_id) GROUP BY ALL),
        mism AS (SELECT pixel_id, event_name, count(*) AS name_mismatch FROM dd_name_mismatch GROUP BY ALL)
        SELECT s.*, coalesce(m.matched, 0) AS matched, coalesce(r.server_repeats, 0) AS server_repeats,
               coalesce(r.browser_repeats, 0) AS browser_repeats, coalesce(u.reused, 0) AS reused_event_ids,
               coalesce(x.name_mismatch, 0) AS name_mismatch
        FROM sides s
        LEFT JOIN matched m USING (pixel_id, event_name) LEFT JOIN repeats r USING (pixel_id, event_name)
        LEFT JOIN reused u USING (pixel_id, event_name) LEFT JOIN mism x USING (pixel_id, event_name)""")
    out = {}
    for r in rows:
        smaller = min(r["n_s"], r["n_b"])
        out[(r["pixel_id"], r["event_name"])] = {
            "browser_with_event_id": r["browser_with_event_id"], "server_with_event_id": r["server_with_event_id"],
            "matched": int(r["matched"]), "overlap": (r["matched"] / smaller) if smaller else None,
            "browser_only": int(r["browser_only"]), "server_only": int(r["server_only"]),
            "name_mismatch": int(r["name_mismatch"]), "server_repeats": int(r["server_repeats"]),
            "browser_repeats": int(r["browser_repeats"]), "reused_event_ids": int(r["reused_event_ids"]),
        }
    return out


def daily(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per pixel × event × day: server events in paired keys, server-only, browser-only, repeats."""
    return store.query(con, """
        WITH ev AS (
            SELECT 'server' AS side, pixel_id, event_name, event_id, day FROM m_server WHERE in_window
            UNION ALL SELECT 'browser', pixel_id, event_name, event_id, day FROM m_browser WHERE in_window)
        SELECT ev.pixel_id, ev.event_name, ev.day,
               count(*) FILTER (side = 'server' AND m.event_id IS NOT NULL) AS paired,
               count(*) FILTER (side = 'server' AND m.event_id IS NULL) AS server_only,
               count(*) FILTER (side = 'browser' AND m.event_id IS NULL) AS browser_only,
               count(*) FILTER (side = 'server') AS server_events, count(*) FILTER (side = 'browser') AS browser_events,
               avg(CAST(ev.event_id IS NOT NULL AND trim(ev.event_id) <> '' AS DOUBLE)) FILTER (side = 'server') AS server_with_event_id,
               avg(CAST(ev.event_id IS NOT NULL AND trim(ev.event_id) <> '' AS DOUBLE)) FILTER (side = 'browser') AS browser_with_event_id
        FROM ev LEFT JOIN dd_matched m
          ON m.pixel_id = ev.pixel_id AND m.event_name = ev.event_name AND m.event_id = ev.event_id
        GROUP BY ALL ORDER BY ALL""")


def unpaired_sample(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    """Some in-window events with an id whose key never paired (for the dashboard)."""
    return store.query(con, """
        SELECT side, pixel_id, event_name, event_id, min(event_time) AS first_seen, count(*) AS copies
        FROM dd WHERE in_window AND NOT EXISTS (
            SELECT 1 FROM dd_matched m WHERE m.pixel_id = dd.pixel_id AND m.event_name = dd.event_name AND m.event_id = dd.event_id)
        GROUP BY ALL ORDER BY first_seen DESC LIMIT ?""", [limit])
