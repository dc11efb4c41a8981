"""Pixel-vs-server deduplication: keys, 48-hour clusters, pairing, repeats, reused ids, name mismatches."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb

from analysis import store
from analysis.rollups import read

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
    """The report's dedup block per pixel × event name, from the rollups (pairing looks past the edges:
    a key pairs when a browser and a server cluster start within the window, wherever they lie)."""
    sides: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in read.events(con):
        if r["n"]:
            sides.setdefault((r["pixel_id"], r["event_name"]), {})[r["side"]] = r
    keys = read.keys(con)
    out = {}
    for key, by_side in sides.items():
        s, b = by_side.get("server"), by_side.get("browser")
        n_s, n_b = (int(s["n"]) if s else 0), (int(b["n"]) if b else 0)
        k = keys.get(key, {})
        matched = k.get("matched", 0)
        smaller = min(n_s, n_b)
        out[key] = {
            "browser_with_event_id": b["with_id"] / n_b if b else None,
            "server_with_event_id": s["with_id"] / n_s if s else None,
            "matched": matched, "overlap": (matched / smaller) if smaller else None,
            "browser_only": n_b - int(b["matched"]) if b else 0, "server_only": n_s - int(s["matched"]) if s else 0,
            "name_mismatch": k.get("name_mismatch", 0),
            "server_repeats": int(s["repeats"]) if s else 0, "browser_repeats": int(b["repeats"]) if b else 0,
            "reused_event_ids": k.get("reused", 0),
        }
    return out


def daily(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per pixel × event × local day: server events in paired keys, server-only, browser-only, id shares."""
    days: dict[tuple, dict[str, dict[str, Any]]] = {}
    for r in read.events(con, daily=True):
        if r["n"]:
            days.setdefault((r["pixel_id"], r["event_name"], r["day"]), {})[r["side"]] = r
    out = []
    for (pixel, name, day), by_side in sorted(days.items(), key=lambda kv: (kv[0][0] is None, kv[0])):
        s, b = by_side.get("server"), by_side.get("browser")
        out.append({"pixel_id": pixel, "event_name": name, "day": day,
                    "paired": int(s["matched"]) if s else 0,
                    "server_only": int(s["n"] - s["matched"]) if s else 0,
                    "browser_only": int(b["n"] - b["matched"]) if b else 0,
                    "server_events": int(s["n"]) if s else 0, "browser_events": int(b["n"]) if b else 0,
                    "server_with_event_id": s["with_id"] / s["n"] if s else None,
                    "browser_with_event_id": b["with_id"] / b["n"] if b else None})
    return out


def unpaired_sample(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    """Some in-window events with an id whose key never paired (for the dashboard)."""
    return store.query(con, """
        SELECT side, pixel_id, event_name, event_id, min(event_time) AS first_seen, count(*) AS copies
        FROM dd WHERE in_window AND NOT EXISTS (
            SELECT 1 FROM dd_matched m WHERE m.pixel_id = dd.pixel_id AND m.event_name = dd.event_name AND m.event_id = dd.event_id)
        GROUP BY ALL ORDER BY first_seen DESC LIMIT ?""", [limit])
