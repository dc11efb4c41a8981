"""meta-stats: pixel /stats pages (envelopes or bare bodies, JSON or JSON Lines) into hourly counts."""
from __future__ import annotations

from pathlib import Path

import duckdb

from analysis.ingest.base import IngestError, Options, Reject, Staged, forget_group, sql_str
from analysis.ingest.lines import check_text, read_lines, unreadable

KIND = "meta-stats"
NO_PIXEL = "no pixel_id in the record; pass --pixel-id"

# Files are parsed together (many small daily fetches in one statement each step): a file's records are
# read into the group's table on their own, then the group is parsed once it holds this many records.
GROUP_LINES = 5_000
_RECS, _BAD = "_stats_recs", "_stats_bad"
GROUP_TABLES = (_RECS, _BAD)   # the group's records (_file, ln, rec) and its lines that are not UTF-8

# The file's records, one per row: a file that is one JSON document (an envelope, a body, or an
# array of them) is line 1; otherwise it is JSON Lines, numbered from 1 with blank lines counted.
# A byte-order mark (Windows editors) is not JSON; it is dropped rather than the file refused.
RECORDS = """
WITH src AS (SELECT ltrim(content, chr(65279)) AS c FROM read_text({path})),
doc AS (
  SELECT 1 AS ln, unnest(CASE WHEN json_type(c) = 'ARRAY' THEN json_extract(c, '$[*]') ELSE [json(c)] END)::VARCHAR AS rec
  FROM src WHERE json_valid(c)
),
lines AS (
  SELECT unnest(string_split(c, chr(10))) AS rec, generate_subscripts(string_split(c, chr(10)), 1) AS ln
  FROM src WHERE NOT json_valid(c)
)
SELECT ln, rec FROM doc
UNION ALL
SELECT ln, rec FROM lines WHERE trim(rec, ' ' || chr(9) || chr(13)) <> ''
"""

# Which page each record is, and what is wrong with it as a whole. paging is never read: its
# next/previous URLs carry the access token the page was fetched with.
PAGES = """
CREATE TEMP TABLE _pages AS
WITH r AS (
  SELECT _file, ln, json_valid(rec) AS ok, CASE WHEN json_valid(rec) THEN json(rec) END AS j FROM {recs}
),
f AS (
  SELECT _file, ln, ok, j, json_type(j) AS typ,
    CASE WHEN json_type(j) <> 'OBJECT' THEN NULL
         WHEN json_type(j, '$.response') IS NOT NULL THEN 'envelope'
         WHEN json_type(j, '$.data') IS NOT NULL OR json_type(j, '$.error') IS NOT NULL THEN 'body' END AS form
  FROM r
),
p AS (
  SELECT _file, ln, ok, typ, form,
    CASE form WHEN 'envelope' THEN json_extract(j, '$.response') WHEN 'body' THEN j END AS body,
    coalesce(nullif(trim(json_extract_string(j, '$.pixel_id')), ''), {pixel}) AS pixel_id,
    coalesce(nullif(trim(json_extract_string(j, '$.fetched_at')), ''), {at}) AS fetched_raw,
    -- What was asked: the envelope's params, or the command line's for a bare body. Meta's
    -- default for a request without event_source is every source: ALL.
    CASE form WHEN 'envelope' THEN json_extract_string(j, '$.params.aggregation') ELSE {aggregation} END AS agg_asked,
    upper(trim(coalesce(CASE form WHEN 'envelope' THEN json_extract_string(j, '$.params.event_source')
                                  ELSE {event_source} END, 'ALL'))) AS event_source
  FROM f
)
SELECT _file, ln, body, pixel_id, capi_ts(fetched_raw) AS fetched_at, agg_asked, event_source,
  CASE WHEN NOT ok THEN 'line is not valid JSON'
       WHEN typ <> 'OBJECT' THEN 'line is a JSON ' || CASE typ WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'boolean'
            WHEN 'NULL' THEN 'null' WHEN 'ARRAY' THEN 'array' ELSE 'number' END || ', not an object'
       WHEN json_type(body, '$.data') IS NULL AND json_type(body, '$.error') = 'OBJECT'
            THEN 'response is a Graph API error (code ' || coalesce(json_extract_string(body, '$.error.code'), '?')
                 || '), not stats; fetch the page again'
       WHEN form IS NULL THEN 'not a /stats envelope or response body (no response or data)'
       WHEN json_type(body, '$.data') IS DISTINCT FROM 'ARRAY' THEN 'response has no data array'
       WHEN pixel_id IS NULL THEN '{no_pixel}'
       WHEN fetched_raw IS NOT NULL AND NOT coalesce(capi_ts_ok(capi_ts(fetched_raw)), false)
            THEN 'fetched_at is not a timestamp between 2015 and 2100'
  END AS reason
FROM p
"""

# One bucket per hour: {"aggregation", "start_time", "data": [{"value", "count"}, …]}.
BUCKETS = """
CREATE TEMP TABLE _buckets AS
WITH b AS (
  SELECT _file, ln, pixel_id, fetched_at, agg_asked, event_source,
         unnest(json_extract(body, '$.data[*]')) AS b, generate_subscripts(json_extract(body, '$.data[*]'), 1) AS bi
  FROM _pages WHERE reason IS NULL
),
t AS (SELECT *, json_type(b) AS typ, json_extract_string(b, '$.start_time') AS start_raw FROM b)
SELECT _file, ln, bi, b, pixel_id, fetched_at, event_source,
  coalesce(agg_asked, json_extract_string(b, '$.aggregation'), 'event') AS aggregation,
  date_trunc('hour', capi_ts(start_raw)) AS hour,
  CASE WHEN typ <> 'OBJECT' THEN 'data item ' || bi || ' is not a JSON object'
       WHEN start_raw IS NULL OR trim(start_raw) = '' THEN 'data item ' || bi || ': missing start_time'
       WHEN NOT coalesce(capi_ts_ok(capi_ts(start_raw)), false)
            THEN 'data item ' || bi || ': start_time is not a timestamp between 2015 and 2100'
       WHEN json_type(b, '$.data') IS DISTINCT FROM 'ARRAY' THEN 'data item ' || bi || ': no data array'
  END AS reason
FROM t
"""

ENTRIES = """
CREATE TEMP TABLE _entries AS
WITH e AS (
  SELECT _file, ln, bi, pixel_id, fetched_at, event_source, aggregation, hour,
         unnest(json_extract(b, '$.data[*]')) AS e, generate_subscripts(json_extract(b, '$.data[*]'), 1) AS ei
  FROM _buckets WHERE reason IS NULL
),
t AS (
  SELECT *, json_type(e) AS typ, json_extract_string(e, '$.value') AS value,
         -- Via DOUBLE: a VARCHAR cast to BIGINT would round "12.5" silently.
         TRY_CAST(trim(json_extract_string(e, '$.count')) AS DOUBLE) AS n
  FROM e
)
SELECT _file, ln, bi, ei, pixel_id, fetched_at, event_source, aggregation, hour, value,
  CASE WHEN n BETWEEN 0 AND 9e18 AND n = floor(n) THEN CAST(n AS BIGINT) END AS count,
  CASE WHEN typ <> 'OBJECT' THEN 'data item ' || bi || ', entry ' || ei || ' is not a JSON object'
       WHEN value IS NULL OR trim(value) = '' THEN 'data item ' || bi || ', entry ' || ei || ': missing value'
       WHEN NOT coalesce(n BETWEEN 0 AND 9e18 AND n = floor(n), false)
            THEN 'data item ' || bi || ', entry ' || ei || ': count is not a whole number'
  END AS reason
FROM t
"""

# The same (hour, value) twice in one file: pages of one fetch overlap (Meta repeats a bucket at a
# page edge, or a fetch was saved twice), so the counts are two readings of one figure, not two
# halves: the higher one is kept, never the sum. Across fetches in one file the newer one wins, as
# it does across files (RULES: newest fetched_at). Each file's rows are told apart by _file.
STATS = """
CREATE TABLE out.{table} AS
SELECT _file, pixel_id::VARCHAR AS pixel_id, aggregation::VARCHAR AS aggregation, event_source::VARCHAR AS event_source,
       hour::TIMESTAMP AS hour, value::VARCHAR AS value, count::BIGINT AS count, fetched_at::TIMESTAMP AS fetched_at
FROM _entries WHERE reason IS NULL
QUALIFY row_number() OVER (PARTITION BY _file, pixel_id, aggregation, event_source, hour, value
                           ORDER BY fetched_at DESC NULLS LAST, count DESC) = 1
ORDER BY _file, pixel_id, aggregation, event_source, hour, value
"""

REJECTS = """
SELECT _file, ln, reason FROM (
  SELECT _file, ln, 0 AS bi, 0 AS ei, reason FROM _pages
  UNION ALL SELECT _file, ln, bi, 0, reason FROM _buckets
  UNION ALL SELECT _file, ln, bi, ei, reason FROM _entries)
WHERE reason IS NOT NULL ORDER BY _file, ln, bi, ei
"""


def _opt(value: str | None) -> str:
    return sql_str(value.strip()) if value and value.strip() else "NULL"


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Read one file's records into the group of `staged.shared`; alone (no group), parse it at once."""
    check_text(path)      # DuckDB would read a directory or an unreadable file as no text at all
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_RECS} (_file INTEGER, ln BIGINT, rec VARCHAR); "
                f"CREATE TEMP TABLE IF NOT EXISTS {_BAD} (_file INTEGER, ln BIGINT, reason VARCHAR)")
    number = int(staged.number)
    staged.ready = False
    try:
        # Until the group is parsed, rows_read counts the records read (how full the group is).
        staged.rows_read = con.execute(
            f"INSERT INTO {_RECS} SELECT {number}, ln, rec FROM ({RECORDS.format(path=sql_str(path))})"
        ).fetchall()[0][0]
    except duckdb.Error:
        # Not all UTF-8, so not one JSON document: JSON Lines, each line that is not UTF-8 a reject.
        bad_lines = read_lines(con, path, "_lines")
        staged.rows_read = con.execute(
            f"INSERT INTO {_RECS} SELECT {number}, ln, line FROM _lines "
            "WHERE trim(line, ' ' || chr(9) || chr(13)) <> ''").fetchall()[0][0] + len(bad_lines)
        con.execute("DROP TABLE _lines")
        if bad_lines:
            con.executemany(f"INSERT INTO {_BAD} VALUES ({number}, ?, ?)", bad_lines)
    if staged.shared is None:
        try:
            finish(con, "meta_stats", [staged], opts)
        finally:
            forget(con, None)


def forget(con: duckdb.DuckDBPyConnection, number: int | None) -> None:
    """Drop what was read of file `number` (None: of every file) and not yet parsed."""
    forget_group(con, GROUP_TABLES, number)


def finish(con: duckdb.DuckDBPyConnection, table: str, files: list[Staged], opts: Options) -> None:
    """Parse the records read of `files` into `out.<table>` (one row per pixel, aggregation, source, hour and
    value; `_file` = each one's number). Fills each file's rejects, rows_read and tables.

    A file that as a whole is no /stats file raises IngestError (its group is then parsed file by file).
    """
    con.execute(PAGES.format(recs=_RECS, pixel=_opt(opts.pixel_id), at=_opt(opts.at),
                             aggregation=_opt(opts.aggregation), event_source=_opt(opts.event_source),
                             no_pixel=NO_PIXEL))
    con.execute(f"INSERT INTO _pages (_file, ln, reason) SELECT _file, ln, reason FROM {_BAD}")
    by_number = {f.number: f for f in files}
    for number, pages, bad_json, no_pixel, bad in con.execute(
            "SELECT _file, count(*), count(*) FILTER (reason = 'line is not valid JSON'), "
            f"count(*) FILTER (reason = {sql_str(NO_PIXEL)}), coalesce(any_value(b.n), 0) FROM _pages "
            f"LEFT JOIN (SELECT _file, count(*) AS n FROM {_BAD} GROUP BY _file) b USING (_file) GROUP BY _file"
            ).fetchall():
        path = by_number[number].path
        if bad and bad_json + bad == pages:
            # Nothing parsed and some bytes are not UTF-8: a JSON document saved in another encoding.
            raise IngestError(unreadable(path))
        if pages and bad_json == pages:
            raise IngestError(f"{path} is neither a JSON document nor JSON Lines; a meta-stats file holds /stats "
                              'pages, each {"pixel_id", "fetched_at", "params", "response": {"data": […]}} or a '
                              'bare {"data": […]} with --pixel-id.')
        if pages and no_pixel == pages:
            raise IngestError(f"{path} does not say which pixel its counts are for (a bare /stats response names "
                              "none); pass --pixel-id, and --event-source SERVER_ONLY or WEB_ONLY if the request "
                              "used one.")
    con.execute(BUCKETS)
    con.execute(ENTRIES)
    con.execute(STATS.format(table=table))
    # (Temp tables live on this connection only, so no cursor: collect_rejects would not see them.)
    for number, ln, reason in con.execute(REJECTS).fetchall():
        by_number[number].rejects.append(Reject(int(ln), reason))
    # Rows kept plus rejects, so read = loaded + already there + rejected; an overlapping
    # duplicate dropped above is neither.
    kept = dict(con.execute(f"SELECT _file, count(*) FROM out.{table} GROUP BY _file").fetchall())
    for f in files:
        f.rows_read = kept.get(f.number, 0) + len(f.rejects)
        f.tables.append(("meta_stats", "upsert"))
        f.ready = True
    for t in ("_pages", "_buckets", "_entries"):
        con.execute(f"DROP TABLE {t}")
