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
from analysis.normalize import USER_DATA_KEYS
from analysis.rollups.schema import STATE_TABLES, TABLES, bucket_sql

# The settings a rollup's definition depends on: change one and the rollups are stale until a rebuild.
SETTINGS = ("dedup.window_hours", "lint.fbclid_lowercase_min_length", "lint.server_user_agents", "lint.examples")
# Lint rules that need the orders or a whole day's traffic are evaluated when read, with selective filters.
READ_TIME_RULES = frozenset({"server_ip_as_client_ip", "purchase_for_unpaid_order", "purchase_without_order",
                             "value_mismatch", "hash_mismatch"})
# Events per piece of work when a load (or a rebuild) covers much of the store: bounds the memory.
CHUNK_EVENTS = 1_500_000

COUNTED_SERVER = "NOT rejected AND test_event_code IS NULL"
COUNTED_BROWSER = "source <> 'mirror'"
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


def stale(con: duckdb.DuckDBPyConnection, cfg: Any) -> list[str]:
    """Settings whose current value differs from the one the rollups were built with (empty: up to date)."""
    stored = stored_settings(con)
    if stored is None:
        return []
    current = settings_of(cfg)
    return [k for k in SETTINGS if json.dumps(stored.get(k), sort_keys=True) != json.dumps(current[k], sort_keys=True)]


# ------------------------------------------------------------------------------------------- pairing

def _cluster_fix(con: duckdb.DuckDBPyConnection, hours: int) -> None:
    """Keys spanning more than the window hold several clusters; a cluster's start depends on the one
    before it (a copy joins a cluster when within the window of its start), so those few are walked."""
    rows = con.execute("""SELECT rid, side, pixel_id, event_name, event_id, event_time FROM _cl
        WHERE long ORDER BY side, pixel_id, event_name, event_id, event_time, rid""").fetchall()
    if not rows:
        return
    fixes, key, start = [], None, None
    for rid, side, pixel, name, eid, t in rows:
        if (side, pixel, name, eid) != key or t - start > timedelta(hours=hours):
            key, start = (side, pixel, name, eid), t
        fixes.append((rid, start))
    con.execute("CREATE OR REPLACE TEMP TABLE _cl_fix (rid BIGINT, cluster_start TIMESTAMP)")
    con.executemany("INSERT INTO _cl_fix VALUES (?, ?)", fixes)
    con.execute("UPDATE _cl SET cluster_start = f.cluster_start FROM _cl_fix f WHERE _cl.rid = f.rid")
    con.execute("DROP TABLE _cl_fix")


def _pair(con: duckdb.DuckDBPyConnection, hours: int, units: str) -> None:
    """Re-cluster every counted copy of the ids `units` selects, and replace their pair_keys/pair_repeats.

    `units`: a condition on an event row `x` (e.g. a semi-join against _units, or a hash slice).
    Leaves _copies (side, pixel_id, event_time of every copy) for the caller's affected buckets.
    """
    cols = "event_uid, pixel_id, event_name, event_id, event_time, order_id"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _copies AS
        SELECT row_number() OVER () AS rid, * FROM (
            SELECT 'server' AS side, {cols} FROM server_events x WHERE {COUNTED_SERVER} AND {HAS_ID} AND {units}
            UNION ALL
            SELECT 'browser', {cols} FROM browser_events x WHERE {COUNTED_BROWSER} AND {HAS_ID} AND {units})""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _cl AS
        SELECT *, min(event_time) OVER k AS cluster_start,
               max(event_time) OVER k - min(event_time) OVER k > INTERVAL {hours} HOUR AS long
        FROM _copies WINDOW k AS (PARTITION BY side, pixel_id, event_name, event_id)""")
    _cluster_fix(con, hours)
    norm = "lower(regexp_replace({}, '\\s', '', 'g'))"
    within = f"abs(epoch(b.cluster_start) - epoch(s.cluster_start)) <= {hours} * 3600"
    con.execute(f"""INSERT INTO pair_keys
        WITH cs AS (SELECT DISTINCT side, pixel_id, event_name, event_id, cluster_start FROM _cl),
        matched AS (
            SELECT DISTINCT s.pixel_id, s.event_name, s.event_id
            FROM cs s JOIN cs b ON s.side = 'server' AND b.side = 'browser' AND b.pixel_id = s.pixel_id
             AND b.event_name = s.event_name AND b.event_id = s.event_id
            WHERE {within}),
        mism AS (
            SELECT DISTINCT s.pixel_id, s.event_name, s.event_id, b.event_name AS other
            FROM cs s JOIN cs b ON s.side = 'server' AND b.side = 'browser' AND b.pixel_id = s.pixel_id
             AND b.event_id = s.event_id AND b.event_name <> s.event_name
             AND {norm.format('b.event_name')} = {norm.format('s.event_name')}
            WHERE {within}),
        -- The span of a mismatch: the server key's copies and those of the browser names it pairs with.
        mm AS (
            SELECT m.pixel_id, m.event_name, m.event_id, min(c.event_time) AS mm_first, max(c.event_time) AS mm_last
            FROM mism m JOIN _cl c ON c.pixel_id = m.pixel_id AND c.event_id = m.event_id
             AND ((c.side = 'server' AND c.event_name = m.event_name) OR (c.side = 'browser' AND c.event_name = m.other))
            GROUP BY ALL),
        k AS (
            SELECT pixel_id, event_name, event_id, min(event_time) AS first_at, max(event_time) AS last_at,
                   bool_or(side = 'server') AS has_server, bool_or(side = 'browser') AS has_browser,
                   count(DISTINCT cluster_start) FILTER (side = 'server') > 1
                       OR count(DISTINCT order_id) FILTER (side = 'server') > 1 AS reused_server,
                   count(DISTINCT cluster_start) FILTER (side = 'browser') > 1
                       OR count(DISTINCT order_id) FILTER (side = 'browser') > 1 AS reused_browser
            FROM _cl GROUP BY ALL)
        SELECT k.pixel_id, k.event_name, k.event_id, k.first_at, k.last_at, k.has_server, k.has_browser,
               m.event_id IS NOT NULL, k.reused_server, k.reused_browser, x.event_id IS NOT NULL, x.mm_first, x.mm_last
        FROM k
        LEFT JOIN matched m ON m.pixel_id = k.pixel_id AND m.event_name = k.event_name AND m.event_id = k.event_id
        LEFT JOIN mm x ON x.pixel_id = k.pixel_id AND x.event_name = k.event_name AND x.event_id = k.event_id""")
    con.execute("""INSERT INTO pair_repeats
        SELECT side, event_uid, pixel_id, event_id FROM (
            SELECT *, row_number() OVER (PARTITION BY side, pixel_id, event_name, event_id, cluster_start
                                         ORDER BY event_time, rid) AS nth FROM _cl)
        WHERE nth > 1""")
    con.execute("DROP TABLE _cl")


# ------------------------------------------------------------------------------------------- buckets

def _in_buckets(alias: str, time_col: str) -> str:
    return (f"EXISTS (SELECT 1 FROM _B b WHERE b.pixel_id IS NOT DISTINCT FROM {alias}.pixel_id "
            f"AND b.bucket = {bucket_sql(f'{alias}.{time_col}')})")


def _delete_buckets(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        con.execute(f"DELETE FROM {table} r WHERE {_in_buckets('r', 'bucket')}")


def _lint_rows(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], hours: int) -> None:
    """_lint: the rolled-up rules' findings over the events of _B (from the rules' one definition)."""
    from analysis.metrics import lint

    rules = [r for r in lint.rules(_defaults() | settings) if r.id not in READ_TIME_RULES]
    parts = [f"SELECT '{r.id}' AS rule, '{r.severity}' AS severity, '{r.side}' AS side, * FROM ({r.sql()})"
             for r in rules]
    con.execute("CREATE OR REPLACE TEMP TABLE _lint AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ")")


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
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_lint_server AS
        SELECT s.*, {bucket_sql('s.event_time')} AS bucket, CAST(NULL AS DATE) AS day, true AS in_window,
               NOT s.rejected AND s.test_event_code IS NULL AS counted,
               CAST(NULL AS VARCHAR) AS matched_owner, CAST(NULL AS VARCHAR) AS matched_order,
               CAST(NULL AS VARCHAR) AS order_status, CAST(NULL AS DOUBLE) AS order_total
        FROM server_events s WHERE s.event_time >= $lo AND s.event_time < $hi AND {_in_buckets('s', 'event_time')}""",
                params)
    # Browser copies within the pairing window of the buckets: fbc_case_modified looks for them.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_lint_browser AS
        SELECT x.*, {bucket_sql('x.event_time')} AS bucket, CAST(NULL AS DATE) AS day, true AS in_window,
               {_in_buckets('x', 'event_time')} AS in_b
        FROM browser_events x WHERE {COUNTED_BROWSER}
          AND x.event_time >= $lo - INTERVAL {hours} HOUR AND x.event_time < $hi + INTERVAL {hours} HOUR""", params)
    con.execute("""CREATE OR REPLACE TEMP TABLE dd_reused AS
        SELECT 'server' AS side, pixel_id, event_name, event_id FROM pair_keys WHERE reused_server
        UNION ALL SELECT 'browser', pixel_id, event_name, event_id FROM pair_keys WHERE reused_browser""")
    # missing_event_id is rolled up as "no event_id"; the reader keeps the events sent from both sides.
    con.execute("""CREATE OR REPLACE TEMP TABLE m_both AS
        SELECT DISTINCT pixel_id, event_name FROM m_lint_server UNION SELECT DISTINCT pixel_id, event_name FROM m_lint_browser""")
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
        FROM (SELECT e.*, {flags} FROM m_lint_server e {joins.format(side='server')})
        GROUP BY pixel_id, event_name, bucket""")
    con.execute(f"""INSERT INTO rollup_events BY NAME
        SELECT pixel_id, event_name, 'browser' AS side, bucket, {common},
               0 AS website, 0 AS opt_out, 0 AS ldu, {zeros}
        FROM (SELECT e.*, true AS counted, {flags} FROM m_lint_browser e {joins.format(side='browser')} WHERE e.in_b)
        GROUP BY pixel_id, event_name, bucket""")
    from analysis.metrics import emq

    mask = " + ".join(f"CAST({k}_v AS INTEGER) * {1 << i}" for i, k in enumerate(USER_DATA_KEYS))
    present = " + ".join(f"CAST({k}_p AS INTEGER) * {1 << i}" for i, k in enumerate(USER_DATA_KEYS))
    con.execute(f"""INSERT INTO rollup_emq
        SELECT pixel_id, event_name, bucket, {emq.baseline_invalid_sql()} AS invalid, {mask} AS mask,
               {present} AS present, count(*) AS n
        FROM m_lint_server WHERE counted AND action_source = 'website' GROUP BY ALL""")
    _lint_rows(con, settings, hours)
    examples = int(settings["lint.examples"])
    con.execute(f"""INSERT INTO rollup_lint
        SELECT pixel_id, event_name, side, {bucket_sql('event_time')} AS bucket, rule, severity, field, diagnosis,
               count(DISTINCT event_uid) AS hits,
               list_sort(list(DISTINCT CASE WHEN event_id IS NOT NULL THEN 'event_id=' || event_id
                                            WHEN order_id IS NOT NULL THEN 'order_id=' || order_id END)
                         FILTER (event_id IS NOT NULL OR order_id IS NOT NULL))[1:{max(examples, 1)}] AS examples
        FROM _lint l WHERE {_in_buckets('l', 'event_time')}
        GROUP BY ALL""")
    for t in ("m_lint_server", "m_lint_browser", "dd_reused", "m_both", "_lint"):
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


def changed_where(con: duckdb.DuckDBPyConnection, server_where: str | None, browser_where: str | None,
                  params: Any = None) -> None:
    """_rollup_chg = the events these conditions select (call before deleting them)."""
    parts = []
    if server_where:
        parts.append(f"SELECT pixel_id, event_id, event_time FROM server_events WHERE {server_where}")
    if browser_where:
        parts.append(f"SELECT pixel_id, event_id, event_time FROM browser_events WHERE {browser_where}")
    sql = " UNION ALL ".join(parts) or "SELECT NULL::VARCHAR AS pixel_id, NULL::VARCHAR AS event_id, NULL::TIMESTAMP AS event_time WHERE false"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rollup_chg AS {sql}", params or [])


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
        differ = [k for k in SETTINGS if json.dumps(stored.get(k), sort_keys=True) != json.dumps(settings[k], sort_keys=True)]
    if not differ:
        return {"state": "current", "stale_settings": []}
    for statement in _schema_statements():
        con.execute(statement.replace("CREATE TABLE IF NOT EXISTS", "CREATE OR REPLACE TEMP TABLE"))
    rebuild(con, settings, between=(lo, hi))
    return {"state": "stale" if stored is not None else "missing", "stale_settings": differ if stored is not None else []}


def _schema_statements() -> list[str]:
    from analysis.rollups.schema import DDL

    return store._statements(DDL)
