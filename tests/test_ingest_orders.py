"""Tests for analysis.ingest.orders: the three layouts, rejects, upserts, hashes and no plaintext in the store."""

from __future__ import annotations

import csv
import gzip
import hashlib
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from analysis.ingest import Options, ingest_file

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
STATUSES = "paid, authorized, partially_paid, pending, refunded, partially_refunded, voided, cancelled"
CANONICAL_HEADER = ("order_id,created_at,total,currency,status,email,phone,first_name,last_name,city,state,zip,"
                    "country,customer_id,channel,test,updated_at")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _hashes(db: Path, order_id: str, key: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for variant, digest in _query(db, f"SELECT variant, hash FROM order_hashes WHERE order_id = '{order_id}' "
                                      f"AND key = '{key}'"):
        out.setdefault(variant, set()).add(digest)
    return out


def test_canonical_sample_loads_and_rejects_the_bad_rows(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", SAMPLES / "orders.csv", Options())
    assert res.error is None
    assert (res.rows_read, res.loaded, res.duplicates) == (20, 18, 0)
    assert [(r.line, r.reason) for r in res.rejects] == [
        (20, "line 20: created_at is empty"),
        (21, "line 21: total is not a number"),
    ]
    assert _query(db, "SELECT count(*), min(order_id), max(order_id) FROM orders") == [(18, "1001", "1018")]
    assert _query(db, "SELECT * EXCLUDE (ingestion_id, pii_digest, owner, shop) FROM orders WHERE order_id = '1007'") == [
        ("1007", None, None, datetime(2026, 10, 1, 18, 5, 9), datetime(2026, 10, 5, 9, 0), 32.0, "USD",
         "partially_refunded", "web", False, "7340000000107", "us")]
    assert _query(db, "SELECT country_code, count(*) FROM orders GROUP BY ALL ORDER BY ALL") == [
        ("ca", 2), ("de", 2), ("fr", 2), ("gb", 5), ("us", 7)]
    assert _query(db, "SELECT line, reason FROM rejects ORDER BY line") == [
        (20, "line 20: created_at is empty"), (21, "line 21: total is not a number")]
    # Mary Smith, US: each key's correct hash by Meta's rules.
    expected = {"em": "mary.smith@example.com", "ph": "14155550132", "fn": "mary", "ln": "smith",
                "ct": "sanfrancisco", "st": "ca", "zp": "94103", "country": "us", "external_id": "7340000000101"}
    for key, normalized in expected.items():
        assert _hashes(db, "1001", key)["correct"] == {_sha(normalized)}, key
    assert _hashes(db, "1001", "em")["not_lowercased"] == {_sha("Mary.Smith@example.com")}
    assert _query(db, "SELECT count(*) FROM order_hashes WHERE order_id IN ('1019', '1020')") == [(0,)]


def test_metas_test_vector_and_uk_phone_variants(tmp_path: Path) -> None:
    path = _write(tmp_path, "o.csv", "order_id,created_at,total,currency,email,phone,country\n"
                                     "A1,2026-10-01T09:00:00Z,10,usd,John_Smith@gmail.com,07700 900123,GB\n"
                                     "A2,2026-10-01T09:00:00Z,10,EUR,,7700 900123,\n")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", path, Options(default_country="gb"))
    assert (res.error, res.loaded) == (None, 2)
    em = _hashes(db, "A1", "em")
    assert em["correct"] == {"62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"}
    assert em["not_lowercased"] == {_sha("John_Smith@gmail.com")}
    assert em["double_hashed"] == {_sha("62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f")}
    for order_id in ("A1", "A2"):    # A2 has no country: the default country places the phone
        ph = _hashes(db, order_id, "ph")
        assert ph["correct"] == {_sha("447700900123")}
        assert ph["missing_country_code"] == {_sha("7700900123"), _sha("07700900123")}
    assert _query(db, "SELECT order_id, currency, country_code FROM orders ORDER BY 1") == [
        ("A1", "USD", "gb"), ("A2", "EUR", None)]


def test_shopify_export_groups_line_items(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", SAMPLES / "orders-shopify.csv", Options())
    assert (res.error, res.rows_read, res.loaded, res.rejects) == (None, 8, 8, [])
    assert _query(db, "SELECT order_id, alt_id, total, currency, status, channel, test, country_code FROM orders "
                      "ORDER BY order_id") == [
        ("1021", "6130412351021", 181.25, "USD", "paid", "web", False, "us"),
        ("1022", "6130412351022", 70.95, "USD", "paid", "web", False, "de"),
        ("1023", "6130412351023", 30.95, "USD", "pending", "web", False, "fr"),
        ("1024", "6130412351024", 159.8, "USD", "cancelled", "web", False, "ca"),
        ("1025", "6130412351025", 56.0, "USD", "paid", "pos", False, "gb"),
        ("1026", "6130412351026", 103.5, "USD", "partially_refunded", "web", False, "gb"),
        ("1027", "6130412351027", 78.0, "USD", "voided", "web", False, "fr"),
        ("1028", "6130412351028", 138.35, "USD", "paid", "draft", False, "us"),
    ]
    assert _query(db, "SELECT created_at FROM orders WHERE order_id = '1021'") == [(datetime(2026, 10, 3, 8, 5, 11),)]
    # Billing Name split on the first space; Phone empty, so Billing Phone.
    assert _hashes(db, "1021", "fn")["correct"] == {_sha("mary")}
    assert _hashes(db, "1021", "ln")["correct"] == {_sha("smith")}
    assert _hashes(db, "1021", "ph")["correct"] == {_sha("14155550132")}
    assert _hashes(db, "1022", "ph")["correct"] == {_sha("4915123456789")}
    assert _hashes(db, "1021", "external_id") == {}


def test_shopify_reject_names_the_orders_first_row(tmp_path: Path) -> None:
    text = ("Name,Email,Financial Status,Currency,Total,Created at,Lineitem name,Cancelled at,Source,Id,Phone\n"
            "#2001,a@example.com,paid,EUR,20.00,2026-10-03 08:05:11 +0200,Mug,,shopify,9001,'+33639981234\n"
            "#2002,b@example.com,shipped,EUR,30.00,2026-10-03 09:00:00 +0200,Tee,,pos,9002,\n"
            "#2002,,,,,,Socks,,,,\n"
            "#2003,c@example.com,paid,EUR,,2026-10-03 10:00:00 +0200,Cap,,,9003,\n"
            "#2001,,,,,,Spoon,,,,\n"
            ",,,,,,,,,,\n")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", _write(tmp_path, "shop.csv", text), Options())
    assert (res.error, res.rows_read, res.loaded) == (None, 3, 1)
    assert [(r.line, r.reason) for r in res.rejects] == [
        (3, f'line 3: status "shipped" is not one of {STATUSES}'),
        (5, "line 5: total (column Total) is empty"),
    ]
    assert _query(db, "SELECT order_id, alt_id, created_at, total, channel FROM orders") == [
        ("2001", "9001", datetime(2026, 10, 3, 6, 5, 11), 20.0, "web")]
    assert _hashes(db, "2001", "ph")["correct"] == {_sha("33639981234")}   # the spreadsheet's ' is no digit


def test_custom_csv_through_a_column_map(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    cmap = {"order_id": "OrderNumber", "created_at": "Date", "total": "Amount", "currency": "Curr",
            "status": "State", "email": "Buyer"}
    res = ingest_file(db, "orders", SAMPLES / "orders-custom.csv", Options(column_map=cmap))
    assert (res.error, res.rows_read, res.loaded, res.rejects) == (None, 5, 5, [])
    assert _query(db, "SELECT order_id, created_at, total, currency, status, channel FROM orders ORDER BY 1") == [
        ("1029", datetime(2026, 10, 3, 14, 0), 58.0, "USD", "paid", "web"),
        ("1030", datetime(2026, 10, 3, 15, 30), 129.0, "USD", "paid", "web"),
        ("1031", datetime(2026, 10, 3, 16, 45), 24.0, "USD", "refunded", "web"),
        ("1032", datetime(2026, 10, 3, 23, 15), 89.0, "USD", "paid", "pos"),
        ("1033", datetime(2026, 10, 3, 20, 0), 45.0, "USD", "paid", "web"),
    ]
    # State is mapped to status, so it is not also read as the address's state.
    assert _query(db, "SELECT key, count(*) FROM order_hashes WHERE variant = 'correct' GROUP BY ALL") == [("em", 4)]
    assert _hashes(db, "1029", "em")["correct"] == {_sha("noah.kim@example.com")}


def test_map_without_currency_leaves_it_null_and_unknown_map_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "No;When;Sum\n7;2026-10-01T09:00:00+02:00;12.5\n")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", path, Options(column_map={"order_id": "No", "created_at": "when", "total": "Sum"}))
    assert (res.error, res.loaded) == (None, 1)
    assert _query(db, "SELECT order_id, created_at, total, currency, status FROM orders") == [
        ("7", datetime(2026, 10, 1, 7, 0), 12.5, None, "paid")]
    res = ingest_file(db, "orders", path, Options(column_map={"order_id": "No", "amount": "Sum"}))
    assert res.error == ("--map amount=Sum: amount is not an orders field; map one of order_id, created_at, total, "
                         "currency, status, email, phone, first_name, last_name, city, state, zip, country, "
                         "customer_id, channel, test, updated_at, alt_id, pixel_id, shop.")
    res = ingest_file(db, "orders", path, Options(column_map={"order_id": "Number"}))
    assert res.error == "--map order_id=Number: c.csv has no column 'Number' (its columns are No, When, Sum)."


def test_unrecognised_layout_names_the_missing_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "Reference,Placed,Amount\nR1,2026-10-01T09:00:00Z,10\n")
    res = ingest_file(tmp_path / "db.duckdb", "orders", path, Options())
    assert res.error == (
        "x.csv: no column for order_id, created_at, total, currency (its columns are Reference, Placed, Amount). "
        "Orders need columns named order_id, created_at, total and currency, or Shopify's order export; map your "
        "columns with --map order_id=YOUR_COLUMN --map created_at=YOUR_COLUMN --map total=YOUR_COLUMN "
        "--map currency=YOUR_COLUMN.")
    # A file without a header: the first record is not echoed back.
    path = _write(tmp_path, "y.csv", "1001,2026-10-01T09:00:00Z,10,USD,mary@example.com\n")
    res = ingest_file(tmp_path / "db.duckdb", "orders", path, Options())
    assert "mary" not in res.error
    assert "its first line looks like a record, not a header" in res.error


def test_field_checks_and_malformed_rows(tmp_path: Path) -> None:
    text = (CANONICAL_HEADER + "\n"
            "1,2026-10-01T09:00:00Z,10,USD,Paid,,,,,,,,,,,TRUE,\n"
            "2,2014-12-31T23:59:59Z,10,USD,,,,,,,,,,,,,\n"
            "3,2026-10-01T09:00:00Z,10,US Dollar,,,,,,,,,,,,,\n"
            "4,2026-10-01T09:00:00Z,10,USD,,,,,,,,,,,,maybe,\n"
            "5,2026-10-01T09:00:00Z,10,USD,,x@example.com,,,,,,,,,,,,2026-10-01T09:00:00Z\n"  # an unquoted comma: one field too many
            "6,2026-10-01T09:00:00Z,10,USD,mary@example.com,,,,,,,,,,,,\n"
            "7,2026-10-01T09:00:00Z,10,,,,,,,,,,,,,,\n"
            "8,2026-10-01T09:00:00Z,10,USD,,,,,,,,,,,,,next week\n"
            "9,not a date,10,USD,,,,,,,,,,,,,\n"
            ",2026-10-01T09:00:00Z,10,USD,canceled,,,,,,,,,,,,\n"
            "11,1791057600,-5.5,eur,Partially Refunded,,,,,,,,,,POS,0,2026-10-02 10:00:00 -0400\n")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", _write(tmp_path, "f.csv", text), Options())
    assert res.error is None
    assert [(r.line, r.reason) for r in res.rejects] == [
        (3, "line 3: created_at is outside 2015–2100"),
        (4, "line 4: currency is not a three-letter code"),
        (5, "line 5: test is not true or false"),
        (6, "line 6: the row has more fields than the header (a value with an unquoted delimiter?)"),
        (7, f"line 7: status is not one of {STATUSES}"),       # looks like an email: the value is not shown
        (8, "line 8: currency is empty"),
        (9, "line 9: updated_at is not a recognised timestamp"),
        (10, "line 10: created_at is not a recognised timestamp"),
        (11, "line 11: order_id is empty"),
    ]
    assert (res.rows_read, res.loaded) == (11, 2)
    assert _query(db, "SELECT * EXCLUDE (ingestion_id, pii_digest, owner, shop) FROM orders ORDER BY order_id") == [
        ("1", None, None, datetime(2026, 10, 1, 9, 0), None, 10.0, "USD", "paid", "web", True, None, None),
        ("11", None, None, datetime(2026, 10, 3, 20, 0), datetime(2026, 10, 2, 14, 0), -5.5, "EUR",
         "partially_refunded", "pos", False, None, None),
    ]


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * FROM (VALUES
        (5001, TIMESTAMPTZ '2026-10-01 09:00:00+02', 19.9::DOUBLE, 'USD', 'paid', 'Ann@Example.com', false, 'px1'),
        (5002, NULL, 5.0::DOUBLE, 'USD', 'paid', 'bo@example.com', false, 'px1'),
        (5003, TIMESTAMPTZ '2026-10-02 10:00:00+00', 7.25::DOUBLE, 'EUR', 'refunded', NULL, true, NULL)
        ) v(order_id, created_at, total, currency, status, email, test, pixel_id)) TO '{path}' (FORMAT parquet)""")
    con.close()
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", path, Options())
    assert res.error is None
    assert [(r.line, r.reason) for r in res.rejects] == [(2, "line 2: created_at is empty")]
    assert _query(db, "SELECT order_id, pixel_id, created_at, total, currency, status, test FROM orders ORDER BY 1") == [
        ("5001", "px1", datetime(2026, 10, 1, 7, 0), 19.9, "USD", "paid", False),
        ("5003", None, datetime(2026, 10, 2, 10, 0), 7.25, "EUR", "refunded", True),
    ]
    assert _hashes(db, "5001", "em")["correct"] == {_sha("ann@example.com")}


def test_gzipped_csv(tmp_path: Path) -> None:
    path = tmp_path / "o.csv.gz"
    path.write_bytes(gzip.compress(b"order_id,created_at,total,currency\n9,2026-10-01T09:00:00Z,1,USD\n"))
    res = ingest_file(tmp_path / "db.duckdb", "orders", path, Options())
    assert (res.error, res.loaded) == (None, 1)


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    first = ingest_file(db, "orders", SAMPLES / "orders.csv", Options())
    counts = _query(db, "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_hashes)")
    again = ingest_file(db, "orders", SAMPLES / "orders.csv", Options())
    assert (first.loaded, again.loaded, again.duplicates, again.rejected) == (18, 0, 18, 2)
    assert _query(db, "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_hashes)") == counts
    assert _query(db, "SELECT count(DISTINCT ingestion_id) FROM orders") == [(1,)]


def test_newer_update_replaces_and_older_does_not(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    header = "order_id,created_at,total,currency,status,email,updated_at\n"
    v1 = _write(tmp_path, "v1.csv", header + "42,2026-10-01T09:00:00Z,50,USD,paid,old@example.com,2026-10-01T09:00:00Z\n"
                                             "43,2026-10-01T09:00:00Z,10,USD,paid,,2026-10-01T09:00:00Z\n")
    v2 = _write(tmp_path, "v2.csv", header + "42,2026-10-01T09:00:00Z,0,USD,refunded,new@example.com,2026-10-04T09:00:00Z\n")
    v0 = _write(tmp_path, "v0.csv", header + "42,2026-10-01T09:00:00Z,50,USD,pending,older@example.com,2026-09-30T09:00:00Z\n")
    assert ingest_file(db, "orders", v1, Options()).loaded == 2
    res = ingest_file(db, "orders", v2, Options())
    assert (res.loaded, res.duplicates) == (1, 0)
    assert _query(db, "SELECT order_id, total, status, updated_at FROM orders ORDER BY 1") == [
        ("42", 0.0, "refunded", datetime(2026, 10, 4, 9, 0)), ("43", 10.0, "paid", datetime(2026, 10, 1, 9, 0))]
    assert _hashes(db, "42", "em")["correct"] == {_sha("new@example.com")}     # the old hashes went with the old row
    res = ingest_file(db, "orders", v0, Options())
    assert (res.loaded, res.duplicates) == (0, 1)
    assert _query(db, "SELECT total, status FROM orders WHERE order_id = '42'") == [(0.0, "refunded")]
    assert _hashes(db, "42", "em")["correct"] == {_sha("new@example.com")}


def test_an_order_twice_in_one_file_keeps_the_newest_else_the_last(tmp_path: Path) -> None:
    header = "order_id,created_at,total,currency,email,updated_at\n"
    path = _write(tmp_path, "d.csv", header +
                  "1,2026-10-01T09:00:00Z,30,USD,newest@example.com,2026-10-03T00:00:00Z\n"
                  "1,2026-10-01T09:00:00Z,20,USD,older@example.com,2026-10-02T00:00:00Z\n"
                  "2,2026-10-01T09:00:00Z,5,USD,first@example.com,\n"
                  "2,2026-10-01T09:00:00Z,6,USD,last@example.com,\n")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "orders", path, Options())
    assert (res.error, res.rows_read, res.loaded) == (None, 2, 2)
    assert _query(db, "SELECT order_id, total FROM orders ORDER BY 1") == [("1", 30.0), ("2", 6.0)]
    assert _query(db, "SELECT order_id, hash FROM order_hashes WHERE key = 'em' AND variant = 'correct' ORDER BY 1") == [
        ("1", _sha("newest@example.com")), ("2", _sha("last@example.com"))]


def test_no_plaintext_personal_data_anywhere_in_the_store(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    for name in ("orders.csv", "orders-shopify.csv"):
        assert ingest_file(db, "orders", SAMPLES / name, Options()).error is None
    ingest_file(db, "orders", SAMPLES / "orders-custom.csv",
                Options(column_map={"order_id": "OrderNumber", "created_at": "Date", "total": "Amount",
                                    "currency": "Curr", "status": "State", "email": "Buyer"}))
    personal = {"email", "phone", "first_name", "last_name", "city", "zip", "Email", "Billing Name",
                "Billing Phone", "Billing City", "Billing Zip", "Phone", "Buyer"}
    values: set[str] = set()
    for name in ("orders.csv", "orders-shopify.csv", "orders-custom.csv"):
        with (SAMPLES / name).open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                values |= {v.strip().lower() for k, v in row.items() if k in personal and v and v.strip()}
    values |= {w.lower() for v in list(values) for w in v.split(" ") if len(w) > 3}   # Billing Name halves
    digits = {re.sub(r"[^0-9]", "", v) for v in values}
    digits = {d.lstrip("0") for d in digits if len(d) >= 9}                          # phones as bare numbers
    assert len(values) > 50
    cells: list[str] = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                         "WHERE data_type = 'VARCHAR'").fetchall():
            cells += [r[0].lower() for r in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" '
                                                         f'WHERE "{column}" IS NOT NULL').fetchall()]
    finally:
        con.close()
    assert len(cells) > 100
    hexy = re.compile("[0-9a-f]+")
    for cell in cells:
        for value in values | digits:
            # Short all-hex values (a ZIP like 94103) may occur inside a hash by chance: compare those whole.
            leaked = value == cell or (value in cell and (not hexy.fullmatch(value) or len(value) >= 9))
            assert not leaked, f"plaintext found in the store: {value!r}"


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_empty_file_is_an_error_with_the_fix(tmp_path: Path, content: str) -> None:
    res = ingest_file(tmp_path / "db.duckdb", "orders", _write(tmp_path, "e.csv", content), Options())
    assert res.error == f"{tmp_path / 'e.csv'}: the first line is empty; the file needs a header line naming its columns."


def test_a_corrected_email_alone_refreshes_the_hashes(tmp_path):
    from analysis.ingest import Options as _Options, ingest_file as _ingest
    import duckdb as _duckdb
    from analysis.normalize import hash_value

    db = tmp_path / "db.duckdb"
    head = "order_id,created_at,total,currency,email\n"
    first = tmp_path / "a.csv"
    first.write_text(head + "9,2026-10-01T10:00:00Z,5,USD,old@example.com\n")
    second = tmp_path / "b.csv"
    second.write_text(head + "9,2026-10-01T10:00:00Z,5,USD,new@example.com\n")
    _ingest(db, "orders", first, _Options())
    res = _ingest(db, "orders", second, _Options())
    assert (res.loaded, res.duplicates) == (1, 0)
    con = _duckdb.connect(str(db), read_only=True)
    got = con.execute("SELECT hash FROM order_hashes WHERE key = 'em' AND variant = 'correct'").fetchall()
    con.close()
    assert got == [(hash_value("em", "new@example.com"),)]
