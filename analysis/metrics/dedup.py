"""Pixel-vs-server deduplication: keys, 48-hour clusters, pairing, repeats, reused ids, name mismatches."""
from __future__ import annotations

from typing import Any

import duckdb

from analysis import store
from analysis.rollups import read

EMPTY = {"browser_with_event_id": None, "server_with_event_id": None, "matched": 0, "overlap": None,
         "browser_only": 0, "server_only": 0, "name_mismatch": 0, "server_repeats": 0,
         "browser_repeats": 0, "reused_event_ids": 0}


def prepare(con: duckdb.DuckDBPyConnection, window_hours: int = 48) -> None:
    """Views of the pairing state the rollups keep (analysis/rollups): dd_matched, dd_name_mismatch
    (per server key) and dd_reused (per side) — keys, for the drill-downs and the order-level metrics.

    The pairing window is the one the rollups were built with (report.prepare makes them agree with the
    report's settings first).
    """
    con.execute("CREATE OR REPLACE TEMP VIEW dd_matched AS SELECT pixel_id, event_name, event_id FROM pair_keys WHERE matched")
    con.execute("""CREATE OR REPLACE TEMP VIEW dd_name_mismatch AS
        SELECT pixel_id, event_name, event_id FROM pair_keys WHERE name_mismatch""")
    con.execute("""CREATE OR REPLACE TEMP VIEW dd_reused AS
        SELECT 'server' AS side, pixel_id, event_name, event_id FROM pair_keys WHERE reused_server
        UNION ALL SELECT 'browser', pixel_id, event_name, event_id FROM pair_keys WHERE reused_browser""")


def first_copies_sql(view: str, side: str) -> str:
    """Rows of a counted-events view (m_server, m_browser) that are the first copy of their cluster:
    id-less events, and copies the pairing state does not list as repeats."""
    return (f"NOT EXISTS (SELECT 1 FROM pair_repeats r WHERE r.side = '{side}' AND r.event_uid = {view}.event_uid)")


def by_event(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, Any]]:
    """The report's dedup block per pixel × event name, from the rollups (pairing looks past the edges:
    a key pairs when a browser and a server cluster start within the window, wherever they lie)."""
    keys = read.keys(con)
    out = {}
    for key, by_side in read.sides(con).items():
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
    out = []
    for (pixel, name, day), by_side in sorted(read.sides(con, daily=True).items(),
                                              key=lambda kv: (kv[0][0] is None, kv[0])):
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
    """Some in-window events with an id whose key never paired, latest first (for the dashboard)."""
    return store.query(con, """
        WITH k AS (
            SELECT k.pixel_id, k.event_name, k.event_id FROM pair_keys k, m_scope sc
            WHERE NOT k.matched AND (sc.pixel IS NULL OR k.pixel_id = sc.pixel)
              AND k.first_at < sc.stop AND k.last_at >= sc.start
            ORDER BY k.last_at DESC, k.event_id LIMIT $many),
        ev AS (
            SELECT 'server' AS side, pixel_id, event_name, event_id, event_time FROM m_server WHERE in_window
            UNION ALL SELECT 'browser', pixel_id, event_name, event_id, event_time FROM m_browser WHERE in_window)
        SELECT side, ev.pixel_id, ev.event_name, ev.event_id, min(event_time) AS first_seen, count(*) AS copies
        FROM ev JOIN k ON k.pixel_id = ev.pixel_id AND k.event_name = ev.event_name AND k.event_id = ev.event_id
        GROUP BY ALL ORDER BY first_seen DESC, ev.event_id LIMIT $limit""", {"many": 4 * limit, "limit": limit})
