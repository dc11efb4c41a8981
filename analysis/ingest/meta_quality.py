"""meta-quality: one Dataset Quality API response (a snapshot) into snapshot, event and match-key rows."""
from __future__ import annotations

from pathlib import Path

import duckdb

from analysis.ingest.base import IngestError, Options, Reject, Staged, forget_group, sql_str
from analysis.ingest.lines import check_text, unreadable

KIND = "meta-quality"

# A figure as Meta sends it (57.1), as text ("57.1", "57.1%"), or wrapped as {"percentage": 57.1}.
NUM_MACRO = r"""
CREATE OR REPLACE TEMP MACRO mq_text(v) AS nullif(trim(rtrim(trim(
    CASE WHEN json_type(v) = 'OBJECT' THEN json_extract_string(v, '$.percentage')
         ELSE json_extract_string(v, '$') END), '%')), '');
CREATE OR REPLACE TEMP MACRO mq_num(v) AS TRY_CAST(mq_text(v) AS DOUBLE);
-- A figure within its range, else NULL: NaN, Infinity (1e309) or -3 are no scores.
CREATE OR REPLACE TEMP MACRO mq_fig(v, hi) AS
    CASE WHEN isfinite(mq_num(v)) AND mq_num(v) >= 0 AND (hi IS NULL OR mq_num(v) <= hi) THEN mq_num(v) END;
-- Why a figure that is there cannot be stored (NULL when it is fine or absent).
CREATE OR REPLACE TEMP MACRO mq_bad(v, hi, what) AS
    CASE WHEN mq_text(v) IS NOT NULL AND mq_fig(v, hi) IS NULL
         THEN what || ' is not ' || CASE WHEN hi IS NULL THEN 'a finite number of at least 0'
                                         ELSE 'a number from 0 to ' || hi END || ' (left empty; the rest is kept)' END;
"""
# (column, JSON path in an event, upper bound): EMQ is 0–10, coverage a percentage; ACR (additional
# conversions reported, relative) has no upper bound.
FIGURES = (("composite_score", "$.event_match_quality.composite_score", "10"),
           ("event_coverage_pct", "$.event_coverage", "100"), ("acr_pct", "$.acr", "NULL"))

SHAPE = ("a meta-quality file is one Dataset Quality API response: "
         '{"pixel_id": …, "fetched_at": …, "response": {"web": […]}}, or the bare {"web": […]} '
         "with --pixel-id and --at")


def _document(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Load the file as one JSON text into `_doc`; returns the JSON path of the response in it."""
    # A byte-order mark (Windows editors) is not JSON; drop it rather than refuse the file.
    try:
        con.execute(f"CREATE TEMP TABLE _doc AS SELECT ltrim(content, chr(65279)) AS c FROM read_text({sql_str(path)})")
    except duckdb.Error:
        raise IngestError(unreadable(path)) from None
    if not con.execute("SELECT json_valid(c) FROM _doc").fetchone()[0]:
        raise IngestError(f"{path} is not valid JSON; {SHAPE}.")
    top, resp, web, err = con.execute(
        "SELECT json_type(c), json_type(c, '$.response'), json_type(c, '$.web'), "
        "json_extract_string(c, '$.error.code') FROM _doc").fetchone()
    if top != "OBJECT":
        raise IngestError(f"{path} holds a JSON {top.lower()}, not an object; {SHAPE}.")
    root = "$.response" if resp is not None else "$"
    if resp is not None and resp != "OBJECT":
        raise IngestError(f"{path}: response is not a JSON object; {SHAPE}.")
    if resp is not None:
        web, err = con.execute("SELECT json_type(c, '$.response.web'), "
                               "json_extract_string(c, '$.response.error.code') FROM _doc").fetchone()
    if err is not None and web is None:
        raise IngestError(f"{path} holds a Graph API error (code {err}), not a Dataset Quality response; "
                          "fix what the error says and fetch it again.")
    if web != "ARRAY":
        raise IngestError(f"{path} has no web array; {SHAPE}.")
    return root


def _identity(con: duckdb.DuckDBPyConnection, path: Path, opts: Options) -> tuple[str, str, str | None]:
    """pixel_id, fetched_at and agent_name: the file's own, else the command line's."""
    pixel, at, agent = con.execute(
        "SELECT nullif(trim(json_extract_string(c, '$.pixel_id')), ''), "
        "nullif(trim(json_extract_string(c, '$.fetched_at')), ''), "
        "nullif(trim(json_extract_string(c, '$.agent_name')), '') FROM _doc").fetchone()
    pixel = pixel or (opts.pixel_id.strip() if opts.pixel_id and opts.pixel_id.strip() else None)
    at = at or opts.at
    missing = [(flag, what) for flag, what, v in (("--pixel-id", "which pixel it is for", pixel),
                                                   ("--at", "when it was fetched", at)) if not v]
    if missing:
        raise IngestError(f"{path} does not say {' or '.join(w for _, w in missing)} (a bare response names neither); "
                          f"pass {' and '.join(f for f, _ in missing)}, e.g. --pixel-id 1234567890 "
                          "--at 2026-10-03T06:00:00Z.")
    if not con.execute("SELECT coalesce(capi_ts_ok(capi_ts(?)), false)", [at]).fetchone()[0]:
        raise IngestError(f"{path}: fetched_at {at[:40]!r} is not a timestamp between 2015 and 2100; "
                          "use ISO 8601 with an offset, e.g. 2026-10-03T06:00:00Z.")
    return pixel, at, agent


# Files are parsed together (a snapshot a day is a small file): each file's document is checked and read
# on its own, then the group is parsed once it holds this many documents.
GROUP_LINES = 500
_DOCS = "_quality_docs"
GROUP_TABLES = (_DOCS,)   # the group's documents: (_file, pixel_id, fetched_at, agent_name, response)
SNAPSHOTS = "meta_quality_snapshots"


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Check one file and read its response into the group of `staged.shared`; alone (no group), parse it at once."""
    check_text(path)      # DuckDB would read a directory or an unreadable file as no text at all
    root = _document(con, path)
    pixel, at, agent = _identity(con, path, opts)
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_DOCS} (_file INTEGER, pixel_id VARCHAR, fetched_at TIMESTAMP, "
                "agent_name VARCHAR, response JSON)")
    con.execute(f"INSERT INTO {_DOCS} SELECT {int(staged.number)}, {sql_str(pixel)}, capi_ts({sql_str(at)}), "
                f"{sql_str(agent) if agent else 'NULL'}, json_extract(c, '{root}') FROM _doc")
    con.execute("DROP TABLE _doc")
    staged.rows_read, staged.ready = 1, False     # until the group is parsed: how full the group is
    if staged.shared is None:
        try:
            finish(con, SNAPSHOTS, [staged], opts)
        finally:
            forget(con, None)


def forget(con: duckdb.DuckDBPyConnection, number: int | None) -> None:
    """Drop what was read of file `number` (None: of every file) and not yet parsed."""
    forget_group(con, GROUP_TABLES, number)


def finish(con: duckdb.DuckDBPyConnection, table: str, files: list[Staged], opts: Options) -> None:
    """Parse the documents read of `files` into `out.<prefix>meta_quality_snapshots`, `…_events` and
    `…_match_keys` (`_file` = each one's number; `table` names the first). Fills each file's rejects,
    rows_read and tables."""
    prefix = table.removesuffix(SNAPSHOTS)
    con.execute(NUM_MACRO)
    # The response as Meta sent it (re-serialised compactly). It has no paging, but should a saved
    # one carry it, its next URL would hold an access token: never store that.
    con.execute(f"""
        CREATE TABLE out.{prefix}meta_quality_snapshots AS
        SELECT _file, pixel_id, fetched_at, agent_name,
               CAST(json_merge_patch(response, '{{"paging": null}}') AS JSON) AS response
        FROM {_DOCS} ORDER BY _file""")

    con.execute(f"""
        CREATE TEMP TABLE _events AS
        WITH items AS (
          SELECT _file, pixel_id, fetched_at, unnest(w) AS item, generate_subscripts(w, 1) AS idx
          FROM (SELECT _file, pixel_id, fetched_at, json_extract(response, '$.web[*]') AS w FROM {_DOCS})
        ), named AS (
          SELECT *, json_type(item) AS typ, json_type(item, '$.event_name') AS name_type,
                 trim(json_extract_string(item, '$.event_name')) AS event_name
          FROM items
        ), numbered AS (
          SELECT *, row_number() OVER (PARTITION BY _file, CASE WHEN name_type = 'VARCHAR' THEN event_name END
                                       ORDER BY idx) AS occ
          FROM named
        )
        SELECT *, CASE
            WHEN typ <> 'OBJECT' THEN 'event ' || idx || ' is not a JSON object'
            WHEN name_type IS NULL OR name_type = 'NULL' THEN 'event ' || idx || ': missing event_name'
            WHEN name_type <> 'VARCHAR' OR event_name = '' THEN 'event ' || idx || ': event_name is not a non-empty string'
            -- The key is (pixel, fetched_at, event_name): a repeat cannot be stored beside the first.
            WHEN occ > 1 THEN 'event ' || idx || ': a second entry for ' || event_name || ' (the first is kept)'
          END AS reason
        FROM numbered""")
    figures = ", ".join(f"mq_fig(json_extract(item, {sql_str(where)}), {hi}) AS {col}" for col, where, hi in FIGURES)
    con.execute(f"""
        CREATE TABLE out.{prefix}meta_quality_events AS
        SELECT _file, pixel_id, fetched_at, event_name::VARCHAR AS event_name, {figures}
        FROM _events WHERE reason IS NULL ORDER BY _file, idx""")
    # A figure out of range is a reject of that figure only: the contract needs none of them for the event.
    bad = " UNION ALL ".join(
        f"SELECT _file, idx, 0 AS k, 'event ' || idx || ': ' || mq_bad(json_extract(item, {sql_str(where)}), {hi}, "
        f"{sql_str(col.removesuffix('_pct'))}) AS reason FROM _events WHERE reason IS NULL" for col, where, hi in FIGURES)
    con.execute(f"CREATE TEMP TABLE _figure_rejects AS {bad}")

    # An event without event_match_quality (or without match_key_feedback) simply has no key rows.
    con.execute("""
        CREATE TEMP TABLE _keys AS
        WITH keys AS (
          SELECT _file, pixel_id, fetched_at, idx, event_name, unnest(mk) AS m, generate_subscripts(mk, 1) AS k
          FROM (SELECT _file, pixel_id, fetched_at, idx, event_name,
                       json_extract(item, '$.event_match_quality.match_key_feedback[*]') AS mk
                FROM _events WHERE reason IS NULL)
        ), named AS (
          SELECT *, json_type(m) AS typ, json_type(m, '$.identifier') AS id_type,
                 trim(json_extract_string(m, '$.identifier')) AS identifier
          FROM keys
        ), numbered AS (
          SELECT *, row_number() OVER (PARTITION BY _file, idx, CASE WHEN id_type = 'VARCHAR' THEN identifier END
                                       ORDER BY k) AS occ
          FROM named
        )
        SELECT *, CASE
            WHEN typ <> 'OBJECT' THEN 'event ' || idx || ', match key ' || k || ' is not a JSON object'
            WHEN id_type IS DISTINCT FROM 'VARCHAR' OR identifier = '' THEN 'event ' || idx || ', match key ' || k || ': missing identifier'
            WHEN occ > 1 THEN 'event ' || idx || ', match key ' || k || ': a second entry for ' || identifier || ' (the first is kept)'
          END AS reason
        FROM numbered""")
    con.execute(f"""
        CREATE TABLE out.{prefix}meta_quality_match_keys AS
        SELECT _file, pixel_id, fetched_at, event_name::VARCHAR AS event_name, identifier::VARCHAR AS identifier,
               mq_fig(json_extract(m, '$.coverage'), 100) AS coverage_pct
        FROM _keys WHERE reason IS NULL ORDER BY _file, idx, k""")
    con.execute("""
        INSERT INTO _figure_rejects
        SELECT _file, idx, k, 'event ' || idx || ', match key ' || k || ': ' || mq_bad(json_extract(m, '$.coverage'), 100,
               'coverage') FROM _keys WHERE reason IS NULL""")

    # One document is line 1 throughout.
    # (The temp tables live on this connection only, so no cursor: collect_rejects would not see them.)
    by_number = {f.number: f for f in files}
    for number, reason in con.execute("""
        SELECT _file, reason FROM (SELECT _file, idx, 0 AS k, reason FROM _events
                                   UNION ALL SELECT _file, idx, k, reason FROM _keys
                                   UNION ALL SELECT _file, idx, k, reason FROM _figure_rejects)
        WHERE reason IS NOT NULL ORDER BY _file, idx, k""").fetchall():
        by_number[number].rejects.append(Reject(1, reason))
    for f in files:
        # One snapshot plus each rejected item, so read = loaded + already there + rejected as for other kinds.
        f.rows_read = 1 + len(f.rejects)
        f.tables.extend([("meta_quality_snapshots", "new"), ("meta_quality_events", "new"),
                         ("meta_quality_match_keys", "new")])
        f.ready = True
    for t in ("_events", "_figure_rejects", "_keys"):
        con.execute(f"DROP TABLE {t}")
    for macro in ("mq_bad", "mq_fig", "mq_num", "mq_text"):
        con.execute(f"DROP MACRO IF EXISTS {macro}")
