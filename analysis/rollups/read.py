"""Reading the rollups: ranges of buckets summed (then divided by the metric readers).

Every function reads the scope the report prepared (temp table m_scope: start, end, tz, pixel) and
returns sums, never ratios: a ratio is taken once, by the metric that defines it.
"""
from __future__ import annotations

from typing import Any

import duckdb

from analysis import store
from analysis.normalize import USER_DATA_KEYS
from analysis.rollups.schema import COUNTED_BROWSER, COUNTED_SERVER, name_fold_sql

IN_SCOPE = ("r.bucket >= sc.start AND r.bucket < sc.stop AND (sc.pixel IS NULL OR r.pixel_id = sc.pixel)")
LOCAL_DAY = "CAST(timezone(sc.tz, CAST(r.bucket AS TIMESTAMPTZ)) AS DATE)"
EVENT_SUMS = ("n", "lint_n", "with_id", "matched", "repeats", "website", "opt_out", "ldu",
              *(f"p_{k}" for k in USER_DATA_KEYS), *(f"v_{k}" for k in USER_DATA_KEYS))


def _group(daily: bool) -> str:
    return f", {LOCAL_DAY} AS day" if daily else ""


def events(con: duckdb.DuckDBPyConnection, daily: bool = False) -> list[dict[str, Any]]:
    """Per pixel × event name × side (× local day): the sums of rollup_events inside the scope."""
    sums = ", ".join(f"sum(r.{c}) AS {c}" for c in EVENT_SUMS)
    return store.query(con, f"""
        SELECT r.pixel_id, r.event_name, r.side{_group(daily)}, {sums}
        FROM rollup_events r, m_scope sc WHERE {IN_SCOPE}
        GROUP BY ALL ORDER BY ALL""")


def sides(con: duckdb.DuckDBPyConnection, daily: bool = False) -> dict[tuple, dict[str, dict[str, Any]]]:
    """events() regrouped: (pixel, event name[, day]) -> {side: sums} for the sides with counted events."""
    out: dict[tuple, dict[str, dict[str, Any]]] = {}
    for r in events(con, daily):
        if r["n"]:
            key = (r["pixel_id"], r["event_name"], r["day"]) if daily else (r["pixel_id"], r["event_name"])
            out.setdefault(key, {})[r["side"]] = r
    return out


def keys(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, int]]:
    """Per pixel × event name: pairing keys with a counted copy inside the scope — matched, reused, and
    name mismatches (a copy of either name inside).

    A key whose first or last copy is inside is inside; one spanning the whole scope (rare: an id reused
    days apart) is checked against its copies.
    """
    inside = "({a} >= sc.start AND {a} < sc.stop)"
    span = "({f} < sc.start AND {l} >= sc.stop)"
    pixel = "(sc.pixel IS NULL OR k.pixel_id = sc.pixel)"
    rows = store.query(con, f"""
        WITH k AS (
            SELECT k.*, {inside.format(a='k.first_at')} OR {inside.format(a='k.last_at')} AS key_in,
                   {span.format(f='k.first_at', l='k.last_at')} AS key_span,
                   {inside.format(a='k.mm_first')} OR {inside.format(a='k.mm_last')} AS mm_in,
                   coalesce({span.format(f='k.mm_first', l='k.mm_last')}, false) AS mm_span
            FROM pair_keys k, m_scope sc
            WHERE {pixel} AND (k.matched OR k.reused_server OR k.reused_browser OR k.name_mismatch)
              AND coalesce(least(k.first_at, k.mm_first), k.first_at) < sc.stop
              AND coalesce(greatest(k.last_at, k.mm_last), k.last_at) >= sc.start),
        copies AS (
            SELECT 'server' AS side, pixel_id, event_name, event_id, event_time FROM server_events
            WHERE {COUNTED_SERVER}
            UNION ALL SELECT 'browser', pixel_id, event_name, event_id, event_time FROM browser_events
            WHERE {COUNTED_BROWSER}),
        -- The rare keys spanning the whole scope: is one of their copies inside?
        spanning AS (
            SELECT k.pixel_id, k.event_name, k.event_id,
                   bool_or(c.event_name = k.event_name) AS key_in,
                   bool_or(c.side = 'server' AND c.event_name = k.event_name
                           OR c.side = 'browser' AND c.event_name <> k.event_name
                              AND {name_fold_sql('c.event_name')} = {name_fold_sql('k.event_name')}) AS mm_in
            FROM (SELECT * FROM k WHERE key_span OR mm_span) k, m_scope sc
            JOIN copies c ON c.pixel_id = k.pixel_id AND c.event_id = k.event_id
             AND c.event_time >= sc.start AND c.event_time < sc.stop
            GROUP BY ALL),
        flagged AS (
            SELECT k.pixel_id, k.event_name, k.matched, k.reused_server OR k.reused_browser AS reused, k.name_mismatch,
                   k.key_in OR coalesce(k.key_span AND s.key_in, false) AS key_in,
                   coalesce(k.mm_in, false) OR coalesce(k.mm_span AND s.mm_in, false) AS mm_in
            FROM k LEFT JOIN spanning s ON s.pixel_id = k.pixel_id AND s.event_name = k.event_name
             AND s.event_id = k.event_id)
        SELECT pixel_id, event_name, count(*) FILTER (matched AND key_in) AS matched,
               count(*) FILTER (reused AND key_in) AS reused, count(*) FILTER (name_mismatch AND mm_in) AS name_mismatch
        FROM flagged GROUP BY ALL""")
    return {(r["pixel_id"], r["event_name"]): {k: int(r[k]) for k in ("matched", "reused", "name_mismatch")}
            for r in rows}


def emq_patterns(con: duckdb.DuckDBPyConnection, daily: bool = False) -> list[dict[str, Any]]:
    """Website server events per identifier pattern (invalid, mask of well-formed keys, mask of present keys)."""
    return store.query(con, f"""
        SELECT r.pixel_id, r.event_name{_group(daily)}, r.invalid, r.mask, r.present, sum(r.n) AS n
        FROM rollup_emq r, m_scope sc WHERE {IN_SCOPE} GROUP BY ALL ORDER BY ALL""")


def emq_sum_sql(weights: dict[str, float], tau: float) -> str:
    """Σ n · score(pattern) over rollup_emq rows `r` (the model of metrics/emq.py applied to a pattern)."""
    s = " + ".join(f"{float(weights.get(k, 0.0))!r} * ((r.mask >> {i}) & 1)" for i, k in enumerate(USER_DATA_KEYS))
    score = f"CASE WHEN r.invalid THEN 0.0 ELSE 10.0 * (1.0 - exp(-({s}) / {float(tau)!r})) END"
    return f"sum(r.n * ({score}))"


def emq_mean_sql(weights: dict[str, float], tau: float) -> str:
    """Σ n · score(pattern) / Σ n: the mean estimated EMQ of the rows."""
    return f"{emq_sum_sql(weights, tau)} / sum(r.n)"


def emq(con: duckdb.DuckDBPyConnection, weights: dict[str, float], tau: float, daily: bool = False) -> list[dict[str, Any]]:
    return store.query(con, f"""
        SELECT r.pixel_id, r.event_name{_group(daily)}, {emq_mean_sql(weights, tau)} AS emq, sum(r.n) AS events
        FROM rollup_emq r, m_scope sc WHERE {IN_SCOPE} GROUP BY ALL HAVING sum(r.n) > 0 ORDER BY ALL""")


def lint(con: duckdb.DuckDBPyConnection, examples: int, daily: bool = False) -> list[dict[str, Any]]:
    """Per rule × side × pixel × event × field × diagnosis (× local day): distinct events hit, example ids."""
    return store.query(con, f"""
        SELECT r.rule, r.side, r.severity, r.pixel_id, r.event_name, r.field, r.diagnosis{_group(daily)},
               sum(r.hits) AS hits,
               list_sort(list_distinct(flatten(list(r.examples))))[1:{max(int(examples), 1)}] AS examples
        FROM rollup_lint r, m_scope sc WHERE {IN_SCOPE} GROUP BY ALL""")
