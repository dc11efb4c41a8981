"""Tests for hashes.Phones: phones parsed in a thread of their own and hashed in SQL, as normalize.hash_variants."""
from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import hashes, normalize
from analysis.ingest import Options, ingest_file

# Digits and the punctuation people type, with what phonenumbers treats specially: letters (vanity
# numbers, "ext"), a second "+", full-width digits, other whitespace, and the spreadsheet mark.
PHONE_CHARS = st.sampled_from(list("0123456789 +-().x/#'") + ["0", "1", "7", "\u00a0", "\t", "１", "A", "e", "t"])
PHONES = st.one_of(st.text(PHONE_CHARS, max_size=18), st.sampled_from(
    ["(650)555-1212", "+1 650 555 1212", "001 650 555 1212", "07700 900123", "+44 7700 900123", "447700900123",
     "0151 22071613", "+39 06 1234 5678", "06 1234 5678", "1-800-FLOWERS", "555-1212 ext. 123", "12", "",
     "   ", "+", "tel:+1-650-555-1212", "+1 650 555 1212 / 1213", "00", "0", "+0 123 456",
     "１２３４５６７８９０"]))
REGIONS = st.sampled_from(["", "US", "gb", "Germany", "xx", "IT", "Narnia", "United Kingdom", "de"])


def _phones_result(rows: list[tuple[str, str]]) -> set[tuple]:
    con = duckdb.connect()
    try:
        hashes.Phones(sorted(set(rows))).variants(con, "out")
        return set(con.execute("SELECT key, value, region, variant, hash FROM out").fetchall())
    finally:
        con.close()


def _python_result(rows: list[tuple[str, str]]) -> set[tuple]:
    return {("ph", v, r, variant, digest) for v, r in set(rows)
            for variant, digest in normalize.hash_variants("ph", v, r or None)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(PHONES, REGIONS), min_size=1, max_size=30))
def test_phones_equal_hash_variants(rows):
    assert _phones_result(rows) == _python_result(rows)


def test_phones_mistakes_are_named_once_and_never_the_correct_hash():
    rows = [("(650)555-1212", "US"), ("+39 06 1234 5678", ""), ("07700 900123", "GB"), ("12", "US"), (" ", "US")]
    out = _phones_result(rows)
    assert out == _python_result(rows)
    us = sorted(v for _, value, _, v, _ in out if value == "(650)555-1212")
    assert us == ["correct", "double_hashed", "missing_country_code", "missing_country_code"]
    # Italy's national number keeps its leading zero: no trunk-prefixed form of it.
    it = sorted(v for _, value, _, v, _ in out if value == "+39 06 1234 5678")
    assert it == ["correct", "double_hashed", "missing_country_code"]
    assert not [row for row in out if row[1] == " "]       # a blank phone has no hash


def test_phone_forms_are_the_parts_of_hash_variants():
    assert normalize.phone_forms("(650)555-1212", "US") == ("16505551212", "6505551212")
    assert normalize.phone_forms("12", "US") == ("12", None)          # not a possible number: its digits
    assert normalize.phone_forms("abc", "US") == (None, None)


def test_an_error_in_the_thread_reaches_the_caller(monkeypatch):
    def broken(value, country=None):
        raise RuntimeError("parsing failed")
    monkeypatch.setattr(normalize, "phone_forms", broken)
    con = duckdb.connect()
    try:
        with pytest.raises(RuntimeError, match="parsing failed"):
            hashes.Phones([("07700 900123", "GB")]).variants(con, "out")
    finally:
        con.close()


def test_cancel_stops_the_thread_and_forgets_the_phones():
    phones = hashes.Phones([(f"07700 900{i:03d}", "GB") for i in range(1000)] * 20)
    phones.cancel()
    assert not [t for t in threading.enumerate() if t.name == "capi-hash-phones"]
    con = duckdb.connect()
    try:
        phones.variants(con, "out")                      # nothing kept: no phone reaches a table
        assert con.execute("SELECT count(*) FROM out").fetchall() == [(0,)]
    finally:
        con.close()


def test_an_unknown_billing_country_stores_no_code_and_the_order_loads(tmp_path: Path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,created_at,total,currency,phone,country\n"
                    "1,2026-10-01T10:00:00Z,10,USD,(650)555-1212,Narnia\n"
                    "2,2026-10-01T11:00:00Z,10,USD,07700 900123,United Kingdom\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", path, Options())
    assert res.error is None and res.loaded == 2 and not res.rejects
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT order_id, country_code FROM orders ORDER BY order_id").fetchall() == [
            ("1", None), ("2", "gb")]
        # With no usable country, the phone is hashed as its digits (no country to parse it by).
        assert con.execute("SELECT hash FROM order_hashes WHERE order_id = '1' AND key = 'ph' AND variant = 'correct'"
                           ).fetchall() == [(normalize.hash_value("ph", "(650)555-1212", "Narnia"),)]
    finally:
        con.close()
