"""Tests for the ingest runner: many files in one staging database and one commit, each file on its own."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from analysis.ingest import Options, ingest_files, server_events
from tests.test_ingest_server import rows


def _line(event_id: str, sent_at: str = "2026-10-01T12:00:05Z") -> str:
    event = {"event_name": "Purchase", "event_time": 1790856000, "event_id": event_id, "action_source": "website",
             "user_data": {"client_ip_address": "203.0.113.7"}}
    return json.dumps({"pixel_id": "111", "sent_at": sent_at, "request": {"data": [event]},
                       "response": {"status": 200, "body": {"events_received": 1}}})


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def staging_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def test_each_file_keeps_its_identity_counts_and_reject_lines(tmp_path: Path, staging_dir: Path) -> None:
    a = _write(tmp_path, "a.jsonl", [_line("e1"), _line("e2")])
    b = _write(tmp_path, "b.jsonl", [_line("e2"), "not json", _line("e3")])   # e2 again: a duplicate
    db = tmp_path / "db.duckdb"
    res = ingest_files(db, "server-events", [a, b], Options())
    assert [(r.path.name, r.rows_read, r.loaded, r.duplicates, r.error) for r in res] == [
        ("a.jsonl", 2, 2, 0, None), ("b.jsonl", 3, 1, 1, None)]
    assert [(x.line, x.reason) for x in res[1].rejects] == [(2, "line is not valid JSON")]
    assert rows(db, "SELECT path, rows_read, rows_loaded, rows_duplicate, rows_rejected, status "
                      "FROM ingestions ORDER BY ingestion_id") == [
        (str(a), 2, 2, 0, 0, "ok"), (str(b), 3, 1, 1, 1, "partial")]
    assert rows(db, "SELECT file, line FROM rejects") == [(str(b), 2)]
    assert rows(db, "SELECT i.path, count(*) FROM server_events s JOIN ingestions i USING (ingestion_id) "
                      "GROUP BY ALL ORDER BY ALL") == [(str(a), 2), (str(b), 1)]
    assert list(staging_dir.iterdir()) == []          # the staging database is gone


def test_unchanged_files_are_skipped_and_a_grown_one_is_read(tmp_path: Path, staging_dir: Path) -> None:
    a = _write(tmp_path, "a.jsonl", [_line("e1")])
    b = _write(tmp_path, "b.jsonl", [_line("e2")])
    db = tmp_path / "db.duckdb"
    ingest_files(db, "server-events", [a, b], Options())
    _write(tmp_path, "b.jsonl", [_line("e2"), _line("e4")])
    res = ingest_files(db, "server-events", [a, b], Options())
    assert [(r.unchanged, r.loaded, r.duplicates) for r in res] == [(True, 0, 1), (False, 1, 1)]
    assert rows(db, "SELECT count(*) FROM ingestions") == [(3,)]


def test_a_file_that_fails_leaves_nothing_and_the_others_load(tmp_path: Path, staging_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    good1 = _write(tmp_path, "1.jsonl", [_line("e1")])
    bad = _write(tmp_path, "2.jsonl", [_line("e2")])
    good2 = _write(tmp_path, "3.jsonl", [_line("e3")])
    real = server_events.parse

    def parse(path, staged, con, opts):
        real(path, staged, con, opts)
        if path == bad:       # fails after its rows were staged: they must not reach the store
            con.execute("SELECT error('disk trouble')").fetchall()

    monkeypatch.setattr(server_events, "parse", parse)
    db = tmp_path / "db.duckdb"
    res = ingest_files(db, "server-events", [good1, bad, tmp_path / "missing.jsonl", good2], Options())
    assert [(r.path.name, r.loaded, r.error is None) for r in res] == [
        ("1.jsonl", 1, True), ("2.jsonl", 0, False), ("missing.jsonl", 0, False), ("3.jsonl", 1, True)]
    assert res[1].error == f"{bad}: could not be read as server-events (Invalid Input Error: disk trouble)."
    assert rows(db, "SELECT event_id FROM server_events ORDER BY 1") == [("e1",), ("e3",)]
    assert rows(db, "SELECT path FROM ingestions ORDER BY ingestion_id") == [(str(good1),), (str(good2),)]
    assert list(staging_dir.iterdir()) == []


def test_nothing_to_commit_still_removes_the_staging(tmp_path: Path, staging_dir: Path) -> None:
    res = ingest_files(tmp_path / "db.duckdb", "server-events", [tmp_path / "none.jsonl"], Options())
    assert res[0].error == f"{tmp_path / 'none.jsonl'} does not exist or is not a file."
    assert list(staging_dir.iterdir()) == []


def test_a_batch_counts_stored_and_earlier_files_rows_as_already_there(tmp_path: Path, staging_dir: Path) -> None:
    db = tmp_path / "db.duckdb"
    ingest_files(db, "server-events", [_write(tmp_path, "old.jsonl", [_line("e1")])], Options())
    a = _write(tmp_path, "a.jsonl", [_line("e1"), _line("e2")])
    b = _write(tmp_path, "b.jsonl", [_line("e2"), _line("e3")])
    c = _write(tmp_path, "c.jsonl", [_line("e1"), _line("e3"), _line("e4")])
    res = ingest_files(db, "server-events", [a, b, c], Options())
    assert [(r.loaded, r.duplicates) for r in res] == [(1, 1), (1, 1), (1, 2)]
    assert rows(db, "SELECT i.path, s.event_id FROM server_events s JOIN ingestions i USING (ingestion_id) "
                      "ORDER BY s.event_id") == [
        (str(tmp_path / "old.jsonl"), "e1"), (str(a), "e2"), (str(b), "e3"), (str(c), "e4")]
    assert rows(db, "SELECT rows_loaded, rows_duplicate FROM ingestions ORDER BY ingestion_id") == [
        (1, 0), (1, 1), (1, 1), (1, 2)]


def test_an_orders_file_that_fails_after_staging_its_hashes_leaves_none_behind(
        tmp_path: Path, staging_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Orders stage their hashes as a view over two tables of their own: a failed file's must go too,
    # or the next file could not stage its own view.
    from analysis.ingest import orders
    head = "order_id,created_at,total,currency,email,phone,first_name\n"
    files = [_write(tmp_path, f"{n}.csv", [head + f"o{n},2026-10-01T12:00:00Z,10.00,EUR,c{n}@example.com,"
                                          f"+44 7700 900{n}23,Ann"]) for n in (1, 2, 3)]
    real = orders.parse
    left: list[list[str]] = []

    def parse(path, staged, con, opts):
        real(path, staged, con, opts)
        left.append(sorted(r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'out' UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'out' AND NOT internal").fetchall()))
        if path == files[1]:
            con.execute("SELECT error('disk trouble')").fetchall()

    monkeypatch.setattr(orders, "parse", parse)
    db = tmp_path / "db.duckdb"
    res = ingest_files(db, "orders", files, Options())
    assert [(r.loaded, r.error is None) for r in res] == [(1, True), (0, False), (1, True)]
    # What the third file's parse found: the first file's renamed tables and its own, nothing of the second's.
    assert left[2] == ["f0_order_hash_forms", "f0_order_hash_refs", "f0_order_hashes", "f0_orders",
                       "f2_order_hash_forms", "f2_order_hash_refs", "order_hashes", "orders"]
    assert rows(db, "SELECT order_id, count(DISTINCT key), count(*) FROM order_hashes GROUP BY 1 ORDER BY 1") == [
        ("o1", 3, 9), ("o3", 3, 9)]   # em 2, ph 4, fn 3
    assert list(staging_dir.iterdir()) == []


def test_files_parsed_in_groups_number_their_copies_each_on_its_own(tmp_path: Path, staging_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_events, "GROUP_LINES", 3)     # a, b in one group; c in the next
    no_sent = json.dumps({"pixel_id": "111", "request": {"data": [json.loads(_line("n1"))["request"]["data"][0]]}})
    a = _write(tmp_path, "a.jsonl", [no_sent, no_sent])                  # two copies: occurrences 1 and 2
    b = _write(tmp_path, "b.jsonl", [no_sent, "[1]"])                    # occurrence 1 again: a duplicate
    c = _write(tmp_path, "c.jsonl", [_line("e1"), _line("e1"), "{"])     # a second identical copy loads
    db = tmp_path / "db.duckdb"
    res = ingest_files(db, "server-events", [a, b, c], Options())
    assert [(r.rows_read, r.loaded, r.duplicates, [(x.line, x.reason) for x in r.rejects]) for r in res] == [
        (2, 2, 0, []), (2, 0, 1, [(2, "line is a JSON array, not an object")]),
        (3, 2, 0, [(3, "line is not valid JSON")])]
    assert rows(db, "SELECT count(*), count(DISTINCT event_uid) FROM server_events") == [(4, 4)]


def test_a_group_that_fails_is_parsed_file_by_file(tmp_path: Path, staging_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    good1 = _write(tmp_path, "1.jsonl", [_line("e1")])
    bad = _write(tmp_path, "2.jsonl", [_line("e2")])
    good2 = _write(tmp_path, "3.jsonl", [_line("e3")])
    real = server_events.finish

    def finish(con, table, files, opts):
        real(con, table, files, opts)
        if any(f.path == bad for f in files):     # its group fails after staging rows: none may reach the store
            con.execute("SELECT error('disk trouble')").fetchall()

    monkeypatch.setattr(server_events, "finish", finish)
    db = tmp_path / "db.duckdb"
    res = ingest_files(db, "server-events", [good1, bad, good2], Options())
    assert [(r.path.name, r.loaded, r.error) for r in res] == [
        ("1.jsonl", 1, None), ("2.jsonl", 0, f"{bad}: could not be read as server-events (Invalid Input Error: "
                                              "disk trouble)."), ("3.jsonl", 1, None)]
    assert rows(db, "SELECT event_id FROM server_events ORDER BY 1") == [("e1",), ("e3",)]
    assert rows(db, "SELECT path FROM ingestions ORDER BY 1") == [(str(good1),), (str(good2),)]
