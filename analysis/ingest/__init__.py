"""Ingestion: parse a command's files into one staging database, then move their rows into the store in one transaction."""
from __future__ import annotations

import importlib
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import duckdb

from analysis import interrupts, rollups, store
from analysis.ingest import staging
from analysis.ingest.base import (IngestError, Options, Reject, Staged, file_digest, open_staging, sql_str,
                                  staging_file)

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
    # (table, key columns) replaced together with the parent; a staged child row belongs to a staged parent row.
    children: tuple[tuple[str, tuple[str, ...]], ...] = ()


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


# The table a kind's module stages (for modules that parse many files at once).
TABLE_OF = {"server-events": "server_events", "browser-events": "browser_events", "meta-stats": "meta_stats",
            "meta-quality": "meta_quality_snapshots"}


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


def _merge(con: duckdb.DuckDBPyConnection, table: str, rule: TableRule, ingestion_id: int, main: str,
           prefix: str = "", shared: tuple[str, int] | None = None) -> tuple[int, int]:
    """Move good staged rows of one table (stg.<prefix><table>) into the store; returns (loaded, duplicates).

    shared: (group prefix, file number) when the file's rows are those of a group's table.
    """
    q = store.quote_ident
    target_cols = _columns(con, main, table)
    main = q(main)   # a file named my-audit.duckdb gives the catalog name "my-audit"
    if shared is None:
        src = f"stg.{q(prefix + table)}"
    else:
        src = f"(SELECT * FROM stg.{q(shared[0] + table)} WHERE _file = {int(shared[1])})"
    staged_cols = set(_columns(con, "stg", (shared[0] if shared else prefix) + table))
    good = "WHERE s.reason IS NULL" if "reason" in staged_cols else ""
    cols = [c for c in target_cols if c in staged_cols and c != "ingestion_id"]
    with_ing = "ingestion_id" in target_cols
    col_list = ", ".join(q(c) for c in cols)
    select = ", ".join(f"s.{q(c)}" for c in cols)
    keys_eq = " AND ".join(f"m.{q(k)} IS NOT DISTINCT FROM s.{q(k)}" for k in rule.key)
    if rule.mode == "new":
        # Straight from staging into the store: rows whose identity is already stored are skipped.
        staged_n = con.execute(f"SELECT count(*) FROM {src} s {good}").fetchall()[0][0]
        ing = ", ingestion_id" if with_ing else ""
        ing_v = f", {int(ingestion_id)}" if with_ing else ""
        cond = ("AND" if good else "WHERE") + f" NOT EXISTS (SELECT 1 FROM {main}.{q(table)} m WHERE {keys_eq})"
        loaded = con.execute(f"INSERT INTO {main}.{q(table)} ({col_list}{ing}) SELECT {select}{ing_v} "
                             f"FROM {src} s {good} {cond}").fetchall()[0][0]
        return loaded, staged_n - loaded
    staged_n = con.execute(f"SELECT count(*) FROM {src} s {good}").fetchall()[0][0]
    # Upsert: unchanged rows are duplicates; a changed row wins unless the stored one is newer.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _cand AS "
                f"SELECT {select} FROM {src} s {good} EXCEPT SELECT {col_list} FROM {main}.{q(table)}")
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
        ccols = ", ".join(q(c) for c in _columns(con, "stg", prefix + child))
        kc = ", ".join(q(k) for k in key)
        # Every staged row loads (new orders, say): so do all staged children, which belong to staged rows.
        whose = "" if loaded == staged_n else f"WHERE ({kc}) IN (SELECT {kc} FROM _cand)"
        con.execute(f"INSERT INTO {main}.{q(child)} ({ccols}) SELECT {ccols} FROM stg.{q(prefix + child)} {whose}")
    con.execute("DROP TABLE _cand")
    return loaded, staged_n - loaded


def _merge_upsert_together(con: duckdb.DuckDBPyConnection, table: str, rule: TableRule, results: list[Result],
                           batch: list[tuple[Staged, datetime]], main: str) -> bool:
    """Several files' rows of one "upsert" table (without children) in one pass, when no identity is staged by
    two of the files; returns False, having changed nothing, when one is (they are then merged one by one).

    Each identity then meets only the stored row and its own file's rows, so the order of the files
    cannot matter, and one pass leaves what merging them one by one (`_merge`) would, counts included:
    daily fetches of Meta's figures, each of its own hours, cost one pass instead of one per file.
    """
    q = store.quote_ident
    m = q(main)
    target_cols, cols, parts = _batch_rows(con, table, batch, main)
    keys = ", ".join(q(k) for k in rule.key)
    shared = con.execute(f"SELECT count(*) FROM (SELECT {keys} FROM ({parts}) GROUP BY ALL "
                         "HAVING min(_f) <> max(_f))").fetchall()[0][0]
    if shared:
        return False
    col_list = ", ".join(q(c) for c in cols)
    keys_eq = " AND ".join(f"m.{q(k)} IS NOT DISTINCT FROM s.{q(k)}" for k in rule.key)
    staged_n = dict(con.execute(f"SELECT _f, count(*) FROM ({parts}) GROUP BY _f").fetchall())
    # Unchanged rows are duplicates (set difference, as _merge's EXCEPT); each identity has one file.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _cand AS SELECT f._f, c.* FROM "
                f"(SELECT {col_list} FROM ({parts}) EXCEPT SELECT {col_list} FROM {m}.{q(table)}) c "
                f"JOIN (SELECT DISTINCT _f, {keys} FROM ({parts})) f ON "
                + " AND ".join(f"f.{q(k)} IS NOT DISTINCT FROM c.{q(k)}" for k in rule.key))
    if rule.newest:
        n = q(rule.newest)
        con.execute(f"DELETE FROM _cand s WHERE EXISTS (SELECT 1 FROM {m}.{q(table)} m WHERE {keys_eq} "
                    f"AND m.{n} IS NOT NULL AND s.{n} IS NOT NULL AND m.{n} > s.{n})")
    con.execute(f"DELETE FROM {m}.{q(table)} m WHERE EXISTS (SELECT 1 FROM _cand s WHERE {keys_eq})")
    loaded_n = dict(con.execute("SELECT _f, count(*) FROM _cand GROUP BY _f").fetchall())
    if "ingestion_id" in target_cols:
        iids = " ".join(f"WHEN {i} THEN {int(r.ingestion_id or 0)}" for i, r in enumerate(results))
        con.execute(f"INSERT INTO {m}.{q(table)} ({col_list}, ingestion_id) SELECT {col_list}, CASE _f {iids} END "
                    "FROM _cand")
    else:
        con.execute(f"INSERT INTO {m}.{q(table)} ({col_list}) SELECT {col_list} FROM _cand")
    con.execute("DROP TABLE _cand")
    if table in COUNTED:
        for i, res in enumerate(results):
            res.loaded += loaded_n.get(i, 0)
            res.duplicates += staged_n.get(i, 0) - loaded_n.get(i, 0)
    return True


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# The tables whose rows a file's loaded and duplicate counts are about.
COUNTED = ("server_events", "browser_events", "orders", "deployments", "meta_quality_snapshots", "meta_stats",
           "ad_insights")


def _batch_rows(con: duckdb.DuckDBPyConnection, table: str, batch: list[tuple[Staged, datetime]],
                main: str) -> tuple[list[str], list[str], str]:
    """(the store's columns, the columns staged, every file's good staged rows with _f = its place in the batch)."""
    q = store.quote_ident
    target_cols = _columns(con, main, table)
    first = batch[0][0]
    staged_cols = set(_columns(con, "stg", (first.shared or first.prefix) + table))
    cols = [c for c in target_cols if c in staged_cols and c != "ingestion_id"]
    good = "reason IS NULL" if "reason" in staged_cols else "true"
    col_list = ", ".join(q(c) for c in cols)
    selects = [f"SELECT {i} AS _f, {col_list} FROM stg.{q(st.prefix + table)} WHERE {good}"
               for i, (st, _) in enumerate(batch) if st.shared is None]
    groups: dict[str, list[tuple[int, Staged]]] = {}
    for i, (st, _) in enumerate(batch):
        if st.shared is not None:
            groups.setdefault(st.shared, []).append((i, st))
    for shared, members in groups.items():
        # A group's files are told apart by their number: looked up in a list (no join, no long CASE).
        lo = min(st.number for _, st in members)
        at = {st.number: i for i, st in members}
        index = "[" + ", ".join(str(at.get(n, "NULL")) for n in range(lo, max(at) + 1)) + "]"
        pick = f"{index}[_file - {lo - 1}]"
        selects.append(f"SELECT _f, {col_list} FROM (SELECT {pick} AS _f, * FROM stg.{q(shared + table)} "
                       f"WHERE {good} AND _file BETWEEN {lo} AND {max(at)}) WHERE _f IS NOT NULL")
    return target_cols, cols, " UNION ALL ".join(selects)


def _merge_new_together(con: duckdb.DuckDBPyConnection, table: str, rule: TableRule, results: list[Result],
                        batch: list[tuple[Staged, datetime]], main: str) -> None:
    """Several files' rows of one "new" table in one statement, with the outcome of merging them one by one.

    A row loads when its identity is neither stored nor staged by an earlier file of the batch (copies
    within one file load alike, as they would alone). Merged one by one, every file would look its rows
    up in the whole growing table: a batch of daily files would cost the square of the days.
    """
    q = store.quote_ident
    m = q(main)
    target_cols, cols, parts = _batch_rows(con, table, batch, main)
    col_list = ", ".join(q(c) for c in cols)
    key_list = ", ".join(q(k) for k in rule.key)
    keys_eq = " AND ".join(f"m.{q(k)} IS NOT DISTINCT FROM s.{q(k)}" for k in rule.key)
    first_eq = " AND ".join(f"f.{q(k)} IS NOT DISTINCT FROM s.{q(k)}" for k in rule.key)
    staged_n = dict(con.execute(f"SELECT _f, count(*) FROM ({parts}) GROUP BY _f").fetchall())
    # Which file stages each identity first: grouped on the identity alone, so memory stays small.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _first AS SELECT {key_list}, min(_f) AS _f FROM ({parts}) "
                f"GROUP BY {key_list}")
    new_rows = (f"FROM ({parts}) s JOIN _first f ON {first_eq} AND f._f = s._f "
                f"WHERE NOT EXISTS (SELECT 1 FROM {m}.{q(table)} m WHERE {keys_eq})")
    if "ingestion_id" in target_cols:
        iids = " ".join(f"WHEN {i} THEN {int(r.ingestion_id or 0)}" for i, r in enumerate(results))
        con.execute(f"INSERT INTO {m}.{q(table)} ({col_list}, ingestion_id) "
                    f"SELECT {', '.join(f's.{q(c)}' for c in cols)}, CASE s._f {iids} END {new_rows}")
        by_iid = dict(con.execute(f"SELECT ingestion_id, count(*) FROM {m}.{q(table)} WHERE ingestion_id "
                                  f"BETWEEN {results[0].ingestion_id} AND {results[-1].ingestion_id} "
                                  f"GROUP BY ingestion_id").fetchall())
        loaded_n = {i: by_iid.get(r.ingestion_id, 0) for i, r in enumerate(results)}
    else:
        loaded_n = dict(con.execute(f"SELECT s._f, count(*) {new_rows} GROUP BY s._f").fetchall())
        con.execute(f"INSERT INTO {m}.{q(table)} ({col_list}) SELECT {', '.join(f's.{q(c)}' for c in cols)} "
                    f"{new_rows}")
    con.execute("DROP TABLE _first")
    if table in COUNTED:
        for i, res in enumerate(results):
            res.loaded += loaded_n.get(i, 0)
            res.duplicates += staged_n.get(i, 0) - loaded_n.get(i, 0)


def _commit_staged(con: duckdb.DuckDBPyConnection, staged: Staged, started: datetime, main: str,
                   res: Result | None = None, merged: frozenset[str] = frozenset()) -> Result:
    """One file's ingestion row, new rows and rejects (inside the caller's transaction, staging attached as stg).

    `res`: the file's result with its ingestion id, and the tables `merged` already merged together.
    """
    if res is None:
        res = Result(path=staged.path, kind=staged.kind, rows_read=staged.rows_read, rejects=staged.rejects)
        res.ingestion_id = int(store.scalar(con, "SELECT nextval('ingestion_seq')"))
    iid = res.ingestion_id
    for table, _how in staged.tables:
        if table in merged:
            continue
        loaded, dup = _merge(con, table, RULES[table], iid, main, staged.prefix,
                             (staged.shared, staged.number) if staged.shared else None)
        if table in COUNTED:
            res.loaded += loaded
            res.duplicates += dup
    if staged.rejects:
        con.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?)",
                        [[iid, str(staged.path), r.line, r.reason] for r in staged.rejects])
    status = "empty" if res.rows_read == 0 else ("partial" if staged.rejects else "ok")
    con.execute("INSERT INTO ingestions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [iid, staged.kind, str(staged.path), staged.content_hash, staged.size_bytes,
                 res.rows_read, res.loaded, res.duplicates, len(staged.rejects), started, _now(), status])
    return res


def commit_batch(con: duckdb.DuckDBPyConnection, staging: Path, batch: list[tuple[Staged, datetime]],
                 rollup_settings: dict[str, Any] | None = None, maintain_rollups: bool = True) -> list[Result]:
    """The one place staged rows enter the store: every file of `staging`, in one transaction, or nothing.

    Files are merged in order, each with its own ingestion row, so a later file's copy of an earlier
    file's row counts as a duplicate exactly as it would in separate loads. The rollups follow the new
    events in the same transaction (maintain_rollups=False: the caller rebuilds them once, as a store
    built whole in one go does).
    """
    main = store.scalar(con, "SELECT current_database()")
    con.execute(f"ATTACH {sql_str(staging)} AS stg (READ_ONLY)")
    try:
        with store.transaction(con):
            tables = {tuple(st.tables) for st, _ in batch}
            if len(batch) < 2 or len(tables) != 1:
                results = [_commit_staged(con, staged, started, main) for staged, started in batch]
            else:
                results = [Result(path=st.path, kind=st.kind, rows_read=st.rows_read, rejects=st.rejects,
                                  ingestion_id=int(store.scalar(con, "SELECT nextval('ingestion_seq')")))
                           for st, _ in batch]
                merged = set()
                for table, _how in batch[0][0].tables:
                    rule = RULES[table]
                    if rule.mode == "new":
                        _merge_new_together(con, table, rule, results, batch, main)
                        merged.add(table)
                    elif not rule.children and _merge_upsert_together(con, table, rule, results, batch, main):
                        merged.add(table)
                results = [_commit_staged(con, st, started, main, res, frozenset(merged))
                           for (st, started), res in zip(batch, results)]
            if maintain_rollups and any(t in ("server_events", "browser_events")
                                        for st, _ in batch for t, _how in st.tables):
                ids = [r.ingestion_id for r in results if r.ingestion_id is not None]
                if ids and any(r.loaded for r in results):
                    rollups.changed_by_ingestions(con, min(ids), max(ids))
                    rollups.refresh(con, rollup_settings)
            return results
    finally:
        con.execute("DETACH stg")


def commit(con: duckdb.DuckDBPyConnection, staged: Staged, started: datetime) -> Result:
    """One transaction per file: the ingestion row, the new rows and the rejects, or nothing."""
    return commit_batch(con, staged.staging, [(staged, started)])[0]


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


class Batch:
    """One staging database and one parsing connection for the files of one command.

    A connection per file would cost a database open and a checkpoint each (a third of a second for
    a small file); instead each file's tables are renamed to its own prefix once parsed, and whatever
    the parser left in memory is dropped before the next file.
    """

    def __init__(self, kind: str, workdir: Path | None = None) -> None:
        if kind not in KINDS:
            raise IngestError(f"Unknown input kind {kind!r}; choose one of {', '.join(KINDS)}.")
        self.kind, self.module = kind, importlib.import_module(KINDS[kind])
        # workdir: the database's staging area (ingest/staging.py), swept of what killed loads leave.
        self.staging = staging_file(workdir)
        try:
            self.con: duckdb.DuckDBPyConnection | None = open_staging(self.staging)
        except BaseException:
            staging.release(self.staging.parent)
            raise
        self.files = 0
        self.opts = Options()
        # Files read but not yet parsed (a kind whose module parses many files at once: it has finish).
        self.group: list[Staged] = []
        self.groups = 0
        self.failed: list[tuple[Staged, IngestError]] = []     # files of groups parsed by stage()

    def _out_tables(self) -> set[str]:
        assert self.con is not None
        return {r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'out'").fetchall()}

    def _out_views(self) -> set[str]:
        assert self.con is not None
        return {r[0] for r in self.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'out' AND NOT internal").fetchall()}

    def _forget_memory(self, failed: bool) -> None:
        """Drop the parser's in-memory tables and views (raw lines may hold plaintext).

        A parser drops its own temporary macros; after a failure they are looked for too (the
        function catalog is slow to list, so only then).
        """
        con = self.con
        assert con is not None
        q = store.quote_ident
        macros = ("UNION ALL SELECT DISTINCT database_name, schema_name, function_name, CASE function_type "
                  "WHEN 'table_macro' THEN 'MACRO TABLE' ELSE 'MACRO' END FROM duckdb_functions() "
                  "WHERE database_name = 'temp' AND function_type IN ('macro', 'table_macro')") if failed else ""
        # The group's raw lines stay until the group is parsed (flush drops them).
        kept = getattr(self.module, "GROUP_TABLES", ())
        keep = "".join(f" AND table_name <> '{t}'" for t in kept)
        for db, schema, name, kind in con.execute(
                "SELECT database_name, schema_name, table_name, 'TABLE' FROM duckdb_tables() "
                f"WHERE database_name IN ('memory', 'temp') {keep} UNION ALL "
                "SELECT database_name, schema_name, view_name, 'VIEW' FROM duckdb_views() "
                f"WHERE NOT internal AND database_name IN ('memory', 'temp') {macros}").fetchall():
            con.execute(f"DROP {kind} IF EXISTS {q(db)}.{q(schema)}.{q(name)}")

    def stage(self, path: Path, opts: Options, report: Callable[[float], None] | None = None,
              digest: tuple[str, int] | None = None) -> Staged:
        """Parse one file into the staging database; a file that fails leaves nothing there.

        A kind whose module parses files together (it has `finish`) only reads the file here; its
        rows are staged when the group is parsed (flush), and `ready` says so.
        """
        if not path.is_file():
            raise IngestError(f"{path} does not exist or is not a file.")
        con = self.con
        assert con is not None
        try:
            content_hash, size = digest or file_digest(path)
        except OSError as exc:
            raise unreadable(path, exc) from None
        number = self.files
        staged = Staged(kind=self.kind, path=path, staging=self.staging, content_hash=content_hash,
                        size_bytes=size, prefix=f"f{number}_", number=number)
        self.files += 1
        grouped = hasattr(self.module, "finish")
        if grouped:
            self.opts = opts
            staged.shared, staged.ready = f"g{self.groups}_", False
        try:
            failed = True
            try:
                with interrupts.watching(con):
                    if report is not None and not grouped:
                        with _Poller(con, report):
                            self.module.parse(path, staged, con, opts)
                    else:
                        self.module.parse(path, staged, con, opts)
                failed = False
            finally:
                # A file read into the group leaves nothing but the group's own tables after success.
                if failed or staged.ready:
                    self._forget_memory(failed)
            if staged.ready:          # parsed now (a kind, or a form of a kind, that is not grouped)
                for table in ([t for t, _ in staged.tables]
                              + [c for t, _ in staged.tables for c, _ in RULES[t].children]):
                    con.execute(f"ALTER TABLE out.{store.quote_ident(table)} RENAME TO "
                                f"{store.quote_ident(staged.prefix + table)}")
        except BaseException as exc:
            # Earlier files' tables and views all carry their prefix; whatever else is there is this file's,
            # as is what a parser named with this file's prefix (the tables behind a staged view).
            for view in self._out_views():
                if not re.fullmatch(r"[fg][0-9]+_.+", view):
                    con.execute(f"DROP VIEW out.{store.quote_ident(view)}")
            for table in self._out_tables():
                if not re.fullmatch(r"[fg][0-9]+_.+", table) or table.startswith(staged.prefix):
                    con.execute(f"DROP TABLE out.{store.quote_ident(table)}")
            if grouped:
                self.module.forget(con, number)       # what it read of this file, the group's other files kept
            if isinstance(exc, duckdb.Error):
                raise IngestError(f"{path}: could not be read as {self.kind} ({str(exc).splitlines()[0]}).") from None
            if isinstance(exc, OSError):
                raise unreadable(path, exc) from None
            raise
        if not staged.ready:
            self.group.append(staged)
            if sum(st.rows_read for st in self.group) >= self.module.GROUP_LINES:
                self.failed += self.flush(report)
        return staged

    def flush(self, report: Callable[[float], None] | None = None) -> list[tuple[Staged, IngestError]]:
        """Parse the files read so far in one statement; returns the files that could not be parsed.

        Should the group's statement fail, each of its files is read and parsed alone, so a file that
        cannot be parsed fails by itself and the others still load.
        """
        if not self.group:
            return []
        con = self.con
        assert con is not None
        group, self.group = self.group, []
        shared = f"g{self.groups}_"
        self.groups += 1
        table = shared + TABLE_OF[self.kind]
        try:
            try:
                with interrupts.watching(con):
                    if report is not None:
                        with _Poller(con, report):
                            self.module.finish(con, table, group, self.opts)
                    else:
                        self.module.finish(con, table, group, self.opts)
            finally:
                self.module.forget(con, None)
                self._forget_memory(failed=True)
        except (duckdb.Error, IngestError) as exc:
            # (A module may find, parsing the group, that one file as a whole is none of its kind.)
            for staged_table in self._out_tables():      # every table the group's parse began
                if staged_table.startswith(shared):
                    con.execute(f"DROP TABLE out.{store.quote_ident(staged_table)}")
            if len(group) == 1:
                path = group[0].path
                return [(group[0], exc if isinstance(exc, IngestError) else IngestError(
                    f"{path}: could not be read as {self.kind} ({str(exc).splitlines()[0]})."))]
            failed: list[tuple[Staged, IngestError]] = []
            for staged in group:
                staged.rejects.clear()
                staged.tables.clear()
                staged.rows_read = 0
                staged.shared = f"g{self.groups}_"
                try:
                    with interrupts.watching(con):
                        self.module.parse(staged.path, staged, con, self.opts)
                except (OSError, IngestError, duckdb.Error) as err:
                    self.module.forget(con, None)
                    failed.append((staged, err if isinstance(err, IngestError) else unreadable(staged.path, err)
                                   if isinstance(err, OSError) else IngestError(
                                       f"{staged.path}: could not be read as {self.kind} ({str(err).splitlines()[0]}).")))
                    continue
                self.group = [staged]
                failed += self.flush(report)
            return failed
        for staged in group:
            staged.shared, staged.ready = shared, True
        return []

    def finish(self, report: Callable[[float], None] | None = None) -> list[tuple[Staged, IngestError]]:
        """Parse what is read but not parsed, and close the staging database; returns the files that failed."""
        failed = self.failed + (self.flush(report) if self.con is not None else [])
        self.failed = []
        self.close()
        return failed

    def close(self) -> None:
        """Finish the staging database (the commit attaches it)."""
        if self.con is not None:
            self.con.close()
            self.con = None

    def remove(self) -> None:
        self.close()
        staging.release(self.staging.parent)


def stage(kind: str, path: Path, opts: Options, report: Callable[[float], None] | None = None,
          digest: tuple[str, int] | None = None, workdir: Path | None = None) -> Staged:
    """Parse one file into its own staging database (no lock on the store is held meanwhile)."""
    try:
        batch = Batch(kind, workdir)
    except OSError as exc:
        raise unreadable(path, exc) from None
    try:
        staged = batch.stage(path, opts, report, digest)
        failed = batch.finish(report)
        if failed:
            raise failed[0][1]
    except BaseException:
        batch.remove()
        raise
    return staged


# Kinds whose unchanged files are skipped on a re-ingest (capi-audit capture's logs grow daily).
SKIP_UNCHANGED = ("server-events", "browser-events")


def _earlier(db: str | Path, kind: str, paths: list[Path], lock_timeout: float) -> dict[tuple[str, int], list[tuple]]:
    """Clean earlier ingestions of these paths by (path, size), newest first: one read for the whole command."""
    if str(db) == ":memory:" or not Path(db).is_file():
        return {}
    wanted = {str(p) for p in paths}
    out: dict[tuple[str, int], list[tuple]] = {}
    try:
        with store.reader(db, wait=lock_timeout) as con:
            rows = con.execute(
                "SELECT path, size_bytes, ingestion_id, content_hash, rows_read, rows_loaded + rows_duplicate "
                "FROM ingestions WHERE kind = ? AND status IN ('ok', 'empty') ORDER BY ingestion_id DESC",
                [kind]).fetchall()
    except (store.StoreError, duckdb.Error):
        return {}        # no usable database yet: the normal path creates it or explains
    for path, size, *rest in rows:
        if path in wanted:
            out.setdefault((path, int(size)), []).append(tuple(rest))
    return out


def _unchanged(earlier: dict[tuple[str, int], list[tuple]], kind: str, path: Path,
               digest: tuple[str, int]) -> Result | None:
    """The result of a clean earlier ingestion of exactly these bytes at this path, else None.

    Reading such a file again would add nothing (identities), so it is skipped: a log directory that
    keeps growing costs one hash per unchanged file. A grown file is read again whole; its old lines
    are duplicates by identity. A file that had rejects is always read again (a newer capi-audit may
    accept them).
    """
    for iid, content_hash, rows_read, there in earlier.get((str(path), digest[1]), []):
        if content_hash == digest[0]:
            # Reported as a re-read would be: everything already there.
            return Result(path=path, kind=kind, ingestion_id=int(iid), rows_read=int(rows_read),
                          duplicates=int(there), unchanged=True)
    return None


def ingest_files(db: str | Path, kind: str, paths: list[Path], opts: Options, *, lock_timeout: float = 60.0,
                 report: Callable[[float], None] | None = None,
                 on_file: Callable[[Result | None], None] | None = None) -> list[Result]:
    """Parse the files of one command into one staging database, then commit them in one short transaction.

    Each file keeps its own ingestion row, rejects and outcome: a file that cannot be read leaves
    nothing and the others still load. `report` gets DuckDB's progress within the file being parsed;
    `on_file` is called once per file as it is skipped, fails (with its Result) or is parsed (None).
    A signal while parsing still commits the files parsed whole before it, then stops.
    """
    results: list[Result | None] = [None] * len(paths)
    try:
        batch = Batch(kind, staging.area(db))
    except IngestError as exc:
        return [Result(path=p, kind=kind, error=str(exc)) for p in paths]
    except OSError as exc:
        return [Result(path=p, kind=kind, error=str(unreadable(p, exc))) for p in paths]
    # Only where the file alone decides what is loaded: command-line choices (--pixel-id, --map,
    # --at, …) can change a re-read's result, so those reads always happen.
    skip = kind in SKIP_UNCHANGED and not opts.pixel_id
    pending: list[tuple[int, Staged, datetime, float]] = []

    def commit_pending() -> list[Result]:
        with store.writer(db, wait=lock_timeout) as con, interrupts.watching(con, writer=True):
            return commit_batch(con, batch.staging, [(st, started) for _, st, started, _ in pending],
                                opts.rollup_settings)

    try:
        try:
            earlier = _earlier(db, kind, paths, lock_timeout) if skip else {}
            for i, path in enumerate(paths):
                started, t0 = _now(), time.perf_counter()
                digest = None
                try:
                    if skip and path.is_file():
                        digest = file_digest(path)     # hashed once: for the skip and for the ingestion record
                        if (done := _unchanged(earlier, kind, path, digest)) is not None:
                            done.seconds = time.perf_counter() - t0
                            results[i] = done
                            if on_file is not None:
                                on_file(done)
                            continue
                    staged = batch.stage(path, opts, report, digest)
                except (OSError, IngestError) as exc:
                    interrupts.check()      # a file that failed because of a signal is not "unreadable": stop here
                    error = str(unreadable(path, exc) if isinstance(exc, OSError) else exc)
                    results[i] = Result(path=path, kind=kind, error=error, seconds=time.perf_counter() - t0)
                    if on_file is not None:
                        on_file(results[i])
                    continue
                pending.append((i, staged, started, time.perf_counter() - t0))
                if on_file is not None:
                    on_file(None)
            t1 = time.perf_counter()
            failed = {id(st): err for st, err in batch.finish(report)}
            # The files parsed together share the time it took.
            share = (time.perf_counter() - t1) / max(len(pending), 1)
            for n, (i, st, started, seconds) in enumerate(pending):
                if id(st) in failed:        # (on_file heard of it when it was read)
                    results[i] = Result(path=st.path, kind=kind, error=str(failed[id(st)]), seconds=seconds + share)
                pending[n] = (i, st, started, seconds + share)
            pending[:] = [p for p in pending if id(p[1]) not in failed]
        except KeyboardInterrupt:
            # Each file is stored whole or not at all: those read whole before the signal still are
            # (parsed now, if they waited for their group), not the one it stopped.
            with interrupts.finishing():
                failed = {id(st) for st, _ in batch.finish()}
            pending[:] = [p for p in pending if p[1].ready and id(p[1]) not in failed]
            if pending:
                with interrupts.finishing():
                    commit_pending()
            raise
        if pending:
            t1 = time.perf_counter()
            committed = commit_pending()
            share = (time.perf_counter() - t1) / len(pending)
            for (i, _, _, seconds), res in zip(pending, committed):
                res.seconds = seconds + share
                results[i] = res
    finally:
        batch.remove()
    return [r for r in results if r is not None]


def ingest_file(db: str | Path, kind: str, path: Path, opts: Options, *, lock_timeout: float = 60.0,
                report: Callable[[float], None] | None = None) -> Result:
    """Parse, then commit one file; a failure leaves the store as it was and says why."""
    return ingest_files(db, kind, [path], opts, lock_timeout=lock_timeout, report=report)[0]
