"""A warehouse table of another shape as the canonical server or browser events: an events map.

An events map is a TOML file naming, per side, the table that holds the events and where each canonical
field comes from. The rollup definitions read the lake's columns, several of which ingest derives from the
raw values (per identifier: present `_p`, well-formed `_v`, plaintext where a hash belongs `_plain`); here
they are derived the same way, in ibis, from the mapped raw values, so they run on any engine:

    [server_events]
    table = "analytics.sgtm_events"      # a table on the engine (or: parquet = "exports/sgtm/")
    params = "event_params"              # the key/value array `param` reads (GA4's export shape)

    [server_events.fields]
    event_name = { column = "event_name", values = { purchase = "Purchase" } }
    event_time = { column = "timestamp", unit = "ms" }
    event_id = { param = "event_id" }
    em = { param = "x-fb-ud-em" }
    action_source = { param = "action_source", default = "website" }

A field is a column name (`"a.b"` reads field b of the struct column a) or a table with one of `column`,
`param` (the value of that key in the params array: its string, integer or float value, as text) or
`literal`, and optionally `unit` (s, ms or us: an epoch number to a UTC timestamp), `values` (a
translation of values; others pass unchanged) and `default` (a literal where the value is missing).
An identifier that is empty or only spaces counts as absent (a warehouse writes "" for a missing key).
`sender_hashes = true` on a side says its sender hashes a must-hash value (em, ph…) that is not hash-like
already, as Meta's tag for server-side GTM does: such a value then counts as well-formed, not as plaintext.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.normalize import FB_COOKIE_RE, HASH_KEYS, HASH_RE, HASHLIKE_RE, IPV4_RE, IPV6_RE, USER_DATA_KEYS

MAPS = Path(__file__).parent / "maps"          # the maps that ship with capi-audit, by name (sgtm-bigquery)

_TYPES_SERVER: dict[str, str] = {
    "event_uid": "string", "pixel_id": "string", "event_name": "string", "event_id": "string",
    "event_time": "timestamp", "sent_at": "timestamp", "event_time_unit": "string", "order_id": "string",
    "action_source": "string", "event_source_url": "string", "value": "float64", "currency": "string",
    "test_event_code": "string", "rejected": "boolean", "error_code": "int32", "opt_out": "boolean",
    "ldu": "boolean", **{k: "string" for k in USER_DATA_KEYS}}
_TYPES_BROWSER: dict[str, str] = {
    "event_uid": "string", "pixel_id": "string", "event_name": "string", "event_id": "string",
    "event_time": "timestamp", "order_id": "string", "source": "string", "fbc": "string"}
FIELDS = {"server_events": _TYPES_SERVER, "browser_events": _TYPES_BROWSER}
FIELDS_ALL = _TYPES_SERVER | _TYPES_BROWSER
REQUIRED = ("event_name", "event_time")
UNITS = {"s": 1_000_000, "ms": 1_000, "us": 1}
# Well-formed as received, per identifier that is not hashed (the patterns ingest applies).
_PLAIN_PATTERNS = {"client_ip_address": f"{IPV4_RE}|{IPV6_RE}", "fbc": FB_COOKIE_RE, "fbp": FB_COOKIE_RE}
_PARAM_VALUES = ("string_value", "int_value", "float_value", "double_value")


class MapError(Exception):
    """An events map that cannot be used, as a sentence naming the file, the field and the fix."""


@dataclass(frozen=True)
class Source:
    """Where a mapped field comes from."""
    column: str | None = None
    param: str | None = None
    literal: Any = None
    unit: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    default: Any = None


@dataclass(frozen=True)
class Side:
    """One side's table and fields."""
    name: str                              # server_events or browser_events
    table: str | None
    parquet: str | None
    params: str
    fields: dict[str, Source]
    sender_hashes: bool = False            # the sender hashes a must-hash value that is not hash-like already


@dataclass(frozen=True)
class EventsMap:
    path: str
    sides: dict[str, Side]


def _source(where: str, name: str, spec: Any) -> Source:
    if isinstance(spec, str):
        spec = {"column": spec}
    if not isinstance(spec, dict):
        raise MapError(f"{where}: field {name} must be a column name or a table (column, param or literal).")
    unknown = set(spec) - {"column", "param", "literal", "unit", "values", "default"}
    if unknown:
        raise MapError(f"{where}: field {name} has unknown keys {', '.join(sorted(unknown))}.")
    given = [k for k in ("column", "param", "literal") if k in spec]
    if len(given) != 1:
        raise MapError(f"{where}: field {name} needs exactly one of column, param or literal.")
    unit = spec.get("unit")
    if unit is not None and unit not in UNITS:
        raise MapError(f"{where}: field {name} has unit {unit!r}; use s, ms or us.")
    if unit is not None and FIELDS_ALL.get(name) != "timestamp":
        raise MapError(f"{where}: unit applies to timestamps (event_time, sent_at), not to {name}.")
    values = spec.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise MapError(f"{where}: field {name}'s values must be a table of text translations.")
    return Source(column=spec.get("column"), param=spec.get("param"), literal=spec.get("literal"), unit=unit,
                  values={str(k): v for k, v in values.items()}, default=spec.get("default"))


def load(ref: str | Path) -> EventsMap:
    """An events map from a TOML file, or one shipped with capi-audit by name (`sgtm-bigquery`)."""
    path = Path(ref)
    if not path.is_file() and (MAPS / f"{ref}.toml").is_file():
        path = MAPS / f"{ref}.toml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in MAPS.glob("*.toml")))
        raise MapError(f"No events map {str(ref)!r}: give a TOML file, or one of the maps shipped: {shipped}.")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MapError(f"{path}: not a TOML file ({exc}).") from None
    sides = {}
    for side, types in FIELDS.items():
        if side not in doc:
            continue
        body = doc[side]
        where = f"{path} [{side}]"
        if not isinstance(body, dict) or not isinstance(body.get("fields", {}), dict):
            raise MapError(f"{where}: a side is a table ([{side}]) with its fields under [{side}.fields].")
        unknown_keys = sorted(set(body) - {"table", "parquet", "params", "sender_hashes", "fields"})
        if unknown_keys:
            raise MapError(f"{where}: unknown keys {', '.join(unknown_keys)}; a side takes table or parquet, "
                           "params, sender_hashes and fields.")
        if not all(isinstance(body.get(k, ""), str) for k in ("table", "parquet", "params")):
            raise MapError(f"{where}: table, parquet and params are text.")
        if bool(body.get("table")) == bool(body.get("parquet")):
            raise MapError(f"{where}: give the events' table (table = \"dataset.table\") or their Parquet files "
                           "(parquet = \"folder/\"), one of the two.")
        fields = body.get("fields", {})
        unknown = sorted(set(fields) - set(types))
        if unknown:
            raise MapError(f"{where}: unknown fields {', '.join(unknown)}; the fields of {side} are "
                           f"{', '.join(types)}.")
        missing = [f for f in REQUIRED if f not in fields]
        if missing:
            raise MapError(f"{where}: the fields {', '.join(missing)} are required.")
        parquet = body.get("parquet")
        if parquet and "://" not in parquet and not Path(parquet).is_absolute():
            parquet = str(path.parent / parquet)           # relative to the map file, wherever the command runs
        hashes = body.get("sender_hashes", False)
        if not isinstance(hashes, bool):
            raise MapError(f"{where}: sender_hashes is true or false.")
        sides[side] = Side(side, body.get("table"), parquet, str(body.get("params", "event_params")),
                           {name: _source(where, name, spec) for name, spec in fields.items()}, hashes)
    if not sides:
        raise MapError(f"{path}: maps neither [server_events] nor [browser_events].")
    return EventsMap(str(path), sides)


# --- the schema a map implies (to compile a warehouse's SQL without its table) ---

def implied_schema(side: Side) -> dict[str, str]:
    """Column name → ibis type of the table `side` reads, as far as its fields say (struct paths nested)."""
    import ibis.expr.datatypes as dt

    tree: dict[str, Any] = {}
    for name, src in side.fields.items():
        if src.param is not None:
            value = dt.Struct({"string_value": dt.string, "int_value": dt.int64, "float_value": dt.float64})
            tree[side.params] = dt.Array(dt.Struct({"key": dt.string, "value": value}))
        elif src.column is not None:
            leaf = dt.int64 if src.unit else dt.dtype(FIELDS[side.name][name])
            parts = src.column.split(".")
            node = tree
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = leaf

    def build(node: dict[str, Any]) -> dict[str, Any]:
        return {k: dt.Struct(build(v)) if isinstance(v, dict) else v for k, v in node.items()}

    return build(tree)


# --- the expressions ---

def _column(t: Any, path: str) -> Any:
    parts = path.split(".")
    if parts[0] not in t.columns:
        raise MapError(f"The events table has no column {parts[0]!r} (columns: {', '.join(t.columns)}).")
    col = t[parts[0]]
    for p in parts[1:]:
        col = col[p]
    return col


def _value_fields(t: Any, params: str, key: str) -> list[str]:
    """The params array's value fields (string_value, int_value…), as the table has them."""
    if params not in t.columns:
        raise MapError(f"The events table has no params column {params!r} for param = {key!r}.")
    return list(t[params].type().value_type.fields["value"].names)


def _param(t: Any, params: str, key: str) -> Any:
    """The value of `key` in the params array as text (NULL when the key is absent or its value is empty)."""
    fields = _value_fields(t, params, key)
    return t[params].filter(lambda p: p.key == key).map(lambda p: _text(p, fields)).join("").nullif("")


def _raw(t: Any, side: Side, name: str, src: Source) -> Any:
    import ibis

    kind = FIELDS[side.name][name]
    if src.literal is not None:
        return ibis.literal(src.literal, type=kind)
    col = _column(t, src.column) if src.column is not None else _param(t, side.params, src.param)
    if src.values:
        text = col.cast("string")
        col = text.substitute(src.values, else_=text)
    if src.unit:
        micros = (col.cast("float64") * UNITS[src.unit]).round().cast("int64")
        col = ibis.timestamp("1970-01-01 00:00:00") + micros.as_interval("us")
    elif kind == "timestamp":
        col = col.cast("timestamp")
    elif kind in ("float64", "int32"):
        col = col.try_cast(kind) if col.type().is_string() else col.cast(kind)
    elif kind == "boolean" and col.type().is_string():
        col = col.lower().isin(["true", "1"])
    else:
        col = col.cast(kind)
    if src.default is not None:
        col = col.fill_null(ibis.literal(src.default, type=kind))
    return col


def _text(p: Any, fields: list[str]) -> Any:
    """A params entry's value as text (never NULL: BigQuery refuses NULL elements in arrays)."""
    import ibis

    parts = [p.value[f] if f == "string_value" else p.value[f].cast("string") for f in _PARAM_VALUES if f in fields]
    return ibis.coalesce(*parts, ibis.literal(""))


def _row_identity(t: Any, side: Side) -> Any:
    """Without an event_uid field: the source row's mapped columns and whole params array, as one text (two
    rows alike in all of them are one event to the distinct counts). One pass over the array, not one per key."""
    parts = [_column(t, src.column).cast("string").fill_null("")
             for _, src in sorted(side.fields.items()) if src.column is not None]
    keys = [src.param for src in side.fields.values() if src.param is not None]
    if keys:
        fields = _value_fields(t, side.params, keys[0])
        parts.append(t[side.params].map(lambda p: p.key.fill_null("") + "=" + _text(p, fields)).join("\x1e")
                     .fill_null(""))
    uid = parts[0]
    for part in parts[1:]:
        uid = uid + "\x1f" + part
    return uid


def _full(col: Any, pattern: str) -> Any:
    return col.re_search(f"^(?:{pattern})$").fill_null(False)


def table(t: Any, side: Side, pixel: str | None = None) -> Any:
    """The mapped table with the lake's columns of `side` (sources.SERVER_COLUMNS / BROWSER_COLUMNS).

    Two selects: the fields from the source, then what derives from them. ibis inlines the first into the
    second, and would inline both into every read of the definitions, so the engines compute the result once
    (sources._materialized) and a warehouse keeps it as a table (compile's map_ statement)."""
    import ibis

    from analysis.engines.sources import BROWSER_COLUMNS, SERVER_COLUMNS

    types = FIELDS[side.name]
    got = {name: _raw(t, side, name, src) for name, src in side.fields.items()}
    if "pixel_id" not in got:
        if pixel is None:
            raise MapError(f"The events map gives {side.name} no pixel_id: map one (pixel_id = {{ literal = \"…\" }}, "
                           "which sync needs) or pass --pixel-id to rollup.")
        got["pixel_id"] = ibis.literal(pixel)
    for name, kind in types.items():
        if name in got or name == "event_uid":
            continue
        got[name] = (ibis.literal(False) if kind == "boolean" else ibis.literal("warehouse") if name == "source"
                     else ibis.null(kind))
    for k in USER_DATA_KEYS:
        if k in types:               # empty or only spaces: absent
            got[k] = ibis.ifelse(got[k].re_search("[^ ]").fill_null(False), got[k], ibis.null("string"))
    if "currency" in types:
        got["currency"] = got["currency"].strip().upper()
    if "event_uid" not in got:
        got["event_uid"] = _row_identity(t, side)
    r = t.select(**got)
    if side.name == "browser_events":
        return r.select(*BROWSER_COLUMNS)
    cols: dict[str, Any] = {}
    for k in USER_DATA_KEYS:
        v = r[k]
        cols[f"{k}_p"] = v.notnull()
        if k in HASH_KEYS and side.sender_hashes:
            # What reaches Meta: a hash-like value as it is, anything else hashed (normalized) by the sender.
            cols[f"{k}_v"] = v.notnull() & (_full(v, HASH_RE) | ~_full(v, HASHLIKE_RE))
            cols[f"{k}_plain"] = ibis.literal(False)
        elif k in HASH_KEYS:
            cols[f"{k}_v"] = _full(v, HASH_RE)
            cols[f"{k}_plain"] = v.notnull() & ~_full(v, HASHLIKE_RE)
        elif k == "external_id":
            cols[f"{k}_v"] = v.notnull()
        elif k == "client_user_agent":
            cols[f"{k}_v"] = v.notnull() & ~v.contains("\n")
        else:
            cols[f"{k}_v"] = _full(v, _PLAIN_PATTERNS[k])
    return r.select(**{name: cols[name] if name in cols else r[name] for name in SERVER_COLUMNS})
