"""orders: the backend's truth (canonical CSV, Shopify's order export, or any CSV/Parquet through a column map)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np

from analysis import hashes, normalize
from analysis.ingest.base import IngestError, Options, Staged, collect_rejects, sql_str
from analysis.ingest.csvfile import describe_columns, read_csv_raw
from analysis.store import quote_ident as q

KIND = "orders"
CANONICAL = ("order_id", "created_at", "total", "currency", "status", "email", "phone", "first_name",
             "last_name", "city", "state", "zip", "country", "customer_id", "channel", "test", "updated_at")
FIELDS = CANONICAL + ("alt_id", "pixel_id", "shop")  # what a column map may name
STATUSES = ("paid", "authorized", "partially_paid", "pending", "refunded", "partially_refunded",
            "voided", "cancelled")
# Shopify's export; its Billing Name is split into first and last name, its phone falls back to Billing Phone.
SHOPIFY = {"order_id": "Name", "alt_id": "Id", "created_at": "Created at", "total": "Total",
           "currency": "Currency", "status": "Financial Status", "cancelled_at": "Cancelled at",
           "channel": "Source", "email": "Email", "phone": "Phone", "billing_phone": "Billing Phone",
           "billing_name": "Billing Name", "city": "Billing City", "state": "Billing Province",
           "zip": "Billing Zip", "country": "Billing Country"}
SHOPIFY_SIGNATURE = ("name", "created at", "total")
# (hash key, field) for order_hashes; billing_name and billing_phone feed first/last name and phone.
PERSONAL = (("em", "email"), ("ph", "phone"), ("fn", "first_name"), ("ln", "last_name"), ("ct", "city"),
            ("st", "state"), ("zp", "zip"), ("country", "country"), ("external_id", "customer_id"))
RECORD_FIELDS = FIELDS + ("cancelled_at", "billing_phone", "billing_name")

ORDERS_DDL = """CREATE TABLE out.orders (owner VARCHAR, order_id VARCHAR, alt_id VARCHAR, pixel_id VARCHAR,
    shop VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP, total DOUBLE, currency VARCHAR, status VARCHAR,
    channel VARCHAR, test BOOLEAN, customer_id VARCHAR, country_code VARCHAR, pii_digest VARCHAR)"""

def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    src = f"read_parquet({sql_str(path)}, file_row_number=true)"
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall() if r[0] != "file_row_number"]
    # Everything as text, so one set of checks serves CSV and Parquet (timestamps print as ISO).
    cols = ", ".join(f"CAST({q(n)} AS VARCHAR) AS {q(n)}" for n in names)
    con.execute(f"CREATE TABLE raw AS SELECT file_row_number + 1 AS __line, {cols} FROM {src}")
    return names


def _resolve(path: Path, header: list[str], column_map: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The layout (canonical, shopify or mapped) and the source column of every field the file has."""
    by_ci: dict[str, str] = {}
    for name in header:
        by_ci.setdefault(name.strip().lower(), name)
    shopify = all(s in by_ci for s in SHOPIFY_SIGNATURE) and "order_id" not in by_ci
    sources = {f: by_ci[f] for f in FIELDS if f in by_ci}
    if shopify:
        sources.update({f: by_ci[s.lower()] for f, s in SHOPIFY.items() if s.lower() in by_ci})
    for field, src in column_map.items():
        if field not in FIELDS:
            raise IngestError(f"--map {field}={src}: {field} is not an orders field; map one of {', '.join(FIELDS)}.")
        col = src if src in header else by_ci.get(src.strip().lower())
        if col is None:
            raise IngestError(f"--map {field}={src}: {path.name} has no column {src!r} ({describe_columns(header)}).")
        # A column mapped to one field is not also read as another (status=State is no address).
        sources = {f: c for f, c in sources.items() if c != col}
        sources[field] = col
    layout = "shopify" if shopify else "mapped" if column_map else "canonical"
    required = ["order_id", "created_at", "total"] + (["currency"] if layout == "canonical" else [])
    missing = [f for f in required if f not in sources]
    if missing:
        maps = " ".join(f"--map {f}=YOUR_COLUMN" for f in missing)
        raise IngestError(
            f"{path.name}: no column for {', '.join(missing)} ({describe_columns(header)}). Orders need columns "
            f"named order_id, created_at, total and currency, or Shopify's order export; map your columns "
            f"with {maps}.")
    return layout, sources


def _records_sql(header: list[str], sources: dict[str, str], group: str | None) -> str:
    """One row per order with every field as text (NULL when empty or absent).

    Fields are trimmed, except personal ones: their surrounding spaces are kept so that a sender's
    "not trimmed" hash can be recognised (normalization trims them before the correct hash).
    """
    personal = {f for _, f in PERSONAL} | {"billing_name", "billing_phone"}

    def text(field: str) -> str:
        if field not in sources:
            return "NULL"
        col = q(sources[field])
        return f"CASE WHEN trim({col}) <> '' THEN {col} END" if field in personal else f"nullif(trim({col}), '')"

    # Rows of empty cells (a spreadsheet's trailing ",,,,") are no records. (An OR stops at the first
    # cell that is not empty, mostly the first; a coalesce of all the cells trimmed costs several times more.)
    cells = " OR ".join(f"trim({q(h)}) <> ''" for h in header)
    rows = f"(SELECT * FROM raw WHERE {cells})"
    if group is None:
        cols = ", ".join(f"{text(f)} AS {f}" for f in RECORD_FIELDS)
        return f"SELECT __line AS line, {cols} FROM {rows}"
    # A multi-line-item order spans rows of one Name; the first row carrying a field gives it.
    cols = ", ".join(f"first({text(f)} ORDER BY __line) FILTER (WHERE {text(f)} IS NOT NULL) AS {f}"
                     for f in RECORD_FIELDS if f != "order_id")
    name = f"nullif(trim({q(group)}), '')"
    order_id = (f"nullif(ltrim(any_value({name}), '#'), '')" if sources["order_id"] == group else
                f"first({text('order_id')} ORDER BY __line) FILTER (WHERE {text('order_id')} IS NOT NULL)")
    return (f"SELECT min(__line) AS line, {order_id} AS order_id, {cols} FROM {rows} "
            f"GROUP BY coalesce({name}, chr(0) || __line)")


def _checks_sql(sources: dict[str, str], shopify: bool, currency_required: bool) -> str:
    """Typed order fields and the first reason a record cannot load (NULL for a good one)."""
    def say(field: str, what: str) -> str:
        col = sources.get(field, field)
        label = field if col == field else f"{field} (column {col})"
        return f"'line ' || line || {sql_str(f': {label} {what}')}"

    def ts_checks(field: str) -> str:
        return (f"WHEN {field}_raw IS NOT NULL AND {field} IS NULL THEN {say(field, 'is not a recognised timestamp')} "
                f"WHEN NOT capi_ts_ok({field}) THEN {say(field, 'is outside 2015–2100')}")

    status = "replace(replace(lower(status), ' ', '_'), '-', '_')"
    # Shopify's Source: web or shopify (the online store) is web; pos stays pos.
    channel = ("WHEN lower(channel) IN ('web', 'shopify') THEN 'web' "
               "WHEN lower(channel) = 'shopify_draft_order' THEN 'draft' " if shopify else "")
    # A status is no personal data, but a mis-mapped column could be: quote only word-like values.
    shown = "CASE WHEN regexp_full_match(status_raw, '[A-Za-z][A-Za-z _-]{0,29}') THEN '\"' || status_raw || '\" ' ELSE '' END"
    return f"""
WITH typed AS (
  SELECT line, order_id, alt_id, pixel_id, shop, customer_id, email, coalesce(phone, billing_phone) AS phone,
    first_name, last_name, billing_name, city, state, zip, country,
    created_at AS created_at_raw, try(capi_ts(created_at)) AS created_at,
    updated_at AS updated_at_raw, try(capi_ts(updated_at)) AS updated_at,
    total AS total_raw, TRY_CAST(total AS DOUBLE) AS total,
    upper(currency) AS currency,
    status AS status_raw,
    CASE WHEN cancelled_at IS NOT NULL THEN 'cancelled' WHEN status IS NULL THEN 'paid'
         WHEN {status} = 'canceled' THEN 'cancelled' ELSE {status} END AS status,
    CASE WHEN channel IS NULL THEN 'web' {channel}ELSE lower(channel) END AS channel,
    CASE WHEN test IS NULL OR lower(test) IN ('false', 'f', '0', 'no', 'n') THEN false
         WHEN lower(test) IN ('true', 't', '1', 'yes', 'y') THEN true END AS test
  FROM records
)
SELECT *, CASE
    WHEN order_id IS NULL THEN {say('order_id', 'is empty')}
    WHEN created_at_raw IS NULL THEN {say('created_at', 'is empty')}
    {ts_checks('created_at')}
    WHEN total_raw IS NULL THEN {say('total', 'is empty')}
    WHEN total IS NULL OR NOT isfinite(total) THEN {say('total', 'is not a number')}
    WHEN currency IS NULL AND {str(currency_required).lower()} THEN {say('currency', 'is empty')}
    WHEN NOT regexp_full_match(currency, '[A-Z]{{3}}') THEN {say('currency', 'is not a three-letter code')}
    WHEN status NOT IN ({', '.join(sql_str(s) for s in STATUSES)})
      THEN 'line ' || line || ': status ' || {shown} || {sql_str('is not one of ' + ', '.join(STATUSES))}
    WHEN test IS NULL THEN {say('test', 'is not true or false')}
    {ts_checks('updated_at')}
  END AS reason
FROM typed
"""


def _unmarked(col: str) -> str:
    """The value without spreadsheets' "keep as text" mark, as in Shopify's exports."""
    return f"CASE WHEN starts_with({col}, chr(39)) THEN substr({col}, 2) ELSE {col} END"


def _region(country: str, default_country: str | None) -> str:
    """Phones without +CC, US states and ZIPs need the record's country (else the default)."""
    return f"coalesce({country}, {sql_str(default_country) if default_country else 'NULL'}, '')"


def _phones_sql(default_country: str | None) -> str:
    """The distinct (phone, region) pairs of all records: those of the good orders' phones, and a few more."""
    # From the records, before any check: their phones are parsed while the records are checked.
    phone = _unmarked("coalesce(phone, billing_phone)")
    return (f"SELECT DISTINCT {phone} AS value, {_region('country', default_country)} AS region FROM records "
            "WHERE coalesce(phone, billing_phone) IS NOT NULL")


# A digest lists an order's values in this order of their keys (see _digests).
DIGEST_KEYS = tuple(sorted(key for key, _ in PERSONAL))
# Within one load a value is known by a number: a 64-bit hash of (key, value, region) and a salt, the
# first salt under which no two of the load's values share a number (nor take 0, which means none).
_VID = "hash({key}, {value}, {region}, {salt})"
_SALTS = 8


def _values_sql(default_country: str | None) -> str:
    """(line, owner, order_id, one column per key, region): a good order's personal values, as typed (untrimmed)."""
    # Shopify: "Mary Ann Smith" -> Mary / Ann Smith, where an order has neither first nor last name.
    first = "CASE WHEN s.billing_name IS NOT NULL THEN s.first ELSE g.first_name END"
    last = "CASE WHEN s.billing_name IS NOT NULL THEN s.last ELSE g.last_name END"
    values = {"email": "g.email", "phone": _unmarked("g.phone"), "first_name": first, "last_name": last,
              "city": "g.city", "state": "g.state", "zip": _unmarked("g.zip"), "country": "g.country",
              "customer_id": "g.customer_id"}
    cols = ", ".join(f"{values[field]} AS {q(key)}" for key, field in PERSONAL)
    return (f"SELECT g.line, g.owner, g.order_id, {cols}, {_region('g.country', default_country)} AS region "
            "FROM good g LEFT JOIN _names s ON g.first_name IS NULL AND g.last_name IS NULL "
            "AND s.billing_name = g.billing_name")


def _insert_text(con: duckdb.DuckDBPyConnection, table: str, columns: list) -> None:
    """Create temp table `table` ("name (column TYPE, …)") holding Python's text columns (none: no rows)."""
    con.execute(f"CREATE TEMP TABLE {table}")
    if columns and len(columns[0]):
        con.register("_text_rows", hashes.frame(columns))
        try:
            con.execute(f"INSERT INTO {table.split(' ', 1)[0]} SELECT * FROM _text_rows")
        finally:
            con.unregister("_text_rows")


def _region_of(key: str) -> str:
    return "region" if key in hashes.REGION_KEYS else "''"


def _numbered(con: duckdb.DuckDBPyConnection) -> int:
    """The salt under which the values of _distinct have distinct, non-zero numbers."""
    vid = _VID.format(key="key", value="value", region="region", salt="{salt}")
    for salt in range(_SALTS):
        unique = con.execute(f"SELECT count(DISTINCT v) = count(*) AND NOT bool_or(v = 0) FROM "
                             f"(SELECT {vid.format(salt=salt)} AS v FROM _distinct)").fetchall()[0][0]
        if unique is not False:         # NULL: no values at all
            return salt
    raise RuntimeError(f"no salt among {_SALTS} numbers the values of this file apart")


# A digest of the order's hashes makes a corrected email or phone a change the upsert sees.
# Stored digests are sha256 of the order's "key:variant:hash" strings in (key, variant, hash) order
# joined by "|". Sorting the joined strings gives that order (no key or variant name is a prefix of
# another, hashes have one length), and an order has one value per key: so each distinct value's
# sorted piece is made once (here), and an order joins its pieces in key order (_wide's columns' order).
_PIECES = ("SELECT vid, encode(array_to_string(list_sort(list(key || ':' || variant || ':' || hash)), '|')) "
           "AS piece FROM {} GROUP BY vid")


def _digests(con: duckdb.DuckDBPyConnection) -> None:
    """Create _digests (line, digest) from _pieces and _wide: the sha256 over each order's hashes, for the upsert."""
    got = con.execute("SELECT vid, piece FROM _pieces").fetchnumpy()
    pieces: dict[int, bytes] = dict(zip(got["vid"].tolist(), got["piece"].tolist()))
    del got
    con.execute("DROP TABLE _pieces")
    # Customers come back with the same values: each distinct set of values is hashed once (0: no value).
    cols = ", ".join(f"coalesce({q(k)}, 0) AS {q(k)}" for k in DIGEST_KEYS)
    con.execute(f"CREATE TEMP TABLE _sets AS SELECT row_number() OVER () AS sid, * "
                f"FROM (SELECT DISTINCT {cols} FROM _wide)")
    # Python's sha256 is several times faster than DuckDB's on these ~2 kB strings. A value with no usable
    # hash has no piece (nor has 0); an order with none at all has no digest.
    sha256, join, piece_of = hashlib.sha256, b"|".join, pieces.get
    sets = con.execute("SELECT * FROM _sets").fetchnumpy()
    rows = zip(*(sets[k].tolist() for k in DIGEST_KEYS))
    digests = [sha256(joined).hexdigest() if (joined := join(filter(None, map(piece_of, row)))) else None
               for row in rows]
    del pieces
    con.execute("CREATE TEMP TABLE _set_digests (sid BIGINT, digest VARCHAR)")
    con.register("_set_digest_rows", {"sid": sets["sid"], "digest": np.array(digests, dtype=object)})
    try:
        con.execute("INSERT INTO _set_digests SELECT * FROM _set_digest_rows")
    finally:
        con.unregister("_set_digest_rows")
    del sets, digests
    same = " AND ".join(f"coalesce(w.{q(k)}, 0) = s.{q(k)}" for k in DIGEST_KEYS)
    con.execute(f"CREATE TEMP TABLE _digests AS SELECT w.line, d.digest FROM _wide w JOIN _sets s ON {same} "
                "JOIN _set_digests d USING (sid)")
    con.execute("DROP TABLE _set_digests")
    con.execute("DROP TABLE _sets")


def _hash_orders(con: duckdb.DuckDBPyConnection, default_country: str | None, prefix: str,
                 phones: hashes.Phones) -> None:
    """Stage out.order_hashes (each personal field's correct hash and its mistaken forms) and make _digests.

    out.order_hashes is a view joining two staged tables named with the file's `prefix`: which values
    each order has (owner, order_id, one value number per key) and each value's hashes (vid, key,
    variant, hash). Orders share values, so the two hold a fraction of the view's rows; the commit
    reads the view once.
    """
    names = con.execute("SELECT DISTINCT billing_name FROM good WHERE billing_name IS NOT NULL "
                        "AND first_name IS NULL AND last_name IS NULL").fetchall()
    split = [(n, *n.strip().partition(" ")[::2]) for (n,) in names]
    _insert_text(con, "_names (billing_name VARCHAR, first VARCHAR, last VARCHAR)", list(zip(*split)))
    con.execute(f"CREATE TEMP TABLE _values AS {_values_sql(default_country)}")
    con.execute("DROP TABLE _names")
    # Customers repeat: each distinct value is normalized (a phone parsed) once.
    con.execute("CREATE TEMP TABLE _distinct AS " + " UNION ALL ".join(
        f"SELECT DISTINCT '{k}' AS key, {q(k)} AS value, {_region_of(k)} AS region FROM _values "
        f"WHERE {q(k)} IS NOT NULL" for k in DIGEST_KEYS))
    salt = _numbered(con)
    vid = _VID.format(key="key", value="value", region="region", salt=salt)
    refs, forms = f"out.{q(prefix + 'order_hash_refs')}", f"out.{q(prefix + 'order_hash_forms')}"

    def column_wise() -> None:
        """Everything that needs no Python, done while Python hashes the rest."""
        # The staging file is read once by the commit: compressing 64-character hashes is not worth the CPU.
        con.execute("SET force_compression = 'uncompressed'")
        # Each value's hashes go straight to the staged table (the commit and the digest pieces read them there).
        con.execute(f"CREATE TABLE {forms} AS SELECT {vid} AS vid, key, variant, hash "
                    f"FROM ({hashes.column_wise_sql('_distinct')})")
        # Orders refer to their values by number: the joins below then compare integers, not strings.
        # Orders are keyed by their line here (one order id may belong to several owners in a file).
        numbers = ", ".join(f"CASE WHEN {q(k)} IS NOT NULL THEN "
                            f"{_VID.format(key=sql_str(k), value=q(k), region=_region_of(k), salt=salt)} END AS {q(k)}"
                            for k in DIGEST_KEYS)
        con.execute(f"CREATE TEMP TABLE _wide AS SELECT line, owner, order_id, {numbers} FROM _values")
        con.execute("DROP TABLE _values")
        con.execute(f"CREATE TABLE {refs} AS SELECT owner, order_id, {', '.join(q(k) for k in DIGEST_KEYS)} FROM _wide")

    # Phones are parsed by `phones`' own thread (started when the records were read): the rest here.
    con.execute("CREATE TEMP VIEW _not_phones AS SELECT * FROM _distinct WHERE key <> 'ph'")
    hashes.per_value(con, "_not_phones", "_py_variants", meanwhile=column_wise)
    con.execute("DROP VIEW _not_phones")
    con.execute(f"INSERT INTO {forms} SELECT {vid} AS vid, key, variant, hash FROM _py_variants")
    # While the thread finishes the phones: the other values' digest pieces are made.
    con.execute(f"CREATE TEMP TABLE _pieces AS {_PIECES.format(forms)}")
    phones.variants(con, "_ph_variants")
    # The thread parsed the phones of every record: those of good orders only are this file's values.
    con.execute(f"INSERT INTO {forms} SELECT {vid} AS vid, key, variant, hash FROM _ph_variants "
                "SEMI JOIN _distinct USING (key, value, region)")
    con.execute(f"INSERT INTO _pieces {_PIECES.format(forms + ' WHERE key = ' + sql_str('ph'))}")
    # One staged row per order (not per value): the commit unfolds it, an order's values together (key by
    # key, the store's compressed order_hashes came out a tenth larger); an absent value joins nothing.
    numbers = ", ".join(q(k) for k in DIGEST_KEYS)
    con.execute(f"CREATE VIEW out.order_hashes AS SELECT r.owner, r.order_id, f.key, f.variant, f.hash "
                f"FROM (SELECT owner, order_id, unnest([{numbers}]) AS vid FROM {refs}) r JOIN {forms} f USING (vid)")
    for table in ("_distinct", "_py_variants", "_ph_variants"):
        con.execute(f"DROP TABLE {table}")
    _digests(con)
    con.execute("DROP TABLE _wide")


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Fill `out.orders` and `out.order_hashes` from one orders file; personal data leaves memory hashed only."""
    try:
        with open(path, "rb") as fh:
            parquet = fh.read(4) == b"PAR1"
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc}); check the file and its permissions.") from None
    if parquet:
        try:
            header, rejects = _read_parquet(con, path), []
        except duckdb.Error:
            raise IngestError(f"{path}: is not a readable Parquet file (damaged or cut short); export it "
                              "again.") from None
    else:
        header, rejects = read_csv_raw(con, path)
    layout, sources = _resolve(path, header, opts.column_map)
    group = next(h for h in header if h.strip().lower() == "name") if layout == "shopify" else None
    # Read twice (phones, checks): one row per line needs no copy; a Shopify order's rows are grouped once.
    kind = "VIEW" if group is None else "TABLE"
    con.execute(f"CREATE {kind} records AS {_records_sql(header, sources, group)}")
    phones = hashes.Phones(con.execute(_phones_sql(opts.default_country)).fetchall())
    try:
        con.execute(f"CREATE TABLE checked AS {_checks_sql(sources, layout == 'shopify', layout == 'canonical')}")
        rejects += collect_rejects(con, "SELECT line, reason FROM checked WHERE reason IS NOT NULL")
        # An order belongs to its pixel_id (else --pixel-id), else to its shop (the `pixels` setting maps shops
        # to pixels when the report runs), else to every pixel (''). An order twice in one file for one owner:
        # the newest updated_at wins, else the later row. The losers are found on those four columns alone.
        fill = sql_str(opts.pixel_id.strip()) if opts.pixel_id and opts.pixel_id.strip() else "NULL"
        owned = f"SELECT * REPLACE (coalesce(pixel_id, {fill}) AS pixel_id) FROM checked WHERE reason IS NULL"
        con.execute(f"""CREATE TABLE good AS SELECT *, coalesce(pixel_id, shop, '') AS owner FROM ({owned})
            ANTI JOIN (SELECT line FROM (SELECT line, order_id, updated_at, coalesce(pixel_id, shop, '') AS owner
                                         FROM ({owned}))
                       QUALIFY row_number() OVER (PARTITION BY owner, order_id
                                                  ORDER BY updated_at DESC NULLS LAST, line DESC) > 1) USING (line)""")
        _hash_orders(con, opts.default_country, staged.prefix, phones)
    finally:
        phones.cancel()         # stopped early by an error or interrupt; else already done
    con.execute(ORDERS_DDL)
    # A file holds a handful of countries: each is looked up once (an unknown one has no code).
    countries = [c for (c,) in con.execute("SELECT DISTINCT country FROM good WHERE country IS NOT NULL").fetchall()]
    _insert_text(con, "_country_codes (country VARCHAR, code VARCHAR)",
                 [countries, [normalize.normalize_country(c) for c in countries]])
    con.execute("INSERT INTO out.orders SELECT owner, order_id, alt_id, pixel_id, shop, created_at, updated_at, "
                "total, currency, status, channel, test, customer_id, c.code, d.digest FROM good "
                "LEFT JOIN _country_codes c USING (country) LEFT JOIN _digests d USING (line) ORDER BY line")
    con.execute("DROP TABLE _country_codes; DROP TABLE _digests")
    staged.rejects.extend(sorted(rejects, key=lambda r: r.line or 0))
    staged.rows_read = con.execute("SELECT count(*) FROM good").fetchall()[0][0] + len(rejects)
    staged.tables.append(("orders", "upsert"))
