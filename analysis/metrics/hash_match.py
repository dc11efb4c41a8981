"""Hash verification: do the server's hashes equal the hashes of the joined order's normalized values?"""
from __future__ import annotations

import duckdb

from analysis import store

ORDER_KEYS = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """m_hash_pairs: one row per (server event of the lint population joined to an order, key both sides have).

    Needs m_lint_server (events with their matched order). `counted` marks the events metrics count;
    `hashes` (the server's, for naming the mistake) is kept only where they do not match.
    """
    parts = []
    for k in ORDER_KEYS:
        parts.append(f"""SELECT j.pixel_id, j.event_name, j.event_uid, j.event_id, j.event_time, j.in_window, j.matched_owner, j.matched_order,
                   NOT j.rejected AND j.test_event_code IS NULL AS counted, '{k}' AS key,
                   list_transform(j.{k}, lambda x: left(x, 64)) AS hashes,
                   {"list_transform(j.external_id, lambda x: sha256(trim(x)))" if k == "external_id" else "NULL"} AS raw_sha
            FROM m_lint_server j WHERE j.{k}_p AND j.matched_order IS NOT NULL""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_hash_pairs AS
        WITH per_key AS ({' UNION ALL '.join(parts)}),
        checked AS (
            SELECT p.* EXCLUDE (raw_sha),
                   -- external_id is often sent unhashed (Meta's SDK does not hash it): compare its hash too.
                   list_contains(p.hashes, h.hash) OR (p.key = 'external_id' AND list_contains(p.raw_sha, h.hash)) AS matches
            FROM per_key p JOIN order_hashes h
              ON h.owner = p.matched_owner AND h.order_id = p.matched_order AND h.key = p.key AND h.variant = 'correct')
        SELECT * EXCLUDE (hashes), CASE WHEN NOT matches THEN hashes END AS hashes FROM checked""")


def by_event(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, float]]:
    rows = store.query(con, """SELECT pixel_id, event_name, key, avg(CAST(matches AS DOUBLE)) AS share
                              FROM m_hash_pairs WHERE counted AND in_window GROUP BY ALL ORDER BY ALL""")
    out: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        out.setdefault((r["pixel_id"], r["event_name"]), {})[r["key"]] = r["share"]
    return out
