"""sync_state: each live source's incremental cursor and last run (the CLI writes it, the dashboard reads it)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from analysis import store


def cursors(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """source -> the stored cursor (sources that have none are absent)."""
    return {r["source"]: r["cursor"] for r in store.query(con, "SELECT source, cursor FROM sync_state "
                                                               "WHERE cursor IS NOT NULL")}


def save(con: duckdb.DuckDBPyConnection, source: str, status: str, at: datetime, cursor: str | None = None) -> None:
    """Record a run; a cursor of None keeps the stored one (a failed run never moves it)."""
    con.execute("""INSERT INTO sync_state (source, cursor, last_run_at, last_status) VALUES (?, ?, ?, ?)
                   ON CONFLICT (source) DO UPDATE SET cursor = coalesce(excluded.cursor, sync_state.cursor),
                   last_run_at = excluded.last_run_at, last_status = excluded.last_status""",
                [source, cursor, at, status])


def sync_status(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The last sync of every source: when, how it went, and where the next one starts."""
    return store.query(con, """SELECT source, last_run_at, split_part(last_status, ':', 1) AS status,
                                      nullif(trim(substr(last_status, length(split_part(last_status, ':', 1)) + 2)), '')
                                        AS message, cursor
                               FROM sync_state ORDER BY source""")
