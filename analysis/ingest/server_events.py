"""server-events: CAPI request logs (envelopes, bare bodies, bare events) parsed in DuckDB SQL."""
from __future__ import annotations

from pathlib import Path

import duckdb

from analysis import hashes, normalize
from analysis.ingest.base import Options, Reject, Staged, forget_group, nonblank_sql, sql_str
from analysis.ingest.lines import check_text, read_lines

KIND = "server-events"
HASH_KEYS = normalize.HASH_KEYS
SCALAR_PLAIN = ("client_ip_address", "client_user_agent", "fbc", "fbp")

# One line of a JSONL file as one VARCHAR: a delimiter JSON never contains unescaped, no quoting.
# (Blank lines come back as NULL rows, so positions stay line numbers.)
READ_CSV_LINES = """
read_csv({path}, columns={{'line': 'VARCHAR'}}, header=false, delim=chr(31), quote='',
         escape='', auto_detect=false, max_line_size={max_line}, strict_mode=false{buffer})
"""
_HUGE_LINE = 268435456
# The same, numbered (the browser-events parser reads its JSONL and pixel logs with it).
READ_LINES = """
SELECT row_number() OVER () AS ln, line
FROM read_csv({path}, columns={{'line': 'VARCHAR'}}, header=false, delim=chr(31), quote='',
              escape='', auto_detect=false, max_line_size=268435456, strict_mode=false)
"""
# DuckDB reads a file in parallel only when its buffers can hold several lines: lines up to 8 MB first,
# and only a file with a longer line is read again on one thread. The buffer is set explicitly (32 MB):
# the default one grows with max_line_size, and 8 MB lines gave buffers so large that a 120 MB file was
# read on one thread (a 1M-event file: 0.84 s → 0.50 s).
_LONG_LINE = 8388608
_BUFFER = {_LONG_LINE: ", buffer_size=33554432", _HUGE_LINE: ""}

_REQ_FIELDS = '"data":["JSON"],"test_event_code":"VARCHAR","partner_agent":"VARCHAR"'
# One typed parse of the whole line for the common shapes; rarer encodings (a request given as a
# string, a data array given as a string) take the slower generic branch for their rows only.
_TOP = ('{"pixel_id":"VARCHAR","sent_at":"VARCHAR","request":{' + _REQ_FIELDS + '},'
        '"response":{"status":"INTEGER","body":{"error":{"code":"INTEGER","error_subcode":"INTEGER"}}},'
        '"capture":{"error":"VARCHAR"},' + _REQ_FIELDS + ',"event_name":"JSON"}')
_REQ = "{" + _REQ_FIELDS + "}"
# user_data inside the one typed parse of the event, every value as VARCHAR: a string as itself, a
# number or boolean as its JSON text, a list or an object as its (minified) JSON text.
_UD = "{" + ",".join(f'"{k}":"VARCHAR"' for k in normalize.USER_DATA_KEYS) + "}"
_EV = ('{"event_name":"JSON","event_time":"JSON","event_id":"VARCHAR","action_source":"VARCHAR",'
       '"event_source_url":"VARCHAR","referrer_url":"VARCHAR","opt_out":"JSON","data_processing_options":"VARCHAR[]",'
       '"user_data":' + _UD + ',"custom_data":{"value":"DOUBLE","currency":"VARCHAR","order_id":"VARCHAR",'
       '"content_type":"VARCHAR","content_ids":"JSON"}}')
SEP = "chr(30)"   # joins a list's elements so one regex call judges them all


def _values(k: str) -> str:
    """A user_data value (string, number, or list of them) as a list of strings; objects and nulls give NULL.

    A list arrives as its JSON text, parsed again here; so does a string that itself holds a JSON
    array (indistinguishable in this view); any other string starting with '[' or '{' gives NULL.
    """
    v = f"e.user_data.{k}"
    return (f"CASE WHEN {v} IS NULL OR starts_with({v}, '{{') THEN NULL "
            f"WHEN starts_with({v}, '[') THEN {_strings(v)} ELSE [{v}] END")


def _strings(v: str) -> str:
    """The JSON text v of a list as its strings (NULL when it is no such list)."""
    return f"try(json_transform({v}, '[\"VARCHAR\"]'))"


def _scalar(k: str) -> str:
    """A plain key's value given as a string, number or boolean (nearly always): itself, with no list around it."""
    v = f"e.user_data.{k}"
    return f"CASE WHEN NOT (starts_with({v}, '[') OR starts_with({v}, '{{')) THEN {v} END"


def _listed(k: str) -> str:
    """A plain key's value given as a list (or as a string holding a JSON array): its strings; else NULL."""
    v = f"e.user_data.{k}"
    return f"CASE WHEN starts_with({v}, '[') THEN {_strings(v)} END"


def _single(raw: str) -> str:
    """The common one-element list, judged directly (without joining; the joined form splits at SEP)."""
    return f"len({raw}) = 1 AND NOT contains(coalesce({raw}[1], ''), {SEP})"


def _present(raw: str) -> str:
    """Some element is non-empty."""
    return (f"coalesce(CASE WHEN {raw} IS NULL THEN false WHEN len({raw}) = 1 THEN {nonblank_sql(f'{raw}[1]')} "
            f"ELSE trim(array_to_string({raw}, '')) <> '' END, false)")


def _matches(x: str, pattern: str) -> str:
    """The one string x fully matches the pattern."""
    # '.*' fully matches exactly the strings without a newline (RE2's '.' excludes only \n).
    return f"NOT contains({x}, chr(10))" if pattern == ".*" else f"regexp_full_match({x}, {sql_str(pattern)})"


def _any_joined(joined: str, pattern: str) -> str:
    """Some SEP-separated element of the text `joined` fully matches the pattern."""
    regex = r"(?:[^\x1e]*\x1e)*(?:" + pattern + r")(?:\x1e[^\x1e]*)*"
    return f"regexp_full_match({joined}, {sql_str(regex)})"


def _any(raw: str, pattern: str) -> str:
    """Some element of the list fully matches the pattern (one regex call, no lambda)."""
    return (f"coalesce(CASE WHEN {raw} IS NULL THEN false WHEN {_single(raw)} THEN {_matches(f'{raw}[1]', pattern)} "
            f"ELSE {_any_joined(f'array_to_string({raw}, {SEP})', pattern)} END, false)")


def _any_scalar(x: str, pattern: str) -> str:
    """_any of the one-element list [x] (x not NULL), without building the list."""
    return (f"coalesce(CASE WHEN NOT contains({x}, {SEP}) THEN {_matches(x, pattern)} "
            f"ELSE {_any_joined(x, pattern)} END, false)")


def _all(raw: str, pattern: str, single_known: str | None = None) -> str:
    """Every element of the list fully matches the pattern (true for an empty list).

    single_known: an expression already true when the one element matches (skips the regex then).
    """
    regex = "(?:" + pattern + r")(?:\x1e(?:" + pattern + "))*"
    single = f"regexp_full_match({raw}[1], {sql_str(pattern)})"
    if single_known:
        single = f"CASE WHEN {single_known} THEN true ELSE {single} END"
    return (f"coalesce(CASE WHEN {raw} IS NULL THEN true WHEN {_single(raw)} THEN {single} "
            f"ELSE regexp_full_match(array_to_string({raw}, {SEP}), {sql_str(regex)}) END, true)")


def _form_param(text: str, name: str) -> str:
    return f"nullif(url_decode(replace(regexp_extract({text}, '(?:^|&){name}=([^&]*)', 1), '+', ' ')), '')"


_PLAIN_PATTERNS = {
    "client_ip_address": f"{normalize.IPV4_RE}|{normalize.IPV6_RE}",
    "client_user_agent": ".*",
    "fbc": normalize.FB_COOKIE_RE,
    "fbp": normalize.FB_COOKIE_RE,
}


def _flag_columns() -> str:
    """Step 1 of user_data: *_p (a non-empty value is present) and *_v (well-formed as received)."""
    cols = [f"{_present(f'ud_{k}')} AS {k}_p, {_any(f'ud_{k}', normalize.HASH_RE)} AS {k}_v" for k in HASH_KEYS]
    cols.append(f"{_present('ud_external_id')} AS external_id_p")
    # A plain key's string is judged as it is; only a list (rare) goes through the list tests.
    cols += [f"CASE WHEN sc_{k} IS NOT NULL THEN {nonblank_sql(f'sc_{k}')} ELSE {_present(f'ud_{k}')} END AS {k}_p, "
             f"CASE WHEN sc_{k} IS NOT NULL THEN {_any_scalar(f'sc_{k}', pattern)} ELSE {_any(f'ud_{k}', pattern)} END "
             f"AS {k}_v" for k, pattern in _PLAIN_PATTERNS.items()]
    return ",\n       ".join(cols)


def _plain_columns() -> str:
    """Step 2: *_plain, a must-hash key holding something that is not hash-like.

    A lowercase hash (*_v, when it is the only element) is hash-like too: no second regex then.
    """
    return ", ".join(f"NOT {_all(f'ud_{k}', normalize.HASHLIKE_RE, f'{k}_v')} AS {k}_plain" for k in HASH_KEYS)


def _hashed(k: str, x: str) -> str:
    """SQL: the correct hash of the plaintext x of must-hash key k (NULL if unusable), as normalize.hash_value.

    Column-wise where the rules are plain string work (an email, a name or a city in the alphabet
    hashes.in_sql_alphabet); in Python otherwise (phones, dates, other alphabets), one value at a time.
    """
    if k not in hashes.SQL_KEYS:
        return f"capi_hash('{k}', {x})"
    norm = hashes.normalized_sql(k, f"trim({x})")
    return (f"CASE WHEN {hashes.in_sql_alphabet(x)} "
            f"THEN CASE WHEN {norm} <> '' THEN sha256({norm}) END ELSE capi_hash('{k}', {x}) END")


def _user_data_columns() -> str:
    """Step 3: the stored values, in the store's column order."""
    cols = []
    for k in HASH_KEYS:
        raw = f"ud_{k}"
        # Plaintext where a hash belongs is flagged, then hashed by Meta's rules before storage.
        cols.append(
            f"CASE WHEN {k}_plain THEN list_transform({raw}, lambda x: CASE WHEN regexp_full_match(x, "
            f"{sql_str(normalize.HASHLIKE_RE)}) THEN x ELSE {_hashed(k, 'x')} END) ELSE {raw} END AS {k}, "
            f"{k}_p, {k}_v, {k}_plain")
    cols.append("ud_external_id AS external_id, external_id_p, external_id_p AS external_id_v")
    for k, pattern in _PLAIN_PATTERNS.items():
        # A list is well-formed if any element is; the first well-formed element is kept.
        raw = f"ud_{k}"
        cols.append(
            f"CASE WHEN sc_{k} IS NOT NULL THEN sc_{k} "
            f"WHEN len({raw}) > 1 THEN coalesce(list_filter({raw}, lambda x: regexp_full_match(x, "
            f"{sql_str(pattern)}))[1], {raw}[1]) ELSE {raw}[1] END AS {k}, {k}_p, {k}_v")
    return ",\n       ".join(cols)


def _pipeline(opts: Options, lines: str) -> str:
    """Rows of the relation `lines` (ln, line) to staged rows: good events, and one row per reject with its reason.

    event_uid here is the base identity (pixel, sent_at, canonical event JSON); `_number` adds the
    occurrence where the contract asks for it.
    """
    pixel = sql_str(opts.pixel_id) if opts.pixel_id else "NULL"
    ud_raw = ",\n       ".join([f"{_values(k)} AS ud_{k}" for k in normalize.USER_DATA_KEYS if k not in _PLAIN_PATTERNS]
                                 + [f"{_scalar(k)} AS sc_{k}, {_listed(k)} AS ud_{k}" for k in _PLAIN_PATTERNS])
    req_s = "json_extract_string(line, '$.request')"
    ud_null = " AND ".join(f"e.user_data.{k} IS NULL" for k in normalize.USER_DATA_KEYS)
    ud_names = ", ".join([f"ud_{k}" for k in normalize.USER_DATA_KEYS] + [f"sc_{k}" for k in _PLAIN_PATTERNS])
    flag_names = ", ".join([f"{k}_p, {k}_v" for k in HASH_KEYS] + ["external_id_p"]
                           + [f"{k}_p, {k}_v" for k in _PLAIN_PATTERNS] + [f"{k}_plain" for k in HASH_KEYS])
    return f"""
WITH tops AS (
  SELECT _file, ln, line, try(json_transform(line, '{_TOP}')) AS t
  FROM {lines} WHERE line IS NOT NULL
),
forms AS (
  SELECT _file, ln, line, t,
    CASE WHEN t IS NULL THEN NULL
         WHEN t.request IS NOT NULL OR t.response IS NOT NULL OR t.sent_at IS NOT NULL THEN 'envelope'
         WHEN t.data IS NOT NULL THEN 'body' WHEN t.event_name IS NOT NULL THEN 'event' END AS form
  FROM tops
),
reqs AS (
  SELECT _file, ln, line, form, t,
    coalesce(t.pixel_id, {pixel}) AS pixel_id, t.sent_at AS sent_at_raw, capi_ts(t.sent_at) AS sent_at,
    CASE
      WHEN form = 'body' THEN struct_pack(data := t.data, test_event_code := t.test_event_code, partner_agent := t.partner_agent)
      WHEN form = 'event' THEN struct_pack(data := [json(line)], test_event_code := NULL::VARCHAR, partner_agent := NULL::VARCHAR)
      WHEN t.request.data IS NOT NULL THEN t.request
      -- The request as a string: JSON text, or the form-encoded body an SDK POSTs
      -- (data=<JSON array>&access_token=…; the token is never read).
      WHEN form = 'envelope' AND json_type(line, '$.request') = 'VARCHAR' AND ltrim({req_s}) LIKE '{{%'
        THEN try(json_transform({req_s}, '{_REQ}'))
      WHEN form = 'envelope' AND json_type(line, '$.request') = 'VARCHAR'
        THEN struct_pack(data := try(json_transform({_form_param(req_s, 'data')}, '["JSON"]')),
                         test_event_code := {_form_param(req_s, 'test_event_code')},
                         partner_agent := {_form_param(req_s, 'partner_agent')})
    END AS r
  FROM forms
),
line_status AS (
  SELECT *,
    -- A line of only whitespace is blank: skipped, not a reject. (Nested CASEs: the whole line is
    -- scanned again only where the typed parse failed, or found no known key.)
    CASE WHEN t IS NULL THEN trim(line) = '' ELSE false END AS blank,
    CASE WHEN t IS NULL THEN CASE WHEN NOT json_valid(line) THEN 'line is not valid JSON'
                                  ELSE 'line is a JSON ' || lower(json_type(line)) || ', not an object' END
         -- Any other JSON value parses to a struct of NULLs, so it has no form either.
         WHEN form IS NULL THEN CASE WHEN json_type(line) <> 'OBJECT'
                                     THEN 'line is a JSON ' || lower(json_type(line)) || ', not an object'
                                     ELSE 'not an envelope, request body or server event (no request, data or event_name)' END
         WHEN r.data IS NULL THEN 'request has no data array'
         WHEN pixel_id IS NULL THEN 'no pixel_id in the record; pass --pixel-id'
         WHEN sent_at_raw IS NOT NULL AND NOT coalesce(capi_ts_ok(sent_at), false)
              THEN 'sent_at is not a timestamp between 2015 and 2100'
    END AS line_reason
  FROM reqs
),
line_cols AS (
  -- Everything per line is computed here, once, before the events are unnested.
  SELECT _file, ln, pixel_id, sent_at, r.test_event_code AS test_event_code,
         r.partner_agent AS partner_agent, t.response.status AS response_status,
         t.response.body.error AS err,
         -- capi-audit capture could not deliver the call (refused, timed out): the sender was told it
         -- failed, so its events are not counted as received. No response alone stays "delivery unknown".
         t.response IS NULL AND t.capture.error IS NOT NULL AS undelivered,
         CAST(hash(line) AS VARCHAR) || CASE WHEN sent_at IS NULL THEN '-' || ln ELSE '' END AS request_uid,
         concat_ws('|', pixel_id, coalesce(strftime(sent_at, '%Y-%m-%dT%H:%M:%S.%f'), ''), '') AS uid_prefix,
         line_reason,
         -- A rejected line still yields one row, carrying its reason; a blank line none.
         CASE WHEN blank THEN [] WHEN line_reason IS NULL THEN r.data ELSE [NULL] END AS items
  FROM line_status
),
events AS (
  SELECT * EXCLUDE (items), unnest(items) AS item, generate_subscripts(items, 1) AS idx
  FROM line_cols
),
events2 AS (
  SELECT * EXCLUDE (item),
    -- Meta's Python SDK sends each event as a JSON-encoded string.
    -- The canonical event JSON is DuckDB's (yyjson's) minified re-serialisation of the parsed item:
    -- independent of the spacing and escaping of the file, so identical across files.
    CASE WHEN left(item, 1) = '"' THEN CAST(try(json(json_extract_string(item, '$'))) AS VARCHAR) ELSE item END AS ev
  FROM events
),
events3 AS (
  -- ev is serialised JSON without leading space: an object starts with '{{'.
  SELECT *, try(json_transform(ev, '{_EV}')) AS e, left(ev, 1) = '{{' AS is_obj FROM events2
),
events4 AS (
  SELECT *,
    CASE left(e.event_time, 1) WHEN '"' THEN TRY_CAST(trim(json_extract_string(e.event_time, '$')) AS DOUBLE)
         ELSE TRY_CAST(e.event_time AS DOUBLE) END AS t_num_raw
  FROM events3
),
events4b AS (
  -- An absurd number (1e20) must reject its event, not overflow the whole file.
  SELECT *, try(capi_epoch(t_num_raw)) AS event_ts, CASE WHEN try(capi_epoch(t_num_raw)) IS NOT NULL THEN t_num_raw END AS t_num
  FROM events4
),
events5 AS (
  SELECT *,
    CASE WHEN line_reason IS NOT NULL THEN line_reason
         WHEN NOT coalesce(is_obj, false) THEN 'event ' || idx || ' is not a JSON object'
         WHEN e.event_name IS NULL OR e.event_name = 'null' THEN 'event ' || idx || ': missing event_name'
         WHEN left(e.event_name, 1) <> '"' OR trim(json_extract_string(e.event_name, '$')) = ''
              THEN 'event ' || idx || ': event_name is not a non-empty string'
         WHEN e.event_time IS NULL OR e.event_time = 'null' THEN 'event ' || idx || ': missing event_time'
         WHEN t_num IS NULL THEN 'event ' || idx || ': event_time is not a number'
         WHEN NOT capi_ts_ok(event_ts) THEN 'event ' || idx || ': event_time outside 2015–2100'
         -- A non-object user_data types as a struct of NULLs, like {{}}: only then look at its JSON type.
         WHEN e.user_data IS NOT NULL AND {ud_null}
              AND json_type(ev, '$.user_data') NOT IN ('OBJECT', 'NULL')
              THEN 'event ' || idx || ': user_data is not an object'
         -- NaN and Infinity are no JSON numbers (1e309 overflows to Infinity): the event is malformed.
         WHEN NOT coalesce(isfinite(e.custom_data.value), true)
              THEN 'event ' || idx || ': custom_data.value is not a finite number (NaN or Infinity)'
    END AS ev_reason
  FROM events4b
),
flat AS (
  SELECT _file, ln, idx, ev_reason AS reason, pixel_id, sent_at, test_event_code, partner_agent, response_status,
    coalesce(response_status NOT BETWEEN 200 AND 299, false) OR err IS NOT NULL OR undelivered AS rejected,
    err.code AS error_code, err.error_subcode AS error_subcode,
    -- Identity per the inputs contract: sha256(pixel, sent_at, canonical event JSON).
    CASE WHEN ev_reason IS NULL THEN sha256(uid_prefix || ev) END AS event_uid,
    request_uid,
    json_extract_string(e.event_name, '$') AS event_name,
    event_ts AS event_time, capi_unit(t_num) AS event_time_unit,
    e.event_id AS event_id, e.action_source AS action_source,
    e.event_source_url AS event_source_url, e.referrer_url AS referrer_url,
    CASE e.opt_out WHEN 'true' THEN true WHEN 'false' THEN false WHEN '"true"' THEN true WHEN '"false"' THEN false END AS opt_out,
    coalesce(list_contains(list_transform(e.data_processing_options, lambda x: upper(x)), 'LDU'), false) AS ldu,
    e.custom_data.value AS value, upper(trim(e.custom_data.currency)) AS currency,
    e.custom_data.order_id AS order_id, e.custom_data.content_type AS content_type,
    CASE WHEN left(e.custom_data.content_ids, 1) = '[' THEN json_array_length(e.custom_data.content_ids) END AS num_content_ids,
    {ud_raw}
  FROM events5
),
flags AS (
  SELECT *, {_flag_columns()} FROM flat
),
flags2 AS (
  SELECT *, {_plain_columns()} FROM flags
)
SELECT ln AS line,
       * EXCLUDE (ln, {ud_names}, {flag_names}),
       {_user_data_columns()}
FROM flags2
"""


def _number(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Occurrence numbers, only where needed: without sent_at, or for a second identical copy in one file.

    Staged event_uid is the base identity; the k-th copy (in file order) of a base identity within a
    file becomes sha256(base || '|' || k), and every copy does when sent_at is absent. Most files have
    sent_at and no repeats, so the window runs over a handful of narrow rows, or not at all.
    """
    need = con.execute(
        "SELECT count(*) FILTER (WHERE sent_at IS NULL) > 0 OR count(*) > count(DISTINCT (_file, event_uid)) "
        f"FROM out.{table} WHERE reason IS NULL").fetchall()[0][0]
    if not need:
        return
    con.execute(f"""
        UPDATE out.{table} s SET event_uid = sha256(o.event_uid || '|' || o.occ)
        FROM (
          SELECT _file, line, idx, event_uid, sent_at,
                 row_number() OVER (PARTITION BY _file, event_uid ORDER BY line, idx) AS occ
          FROM out.{table}
          WHERE reason IS NULL AND (_file, event_uid) IN (
            SELECT (_file, event_uid) FROM out.{table} WHERE reason IS NULL
            GROUP BY _file, event_uid HAVING count(*) > 1 OR bool_or(sent_at IS NULL))
        ) o
        WHERE s._file = o._file AND s.line = o.line AND s.idx = o.idx AND s.reason IS NULL
          AND (o.sent_at IS NULL OR o.occ > 1)
    """)


_MIN_SPLIT = 8192   # lines; below this one thread is quick enough
# Files are parsed together, one pipeline for many: planning that statement costs ~0.1 s whatever
# the file's size, so a daily log of a few lines would pay it alone. A group is parsed once it
# holds this many lines (a large file is a group of its own).
GROUP_LINES = 250_000
_RAW, _BAD = "_group_lines", "_group_bad"
GROUP_TABLES = (_RAW, _BAD)     # the group's raw lines (file, line) in file order, and its unreadable lines


def read_group(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection) -> None:
    """Append one file's lines to the group's raw lines as file `staged.number` (its unreadable lines apart).

    An order-preserving load: the group's rowid, less the file's first, is the line number. (Numbering
    with row_number() in the pipeline instead would run all of it on one thread.)
    """
    check_text(path)
    # This connection's data lives only until the group is parsed, and the staging file only until the
    # commit reads it once, so neither is worth the CPU that compressing it costs.
    con.execute("SET preserve_insertion_order = true; SET force_compression = 'uncompressed'; "
                f"CREATE TEMP TABLE IF NOT EXISTS {_RAW} (_file INTEGER, line VARCHAR); "
                f"CREATE TEMP TABLE IF NOT EXISTS {_BAD} (_file INTEGER, line BIGINT, reason VARCHAR)")
    number = int(staged.number)
    staged.ready = False
    for max_line in (_LONG_LINE, _HUGE_LINE):
        try:
            # Until the group is parsed, rows_read counts the lines read (how full the group is).
            staged.rows_read = con.execute(
                f"INSERT INTO {_RAW} SELECT {number}, line FROM "
                f"{READ_CSV_LINES.format(path=sql_str(path), max_line=max_line, buffer=_BUFFER[max_line])}"
            ).fetchall()[0][0]
            break
        except duckdb.Error:
            # (A failed statement leaves nothing of its own.)
            if max_line == _HUGE_LINE:
                # A line that is not UTF-8 stops the fast read: read again, that line a reject, the rest loaded.
                bad = read_lines(con, path, "_lines_one")
                staged.rows_read = con.execute(f"INSERT INTO {_RAW} SELECT {number}, line FROM _lines_one "
                                               "ORDER BY ln").fetchall()[0][0]
                con.execute("DROP TABLE _lines_one")
                if bad:
                    con.executemany(f"INSERT INTO {_BAD} VALUES ({number}, ?, ?)", bad)


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Read one JSONL file's lines into the group of `staged.shared`; alone (no group), parse it at once."""
    read_group(path, staged, con)
    if staged.shared is None:
        try:
            finish(con, "server_events", [staged], opts)
        finally:
            forget(con, None)


def group_lines(con: duckdb.DuckDBPyConnection, files: list[Staged]) -> str:
    """The group's lines as a relation (_file, ln, line), cut into one range per thread; drop_group_lines after."""
    base = dict(con.execute(f"SELECT _file, min(rowid) FROM {_RAW} GROUP BY _file").fetchall())
    numbers = [f.number for f in files]
    # Each file's first rowid, looked up by position in a list (numbers grow, maybe with gaps): no join per row.
    lo = min(numbers)
    offsets = "[" + ", ".join(str(int(base.get(n, 0))) for n in range(lo, max(numbers) + 1)) + "]"
    con.execute(f"CREATE TEMP MACRO _lines(lo, hi) AS TABLE SELECT _file, rowid + 1 - {offsets}[_file - {lo - 1}] "
                f"AS ln, line FROM {_RAW} WHERE rowid >= lo AND rowid < hi")
    # Rowids, not a count: a file dropped from the group (it failed) leaves a gap.
    n = con.execute(f"SELECT coalesce(max(rowid) + 1, 0) FROM {_RAW}").fetchall()[0][0]
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    # A table scan splits by row group (122,880 rows): a smaller group would be parsed on one thread,
    # so the lines are cut into one range per thread; each branch of the UNION ALL runs the whole
    # pipeline above it on its own thread.
    parts = max(1, min(threads, n // _MIN_SPLIT))
    step = -(-n // parts) if n else 1
    return "(" + " UNION ALL ".join(f"SELECT * FROM _lines({i * step}, {(i + 1) * step})" for i in range(parts)) + ")"


def drop_group_lines(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP MACRO TABLE IF EXISTS _lines")
    con.execute(f"DROP TABLE IF EXISTS {_RAW}")


def forget(con: duckdb.DuckDBPyConnection, number: int | None) -> None:
    """Drop what was read of file `number` (None: of every file) and not yet parsed."""
    forget_group(con, GROUP_TABLES, number)


def finish(con: duckdb.DuckDBPyConnection, table: str, files: list[Staged], opts: Options) -> None:
    """Parse the lines read of `files` into `out.<table>` (good rows and reasons; `_file` = each one's number).

    Fills each file's rejects, rows_read and tables.
    """
    lines = group_lines(con, files)
    # Row order does not matter from here on (file, line and idx are columns).
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET write_buffer_row_group_count = 1")   # flush each row group: less memory, no slower
    try:
        con.execute(f"CREATE TABLE out.{table} AS {_pipeline(opts, lines)}")
    finally:
        drop_group_lines(con)
    con.execute(f"INSERT INTO out.{table} (_file, line, idx, reason) SELECT _file, line, 1, reason FROM {_BAD}")
    con.execute(f"DROP TABLE {_BAD}")
    _number(con, table)
    by_number = {f.number: f for f in files}
    for number, line, reason in con.execute(
            f"SELECT _file, line, reason FROM out.{table} WHERE reason IS NOT NULL ORDER BY _file, line, idx"
            ).fetchall():
        by_number[number].rejects.append(Reject(int(line) if line is not None else None, reason))
    counts = dict(con.execute(f"SELECT _file, count(*) FROM out.{table} GROUP BY _file").fetchall())
    for f in files:
        f.rows_read = counts.get(f.number, 0)
        f.tables.append(("server_events", "new"))
        f.ready = True
