"""What every ingest module shares: options, rejects, staging databases, timestamps in SQL."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from analysis import normalize, store
from analysis.ingest import staging


class IngestError(Exception):
    """A file that cannot be read at all, explained with the fix."""


@dataclass
class Options:
    """Command-line choices that fill gaps in the files."""

    pixel_id: str | None = None
    at: str | None = None               # fetched_at for bare Meta responses
    aggregation: str | None = None
    event_source: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    default_country: str | None = None
    pixels: dict[str, list[str]] = field(default_factory=dict)
    purchase_actions: tuple[str, ...] = ("purchase", "offsite_conversion.fb_pixel_purchase")
    # The rollup-defining settings a store's first load records (later loads keep the store's own).
    rollup_settings: dict[str, Any] | None = None


@dataclass
class Reject:
    line: int | None
    reason: str


@dataclass
class Staged:
    """A parsed file waiting in its own staging database to be moved into the store."""

    kind: str
    path: Path
    staging: Path
    content_hash: str
    size_bytes: int
    rows_read: int = 0
    rejects: list[Reject] = field(default_factory=list)
    # (table, how) in load order; how = "new" (insert unseen identities) or "upsert".
    tables: list[tuple[str, str]] = field(default_factory=list)
    # Several files share one staging database: this file's tables there are named prefix + table,
    # or, for files parsed together, its rows are those of shared + table whose _file is its number.
    prefix: str = ""
    shared: str | None = None
    number: int = 0                 # the file's number in its staging database (prefix f<number>_)
    ready: bool = True              # False while read but not yet parsed (see ingest.Batch.flush)


# SQL helpers every parser uses. capi_ts accepts ISO 8601 with an offset, Shopify's
# "2026-10-01 12:00:03 -0400", and Unix seconds/ms/µs (> 1e11 ms, > 1e14 µs); returns UTC.
# A number no unit can make a time of (1e20, NaN) is NULL, not an overflow that fails the file.
MACROS = r"""
CREATE OR REPLACE MACRO capi_epoch(n) AS CASE WHEN n >= 0 AND n < 1e17 THEN
    make_timestamp(CAST(round(CASE WHEN n > 1e14 THEN n WHEN n > 1e11 THEN n * 1e3 ELSE n * 1e6 END) AS BIGINT)) END;
CREATE OR REPLACE MACRO capi_unit(n) AS CASE WHEN n > 1e14 THEN 'us' WHEN n > 1e11 THEN 'ms' ELSE 's' END;
CREATE OR REPLACE MACRO capi_ts(x) AS CASE
    WHEN x IS NULL OR trim(x) = '' THEN NULL
    WHEN regexp_full_match(trim(x), '[0-9]+(\.[0-9]+)?') THEN capi_epoch(TRY_CAST(trim(x) AS DOUBLE))
    ELSE CAST(timezone('UTC', coalesce(
        try_strptime(trim(x), '%Y-%m-%d %H:%M:%S %z'),
        TRY_CAST(trim(x) AS TIMESTAMPTZ))) AS TIMESTAMP)
    END;
CREATE OR REPLACE MACRO capi_ts_ok(t) AS t >= TIMESTAMP '2015-01-01' AND t < TIMESTAMP '2100-01-01';
"""


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def staging_file(workdir: Path | None = None) -> Path:
    """Where a new staging database goes (the one place that decides it); release() its directory after."""
    # workdir: the database's staging area (ingest/staging.py), swept of what killed loads leave.
    return staging.claim(workdir, "capi-stage") / "stage.duckdb"


def open_staging(path: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory parsing connection that writes its canonical, hashed rows to `path` (as `out`)."""
    # Parsing happens in memory (raw lines may hold plaintext); only canonical, hashed rows
    # are written to the staging file `out`, which the commit step attaches.
    con = duckdb.connect(":memory:")
    try:
        # The staging file is scratch, read once by this process's commit (and swept if the machine stops
        # first): never worth waiting for the disk to confirm its writes (a DuckDB without the setting syncs).
        try:
            con.execute("SET fsync_mode = 'NONE'")
        except duckdb.CatalogException:
            pass
        con.execute(f"ATTACH {sql_str(path)} AS out")
        con.execute("SET TimeZone = 'UTC'")
        # What does not fit in memory spills beside the staging file (by default: .tmp in the working directory).
        con.execute(f"SET temp_directory = {sql_str(path.parent / 'spill')}")
        store.limit_memory(con)
        # Progress is polled by the CLI's own bar; DuckDB must not print one on stdout.
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        con.execute(MACROS)
        register_udfs(con)
    except BaseException:
        con.close()
        raise
    return con


def new_staging(kind: str, path: Path, workdir: Path | None = None,
                digest: tuple[str, int] | None = None) -> tuple[Staged, duckdb.DuckDBPyConnection]:
    """A fresh staging database file for one input file (parsing never holds the main lock)."""
    digest, size = digest or file_digest(path)
    tmp = staging_file(workdir)
    try:
        con = open_staging(tmp)
    except BaseException:
        staging.release(tmp.parent)
        raise
    return Staged(kind=kind, path=path, staging=tmp, content_hash=digest, size_bytes=size), con


def _hash_plain(key: str, value: str) -> str | None:
    return normalize.hash_value(key, value)


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Per-record Python only where SQL cannot: Meta's normalization of stray plaintext."""
    con.create_function("capi_hash", _hash_plain, [duckdb.sqltypes.VARCHAR, duckdb.sqltypes.VARCHAR],
                        duckdb.sqltypes.VARCHAR, null_handling="special", side_effects=False)


def collect_rejects(con: duckdb.DuckDBPyConnection, sql: str) -> list[Reject]:
    """Rows (line, reason) from a query into Reject objects."""
    # On the connection itself: a cursor would not see this connection's temp tables.
    return [Reject(int(r[0]) if r[0] is not None else None, r[1]) for r in con.execute(sql).fetchall()]


def nonblank_sql(x: str) -> str:
    """SQL: the text x holds something besides spaces (trim(x) <> ''), without trim's scan of the whole text
    where its first character is ASCII and not a space (trim removes Unicode spaces only: tabs stay)."""
    return f"(CASE WHEN ascii({x}) BETWEEN 33 AND 126 THEN true ELSE trim({x}) <> '' END)"


def sql_str(value: Any) -> str:
    """A SQL string literal for constants baked into generated SQL (patterns from our own code)."""
    return "'" + str(value).replace("'", "''") + "'"


def forget_group(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], number: int | None) -> None:
    """Drop what a module parsing files together read of file `number` (None: of every file) into its group's
    `tables` (temp tables with a _file column) and did not parse yet."""
    for table in tables:
        if number is None:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        elif con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ?",
                         [table]).fetchall()[0][0]:
            con.execute(f"DELETE FROM {table} WHERE _file = {int(number)}")
