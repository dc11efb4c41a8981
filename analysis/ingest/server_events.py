"""server-events: CAPI request logs (envelopes, bare bodies, bare events) parsed in DuckDB SQL."""
from __future__ import annotations

from pathlib import Path

import duckdb

from analysis import normalize
from analysis.ingest.base import Options, Staged, collect_rejects, sql_str

KIND = "server-events"
HASH_KEYS = normalize.HASH_KEYS
SCALAR_PLAIN = ("client_ip_address", "client_user_agent", "fbc", "fbp")

# One line of a JSONL file as one VARCHAR: a delimiter JSON never contains unescaped, no quoting.
READ_LINES = """
SELECT row_number() OVER () AS ln, line
FROM read_csv({path}, columns={{'line': 'VARCHAR'}}, header=false, delim=chr(31), quote='',
              escape='', auto_detect=false, max_line_size=268435456, strict_mode=false)
"""

_REQ_FIELDS = '"data":["JSON"],"test_event_code":"VARCHAR","partner_agent":"VARCHAR"'
# One typed parse of the whole line for the common shapes; rarer encodings (a request given as a
# string, a data array given as a string) take the slower generic branch for their rows only.
_TOP = ('{"pixel_id":"VARCHAR","sent_at":"VARCHAR","request":{' + _REQ_FIELDS + '},'
        '"response":{"status":"INTEGER","body":{"error":{"code":"INTEGER","error_subcode":"INTEGER"}}},'
        + _REQ_FIELDS + ',"event_name":"JSON"}')
_REQ = "{" + _REQ_FIELDS + "}"
_EV = ('{"event_name":"JSON","event_time":"JSON","event_id":"VARCHAR","action_source":"VARCHAR",'
       '"event_source_url":"VARCHAR","referrer_url":"VARCHAR","opt_out":"JSON","data_processing_options":"VARCHAR[]",'
       '"user_data":"JSON","custom_data":{"value":"DOUBLE","currency":"VARCHAR","order_id":"VARCHAR",'
       '"content_type":"VARCHAR","content_ids":"JSON"}}')
# user_data in two typed parses: lists land in the VARCHAR[] view, strings and numbers in the VARCHAR one.
_UD_LIST = "{" + ",".join(f'"{k}":"VARCHAR[]"' for k in normalize.USER_DATA_KEYS) + "}"
_UD_TEXT = "{" + ",".join(f'"{k}":"VARCHAR"' for k in normalize.USER_DATA_KEYS) + "}"
SEP = "chr(30)"   # joins a list's elements so one regex call judges them all


def _values(k: str) -> str:
    """A user_data value (string, number, or list of them) as a list of strings."""
    return f"coalesce(udl.{k}, CASE WHEN left(udt.{k}, 1) NOT IN ('[', '{{') THEN [udt.{k}] END)"


def _present(raw: str) -> str:
    """Some element is non-empty (checked on the joined list: no lambda)."""
    return f"coalesce(trim(array_to_string({raw}, '')) <> '', false)"


def _any(raw: str, pattern: str) -> str:
    """Some element of the list fully matches the pattern (one regex call, no lambda)."""
    regex = r"(?:[^\x1e]*\x1e)*(?:" + pattern + r")(?:\x1e[^\x1e]*)*"
    return f"coalesce(regexp_full_match(array_to_string({raw}, {SEP}), {sql_str(regex)}), false)"


def _all(raw: str, pattern: str) -> str:
    """Every element of the list fully matches the pattern (true for an empty list)."""
    regex = "(?:" + pattern + r")(?:\x1e(?:" + pattern + "))*"
    return f"coalesce(regexp_full_match(array_to_string({raw}, {SEP}), {sql_str(regex)}), true)"


def _form_param(text: str, name: str) -> str:
    return f"nullif(url_decode(replace(regexp_extract({text}, '(?:^|&){name}=([^&]*)', 1), '+', ' ')), '')"


def _user_data_columns() -> str:
    cols = []
    for k in HASH_KEYS:
        raw = f"ud_{k}"
        plain = f"NOT {_all(raw, normalize.HASHLIKE_RE)}"
        # Plaintext where a hash belongs is flagged, then hashed by Meta's rules before storage.
        cols.append(
            f"CASE WHEN {plain} THEN list_transform({raw}, lambda x: CASE WHEN regexp_full_match(x, "
            f"{sql_str(normalize.HASHLIKE_RE)}) THEN x ELSE capi_hash('{k}', x) END) ELSE {raw} END AS {k}, "
            f"{_present(raw)} AS {k}_p, {_any(raw, normalize.HASH_RE)} AS {k}_v, "
            f"{plain} AS {k}_plain")
    cols.append(f"ud_external_id AS external_id, {_present('ud_external_id')} AS external_id_p, "
                f"{_present('ud_external_id')} AS external_id_v")
    patterns = {
        "client_ip_address": f"{normalize.IPV4_RE}|{normalize.IPV6_RE}",
        "client_user_agent": ".*",
        "fbc": normalize.FB_COOKIE_RE,
        "fbp": normalize.FB_COOKIE_RE,
    }
    for k, pattern in patterns.items():
        # A list is well-formed if any element is; the first well-formed element is kept.
        raw = f"ud_{k}"
        cols.append(
            f"CASE WHEN len({raw}) > 1 THEN coalesce(list_filter({raw}, lambda x: regexp_full_match(x, "
            f"{sql_str(pattern)}))[1], {raw}[1]) ELSE {raw}[1] END AS {k}, "
            f"{_present(raw)} AS {k}_p, {_any(raw, pattern)} AS {k}_v")
    return ",\n       ".join(cols)


def _pipeline(path: Path, opts: Options) -> str:
    pixel = sql_str(opts.pixel_id) if opts.pixel_id else "NULL"
    ud_raw = ",\n       ".join(f"{_values(k)} AS ud_{k}" for k in normalize.USER_DATA_KEYS)
    req_s = "json_extract_string(line, '$.request')"
    return f"""
WITH lines AS ({READ_LINES.format(path=sql_str(path))}),
tops AS (
  SELECT ln, line, try(json_transform(line, '{_TOP}')) AS t
  FROM lines WHERE line IS NOT NULL AND trim(line) <> ''
),
forms AS (
  SELECT ln, line, t,
    CASE WHEN t IS NULL THEN NULL
         WHEN t.request IS NOT NULL OR t.response IS NOT NULL OR t.sent_at IS NOT NULL THEN 'envelope'
         WHEN t.data IS NOT NULL THEN 'body' WHEN t.event_name IS NOT NULL THEN 'event' END AS form
  FROM tops
),
reqs AS (
  SELECT ln, line, form, t,
    coalesce(t.pixel_id, {pixel}) AS pixel_id, t.sent_at AS sent_at_raw,
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
    CASE WHEN t IS NULL AND NOT json_valid(line) THEN 'line is not valid JSON'
         WHEN t IS NULL OR json_type(line) <> 'OBJECT' THEN 'line is a JSON ' || lower(json_type(line)) || ', not an object'
         WHEN form IS NULL THEN 'not an envelope, request body or server event (no request, data or event_name)'
         WHEN r.data IS NULL THEN 'request has no data array'
         WHEN pixel_id IS NULL THEN 'no pixel_id in the record; pass --pixel-id'
         WHEN sent_at_raw IS NOT NULL AND NOT coalesce(capi_ts_ok(capi_ts(sent_at_raw)), false)
              THEN 'sent_at is not a timestamp between 2015 and 2100'
    END AS line_reason
  FROM reqs
),
events AS (
  SELECT ln, pixel_id, capi_ts(sent_at_raw) AS sent_at, r.test_event_code AS test_event_code,
         r.partner_agent AS partner_agent, t.response.status AS response_status,
         t.response.body.error AS err, CAST(hash(line) AS VARCHAR) AS line_md5,
         line_reason,
         -- A rejected line still yields one row, carrying its reason (one pass, no second scan).
         unnest(CASE WHEN line_reason IS NULL THEN r.data ELSE [NULL] END) AS item,
         generate_subscripts(CASE WHEN line_reason IS NULL THEN r.data ELSE [NULL] END, 1) AS idx
  FROM line_status
),
events2 AS (
  SELECT * EXCLUDE (item),
    -- Meta's Python SDK sends each event as a JSON-encoded string.
    CASE WHEN left(item, 1) = '"' THEN CAST(json(json_extract_string(item, '$')) AS VARCHAR) ELSE item END AS ev
  FROM events
),
events3 AS (
  SELECT *, try(json_transform(ev, '{_EV}')) AS e, json_type(ev) AS ev_type FROM events2
),
events4 AS (
  SELECT *,
    CASE left(e.event_time, 1) WHEN '"' THEN TRY_CAST(trim(json_extract_string(e.event_time, '$')) AS DOUBLE)
         ELSE TRY_CAST(e.event_time AS DOUBLE) END AS t_num_raw,
    CASE WHEN left(e.user_data, 1) = '{{' THEN json_transform(e.user_data, '{_UD_LIST}') END AS udl,
    CASE WHEN left(e.user_data, 1) = '{{' THEN json_transform(e.user_data, '{_UD_TEXT}') END AS udt
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
         WHEN ev_type IS DISTINCT FROM 'OBJECT' THEN 'event ' || idx || ' is not a JSON object'
         WHEN e.event_name IS NULL OR e.event_name = 'null' THEN 'event ' || idx || ': missing event_name'
         WHEN left(e.event_name, 1) <> '"' OR trim(json_extract_string(e.event_name, '$')) = ''
              THEN 'event ' || idx || ': event_name is not a non-empty string'
         WHEN e.event_time IS NULL OR e.event_time = 'null' THEN 'event ' || idx || ': missing event_time'
         WHEN t_num IS NULL THEN 'event ' || idx || ': event_time is not a number'
         WHEN NOT capi_ts_ok(event_ts) THEN 'event ' || idx || ': event_time outside 2015–2100'
         WHEN e.user_data IS NOT NULL AND e.user_data <> 'null' AND left(e.user_data, 1) <> '{{'
              THEN 'event ' || idx || ': user_data is not an object'
    END AS ev_reason
  FROM events4b
),
good AS (
  -- Identity per the inputs contract: sha256(pixel, sent_at, canonical event JSON).
  SELECT *, sha256(concat_ws('|', pixel_id, coalesce(strftime(sent_at, '%Y-%m-%dT%H:%M:%S.%f'), ''), ev)) AS base_uid
  FROM events5
),
numbered AS (
  SELECT *, row_number() OVER (PARTITION BY base_uid ORDER BY ln, idx) AS occ FROM good
),
flat AS (
  SELECT ln, idx, ev_reason AS reason, pixel_id, sent_at, test_event_code, partner_agent, response_status,
    coalesce(response_status NOT BETWEEN 200 AND 299, false) OR err IS NOT NULL AS rejected,
    err.code AS error_code, err.error_subcode AS error_subcode,
    -- Without sent_at (or for a second identical copy) the occurrence number keeps genuine repeats apart.
    CASE WHEN sent_at IS NULL OR occ > 1 THEN sha256(base_uid || '|' || occ) ELSE base_uid END AS event_uid,
    CASE WHEN sent_at IS NULL THEN line_md5 || '-' || ln ELSE line_md5 END AS request_uid,
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
  FROM numbered
)
SELECT ln AS line,
       * EXCLUDE (ln, idx, {", ".join(f"ud_{k}" for k in normalize.USER_DATA_KEYS)}),
       {_user_data_columns()}
FROM flat
"""


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Fill the staging table `out.server_events` (good rows and reasons) from one JSONL file."""
    con.execute(f"CREATE TABLE out.server_events AS {_pipeline(path, opts)}")
    staged.rejects.extend(collect_rejects(
        con, "SELECT line, reason FROM out.server_events WHERE reason IS NOT NULL ORDER BY line"))
    staged.rows_read = con.execute("SELECT count(*) FROM out.server_events").fetchall()[0][0]
    staged.tables.append(("server_events", "new"))
