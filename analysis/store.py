"""The one door to DuckDB: connections, schema and migrations, and the writer's lock wait."""
from __future__ import annotations

import contextlib
import re
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from analysis import interrupts
from analysis.rollups import schema as _rollup_schema

SCHEMA_VERSION = 4
# Numbered migrations: version -> SQL taking a database from version-1 to version.
# Version 1 is schema.sql itself; later versions append here and never edit earlier ones.
MIGRATIONS: dict[int, str] = {
    # Orders belong to a client: identity (owner, order_id), owner = the order's pixel_id, else its shop,
    # else '' (every pixel). Stored orders keep their pixel_id as owner, so those without one keep meaning
    # every pixel. DuckDB cannot drop a primary key in place: the table is rebuilt.
    2: """
CREATE TABLE orders_v2 (
    owner         VARCHAR NOT NULL,          -- pixel_id, else shop, else '' (every pixel)
    order_id      VARCHAR NOT NULL,
    alt_id        VARCHAR,
    pixel_id      VARCHAR,
    shop          VARCHAR,                   -- a key of the `pixels` setting (shop -> pixel ids)
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP,
    total         DOUBLE NOT NULL,
    currency      VARCHAR,
    status        VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,
    test          BOOLEAN NOT NULL,
    customer_id   VARCHAR,
    country_code  VARCHAR,
    pii_digest    VARCHAR,
    ingestion_id  BIGINT NOT NULL,
    PRIMARY KEY (owner, order_id)
);
INSERT INTO orders_v2 (owner, order_id, alt_id, pixel_id, shop, created_at, updated_at, total, currency, status,
                       channel, test, customer_id, country_code, pii_digest, ingestion_id)
    SELECT coalesce(pixel_id, ''), order_id, alt_id, pixel_id, NULL, created_at, updated_at, total, currency, status,
           channel, test, customer_id, country_code, pii_digest, ingestion_id FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v2 RENAME TO orders;
CREATE TABLE order_hashes_v2 (
    owner     VARCHAR NOT NULL,
    order_id  VARCHAR NOT NULL,
    key       VARCHAR NOT NULL,
    variant   VARCHAR NOT NULL,
    hash      VARCHAR NOT NULL
);
INSERT INTO order_hashes_v2 SELECT coalesce(o.owner, ''), h.order_id, h.key, h.variant, h.hash
    FROM order_hashes h LEFT JOIN orders o ON o.order_id = h.order_id;
DROP TABLE order_hashes;
ALTER TABLE order_hashes_v2 RENAME TO order_hashes;
""",
    # Daily spend and purchases of each ad account (Marketing API insights, capi-audit sync meta-insights).
    3: """
CREATE TABLE IF NOT EXISTS ad_insights (
    ad_account_id   VARCHAR NOT NULL,          -- act_<digits>
    day             DATE NOT NULL,             -- the ad account's own calendar day (its time zone)
    spend           DOUBLE NOT NULL,
    currency        VARCHAR,                   -- account_currency
    purchases       DOUBLE NOT NULL,           -- the first of meta.purchase_action_types present (0: none)
    purchase_action VARCHAR,                   -- which action_type gave `purchases` (NULL: none reported)
    fetched_at      TIMESTAMP,
    ingestion_id    BIGINT,
    PRIMARY KEY (ad_account_id, day)
);
""",
    # Rollups maintained by every load (analysis/rollups); built from the stored events once, here.
    4: _rollup_schema.DDL,
}


def _build_rollups(con: duckdb.DuckDBPyConnection) -> None:
    from analysis import rollups

    events = scalar(con, "SELECT (SELECT count(*) FROM server_events) + (SELECT count(*) FROM browser_events)")
    if not events:
        return          # the first load records the settings it builds them with
    print(f"Building the audit's rollups from {events:,} stored events (once, for this version)…", file=sys.stderr)
    rollups.rebuild(con, progress=lambda m: print(m, file=sys.stderr))


# Python steps run after a migration's SQL, in the same transaction.
MIGRATION_STEPS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {4: _build_rollups}


# What DuckDB may hold while a writer works (its own default is 80 % of the machine's memory, which a
# month loaded at once did reach): beyond it, joins, aggregates and sorts spill to <db>.tmp beside the
# database. The `memory_limit` setting replaces it (set_memory_limit, from the command line's settings).
MEMORY_LIMIT = "2GB"
_memory_limit = MEMORY_LIMIT


def set_memory_limit(value: str) -> None:
    """The memory limit of every writer (and staging connection) this process opens from now on."""
    global _memory_limit
    _memory_limit = value.strip()


def memory_limit() -> str:
    return _memory_limit


# What DuckDB may hold while a reader works (a report, check, the dashboard): with Python's own share, a
# cold report of a 10M-event month stays under 2 GB. The `read_memory_limit` setting replaces it.
READ_MEMORY_LIMIT = "1536MB"
_read_memory_limit = READ_MEMORY_LIMIT


def set_read_memory_limit(value: str) -> None:
    """The memory limit of every reader this process opens from now on."""
    global _read_memory_limit
    _read_memory_limit = value.strip()


def configure(cfg: Any) -> None:
    """Both memory limits from the settings (the command line and the dashboard call this once)."""
    set_memory_limit(cfg["memory_limit"])
    set_read_memory_limit(cfg["read_memory_limit"])


def limit_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the writers' memory limit to a connection (a store writer or an ingest's staging connection)."""
    con.execute(f"SET memory_limit = '{_memory_limit.replace(chr(39), '')}'")


class StoreError(Exception):
    """A database problem explained as a sentence with the fix."""


class LockedError(StoreError):
    """Another process still held the database when the wait ran out (a reader may show older numbers)."""


def schema_sql() -> str:
    return resources.files("analysis").joinpath("schema.sql").read_text(encoding="utf-8")


def quote_ident(name: str) -> str:
    """Quote an identifier (table or column); values always go as parameters instead."""
    return '"' + name.replace('"', '""') + '"'


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _open(path: str, read_only: bool, wait: float, announce: Callable[[str], None] | None,
          sleep: Callable[[float], None]) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    delay, announced = 0.1, False
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise StoreError(f"Cannot open the database {path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise LockedError(
                    f"The database {path} is still locked by another process after {wait:.0f} s "
                    "(DuckDB allows one writer, or many readers, at a time). Stop the other capi-audit "
                    "command or dashboard action, or raise lock_timeout."
                ) from None
            if not announced:
                (announce or (lambda m: print(m, file=sys.stderr)))(
                    f"Waiting up to {wait:.0f} s for another process to release {path}…")
                announced = True
            sleep(delay)
            delay = min(delay * 2, 2.0)


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    current = rows[0][0] or 0
    if current > SCHEMA_VERSION:
        raise StoreError(f"The database was written by a newer capi-audit (schema {current}); upgrade capi-audit.")
    if current == SCHEMA_VERSION:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        if current == 0:
            for statement in _statements(schema_sql()):
                con.execute(statement)
            current = 1
        # Only the numbers present: numbers are reserved per change, so one may be absent in a build.
        for version in sorted(v for v in MIGRATIONS if current < v <= SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[version]):
                con.execute(statement)
            if version in MIGRATION_STEPS:
                MIGRATION_STEPS[version](con)
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _statements(sql: str) -> list[str]:
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return [s.strip() for s in without_comments.split(";") if s.strip()]


# DuckDB creates a database by writing its three headers (4 kB each) before anything else: a shorter
# file is a creation cut short, never a database that held data.
_HEADERS = 3 * 4096


def _sweep_stillborn(path: Path) -> None:
    """A first creation killed before DuckDB finished its headers (a kill -9 at that instant), with no log
    beside it: an empty file, or a partial header (DuckDB's magic bytes at offset 8). It never held data;
    DuckDB would refuse it forever ("not a valid DuckDB database file", "could not read enough bytes"), so
    it is removed and the database created again. Any other short file is not ours and is left alone."""
    try:
        size = path.stat().st_size
        if size >= _HEADERS or Path(str(path) + ".wal").exists():
            return
        if size == 0:
            path.unlink()
            return
        with open(path, "rb") as fh:
            if fh.read(12)[8:12] == b"DUCK":
                path.unlink()
    except FileNotFoundError:
        pass


def connect(path: str | Path, *, read_only: bool = False, wait: float = 60.0,
            announce: Callable[[str], None] | None = None,
            sleep: Callable[[float], None] = time.sleep) -> duckdb.DuckDBPyConnection:
    """Open the database; a writer creates/migrates it, a reader needs it to exist and be current."""
    path = str(path)
    if path != ":memory:":
        if read_only and not Path(path).exists():
            raise StoreError(f"No database at {path}. Ingest data first (capi-audit --db {path} ingest …) "
                             "or build the demo (capi-audit demo).")
        if not read_only:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _sweep_stillborn(Path(path))
    con = _open(path, read_only, wait, announce, sleep)
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB would draw its own progress bar on stdout (which carries `report`'s JSON).
    con.execute("SET enable_progress_bar_print = false")
    if not read_only:
        con.execute("SET preserve_insertion_order = false")
        limit_memory(con)
        _migrate(con)
    else:
        con.execute(f"SET memory_limit = '{_read_memory_limit.replace(chr(39), '')}'")
        version = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'").fetchall()[0][0]
        if not version:
            con.close()
            raise StoreError(f"{path} is not a capi-audit database (no schema). Ingest into it first.")
        current = con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] or 0
        if current < SCHEMA_VERSION and path != ":memory:":
            # A store written by an older capi-audit: upgrade it once (a writer's short visit), then read.
            con.close()
            try:
                connect(path, wait=wait, announce=announce, sleep=sleep).close()
            except duckdb.Error:
                # This process already reads the file through another connection (DuckDB forbids mixing).
                raise StoreError(f"The database {path} was written by an older capi-audit and is upgraded on its "
                                 "first opening for writing: close the other views of it (or the dashboard) "
                                 "and run the command again.") from None
            return connect(path, read_only=True, wait=wait, announce=announce, sleep=sleep)
    return con


@contextlib.contextmanager
def writer(path: str | Path, **kwargs: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, **kwargs)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def reader(path: str | Path, **kwargs: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=True, **kwargs)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure midway leaves the database as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        interrupts.check()       # Ctrl+C or SIGTERM came: the transaction does not commit
    except BaseException:
        con.execute("ROLLBACK")
        raise
    # A signal during the COMMIT lets it finish (all of it is stored), then stops.
    with interrupts.deferred():
        con.execute("COMMIT")


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run one query and fetch it fully (DuckDB 2 blocks a connection on an unfinished result).

    On the connection itself, not a cursor: a cursor is another connection and would not see
    this connection's temp tables, which the metrics build.
    """
    result = con.execute(sql, params or [])
    if result.description is None:
        return []
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None
