"""Tests for analysis.hashes: the column-wise path gives exactly normalize.hash_variants' hashes."""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import hashes, normalize
from analysis.ingest import Options, ingest_file

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
KEYS = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id")
# Mostly printable ASCII (the SQL path), with the characters where Python and SQL could disagree:
# other whitespace, accents, a capital İ (its Python lowercase is two code points), symbols.
ALPHABET = st.sampled_from(list("aBz09 .-_'@+()/") + ["\t", "\u00a0", "é", "Ü", "İ", "ß", "€", "\u200b", "Σ"])
VALUES = st.one_of(st.text(ALPHABET, max_size=12), st.sampled_from(
    [" Mary ", "MARY", "John_Smith@gmail.com", " a@B.com", "(650)555-1212", "07700 900123", "'94103",
     "SW1A 1AA", "California", "USA", "", "   ", "!!", "Jürgen", "  User-42"]))
REGIONS = st.sampled_from(["", "US", "gb", "Germany", "xx"])


def _sql_result(rows: list[tuple[str, str, str]]) -> set[tuple]:
    con = duckdb.connect()
    try:
        con.register("_rows", pd.DataFrame(rows, columns=["key", "value", "region"], dtype="string"))
        con.execute("CREATE TEMP TABLE src AS SELECT DISTINCT key, value, region FROM _rows")
        hashes.variants_table(con, "src", "out")
        return set(con.execute("SELECT key, value, region, variant, hash FROM out").fetchall())
    finally:
        con.close()


def _python_result(rows: list[tuple[str, str, str]]) -> set[tuple]:
    return {(k, v, r, variant, digest) for k, v, r in set(rows)
            for variant, digest in normalize.hash_variants(k, v, r or None)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(KEYS), VALUES, REGIONS), min_size=1, max_size=25))
def test_column_wise_equals_per_value(rows):
    assert _sql_result(rows) == _python_result(rows)


def test_sql_path_covers_metas_vectors():
    rows = [("em", "John_Smith@gmail.com", ""), ("fn", "Mary", ""), ("ct", "New York", ""),
            ("external_id", " User-42", "")]
    out = _sql_result(rows)
    assert ("em", "John_Smith@gmail.com", "", "correct",
            "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f") in out
    assert ("fn", "Mary", "", "correct", "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec") in out
    assert ("ct", "New York", "", "correct", hashlib.sha256(b"newyork").hexdigest()) in out
    assert {(v, h) for k, _, _, v, h in out if k == "external_id"} == {
        ("correct", hashlib.sha256(b"User-42").hexdigest()),
        ("not_trimmed", hashlib.sha256(b" User-42").hexdigest()),
        ("double_hashed", hashlib.sha256(hashlib.sha256(b"User-42").hexdigest().encode()).hexdigest())}


def test_hash_variants_is_correct_then_mistakes():
    assert normalize.hash_variants("ph", "07700 900123", "GB") == [
        ("correct", normalize.hash_value("ph", "07700 900123", "GB")),
        *normalize.mistake_variants("ph", "07700 900123", "GB")]
    assert normalize.hash_variants("ge", "unknown") == []


def test_order_digest_is_the_stored_formula(tmp_path: Path):
    # Stores made before hold digests of this exact form: a re-read must see unchanged orders as such.
    db = tmp_path / "db.duckdb"
    for name in ("orders.csv", "orders-shopify.csv"):
        assert ingest_file(db, "orders", SAMPLES / name, Options()).error is None
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""
            SELECT o.order_id, o.pii_digest, d.digest FROM orders o LEFT JOIN (
              SELECT order_id, sha256(string_agg(key || ':' || variant || ':' || hash, '|'
                                                 ORDER BY key, variant, hash)) AS digest
              FROM order_hashes GROUP BY order_id) d USING (order_id)""").fetchall()
    finally:
        con.close()
    assert len(rows) > 20
    assert all(stored == expected for _, stored, expected in rows)
    assert sum(stored is not None for _, stored, _ in rows) > 20


def test_python_values_in_several_chunks(monkeypatch):
    monkeypatch.setattr(hashes, "_CHUNK", 2)
    rows = [("ph", "07700 900123", "GB"), ("ph", "(650)555-1212", "US"), ("st", "California", "US"),
            ("zp", "'94103", "US"), ("fn", "Jürgen", ""), ("country", "USA", ""), ("ge", "x", "")]
    assert _sql_result(rows) == _python_result(rows)
    assert len({(k, v) for k, v, *_ in _sql_result(rows)}) == 6     # "x" is no gender: no hash


LATIN1 = [chr(c) for c in range(0xA0, 0x100)]     # the letters SQL takes, and the neighbours it leaves to Python


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(hashes.SQL_KEYS),
                          st.text(st.sampled_from(list("aZ0 .-@") + LATIN1 + ["\u0301", "İ"]), max_size=10),
                          REGIONS), min_size=1, max_size=25))
def test_latin1_text_column_wise_equals_per_value(rows):
    assert _sql_result(rows) == _python_result(rows)


def test_every_latin1_character_hashes_as_python_does():
    rows = [(key, form.format(ch, ch), "") for key in hashes.SQL_KEYS for ch in LATIN1
            for form in ("{}", " A{}b ", "x{}Y", "{}{}")]
    assert _sql_result(rows) == _python_result(rows)


def test_latin1_names_and_emails_are_hashed_column_wise(monkeypatch):
    asked = []
    real = normalize.hash_variants
    monkeypatch.setattr(normalize, "hash_variants", lambda k, v, r=None: asked.append(k) or real(k, v, r))
    rows = [("em", " L.Müller7@Example.com", ""), ("ln", "Côté", ""), ("fn", "Jürgen", ""), ("ct", "München", ""),
            ("fn", "Zoë\u00a0", ""), ("ph", "07700 900123", "GB")]
    out = _sql_result(rows)
    assert sorted(asked) == ["fn", "ph"]          # the non-breaking space and the phone: Python's
    assert ("ln", "Côté", "", "correct", hashlib.sha256("côté".encode()).hexdigest()) in out
    assert ("em", " L.Müller7@Example.com", "", "not_trimmed",
            hashlib.sha256(" l.müller7@example.com".encode()).hexdigest()) in out


def test_python_part_runs_beside_the_callers_statements_and_its_errors_reach_the_caller(monkeypatch):
    con = duckdb.connect()
    try:
        con.execute("CREATE TEMP TABLE src AS SELECT * FROM (VALUES ('ph', '07700 900123', 'GB'), "
                    "('em', 'a@b.com', '')) t(key, value, region)")
        hashes.per_value(con, "src", "py", meanwhile=lambda: hashes.column_wise(con, "src", "sql"))
        assert con.execute("SELECT DISTINCT key FROM py").fetchall() == [("ph",)]
        assert con.execute("SELECT DISTINCT key FROM sql").fetchall() == [("em",)]
        assert set(con.execute("SELECT * FROM py UNION ALL SELECT * FROM sql").fetchall()) == _python_result(
            [("ph", "07700 900123", "GB"), ("em", "a@b.com", "")])

        def broken(key, value, region=None):
            raise RuntimeError("normalization failed")
        monkeypatch.setattr(normalize, "hash_variants", broken)
        with pytest.raises(RuntimeError, match="normalization failed"):
            hashes.per_value(con, "src", "py2")
    finally:
        con.close()


def test_an_interrupt_beside_python_stops_its_thread_before_reaching_the_caller():
    con = duckdb.connect()
    try:
        con.execute("CREATE TEMP TABLE src AS SELECT 'ph' AS key, '07700 900' || lpad(i::VARCHAR, 3, '0') AS value, "
                    "'GB' AS region FROM range(1000) t(i)")

        def interrupted() -> None:
            raise KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            hashes.per_value(con, "src", "py", meanwhile=interrupted)
        assert not [t for t in threading.enumerate() if t.name == "capi-hash-variants"]
        assert con.execute("SELECT count(*) FROM py").fetchall() == [(0,)]
    finally:
        con.close()


def _server_plaintext_hashes(values: list[str]) -> list[tuple[str, str, str | None]]:
    """(key, value, the stored hash) as a server event's plaintext is hashed at ingest (SQL, else Python)."""
    from analysis.ingest import base, server_events

    con = duckdb.connect()
    try:
        base.register_udfs(con)
        keys = list(normalize.HASH_KEYS)
        con.register("_v", pd.DataFrame([(k, v) for k in keys for v in values], columns=["key", "value"],
                                        dtype="string"))
        cases = " ".join(f"WHEN '{k}' THEN {server_events._hashed(k, 'value')}" for k in keys)
        return con.execute(f"SELECT key, value, CASE key {cases} END FROM _v").fetchall()
    finally:
        con.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(VALUES, st.text(st.sampled_from(list("aZ0 .-@") + LATIN1 + ["\u0301", "İ"]),
                                          max_size=10)), min_size=1, max_size=20))
def test_server_event_plaintext_hashes_as_python_does(values):
    # The ingest's column-wise hashing of stray plaintext (emails, names, cities) is Meta's rules exactly.
    for key, value, stored in _server_plaintext_hashes(values):
        assert stored == normalize.hash_value(key, value), (key, value)


def test_server_event_plaintext_in_the_sql_alphabet_never_reaches_python(monkeypatch):
    from analysis.ingest import base

    asked = []
    monkeypatch.setattr(base, "_hash_plain", lambda k, v: asked.append((k, v)) or normalize.hash_value(k, v))
    out = _server_plaintext_hashes([" John_Smith@Gmail.com ", "Côté", "Zoë\u00a0"])
    assert ("em", " John_Smith@Gmail.com ",
            "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f") in out
    assert {k for k, v in asked if v != "Zoë\u00a0"} <= {"ph", "ge", "db", "st", "zp", "country"}
    assert {k for k, v in asked if v == "Zoë\u00a0"} == set(normalize.HASH_KEYS)   # the non-breaking space: Python's
