"""browser-events: pixel requests from a HAR, a log of /tr URLs, or JSON Lines, parsed into browser_events."""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

import duckdb

from analysis import normalize
from analysis.ingest.base import IngestError, Options, Reject, Staged, collect_rejects, nonblank_sql, sql_str
from analysis.ingest.lines import check_text, read_lines
from analysis.ingest.server_events import (GROUP_LINES, GROUP_TABLES, READ_LINES, drop_group_lines, forget,  # noqa: F401
                                          group_lines, read_group)

KIND = "browser-events"

# A pixel request: a host that is facebook.com or ends in .facebook.com, a path /tr or /tr/….
PIXEL_URL_RE = r"(?i)https?://(?:[^/?#\s]*\.)?facebook\.com(?::[0-9]+)?/tr(?:[/?#]\S*)?"
_NUMBER_RE = r"[0-9]+(?:\.[0-9]*)?"
_HEXISH = re.compile(r"%[0-9A-Fa-f]{2}")

# Columns of out.browser_events, in schema order (ingestion_id is added by the runner).
COLUMNS = ("event_uid", "line", "source", "pixel_id", "event_name", "event_id", "event_time", "received_at",
           "event_source_url", "referrer_url", "fbp", "fbc", "client_user_agent", "client_ip_address",
           "value", "currency", "order_id", "user_data_keys", "em", "ph")

_HAR_ROW = '[{"ln":"BIGINT","received":"VARCHAR","ua":"VARCHAR","qs":"VARCHAR"}]'
_JSONL = ('{"pixel_id":"VARCHAR","event_name":"JSON","event_id":"VARCHAR","event_time":"JSON",'
          '"received_at":"VARCHAR","event_source_url":"VARCHAR","referrer_url":"VARCHAR","fbp":"VARCHAR",'
          '"fbc":"VARCHAR","client_user_agent":"VARCHAR","client_ip_address":"VARCHAR","source":"VARCHAR",'
          '"user_data":"MAP(VARCHAR, JSON)","custom_data":{"value":"JSON","currency":"VARCHAR","order_id":"VARCHAR"}}')


def _text(x: str) -> str:
    """A non-blank string, else NULL."""
    return f"CASE WHEN {nonblank_sql(x)} THEN {x} END"


def _hash_only(values: str) -> str:
    """The first hash-shaped element of a list, as 64 lowercase hex; anything else (plaintext) is dropped."""
    return (f"lower(left(list_filter({values}, lambda x: regexp_full_match(x, "
            f"{sql_str(normalize.HASHLIKE_RE)}))[1], 64))")


def _json_strings(x: str) -> str:
    """A JSON string or list of strings as a list of strings."""
    return (f"CASE WHEN json_type({x}) = 'ARRAY' THEN json_extract_string({x}, '$[*]') "
            f"ELSE [trim(json_extract_string({x}, '$'))] END")


def _decoded(x: str) -> str:
    # Form decoding ('+' is a space); a value that does not decode to UTF-8 is kept as sent.
    return f"coalesce(try(url_decode(replace({x}, '+', ' '))), {x})"


_PARAMS = {"id": "p_id", "ev": "p_ev", "eid": "p_eid", "ts": "p_ts", "dl": "p_dl", "rl": "p_rl", "fbp": "p_fbp",
           "fbc": "p_fbc", "cd[value]": "p_value", "cd[currency]": "p_currency", "cd[order_id]": "p_order_id",
           "ud[em]": "p_em", "ud[ph]": "p_ph"}

# From the in-memory table `raw` (ln, received, ua, qs, pre_reason): one row per pixel request.
_PIXEL_SQL = f"""
WITH parts AS (
  SELECT ln, unnest(string_split(qs, '&')) AS s, generate_subscripts(string_split(qs, '&'), 1) AS pos
  FROM raw WHERE pre_reason IS NULL AND coalesce(qs, '') <> ''
),
kv AS (
  SELECT ln, pos, {_decoded("split_part(s, '=', 1)")} AS k,
         {_decoded("CASE WHEN contains(s, '=') THEN s[strpos(s, '=') + 1:] ELSE '' END")} AS v
  FROM parts WHERE s <> ''
),
params AS (
  -- The first occurrence of each parameter wins.
  SELECT ln, {", ".join(f"arg_min(v, pos) FILTER (WHERE k = {sql_str(k)}) AS {c}" for k, c in _PARAMS.items())},
    list_sort(list_distinct(list(k[4:-2]) FILTER (WHERE k LIKE 'ud[%]' AND trim(v) <> ''))) AS ud_keys
  FROM kv GROUP BY ln
),
req AS (
  SELECT r.ln, r.pre_reason, p.* EXCLUDE (ln), try(capi_ts(r.received)) AS received_at, r.ua,
    CASE WHEN trim(p.p_ts) <> '' THEN trim(p.p_ts) END AS ts_raw
  FROM raw r LEFT JOIN params p USING (ln)
),
timed AS (
  SELECT *, CASE WHEN regexp_full_match(ts_raw, '{_NUMBER_RE}') THEN CAST(ts_raw AS DOUBLE) END AS ts_num,
    -- ts is milliseconds on the wire; capi_epoch reads any Unix magnitude the contract allows.
    CASE WHEN ts_raw IS NULL THEN received_at ELSE try(capi_epoch(ts_num)) END AS t
  FROM req
)
SELECT ln AS line,
  CASE WHEN pre_reason IS NOT NULL THEN pre_reason
       WHEN coalesce({_text("p_id")}, $pixel) IS NULL THEN 'no pixel id (id=) and no --pixel-id'
       WHEN {_text("p_ev")} IS NULL THEN 'no event name (ev=)'
       WHEN ts_raw IS NOT NULL AND ts_num IS NULL THEN 'ts is not a number'
       WHEN ts_raw IS NOT NULL AND NOT coalesce(capi_ts_ok(t), false) THEN 'ts is outside 2015–2100'
       WHEN t IS NULL THEN 'no event time: no ts and no receive time'
       WHEN NOT capi_ts_ok(t) THEN 'the receive time is outside 2015–2100'
  END AS reason,
  $source AS source, coalesce({_text("trim(p_id)")}, $pixel) AS pixel_id, {_text("p_ev")} AS event_name,
  {_text("p_eid")} AS event_id, t AS event_time, received_at,
  {_text("p_dl")} AS event_source_url, {_text("p_rl")} AS referrer_url, {_text("p_fbp")} AS fbp,
  {_text("p_fbc")} AS fbc, {_text("ua")} AS client_user_agent, NULL AS client_ip_address,
  capi_finite(TRY_CAST(trim(p_value) AS DOUBLE)) AS value, {_text("upper(trim(p_currency))")} AS currency,
  {_text("p_order_id")} AS order_id, coalesce(ud_keys, []) AS user_data_keys,
  {_hash_only("[trim(p_em)]")} AS em, {_hash_only("[trim(p_ph)]")} AS ph
FROM timed
"""

# One log line: an optional timestamp, then the URL (the last token).
_LOG_RAW = f"""
CREATE TABLE raw AS
WITH lines AS (@LINES@),
split AS (
  SELECT ln, trim(regexp_extract(line, '^(.*?)\\S+\\s*$', 1)) AS prefix, regexp_extract(line, '(\\S+)\\s*$', 1) AS url
  FROM lines WHERE line IS NOT NULL AND trim(line) <> ''
)
SELECT ln, CASE WHEN prefix <> '' THEN prefix END AS received, NULL::VARCHAR AS ua,
  regexp_extract(url, '\\?([^#]*)', 1) AS qs,
  CASE WHEN NOT regexp_full_match(url, {sql_str(PIXEL_URL_RE)})
         THEN 'not a pixel request URL (expected https://www.facebook.com/tr/?…, optionally after a timestamp)'
       WHEN prefix <> '' AND try(capi_ts(prefix)) IS NULL THEN 'the text before the URL is not a timestamp'
  END AS pre_reason
FROM split
"""

_JSONL_SQL = f"""
WITH lines AS (@LINES@),
parsed AS (
  SELECT _file, ln, line, try(json_transform(line, '{_JSONL}')) AS t FROM lines WHERE line IS NOT NULL
),
recs AS (
  -- The line is read again only where the typed parse failed or it does not open an object (rare): a
  -- line that parses and starts with '{{' is a JSON object. trim() scans a whole line, so a blank line is
  -- told apart only among those that failed to parse; blank lines are deleted once staged (a filter here
  -- would be pushed below the parse, and the parse computed twice).
  SELECT _file, ln, t, CASE WHEN t IS NOT NULL AND starts_with(line, '{{') THEN 'OBJECT'
                            WHEN json_valid(line) THEN json_type(line) END AS jt,
         CASE WHEN t IS NULL THEN trim(line) = '' ELSE false END AS blank
  FROM parsed
),
fields AS (
  SELECT _file, ln, jt, t, blank,
    CASE WHEN json_type(t.event_name) = 'VARCHAR' THEN {_text("json_extract_string(t.event_name, '$')")} END AS name,
    json_type(t.event_time) AS et_type,
    CASE WHEN json_type(t.event_time) IN ('VARCHAR', 'UBIGINT', 'BIGINT', 'DOUBLE')
         THEN trim(json_extract_string(t.event_time, '$')) END AS et,
    map_extract_value(t.user_data, 'em') AS ud_em, map_extract_value(t.user_data, 'ph') AS ud_ph
  FROM recs
),
-- A JSON integer without sign (nearly every event) is digits only: capi_ts would read it as Unix time too.
timed AS (SELECT *, CASE WHEN et_type = 'UBIGINT' THEN capi_epoch(CAST(et AS DOUBLE)) ELSE try(capi_ts(et)) END AS ev_t
          FROM fields)
SELECT _file, ln AS line,
  CASE WHEN jt IS NULL THEN 'line is not valid JSON'
       WHEN jt <> 'OBJECT' THEN 'line is a JSON ' || lower(jt) || ', not an object'
       WHEN coalesce({_text("t.pixel_id")}, $pixel) IS NULL THEN 'no pixel_id in the record and no --pixel-id'
       WHEN t.event_name IS NULL OR t.event_name = 'null' THEN 'missing event_name'
       WHEN name IS NULL THEN 'event_name is not a non-empty string'
       WHEN t.event_time IS NULL OR t.event_time = 'null' THEN 'missing event_time'
       WHEN ev_t IS NULL AND NOT regexp_full_match(coalesce(et, ''), '{_NUMBER_RE}')
            THEN 'event_time is not a Unix time or an ISO 8601 timestamp'
       WHEN NOT coalesce(capi_ts_ok(ev_t), false) THEN 'event_time is outside 2015–2100'
  END AS reason,
  CASE WHEN lower(trim(t.source)) = 'mirror' THEN 'mirror' ELSE 'jsonl' END AS source,
  coalesce({_text("trim(t.pixel_id)")}, $pixel) AS pixel_id, name AS event_name, {_text("t.event_id")} AS event_id,
  ev_t AS event_time, try(capi_ts(t.received_at)) AS received_at,
  {_text("t.event_source_url")} AS event_source_url, {_text("t.referrer_url")} AS referrer_url,
  {_text("t.fbp")} AS fbp, {_text("t.fbc")} AS fbc, {_text("t.client_user_agent")} AS client_user_agent,
  {_text("t.client_ip_address")} AS client_ip_address,
  capi_finite(TRY_CAST(json_extract_string(t.custom_data.value, '$') AS DOUBLE)) AS value,
  {_text("upper(trim(t.custom_data.currency))")} AS currency, {_text("t.custom_data.order_id")} AS order_id,
  list_sort(list_transform(list_filter(map_entries(coalesce(t.user_data, MAP {{}})),
      lambda e: e.value IS NOT NULL AND e.value NOT IN ('""', '[]', '{{}}')), lambda e: e.key)) AS user_data_keys,
  {_hash_only(_json_strings("ud_em"))} AS em, {_hash_only(_json_strings("ud_ph"))} AS ph, blank
FROM timed
"""

# Identity per the inputs contract: (pixel, name, id, time in ms, URL) plus the occurrence number in the file.
_BASE = ("sha256(to_json([pixel_id, event_name, event_id, CAST(epoch_ms(event_time) AS VARCHAR), "
         "event_source_url]))")


def _stage(con: duckdb.DuckDBPyConnection, table: str, by_file: bool) -> None:
    """out.<table>: the good rows of ev0 with their identities (by_file: with `_file`, each one's number).

    Nearly every event is the first of its kind in its file: all are numbered 1, then the few repeats
    renumbered in file order (a window over every event would sort them all).
    """
    con.execute(f"CREATE TABLE out.{table} AS SELECT {'_file, ' if by_file else ''}{_OUT} FROM "
                f"(SELECT *, sha256({_BASE} || '|1') AS event_uid FROM ev0 WHERE reason IS NULL)")
    file_ = "_file, " if by_file else ""
    key = "(_file, event_uid)" if by_file else "event_uid"
    if not con.execute(f"SELECT count(*) > count(DISTINCT {key}) FROM out.{table}").fetchall()[0][0]:
        return
    same_file = "AND s._file = o._file" if by_file else ""
    con.execute(f"""
        UPDATE out.{table} s SET event_uid = sha256(o.base || '|' || o.occ)
        FROM (SELECT {file_}line, base, row_number() OVER (PARTITION BY {file_}base ORDER BY line) AS occ
              FROM (SELECT {file_}line, {_BASE} AS base FROM out.{table}
                    WHERE {key} IN (SELECT {key} FROM out.{table} GROUP BY ALL HAVING count(*) > 1))) o
        WHERE s.line = o.line {same_file} AND o.occ > 1""")


_TYPES = {"line": "BIGINT", "event_time": "TIMESTAMP", "received_at": "TIMESTAMP", "value": "DOUBLE",
          "user_data_keys": "VARCHAR[]"}


def detect(path: Path) -> str:
    """har, lines or jsonl: by extension, else by the first non-blank characters."""
    name = path.name.lower()
    if name.endswith(".har"):
        return "har"
    if name.endswith((".txt", ".log", ".txt.gz", ".log.gz")):
        return "lines"
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        return "jsonl"
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(65536).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc}); check the file and try again.") from None
    if re.match(r'\{\s*"log"\s*:', head):
        return "har"
    return "jsonl" if head.startswith("{") else "lines"


def _is_pixel(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:          # "http://[::1/tr": no host can be read, so no pixel request
        return False
    host = (parts.hostname or "").lower()
    return (host == "facebook.com" or host.endswith(".facebook.com")) and (
        parts.path == "/tr" or parts.path.startswith("/tr/"))


def _form(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs, quote_via=quote)


def _body(post: dict) -> str:
    """The POST form as a query string: the form-encoded text, else the params list, else a multipart body."""
    text, mime = post.get("text"), str(post.get("mimeType") or "").lower()
    text = text if isinstance(text, str) else ""
    if text and not mime.startswith("multipart/"):
        return text
    params = [p for p in post.get("params") or [] if isinstance(p, dict)]
    if params:
        # Browsers differ on whether HAR params are decoded; decode the ones that look encoded.
        def dec(s: object) -> str:
            s = "" if s is None else str(s)
            return unquote(s) if _HEXISH.search(s) else s
        return _form([(dec(p.get("name")), dec(p.get("value"))) for p in params])
    if text:
        parts = re.findall(r'name="([^"]*)"[^\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n(.*?)\r?\n--', text, re.S)
        return _form(parts)
    return ""


def har_rows(path: Path) -> list[dict]:
    """(entry number, startedDateTime, user agent, query + form) of each pixel request in a HAR."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc}); check the file and its permissions.") from None
    except RecursionError:
        raise IngestError(f"{path}: is not a readable HAR file (its JSON is nested thousands of levels deep). "
                          "Export it again from the browser's developer tools (Network tab → Export HAR).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise IngestError(f"{path}: is not a readable HAR file{where}. Export it again from the browser's "
                          "developer tools (Network tab → Export HAR).") from None
    entries = doc.get("log", {}).get("entries") if isinstance(doc, dict) and isinstance(doc.get("log"), dict) else None
    if not isinstance(entries, list):
        raise IngestError(f"{path}: has no log.entries, so it is not a HAR file. Export it again from the "
                          "browser's developer tools (Network tab → Export HAR).")
    rows = []
    for n, entry in enumerate(entries, 1):
        req = entry.get("request") if isinstance(entry, dict) else None
        url = req.get("url") if isinstance(req, dict) else None
        if not isinstance(url, str) or not _is_pixel(url):
            continue
        query = urlsplit(url).query
        post = req.get("postData")
        body = _body(post) if isinstance(post, dict) else ""
        ua = next((h.get("value") for h in req.get("headers") or []
                   if isinstance(h, dict) and str(h.get("name", "")).lower() == "user-agent"), None)
        started = entry.get("startedDateTime")
        rows.append({"ln": n, "received": started if isinstance(started, str) else None,
                     "ua": ua if isinstance(ua, str) else None, "qs": "&".join(x for x in (query, body) if x)})
    return rows


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Stage one file: JSON Lines are read into the group of `staged.shared` (parsed with it by finish,
    or at once when alone); a HAR or a pixel log is parsed at once into `out.browser_events`."""
    check_text(path)
    form = detect(path)
    if form == "jsonl":
        read_group(path, staged, con)
        if staged.shared is None:
            try:
                finish(con, "browser_events", [staged], opts)
            finally:
                forget(con, None)
        return
    staged.shared, staged.ready = None, True
    params = {"pixel": opts.pixel_id or None}
    # Raw parameters (possibly plaintext) stay in this in-memory connection; only `out` is written to disk.
    _finite(con)
    bad_lines: list[tuple[int, str]] = []
    if form == "lines":
        try:
            con.execute(_LOG_RAW.replace("@LINES@", READ_LINES.format(path=sql_str(path))))
        except duckdb.Error:
            # A line that is not UTF-8 stops the fast read: read again, that line a reject, the rest loaded.
            bad_lines = read_lines(con, path, "_lines")
            con.execute(_LOG_RAW.replace("@LINES@", "SELECT ln, line FROM _lines"))
    else:
        con.execute(f"CREATE TABLE raw AS SELECT *, NULL::VARCHAR AS pre_reason FROM "
                    f"(SELECT unnest(json_transform(CAST($rows AS JSON), '{_HAR_ROW}'), recursive := true))",
                    {"rows": json.dumps(har_rows(path))})
    params["source"] = "har" if form == "har" else "pixel_log"
    con.execute(f"CREATE TABLE ev0 AS SELECT 0 AS _file, * FROM ({_PIXEL_SQL})", params)
    if bad_lines:
        con.executemany("INSERT INTO ev0 (_file, line, reason) VALUES (0, ?, ?)", bad_lines)
    unit = "entry" if form == "har" else "line"
    staged.rejects.extend(collect_rejects(
        con, f"SELECT line, '{unit} ' || line || ': ' || reason FROM ev0 WHERE reason IS NOT NULL ORDER BY line"))
    _stage(con, "browser_events", by_file=False)
    staged.rows_read = con.execute("SELECT count(*) FROM ev0").fetchall()[0][0]
    staged.tables.append(("browser_events", "new"))


def _finite(con: duckdb.DuckDBPyConnection) -> None:
    # A pixel's cd[value]=NaN (a page script's failed sum) is no amount: stored as no value, like cd[value]=abc.
    con.execute("CREATE OR REPLACE TEMP MACRO capi_finite(x) AS CASE WHEN isfinite(x) THEN x END")


_OUT = ", ".join(f"CAST({c} AS {_TYPES.get(c, 'VARCHAR')}) AS {c}" for c in COLUMNS)


def finish(con: duckdb.DuckDBPyConnection, table: str, files: list[Staged], opts: Options) -> None:
    """Parse the JSON Lines read of `files` into `out.<table>` (good rows; `_file` = each one's number).

    Fills each file's rejects, rows_read and tables.
    """
    _finite(con)
    try:
        con.execute("CREATE TABLE ev0 AS " + _JSONL_SQL.replace("@LINES@", group_lines(con, files)),
                    {"pixel": opts.pixel_id or None})
    finally:
        drop_group_lines(con)
    con.execute("DELETE FROM ev0 WHERE blank")
    con.execute(f"INSERT INTO ev0 (_file, line, reason) SELECT _file, line, reason FROM {GROUP_TABLES[1]}")
    by_number = {f.number: f for f in files}
    for number, line, reason in con.execute(
            "SELECT _file, line, 'line ' || line || ': ' || reason FROM ev0 WHERE reason IS NOT NULL "
            "ORDER BY _file, line").fetchall():
        by_number[number].rejects.append(Reject(int(line), reason))
    _stage(con, table, by_file=True)
    counts = dict(con.execute("SELECT _file, count(*) FROM ev0 GROUP BY _file").fetchall())
    for f in files:
        f.rows_read = counts.get(f.number, 0)
        f.tables.append(("browser_events", "new"))
        f.ready = True
