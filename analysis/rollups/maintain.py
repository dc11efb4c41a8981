"""Keeping the rollups: a load recomputes only the pairing keys it touches and the buckets they live in.

The unit of pairing is (pixel, event_id): every copy of those ids, on both sides and under every name
(a name mismatch pairs across names), is re-clustered from the canonical tables, so late, out-of-order,
re-ingested or removed files leave exactly what a rebuild from scratch leaves. The buckets recomputed
are those of the changed events and of every copy of their ids — cost follows the new data, not the store.

Callers fill the temp table `_rollup_chg (pixel_id, event_id, event_time)` with the events a change
inserted or deleted (deleted ones captured before the delete) and call `refresh` in the same transaction.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import duckdb

from analysis import store
from analysis.normalize import HASH_KEYS, USER_DATA_KEYS
from analysis.rollups.schema import (COUNTED_BROWSER, COUNTED_SERVER, STATE_TABLES, TABLES, bucket_sql,
                                     name_fold_sql)

# The settings a rollup's definition depends on: change one and the rollups are stale until a rebuild.
SETTINGS = ("dedup.window_hours", "lint.fbclid_lowercase_min_length", "lint.server_user_agents", "lint.examples")
# Lint rules that need the orders or a whole day's traffic are evaluated when read, with selective filters.
READ_TIME_RULES = frozenset({"server_ip_as_client_ip", "purchase_for_unpaid_order", "purchase_without_order",
                             "value_mismatch", "hash_mismatch"})
# Events per piece of work when a load (or a rebuild) covers much of the store: bounds the memory.
CHUNK_EVENTS = 1_500_000

HAS_ID = "(event_id IS NOT NULL AND trim(event_id) <> '')"


def _defaults() -> dict[str, Any]:
    from analysis import config as config_mod

    return {s.name: s.default for s in config_mod.SETTINGS}


def settings_of(cfg: Any) -> dict[str, Any]:
    """The rollup-defining settings of a Config (or a mapping of settings); the defaults where absent."""
    defaults, out = _defaults(), {}
    for key in SETTINGS:
        try:
            value = cfg[key]
        except (KeyError, TypeError):
            value = defaults[key]
        out[key] = list(value) if isinstance(value, (list, tuple)) else value
    return out


def stored_settings(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    rows = con.execute("SELECT settings FROM rollup_state ORDER BY built_at DESC LIMIT 1").fetchall()
    return json.loads(rows[0][0]) if rows else None


def _settings_for_write(con: duckdb.DuckDBPyConnection, given: dict[str, Any] | None) -> dict[str, Any]:
    """The stored settings (one definition for the whole store), else the given ones, else the defaults."""
    stored = stored_settings(con)
    if stored is not None:
        return stored
    settings = given or settings_of({})
    con.execute("INSERT INTO rollup_state VALUES (?, ?)", [json.dumps(settings, sort_keys=True), _now()])
    return settings


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _differ(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [k for k in SETTINGS if json.dumps(stored.get(k), sort_keys=True) != json.dumps(current[k], sort_keys=True)]


def stale(con: duckdb.DuckDBPyConnection, cfg: Any) -> list[str]:
    """Settings whose current value differs from the one the rollups were built with (empty: up to date)."""
    stored = stored_settings(con)
    return [] if stored is None else _differ(stored, settings_of(cfg))


# ------------------------------------------------------------------------------------------- pairing

def _long_clusters(con: duckdb.DuckDBPyConnection, hours: int) -> None:
    """_cl_long (side, event_uid, pixel_id, event_name, event_id, event_time, cluster_start): the copies of
    keys spanning more than the window. Those hold several clusters, and a cluster's start depends on the
    one before it (a copy joins a cluster when within the window of its start), so the few are walked."""
    rows = con.execute("""SELECT c.side, c.event_uid, c.pixel_id, c.event_name, c.event_id, c.event_time
        FROM _copies c JOIN _ks k ON k.side = c.side AND k.pixel_id IS NOT DISTINCT FROM c.pixel_id
         AND k.event_name = c.event_name AND k.event_id = c.event_id
        WHERE k.long ORDER BY c.side, c.pixel_id, c.event_name, c.event_id, c.event_time, c.event_uid""").fetchall()
    con.execute("""CREATE OR REPLACE TEMP TABLE _cl_long (side VARCHAR, event_uid VARCHAR, pixel_id VARCHAR,
        event_name VARCHAR, event_id VARCHAR, event_time TIMESTAMP, cluster_start TIMESTAMP)""")
    out, key, start = [], None, None
    for side, uid, pixel, name, eid, t in rows:
        if (side, pixel, name, eid) != key or t - start > timedelta(hours=hours):
            key, start = (side, pixel, name, eid), t
        out.append((side, uid, pixel, name, eid, t, start))
    if out:
        con.executemany("INSERT INTO _cl_long VALUES (?, ?, ?, ?, ?, ?, ?)", out)


def _pair(con: duckdb.DuckDBPyConnection, hours: int, units: str) -> None:
    """Re-cluster every counted copy of the ids `units` selects, and replace their pair_keys/pair_repeats.

    `units`: a condition on an event row `x` (e.g. a semi-join against _units, or a hash slice).
    Leaves _copies (side, pixel_id, event_time of every copy) for the caller's affected buckets.

    A key (side, pixel, name, event_id) whose copies lie within the window is one cluster starting at its
    first copy — nearly every key; only the others are walked copy by copy (_long_clusters).
    """
    cols = "event_uid, pixel_id, event_name, event_id, event_time, order_id"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _copies AS
            SELECT 'server' AS side, {cols} FROM server_events x WHERE {COUNTED_SERVER} AND {HAS_ID} AND {units}
            UNION ALL
            SELECT 'browser', {cols} FROM browser_events x WHERE {COUNTED_BROWSER} AND {HAS_ID} AND {units}""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _ks AS
        SELECT side, pixel_id, event_name, event_id, count(*) AS n, min(event_time) AS t0, max(event_time) AS t1,
               min(order_id) <> max(order_id) AS orders, max(event_time) - min(event_time) > INTERVAL {hours} HOUR AS long
        FROM _copies GROUP BY ALL""")
    _long_clusters(con, hours)
    # Every cluster: a short key's one, and each of a long key's.
    con.execute("""CREATE OR REPLACE TEMP TABLE _cs AS
        SELECT side, pixel_id, event_name, event_id, t0 AS cluster_start FROM _ks WHERE NOT long
        UNION ALL SELECT DISTINCT side, pixel_id, event_name, event_id, cluster_start FROM _cl_long""")
    within = f"abs(epoch(b.cluster_start) - epoch(s.cluster_start)) <= {hours} * 3600"
    con.execute(f"""INSERT INTO pair_keys
        WITH k AS (
            SELECT pixel_id, event_name, event_id, min(t0) AS first_at, max(t1) AS last_at,
                   bool_or(side = 'server') AS has_server, bool_or(side = 'browser') AS has_browser,
                   coalesce(bool_or(side = 'server' AND (long OR orders)), false) AS reused_server,
                   coalesce(bool_or(side = 'browser' AND (long OR orders)), false) AS reused_browser
            FROM _ks GROUP BY ALL),
        -- Pairs of clusters, server × browser, of the same id (any name); a long key's several clusters
        -- were re-cut by the walk, so a key reused days apart holds clusters that may not pair.
        pairs AS (
            SELECT s.pixel_id, s.event_name, s.event_id, b.event_name AS b_name, s.cluster_start AS s_start
            FROM (SELECT * FROM _cs WHERE side = 'server') s
            JOIN (SELECT * FROM _cs WHERE side = 'browser') b ON b.pixel_id = s.pixel_id AND b.event_id = s.event_id
            WHERE {within} AND (b.event_name = s.event_name
                                OR {name_fold_sql('b.event_name')} = {name_fold_sql('s.event_name')})),
        matched AS (
            SELECT pixel_id, event_name, event_id, min(s_start) AS matched_at FROM pairs WHERE b_name = event_name
            GROUP BY ALL),
        mism AS (
            SELECT pixel_id, event_name, event_id, list(DISTINCT b_name) AS others, min(s_start) AS mismatch_at
            FROM pairs WHERE b_name <> event_name GROUP BY ALL),
        -- The span of a mismatch: the server key's copies and those of the browser names it pairs with.
        mm AS (
            SELECT m.pixel_id, m.event_name, m.event_id, any_value(m.mismatch_at) AS mismatch_at,
                   min(c.t0) AS mm_first, max(c.t1) AS mm_last
            FROM mism m JOIN _ks c ON c.pixel_id = m.pixel_id AND c.event_id = m.event_id
             AND ((c.side = 'server' AND c.event_name = m.event_name)
                  OR (c.side = 'browser' AND list_contains(m.others, c.event_name)))
            GROUP BY ALL)
        SELECT k.pixel_id, k.event_name, k.event_id, k.first_at, k.last_at, k.has_server, k.has_browser,
               m.event_id IS NOT NULL, k.reused_server, k.reused_browser, x.event_id IS NOT NULL, x.mm_first, x.mm_last,
               m.matched_at, x.mismatch_at
        FROM k
        LEFT JOIN matched m ON m.pixel_id = k.pixel_id AND m.event_name = k.event_name AND m.event_id = k.event_id
        LEFT JOIN mm x ON x.pixel_id = k.pixel_id AND x.event_name = k.event_name AND x.event_id = k.event_id""")
    # The copies after the first of each cluster, in (event_time, event_uid) order.
    con.execute("""INSERT INTO pair_repeats
        SELECT side, event_uid, pixel_id, event_id FROM (
            SELECT c.side, c.event_uid, c.pixel_id, c.event_id,
                   row_number() OVER (PARTITION BY c.side, c.pixel_id, c.event_name, c.event_id
                                      ORDER BY c.event_time, c.event_uid) AS nth
            FROM _copies c JOIN _ks k ON k.side = c.side AND k.pixel_id IS NOT DISTINCT FROM c.pixel_id
             AND k.event_name = c.event_name AND k.event_id = c.event_id
            WHERE k.n > 1 AND NOT k.long)
        WHERE nth > 1
        UNION ALL
        SELECT side, event_uid, pixel_id, event_id FROM (
            SELECT *, row_number() OVER (PARTITION BY side, pixel_id, event_name, event_id, cluster_start
                                         ORDER BY event_time, event_uid) AS nth FROM _cl_long)
        WHERE nth > 1""")
    for t in ("_ks", "_cs", "_cl_long"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


# ------------------------------------------------------------------------------------------- buckets

def _in_b(alias: str) -> str:
    """Join condition: row `alias` (with a `bucket` column) lies in one of the (pixel, bucket) pairs of _B."""
    return f"b.pixel_id IS NOT DISTINCT FROM {alias}.pixel_id AND b.bucket = {alias}.bucket"


def _delete_buckets(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        con.execute(f"DELETE FROM {table} r USING _B b WHERE {_in_b('r')}")


# The rules' one definition names the report's base tables; here they read this computation's own
# (a report that builds a window's rollups on its connection keeps its tables of those names).
_OWN = {"m_lint_server": "_r_server", "m_lint_browser": "_r_browser", "dd_reused": "_r_reused", "m_both": "_r_both"}


def _lint_rows(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], hours: int) -> None:
    """_lint: the rolled-up rules' findings over the events of _B (from the rules' one definition)."""
    from analysis.metrics import lint

    rules = [r for r in lint.rules(_defaults() | settings) if r.id not in READ_TIME_RULES]
    parts = [f"SELECT '{r.id}' AS rule, '{r.severity}' AS severity, '{r.side}' AS side, * FROM ({lint.on_tables(r.sql(), _OWN)})"
             for r in rules]
    # (No DISTINCT: the rollups count distinct events and keep distinct example ids.)
    con.execute("CREATE OR REPLACE TEMP TABLE _lint AS SELECT * FROM (" + " UNION ALL ".join(parts) + ")")


# Columns of server_events no rolled-up figure or rule reads: the identifiers' hashes (the rules read the
# flags; the hash checks against orders run when a report is read) and the request's own id. Left out of the
# computation's copy of the buckets' events, they would be most of its bytes (a first load copies every event).
_UNREAD = ", ".join([*HASH_KEYS, "external_id", "request_uid", "referrer_url"])


def _recompute(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> None:
    """Replace every rollup row of the (pixel, bucket) pairs in _B by its value from the canonical tables."""
    hours = int(settings["dedup.window_hours"])
    lo, hi = con.execute("SELECT min(bucket), max(bucket) FROM _B").fetchall()[0]
    if lo is None:
        return
    hi = hi + timedelta(minutes=15)
    _delete_buckets(con)
    params = {"lo": lo, "hi": hi}
    # The lint rules read their base tables under the names the report's lint uses (one definition).
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _r_server AS
        SELECT s.* EXCLUDE ({_UNREAD}), {bucket_sql('s.event_time')} AS bucket, CAST(NULL AS DATE) AS day, true AS in_window,
               NOT s.rejected AND s.test_event_code IS NULL AS counted,
               CAST(NULL AS VARCHAR) AS matched_owner, CAST(NULL AS VARCHAR) AS matched_order,
               CAST(NULL AS VARCHAR) AS order_status, CAST(NULL AS DOUBLE) AS order_total
        FROM server_events s SEMI JOIN _B b ON b.pixel_id IS NOT DISTINCT FROM s.pixel_id
         AND b.bucket = {bucket_sql('s.event_time')}
        WHERE s.event_time >= $lo AND s.event_time < $hi""", params)
    # Browser copies within the pairing window of the buckets: fbc_case_modified looks for them.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _r_browser AS
        SELECT x.*, CAST(NULL AS DATE) AS day, true AS in_window, b.bucket IS NOT NULL AS in_b
        FROM (SELECT *, {bucket_sql('event_time')} AS bucket FROM browser_events WHERE {COUNTED_BROWSER}
              AND event_time >= $lo - INTERVAL {hours} HOUR AND event_time < $hi + INTERVAL {hours} HOUR) x
        LEFT JOIN _B b ON {_in_b('x')}""", params)
    con.execute("""CREATE OR REPLACE TEMP TABLE _r_reused AS
        SELECT 'server' AS side, pixel_id, event_name, event_id FROM pair_keys WHERE reused_server
        UNION ALL SELECT 'browser', pixel_id, event_name, event_id FROM pair_keys WHERE reused_browser""")
    # missing_event_id is rolled up as "no event_id"; the reader keeps the events sent from both sides.
    con.execute("""CREATE OR REPLACE TEMP TABLE _r_both AS
        SELECT DISTINCT pixel_id, event_name FROM _r_server UNION SELECT DISTINCT pixel_id, event_name FROM _r_browser""")
    flags = f"{HAS_ID.replace('event_id', 'e.event_id')} AS has_id, coalesce(k.matched, false) AS k_matched, r.event_uid IS NOT NULL AS repeat"
    joins = ("LEFT JOIN pair_keys k ON k.pixel_id = e.pixel_id AND k.event_name = e.event_name AND k.event_id = e.event_id "
             "LEFT JOIN pair_repeats r ON r.side = '{side}' AND r.event_uid = e.event_uid")
    keys = ", ".join(f"count(*) FILTER (counted AND {k}_p) AS p_{k}, count(*) FILTER (counted AND {k}_v) AS v_{k}"
                     for k in USER_DATA_KEYS)
    zeros = ", ".join(f"0 AS p_{k}, 0 AS v_{k}" for k in USER_DATA_KEYS)
    common = ("count(*) FILTER (counted) AS n, count(*) AS lint_n, count(*) FILTER (counted AND has_id) AS with_id, "
              "count(*) FILTER (counted AND k_matched) AS matched, count(*) FILTER (counted AND repeat) AS repeats")
    con.execute(f"""INSERT INTO rollup_events BY NAME
        SELECT pixel_id, event_name, 'server' AS side, bucket, {common},
               count(*) FILTER (counted AND action_source = 'website') AS website,
               count(*) FILTER (counted AND coalesce(opt_out, false)) AS opt_out,
               count(*) FILTER (counted AND coalesce(ldu, false)) AS ldu, {keys}
        FROM (SELECT e.*, {flags} FROM _r_server e {joins.format(side='server')})
        GROUP BY pixel_id, event_name, bucket""")
    con.execute(f"""INSERT INTO rollup_events BY NAME
        SELECT pixel_id, event_name, 'browser' AS side, bucket, {common},
               0 AS website, 0 AS opt_out, 0 AS ldu, {zeros}
        FROM (SELECT e.*, true AS counted, {flags} FROM _r_browser e {joins.format(side='browser')} WHERE e.in_b)
        GROUP BY pixel_id, event_name, bucket""")
    from analysis.metrics import emq

    mask = " + ".join(f"CAST({k}_v AS INTEGER) * {1 << i}" for i, k in enumerate(USER_DATA_KEYS))
    present = " + ".join(f"CAST({k}_p AS INTEGER) * {1 << i}" for i, k in enumerate(USER_DATA_KEYS))
    con.execute(f"""INSERT INTO rollup_emq
        SELECT pixel_id, event_name, bucket, {emq.baseline_invalid_sql()} AS invalid, {mask} AS mask,
               {present} AS present, count(*) AS n
        FROM _r_server WHERE counted AND action_source = 'website' GROUP BY ALL""")
    _lint_rows(con, settings, hours)
    # Browser rules also ran on the copies around the buckets (kept for fbc_case_modified's pairing).
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _lint AS
        SELECT l.* FROM (SELECT *, {bucket_sql('event_time')} AS bucket FROM _lint) l SEMI JOIN _B b ON {_in_b('l')}""")
    examples = int(settings["lint.examples"])
    con.execute(f"""INSERT INTO rollup_lint
        SELECT pixel_id, event_name, side, {bucket_sql('event_time')} AS bucket, rule, severity, field, diagnosis,
               count(DISTINCT event_uid) AS hits,
               list_sort(list(DISTINCT CASE WHEN event_id IS NOT NULL THEN 'event_id=' || event_id
                                            WHEN order_id IS NOT NULL THEN 'order_id=' || order_id END)
                         FILTER (event_id IS NOT NULL OR order_id IS NOT NULL))[1:{max(examples, 1)}] AS examples
        FROM _lint l GROUP BY ALL""")
    con.execute(f"""INSERT INTO rollup_rule_hits
        SELECT pixel_id, event_name, side, {bucket_sql('event_time')} AS bucket, rule, count(DISTINCT event_uid) AS hits
        FROM _lint l GROUP BY ALL""")
    for t in ("_r_server", "_r_browser", "_r_reused", "_r_both", "_lint"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _chunks(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[datetime, datetime]]:
    """UTC day ranges of `source` (pixel_id, bucket, n) holding about CHUNK_EVENTS events each."""
    rows = con.execute(f"""SELECT CAST(bucket AS DATE) AS d, sum(n) FROM {source} GROUP BY d ORDER BY d""").fetchall()
    out, start, count = [], None, 0
    for day, n in rows:
        if start is None:
            start = day
        count += n
        if count >= CHUNK_EVENTS:
            out.append((start, day))
            start, count = None, 0
    if start is not None:
        out.append((start, rows[-1][0]))
    return [(datetime.combine(a, datetime.min.time()), datetime.combine(b, datetime.min.time()) + timedelta(days=1))
            for a, b in out]


def _recompute_all(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], source: str,
                   progress: Callable[[str], None] | None) -> None:
    """Recompute the buckets listed in `source` (pixel_id, bucket, n), a chunk of days at a time."""
    chunks = _chunks(con, source)
    for i, (a, b) in enumerate(chunks):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _B AS SELECT DISTINCT pixel_id, bucket FROM {source} "
                    "WHERE bucket >= ? AND bucket < ?", [a, b])
        _recompute(con, settings)
        if progress and len(chunks) > 1:
            progress(f"rollups: {i + 1}/{len(chunks)} parts")
    con.execute("DROP TABLE IF EXISTS _B")


def refresh(con: duckdb.DuckDBPyConnection, settings: dict[str, Any] | None = None,
            progress: Callable[[str], None] | None = None) -> None:
    """Bring the rollups up to date with the changes listed in _rollup_chg (inside the caller's transaction)."""
    settings = _settings_for_write(con, settings)
    hours = int(settings["dedup.window_hours"])
    n = store.scalar(con, "SELECT count(*) FROM _rollup_chg")
    if not n:
        return
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _units AS
        SELECT DISTINCT pixel_id, event_id FROM _rollup_chg x WHERE {HAS_ID}""")
    unit_count = store.scalar(con, "SELECT count(*) FROM _units")
    parts = max(1, -(-unit_count // CHUNK_EVENTS))
    con.execute("CREATE OR REPLACE TEMP TABLE _touched (pixel_id VARCHAR, bucket TIMESTAMP, n BIGINT)")
    con.execute(f"""INSERT INTO _touched SELECT pixel_id, {bucket_sql('event_time')}, count(*) FROM _rollup_chg
                    GROUP BY ALL""")
    for i in range(parts):
        slice_ = f"hash(u.event_id) % {parts} = {i}" if parts > 1 else "true"
        con.execute(f"CREATE OR REPLACE TEMP TABLE _units_i AS SELECT * FROM _units u WHERE {slice_}")
        for table in STATE_TABLES:
            con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _units_i u "
                        "WHERE u.pixel_id IS NOT DISTINCT FROM t.pixel_id AND u.event_id = t.event_id)")
        _pair(con, hours, "EXISTS (SELECT 1 FROM _units_i u WHERE u.pixel_id IS NOT DISTINCT FROM x.pixel_id "
                          "AND u.event_id = x.event_id)")
        con.execute(f"INSERT INTO _touched SELECT pixel_id, {bucket_sql('event_time')}, count(*) FROM _copies "
                    "GROUP BY ALL")
        # The lint population also holds the units' rejected and test-coded server requests, which the
        # reuse and fbc-case rules judge by the same pairing: their buckets change with it.
        con.execute(f"""INSERT INTO _touched SELECT pixel_id, {bucket_sql('event_time')}, count(*) FROM server_events x
                        WHERE NOT ({COUNTED_SERVER}) AND {HAS_ID} AND EXISTS (SELECT 1 FROM _units_i u
                          WHERE u.pixel_id IS NOT DISTINCT FROM x.pixel_id AND u.event_id = x.event_id) GROUP BY ALL""")
    con.execute("CREATE OR REPLACE TEMP TABLE _touched AS SELECT pixel_id, bucket, max(n) AS n FROM _touched GROUP BY ALL")
    _recompute_all(con, settings, "_touched", progress)
    for t in ("_units", "_units_i", "_copies", "_touched"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def changed_by_ingestions(con: duckdb.DuckDBPyConnection, first: int, last: int) -> None:
    """_rollup_chg = the events the ingestions first..last inserted."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rollup_chg AS
        SELECT pixel_id, event_id, event_time FROM server_events WHERE ingestion_id BETWEEN {int(first)} AND {int(last)}
        UNION ALL
        SELECT pixel_id, event_id, event_time FROM browser_events WHERE ingestion_id BETWEEN {int(first)} AND {int(last)}""")


def changed_where(con: duckdb.DuckDBPyConnection, server_where: str, browser_where: str, params: Any = None) -> None:
    """_rollup_chg = the events these conditions select (call before deleting or changing them)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rollup_chg AS
        SELECT pixel_id, event_id, event_time FROM server_events WHERE {server_where}
        UNION ALL SELECT pixel_id, event_id, event_time FROM browser_events WHERE {browser_where}""", params or [])


def rebuild(con: duckdb.DuckDBPyConnection, settings: dict[str, Any] | None = None,
            progress: Callable[[str], None] | None = None,
            between: tuple[datetime, datetime] | None = None) -> None:
    """Recompute every rollup from the canonical tables with `settings` (inside the caller's transaction).

    `between` (lo, hi): only the events in [lo, hi) — a window's own rollups (see `for_report`).
    """
    for table in TABLES + STATE_TABLES + ("rollup_state",):
        con.execute(f"DELETE FROM {table}")
    settings = settings or settings_of({})
    con.execute("INSERT INTO rollup_state VALUES (?, ?)", [json.dumps(settings, sort_keys=True), _now()])
    hours = int(settings["dedup.window_hours"])
    rng = "true"
    if between is not None:
        lo, hi = (t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in between)
        rng = f"event_time >= TIMESTAMP '{lo}' AND event_time < TIMESTAMP '{hi}'"
    total = store.scalar(con, f"""SELECT (SELECT count(*) FROM server_events WHERE {HAS_ID} AND {rng})
                                       + (SELECT count(*) FROM browser_events WHERE {HAS_ID} AND {rng})""") or 0
    parts = max(1, -(-total // CHUNK_EVENTS))
    for i in range(parts):
        _pair(con, hours, (f"hash(x.event_id) % {parts} = {i}" if parts > 1 else "true") + " AND " + rng.replace("event_time", "x.event_time"))
        if progress and parts > 1:
            progress(f"pairing: {i + 1}/{parts} parts")
    con.execute("DROP TABLE IF EXISTS _copies")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _touched AS
        SELECT pixel_id, bucket, sum(n) AS n FROM (
            SELECT pixel_id, {bucket_sql('event_time')} AS bucket, count(*) AS n FROM server_events WHERE {rng}
            GROUP BY ALL
            UNION ALL
            SELECT pixel_id, {bucket_sql('event_time')}, count(*) FROM browser_events WHERE {rng} GROUP BY ALL)
        GROUP BY ALL""")
    _recompute_all(con, settings, "_touched", progress)
    con.execute("DROP TABLE IF EXISTS _touched")


def for_report(con: duckdb.DuckDBPyConnection, cfg: Any, lo: datetime, hi: datetime) -> dict[str, Any]:
    """Make the rollups a report reads agree with its settings.

    Current rollups are read as stored. When a rollup-defining setting differs from the one the store's
    rollups were built with (or a store has events but no rollups), the window's own rollups — events in
    [lo, hi), pairing included — are computed on this connection into temp tables of the same names,
    with the report's settings: right numbers, slower, and the report says `capi-audit rebuild` is due.
    """
    for table in TABLES + STATE_TABLES + ("rollup_state",):
        con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    stored, settings = stored_settings(con), settings_of(cfg)
    if stored is None:
        events = store.scalar(con, "SELECT EXISTS (SELECT 1 FROM server_events) OR EXISTS (SELECT 1 FROM browser_events)")
        differ = list(SETTINGS) if events else []
    else:
        differ = _differ(stored, settings)
    if not differ:
        return {"state": "current", "stale_settings": []}
    for statement in _schema_statements():
        con.execute(statement.replace("CREATE TABLE IF NOT EXISTS", "CREATE OR REPLACE TEMP TABLE"))
    rebuild(con, settings, between=(lo, hi))
    return {"state": "stale" if stored is not None else "missing", "stale_settings": differ if stored is not None else []}


def _schema_statements() -> list[str]:
    from analysis.rollups.schema import DDL

    return store._statements(DDL)
