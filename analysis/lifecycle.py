"""The store's data lifecycle: load history, undoing a load, retention purges (forgetting a customer: erasure.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import duckdb

from analysis import rollups, store

# The table whose rows a load of each kind counts as loaded (the others follow their parent:
# order_hashes their order, meta_quality_events/match_keys their snapshot).
LOADED_TABLE: dict[str, str] = {
    "server-events": "server_events",
    "browser-events": "browser_events",
    "orders": "orders",
    "deployments": "deployments",
    "meta-quality": "meta_quality_snapshots",
    "meta-stats": "meta_stats",
    "meta-insights": "ad_insights",
}
# Tables where a load replaces a stored row by a newer version of it: the older version is gone.
UPSERTED = ("orders", "meta_stats", "ad_insights")
UNDONE = "undone"


class LifecycleError(Exception):
    """A lifecycle request that cannot be done, explained as a sentence with the fix."""


class AlreadyUndone(LifecycleError):
    """The load was undone before: nothing left to do."""


@dataclass(frozen=True)
class Load:
    """One row of the load history."""

    ingestion_id: int
    kind: str
    path: str
    started_at: datetime
    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_rejected: int
    status: str           # ok, partial, empty (as loaded, also for an undone load)
    undone: bool

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.ingestion_id, "kind": self.kind, "file": self.path,
                "when": self.started_at.isoformat(sep=" ", timespec="seconds"), "read": self.rows_read,
                "loaded": self.rows_loaded, "duplicates": self.rows_duplicate, "rejected": self.rows_rejected,
                "status": self.status, "undone": self.undone}


def _status_as_loaded(rows_read: int, rows_rejected: int) -> str:
    # An undone load's status reads "undone"; what it was is fixed by its counts, as commit() set it.
    return "empty" if rows_read == 0 else ("partial" if rows_rejected else "ok")


def loads(con: duckdb.DuckDBPyConnection, kind: str | None = None, limit: int | None = None) -> list[Load]:
    """The load history, newest first."""
    rows = store.query(con, "SELECT ingestion_id, kind, path, started_at, rows_read, rows_loaded, rows_duplicate, "
                            "rows_rejected, status FROM ingestions WHERE ? IS NULL OR kind = ? "
                            "ORDER BY ingestion_id DESC LIMIT ?", [kind, kind, limit])
    out = []
    for r in rows:
        undone = r["status"] == UNDONE
        status = _status_as_loaded(r["rows_read"], r["rows_rejected"]) if undone else r["status"]
        out.append(Load(int(r["ingestion_id"]), r["kind"], r["path"], r["started_at"], int(r["rows_read"]),
                        int(r["rows_loaded"]), int(r["rows_duplicate"]), int(r["rows_rejected"]), status, undone))
    return out


def _stored(con: duckdb.DuckDBPyConnection, table: str, ingestion_id: int) -> int:
    return int(store.scalar(con, f"SELECT count(*) FROM {store.quote_ident(table)} WHERE ingestion_id = ?",
                            [ingestion_id]))


def _why_not_exact(con: duckdb.DuckDBPyConnection, load: dict[str, Any]) -> str | None:
    """Why removing this load's rows would not give the store as it would be without the load (None: it would)."""
    iid, table = int(load["ingestion_id"]), LOADED_TABLE.get(load["kind"])
    if table is None:
        return f"load {iid} has the unknown kind {load['kind']!r}"
    kinds = [k for k, t in LOADED_TABLE.items() if t == table]
    others = store.query(con, f"SELECT ingestion_id, rows_loaded, rows_duplicate FROM ingestions "
                              f"WHERE kind IN ({', '.join('?' * len(kinds))}) AND status <> ? AND ingestion_id <> ?",
                         [*kinds, UNDONE, iid])
    later = [o for o in others if o["ingestion_id"] > iid]
    # A later load that found rows already stored may have found this load's: they would go with it.
    shared = [str(o["ingestion_id"]) for o in later if o["rows_duplicate"]]
    if shared and load["rows_loaded"]:
        return (f"later load{'s' if len(shared) > 1 else ''} {', '.join(shared)} found rows already stored, "
                f"possibly this load's, and would lose them; undo {'those' if len(shared) > 1 else 'that'} first")
    if table in UPSERTED:
        if _stored(con, table, iid) < load["rows_loaded"] and any(o["rows_loaded"] for o in later):
            return (f"a later load replaced some of its {table} rows by newer versions (or purge removed them); "
                    "undo the later loads first")
        earlier = [str(o["ingestion_id"]) for o in others
                   if o["ingestion_id"] < iid and _stored(con, table, int(o["ingestion_id"])) < o["rows_loaded"]]
        if earlier and load["rows_loaded"]:
            return (f"earlier load{'s' if len(earlier) > 1 else ''} {', '.join(earlier)} lost {table} rows to a "
                    "newer version (or to purge), possibly from this load, and the versions it replaced are no "
                    "longer stored; re-ingest the right files into a fresh database instead")
    return None


def undo(con: duckdb.DuckDBPyConnection, ingestion_id: int) -> dict[str, int]:
    """Remove exactly the rows one load added, in one transaction; rows removed per table.

    The ingestion row stays, marked undone, so the history stays honest and the file can be loaded
    again. A load is undone only where that is exact: see _why_not_exact.
    """
    rows = store.query(con, "SELECT * FROM ingestions WHERE ingestion_id = ?", [ingestion_id])
    if not rows:
        raise LifecycleError(f"There is no load {ingestion_id}; `capi-audit ingestions` lists them.")
    load = rows[0]
    if load["status"] == UNDONE:
        raise AlreadyUndone(f"Load {ingestion_id} was already undone; nothing to do.")
    why = _why_not_exact(con, load)
    if why:
        raise LifecycleError(f"Load {ingestion_id} cannot be undone exactly: {why}.")
    q = store.quote_ident
    removed: dict[str, int] = {}
    with store.transaction(con):
        # The rollups follow: the events this load added are listed before they go.
        rollups.changed_where(con, "ingestion_id = $iid", "ingestion_id = $iid", {"iid": ingestion_id})
        snap = "(pixel_id, fetched_at) IN (SELECT pixel_id, fetched_at FROM meta_quality_snapshots WHERE ingestion_id = ?)"
        for child in ("meta_quality_events", "meta_quality_match_keys"):
            removed[child] = _delete(con, f"DELETE FROM {child} WHERE {snap}", [ingestion_id])
        removed["order_hashes"] = _delete(
            con, "DELETE FROM order_hashes WHERE (owner, order_id) IN "
                 "(SELECT owner, order_id FROM orders WHERE ingestion_id = ?)",
            [ingestion_id])
        for table in dict.fromkeys(LOADED_TABLE.values()):
            removed[table] = _delete(con, f"DELETE FROM {q(table)} WHERE ingestion_id = ?", [ingestion_id])
        removed["rejects"] = _delete(con, "DELETE FROM rejects WHERE ingestion_id = ?", [ingestion_id])
        con.execute("UPDATE ingestions SET status = ? WHERE ingestion_id = ?", [UNDONE, ingestion_id])
        rollups.refresh(con)
    return removed


def _delete(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> int:
    return int(con.execute(sql, params).fetchall()[0][0])


# What purge removes, by each table's own time (the day an event happened, an order was placed,
# Meta was asked); children before their parents.
PURGED: dict[str, str] = {
    "server_events": "DELETE FROM server_events WHERE event_time < $cut",
    "browser_events": "DELETE FROM browser_events WHERE event_time < $cut",
    "order_hashes": "DELETE FROM order_hashes WHERE (owner, order_id) IN "
                    "(SELECT owner, order_id FROM orders WHERE created_at < $cut)",
    "orders": "DELETE FROM orders WHERE created_at < $cut",
    "meta_quality_events": "DELETE FROM meta_quality_events WHERE fetched_at < $cut",
    "meta_quality_match_keys": "DELETE FROM meta_quality_match_keys WHERE fetched_at < $cut",
    "meta_quality_snapshots": "DELETE FROM meta_quality_snapshots WHERE fetched_at < $cut",
    "meta_stats": "DELETE FROM meta_stats WHERE hour < $cut",
    "ad_insights": "DELETE FROM ad_insights WHERE day < CAST($cut AS DATE)",
}


def retention_cutoff(days: int, today: date | None = None) -> date:
    """The first day a retention of `days` days keeps (UTC)."""
    today = today or datetime.now(timezone.utc).date()
    return today - timedelta(days=days)


def purge(con: duckdb.DuckDBPyConnection, before: date, dry_run: bool = False) -> dict[str, int]:
    """Remove events, orders, quality snapshots and stats older than `before` (UTC midnight); rows per table."""
    cut = datetime(before.year, before.month, before.day)
    if dry_run:
        return {table: int(store.scalar(con, sql.replace("DELETE FROM", "SELECT count(*) FROM", 1), {"cut": cut}))
                for table, sql in PURGED.items()}
    with store.transaction(con):
        rollups.changed_where(con, "event_time < $cut", "event_time < $cut", {"cut": cut})
        removed = {table: _delete(con, sql, {"cut": cut}) for table, sql in PURGED.items()}
        rollups.refresh(con)
        return removed
