"""The store: schema creation and version, read-only refusals, and the writer's announced lock wait."""
from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from analysis import store

HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(float(sys.argv[2]))"


def test_schema_is_created_once_and_versioned(tmp_path):
    db = tmp_path / "a.duckdb"
    with store.writer(db) as con:
        assert store.scalar(con, "SELECT version FROM schema_version") == store.SCHEMA_VERSION
        tables = {r["table_name"] for r in store.query(con, "SELECT table_name FROM information_schema.tables")}
    assert {"server_events", "browser_events", "orders", "order_hashes", "deployments", "ingestions", "rejects",
            "meta_quality_snapshots", "meta_stats", "emq_calibrations"} <= tables
    with store.writer(db) as con:    # a second open migrates nothing and keeps one version row
        assert store.scalar(con, "SELECT count(*) FROM schema_version") == 1


def test_an_older_store_gains_the_ad_insights_table(tmp_path):
    db = tmp_path / "a.duckdb"
    with store.writer(db) as con:
        con.execute("DROP TABLE ad_insights")
        con.execute("UPDATE schema_version SET version = 2")      # the store before migration 3
    with store.writer(db) as con:
        assert store.scalar(con, "SELECT version FROM schema_version") == store.SCHEMA_VERSION >= 3
        assert [r["column_name"] for r in store.query(con, "SELECT column_name FROM information_schema.columns "
                                                           "WHERE table_name = 'ad_insights' ORDER BY ordinal_position")] == [
            "ad_account_id", "day", "spend", "currency", "purchases", "purchase_action", "fetched_at", "ingestion_id"]


def test_reader_needs_an_existing_database(tmp_path):
    with pytest.raises(store.StoreError, match="No database at"):
        store.connect(tmp_path / "missing.duckdb", read_only=True)


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "a.duckdb"
    with store.writer(db) as con:
        con.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(store.StoreError, match="newer capi-audit"):
        store.connect(db)


def _hold(db, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_writer_waits_for_the_lock_and_says_so(tmp_path):
    db = tmp_path / "a.duckdb"
    store.connect(db).close()
    messages: list[str] = []
    proc = _hold(db, 1.5)
    t0 = time.monotonic()
    try:
        con = store.connect(db, wait=30, announce=messages.append)
        con.close()
    finally:
        proc.wait()
    assert time.monotonic() - t0 >= 0.5
    assert len(messages) == 1 and "Waiting up to 30 s" in messages[0]


def test_writer_gives_up_with_a_sentence(tmp_path):
    db = tmp_path / "a.duckdb"
    store.connect(db).close()
    proc = _hold(db, 3)
    try:
        with pytest.raises(store.StoreError, match="still locked by another process"):
            store.connect(db, wait=0.3, announce=lambda m: None)
    finally:
        proc.wait()


def test_quote_ident():
    assert store.quote_ident('we"ird') == '"we""ird"'


def test_an_empty_file_left_by_a_killed_first_creation_becomes_a_store(tmp_path):
    db = tmp_path / "audit.duckdb"
    db.touch()                                   # what a kill -9 leaves between open() and DuckDB's header
    with store.writer(db) as con:
        assert store.scalar(con, "SELECT version FROM schema_version") == store.SCHEMA_VERSION
    kept = tmp_path / "other.duckdb"             # with a log beside it, an empty file is not ours to remove
    kept.touch()
    (tmp_path / "other.duckdb.wal").write_bytes(b"x")
    with pytest.raises(store.StoreError, match="not a valid DuckDB database file"):
        store.connect(kept)
    assert kept.exists()


def test_a_partial_header_left_by_a_killed_first_creation_becomes_a_store(tmp_path):
    """A kill -9 while DuckDB writes a new file's headers leaves its first 4 kB: recreated, as an empty file is.
    A short file that is not DuckDB's is left alone."""
    whole = tmp_path / "whole.duckdb"
    with store.writer(whole):
        pass
    db = tmp_path / "audit.duckdb"
    db.write_bytes(whole.read_bytes()[:4096])
    with pytest.raises(Exception, match="Could not read enough bytes"):
        duckdb.connect(str(db)).close()              # what DuckDB itself says of it, forever
    with store.writer(db) as con:
        assert store.scalar(con, "SELECT version FROM schema_version") == store.SCHEMA_VERSION
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n")
    with pytest.raises(store.StoreError):
        store.connect(notes)
    assert notes.read_text() == "my notes, not a database\n"
