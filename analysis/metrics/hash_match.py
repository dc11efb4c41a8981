"""Hash verification: do the server's hashes equal the hashes of the joined order's normalized values?"""
from __future__ import annotations

import duckdb

from analysis import store
from analysis.metrics.discrepancy import order_key_sql

ORDER_KEYS = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id")


def prepare(con: duckdb.DuckDBPyConnection, key_regex: str) -> None:
    """m_hash_pairs: one row per (in-window server event joined to an order, key both sides have)."""
    parts = []
    for k in ORDER_KEYS:
        parts.append(f"""SELECT j.pixel_id, j.event_name, j.event_id, j.matched_order, '{k}' AS key,
                   list_transform(j.{k}, lambda x: left(x, 64)) AS hashes, j.{k} AS raw
            FROM joined j WHERE j.{k}_p""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_hash_pairs AS
        WITH keyed AS (SELECT s.*, {order_key_sql('s')} AS order_key FROM m_server s WHERE in_window),
        joined AS (SELECT keyed.*, ok.order_id AS matched_order FROM keyed JOIN m_okeys ok ON ok.k = keyed.order_key),
        per_key AS ({' UNION ALL '.join(parts)})
        SELECT p.*, h.hash AS correct,
               -- external_id is often sent unhashed (Meta's SDK does not hash it): compare its hash too.
               list_contains(p.hashes, h.hash) OR (p.key = 'external_id'
                   AND list_contains(list_transform(p.raw, lambda x: sha256(trim(x))), h.hash)) AS matches
        FROM per_key p JOIN order_hashes h
          ON h.order_id = p.matched_order AND h.key = p.key AND h.variant = 'correct'""", {"re": key_regex})


def by_event(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, float]]:
    rows = store.query(con, """SELECT pixel_id, event_name, key, avg(CAST(matches AS DOUBLE)) AS share
                              FROM m_hash_pairs GROUP BY ALL ORDER BY ALL""")
    out: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        out.setdefault((r["pixel_id"], r["event_name"]), {})[r["key"]] = r["share"]
    return out
