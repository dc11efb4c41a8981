"""Ingestion: parse a file into a staging database, then move its rows into the store in one short transaction."""
from __future__ import annotations

import importlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from analysis import interrupts, store
from analysis.ingest import staging
from analysis.ingest.base import IngestError, Options, Reject, Staged, file_digest, new_staging, sql_str

KINDS: dict[str, str] = {
    "server-events": "analysis.ingest.server_events",
    "browser-events": "analysis.ingest.browser_events",
    "orders": "analysis.ingest.orders",
    "deployments": "analysis.ingest.deployments",
    "meta-quality": "analysis.ingest.meta_quality",
    "meta-stats": "analysis.ingest.meta_stats",
    "meta-insights": "analysis.ingest.meta_insights",
}


@dataclass(frozen=True)
class TableRule:
    """How staged rows of a table join the store: their identity and who wins on a clash."""

    key: tuple[str, ...]
    mode: str = "new"                  # new: unseen identities only; upsert: changed rows replace
    newest: str | None = None          # upsert: a row replaces only if this column is not older
    children: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (table, key columns) replaced together with the parent


RULES: dict[str, TableRule] = {
    "server_events": TableRule(("event_uid",)),
    "browser_events": TableRule(("event_uid",)),
    # Two clients' #1001 are two orders: an order is its owner's (pixel_id, else shop, else '' = every pixel).
    "orders": TableRule(("owner", "order_id"), "upsert", "updated_at", (("order_hashes", ("owner", "order_id")),)),
    "deployments": TableRule(("deployed_at", "name")),
    "meta_quality_snapshots": TableRule(("pixel_id", "fetched_at"), children=()),
    "meta_quality_events": TableRule(("pixel_id", "fetched_at", "event_name")),
    "meta_quality_match_keys": TableRule(("pixel_id", "fetched_at", "event_name", "identifier")),
    "meta_stats": TableRule(("pixel_id", "aggregation", "event_source", "hour", "value"), "upsert", "fetched_at"),
    # Meta revises recent days as late conversions are attributed: the newer reading of a day wins.
    "ad_insights": TableRule(("ad_account_id", "day"), "upsert", "fetched_at"),
}


@dataclass
class Result:
    """What one file did to the store."""

    path: Path
    kind: str
    ingestion_id: int | None = None
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    unchanged: bool = False      # the same bytes were ingested cleanly before: not read again

    @property
    def rejected(self) -> int:
        return len(self.rejects)


def expand(paths: list[Path], kind: str) -> list[Path]:
    """Files named directly, plus the matching files inside directories (sorted, so order is stable)."""
    suffixes = {
        "server-events": (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"),
        "browser-events": (".jsonl", ".jsonl.gz", ".ndjson", ".har", ".txt", ".log"),
        "orders": (".csv", ".csv.gz", ".parquet"),
        "deployments": (".csv", ".json"),
        "meta-quality": (".json",),
        "meta-stats": (".json", ".jsonl"),
        "meta-insights": (".json", ".jsonl"),
    }[kind]
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            # A directory laid out by kind (capi-audit capture's log dir: server-events/, browser-events/)
            # gives this kind's subdirectory, and never another kind's: both hold .jsonl files.
            others = [p / k for k in KINDS if k != kind and (p / k).is_dir()]
            root = p / kind if (p / kind).is_dir() else p
            # Not only regular files: a dangling link or a pipe named like an input is reported, not skipped.
            out.extend(sorted(f for f in root.rglob("*") if not f.is_dir() and f.name.endswith(suffixes)
                              and not any(o in f.parents for o in others)))
        else:
            out.append(p)
    return out


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_name = ? "
        "ORDER BY ordinal_position", [catalog, table]).fetchall()
    return [r[0] for r in rows]


def _merge(con: duckdb.DuckDBPyConnection, table: str, rule: TableRule, ingestion_id: int, main: str) -> tuple[int, int]:
    """Move good staged rows of one table into the store; returns (loaded, duplicates)."""
    q = store.quote_ident
    target_cols = _columns(con, main, table)
    main = q(main)   # a file named my-audit.duckdb gives the catalog name "my-audit"
    staged_cols = set(_columns(con, "stg", table))
    good = "WHERE s.reason IS NULL" if "reason" in staged_cols else ""
    cols = [c for c in target_cols if c in staged_cols and c != "ingestion_id"]
    with_ing = "ingestion_id" in target_cols
    col_list = ", ".join(q(c) for c in cols)
    select = ", ".join(f"s.{q(c)}" for c in cols)
    keys_eq = " AND ".join(f"m.{q(k)} IS NOT DISTINCT FROM s.{q(k)}" for k in rule.key)
    if rule.mode == "new":
        # Straight from staging into the store: rows whose identity is already stored are skipped.
        staged_n = con.execute(f"SELECT count(*) FROM stg.{q(table)} s {good}").fetchall()[0][0]
        ing = ", ingestion_id" if with_ing else ""
        ing_v = f", {int(ingestion_id)}" if with_ing else ""
        cond = ("AND" if good else "WHERE") + f" NOT EXISTS (SELECT 1 FROM {main}.{q(table)} m WHERE {keys_eq})"
        loaded = con.execute(f"INSERT INTO {main}.{q(table)} ({col_list}{ing}) SELECT {select}{ing_v} "
                             f"FROM stg.{q(table)} s {good} {cond}").fetchall()[0][0]
        return loaded, staged_n - loaded
    con.execute(f"CREATE OR REPLACE TEMP TABLE _cand AS SELECT {select} FROM stg.{q(table)} s {good}")
    staged_n = con.execute("SELECT count(*) FROM _cand").fetchall()[0][0]
    # Upsert: unchanged rows are duplicates; a changed row wins unless the stored one is newer.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _cand AS "
                f"SELECT {col_list} FROM _cand EXCEPT SELECT {col_list} FROM {main}.{q(table)}")
    if rule.newest:
        n = q(rule.newest)
        con.execute(f"DELETE FROM _cand s WHERE EXISTS (SELECT 1 FROM {main}.{q(table)} m WHERE {keys_eq} "
                    f"AND m.{n} IS NOT NULL AND s.{n} IS NOT NULL AND m.{n} > s.{n})")
    for child, key in rule.children:
        kc = ", ".join(q(k) for k in key)
        con.execute(f"DELETE FROM {main}.{q(child)} WHERE ({kc}) IN (SELECT {kc} FROM _cand)")
    con.execute(f"DELETE FROM {main}.{q(table)} m WHERE EXISTS (SELECT 1 FROM _cand s WHERE {keys_eq})")
    loaded = con.execute("SELECT count(*) FROM _cand").fetchall()[0][0]
    ing = ", ingestion_id" if with_ing else ""
    ing_v = f", {int(ingestion_id)}" if with_ing else ""
    con.execute(f"INSERT INTO {main}.{q(table)} ({col_list}{ing}) SELECT {col_list}{ing_v} FROM _cand")
    for child, key in rule.children:
        ccols = ", ".join(q(c) for c in _columns(con, "stg", child))
        kc = ", ".join(q(k) for k in key)
        con.execute(f"INSERT INTO {main}.{q(child)} ({ccols}) SELECT {ccols} FROM stg.{q(child)} "
                    f"WHERE ({kc}) IN (SELECT {kc} FROM _cand)")
    con.execute("DROP TABLE _cand")
    return loaded, staged_n - loaded


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def commit(con: duckdb.DuckDBPyConnection, staged: Staged, started: datetime) -> Result:
    """One transaction per file: the ingestion row, the new rows and the rejects, or nothing."""
    res = Result(path=staged.path, kind=staged.kind, rows_read=staged.rows_read, rejects=staged.rejects)
    main = store.scalar(con, "SELECT current_database()")
    con.execute(f"ATTACH {sql_str(staged.staging)} AS stg (READ_ONLY)")
    try:
        with store.transaction(con):
            iid = store.scalar(con, "SELECT nextval('ingestion_seq')")
            res.ingestion_id = int(iid)
            for table, _how in staged.tables:
                loaded, dup = _merge(con, table, RULES[table], iid, main)
                if table in ("server_events", "browser_events", "orders", "deployments",
                             "meta_quality_snapshots", "meta_stats", "ad_insights"):
                    res.loaded += loaded
                    res.duplicates += dup
            if staged.rejects:
                con.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?)",
                                [[iid, str(staged.path), r.line, r.reason] for r in staged.rejects])
            status = "empty" if res.rows_read == 0 else ("partial" if staged.rejects else "ok")
            con.execute("INSERT INTO ingestions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [iid, staged.kind, str(staged.path), staged.content_hash, staged.size_bytes,
                         res.rows_read, res.loaded, res.duplicates, len(staged.rejects), started, _now(), status])
    finally:
        con.execute("DETACH stg")
    return res


class _Poller:
    """Reports DuckDB's own query progress while a long statement runs (for the progress bar)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, report: Callable[[float], None]) -> None:
        self.con, self.report, self.stop = con, report, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                p = self.con.query_progress()
            except Exception:
                return
            if p is not None and p >= 0:
                self.report(float(p))

    def __enter__(self) -> "_Poller":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def unreadable(path: Path, exc: OSError) -> IngestError:
    """A file the system would not let us read (permission, vanished), as a sentence with the fix."""
    why = exc.strerror or type(exc).__name__
    return IngestError(f"{path}: cannot be read ({why}); check that it exists and that this user may read it.")


def stage(kind: str, path: Path, opts: Options, report: Callable[[float], None] | None = None,
          digest: tuple[str, int] | None = None, workdir: Path | None = None) -> Staged:
    """Parse one file into its staging database (no lock on the store is held meanwhile)."""
    if kind not in KINDS:
        raise IngestError(f"Unknown input kind {kind!r}; choose one of {', '.join(KINDS)}.")
    if not path.is_file():
        raise IngestError(f"{path} does not exist or is not a file.")
    module = importlib.import_module(KINDS[kind])
    try:
        staged, con = new_staging(kind, path, workdir, digest)
    except OSError as exc:
        raise unreadable(path, exc) from None
    try:
        with interrupts.watching(con):
            if report is not None:
                with _Poller(con, report):
                    module.parse(path, staged, con, opts)
            else:
                module.parse(path, staged, con, opts)
    except duckdb.Error as exc:
        staging.release(staged.staging.parent)
        raise IngestError(f"{path}: could not be read as {kind} ({str(exc).splitlines()[0]}).") from None
    except OSError as exc:
        staging.release(staged.staging.parent)
        raise unreadable(path, exc) from None
    except BaseException:
        staging.release(staged.staging.parent)
        raise
    finally:
        con.close()
    return staged


# Kinds whose unchanged files are skipped on a re-ingest (capi-audit capture's logs grow daily).
SKIP_UNCHANGED = ("server-events", "browser-events")


def unchanged(db: str | Path, kind: str, path: Path, lock_timeout: float = 60.0,
              digest: tuple[str, int] | None = None) -> Result | None:
    """The result of a clean earlier ingestion of exactly these bytes at this path, else None.

    Reading such a file again would add nothing (identities), so it is skipped: a log directory that
    keeps growing costs one hash per unchanged file. A grown file is read again whole; its old lines
    are duplicates by identity. A file that had rejects is always read again (a newer capi-audit may
    accept them).
    """
    if str(db) == ":memory:" or not Path(db).is_file() or not path.is_file():
        return None
    size = path.stat().st_size
    try:
        with store.reader(db, wait=lock_timeout) as con:
            earlier = con.execute(
                "SELECT ingestion_id, content_hash, rows_read, rows_loaded + rows_duplicate FROM ingestions "
                "WHERE kind = ? AND path = ? AND size_bytes = ? AND status IN ('ok', 'empty') "
                "ORDER BY ingestion_id DESC",
                [kind, str(path), size]).fetchall()
    except (store.StoreError, duckdb.Error):
        return None      # no usable database yet: the normal path creates it or explains
    if not earlier:
        return None
    content = (digest or file_digest(path))[0]
    for iid, content_hash, rows_read, there in earlier:
        if content_hash == content:
            # Reported as a re-read would be: everything already there.
            return Result(path=path, kind=kind, ingestion_id=int(iid), rows_read=int(rows_read),
                          duplicates=int(there), unchanged=True)
    return None


def ingest_file(db: str | Path, kind: str, path: Path, opts: Options, *, lock_timeout: float = 60.0,
                report: Callable[[float], None] | None = None) -> Result:
    """Parse, then commit one file; a failure leaves the store as it was and says why."""
    started = _now()
    t0 = time.perf_counter()
    # Only where the file alone decides what is loaded: command-line choices (--pixel-id, --map,
    # --at, …) can change a re-read's result, so those reads always happen.
    digest = None
    try:
        if kind in SKIP_UNCHANGED and not opts.pixel_id and path.is_file():
            digest = file_digest(path)     # hashed once: for the skip and for the ingestion record
            if (done := unchanged(db, kind, path, lock_timeout, digest)) is not None:
                done.seconds = time.perf_counter() - t0
                return done
        staged = stage(kind, path, opts, report, digest, staging.area(db))
    except OSError as exc:
        return Result(path=path, kind=kind, error=str(unreadable(path, exc)), seconds=time.perf_counter() - t0)
    except IngestError as exc:
        return Result(path=path, kind=kind, error=str(exc), seconds=time.perf_counter() - t0)
    try:
        with store.writer(db, wait=lock_timeout) as con, interrupts.watching(con, writer=True):
            res = commit(con, staged, started)
    finally:
        staging.release(staged.staging.parent)
    res.seconds = time.perf_counter() - t0
    return res
