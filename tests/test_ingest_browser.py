"""Tests for the browser-events parser: HAR, pixel request lines and JSON Lines."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from analysis.ingest import Options, ingest_file
from analysis.ingest.browser_events import detect

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
EM = "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d"   # sha256("jane@example.com")
PH = "d6736136ea896c1bfdc553e0e86e702c70d060d805696ca3e4e9e0961353860a"   # sha256("15551234567")
TR = "https://www.facebook.com/tr/"
COLS = "line, source, pixel_id, event_name, event_id, event_time, received_at, event_source_url, value, currency, order_id"


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def no_plaintext(db: Path) -> None:
    """No VARCHAR column of browser_events, and no reject reason, holds an '@'."""
    cols = [r[0] for r in rows(db, "SELECT column_name FROM information_schema.columns "
                                   "WHERE table_name = 'browser_events' AND data_type = 'VARCHAR'")]
    assert len(cols) == 15
    hits = rows(db, "SELECT count(*) FROM browser_events WHERE "
                    + " OR ".join(f"contains(coalesce({c}, ''), '@')" for c in cols))
    assert hits == [(0,)]
    assert rows(db, "SELECT count(*) FROM rejects WHERE contains(reason, '@')") == [(0,)]


def test_samples_every_form(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    counts = {}
    for name in ("browser-events.har", "browser-events.jsonl", "pixel-requests.log"):
        res = ingest_file(db, "browser-events", SAMPLES / name, Options())
        assert res.error is None and res.rejects == []
        counts[name] = (res.rows_read, res.loaded)
    assert counts == {"browser-events.har": (4, 4), "browser-events.jsonl": (11, 11), "pixel-requests.log": (5, 5)}

    # HAR: the script load, the cart POST to the shop are ignored; entries keep their numbers.
    har = rows(db, f"SELECT {COLS}, user_data_keys, em, client_user_agent FROM browser_events "
                   "WHERE source = 'har' ORDER BY line")
    assert [(r[0], r[3], r[4]) for r in har] == [
        (2, "ViewContent", "vc-7d21c4e0aa17"), (4, "AddToCart", "atc-7d21c4e0aa18"),
        (5, "InitiateCheckout", "ic-7d21c4e0aa19"), (6, "Purchase", "order-1017")]
    # The Purchase is a POST: its parameters come from the form body.
    assert har[3][:11] == (6, "har", "1234567890", "Purchase", "order-1017", datetime(2026, 10, 3, 12, 30, 2, 450000),
                           datetime(2026, 10, 3, 12, 30, 2, 450000),
                           "https://shop.example.com/checkouts/cn/c1s1017/thank-you", 64.0, "USD", "1017")
    assert har[3][11:13] == (["em"], "49307472bf461e019589051c97b2032edecd968063f0a69ca23e3bfca6750f77")
    assert har[3][13].startswith("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1")

    jl = rows(db, f"SELECT {COLS}, fbc, client_ip_address, user_data_keys, em FROM browser_events "
                  "WHERE source = 'jsonl' ORDER BY line")
    assert len(jl) == 11
    assert jl[2] == (3, "jsonl", "1234567890", "Purchase", "order-1002", datetime(2026, 10, 1, 10, 2, 44), None,
                     "https://shop.example.com/checkouts/cn/c1s1002/thank-you", 129.0, "USD", None, None,
                     "203.0.113.12", ["em"], "f0a1634505642a6f90400e90e9eff55e0eda479e7ac6333aa20646404a6707f3")
    assert jl[9][3] == "purchase"    # the event name exactly as sent

    log = rows(db, f"SELECT {COLS}, user_data_keys FROM browser_events WHERE source = 'pixel_log' ORDER BY line")
    # ts is milliseconds; the receive time is the line's leading timestamp.
    assert log[2] == (3, "pixel_log", "1234567890", "Purchase", "order-1018", datetime(2026, 10, 3, 14, 0, 3, 150000),
                      datetime(2026, 10, 3, 14, 0, 4), "https://shop.example.com/checkouts/cn/c1s1018/thank-you",
                      39.0, "USD", "1018", ["em"])
    assert log[4][:7] == (5, "pixel_log", "1234567890", "ViewContent", "vc-0c0ffee00001",
                          datetime(2026, 10, 3, 16, 45), None)

    # Re-ingesting every file adds nothing.
    for name, (n, _) in counts.items():
        again = ingest_file(db, "browser-events", SAMPLES / name, Options())
        assert (again.rows_read, again.loaded, again.duplicates) == (n, 0, n)
    assert rows(db, "SELECT count(*) FROM browser_events") == [(20,)]


def test_pixel_lines_edge_cases(tmp_path: Path) -> None:
    first = (f"2026-10-01T12:00:00Z {TR}?id=111&ev=Purchase&eid=o-1&ts=1790856000123&dl=https%3A%2F%2Fs.example%2Fty"
             f"&cd%5Bvalue%5D=12.50&cd%5Bcurrency%5D=eur&cd%5Border_id%5D=A-1"
             f"&ud%5Bem%5D=jane%40example.com&ud%5Bph%5D={PH.upper()}")
    lines = [
        first,
        "",
        f"{TR}?id=111&ev=PageView&ts=17908x",
        f"{TR}?id=111&eid=x&ts=1790856000000",
        "https://example.com/page?email=jane@example.com",
        "https://www.facebook.com/tr?ev=PageView&ts=1790856000000",
        f"yesterday {TR}?id=111&ev=PageView",
        f"{TR}?id=111&ev=PageView&ts=1000",
        f"{TR}?id=111&ev=PageView",
        first,   # a genuine repeat: kept
    ]
    path = tmp_path / "pixel.log"
    path.write_text("\n".join(lines) + "\n")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "browser-events", path, Options())
    assert (res.rows_read, res.loaded) == (9, 2)
    assert [(r.line, r.reason) for r in res.rejects] == [
        (3, "line 3: ts is not a number"),
        (4, "line 4: no event name (ev=)"),
        (5, "line 5: not a pixel request URL (expected https://www.facebook.com/tr/?…, optionally after a timestamp)"),
        (6, "line 6: no pixel id (id=) and no --pixel-id"),
        (7, "line 7: the text before the URL is not a timestamp"),
        (8, "line 8: ts is outside 2015–2100"),
        (9, "line 9: no event time: no ts and no receive time"),
    ]
    got = rows(db, f"SELECT {COLS}, referrer_url, user_data_keys, em, ph FROM browser_events ORDER BY line")
    expected = ("pixel_log", "111", "Purchase", "o-1", datetime(2026, 10, 1, 12, 0, 0, 123000),
                datetime(2026, 10, 1, 12, 0), "https://s.example/ty", 12.5, "EUR", "A-1", None,
                ["em", "ph"], None, PH)   # plaintext em dropped, only the key kept; the hash lowercased
    assert got == [(1, *expected), (10, *expected)]
    assert len(set(r[0] for r in rows(db, "SELECT event_uid FROM browser_events"))) == 2
    no_plaintext(db)

    # --pixel-id fills a missing id=; the rest is idempotent.
    again = ingest_file(db, "browser-events", path, Options(pixel_id="999"))
    assert (again.loaded, again.duplicates, len(again.rejects)) == (1, 2, 6)
    assert rows(db, "SELECT pixel_id, event_name, event_time FROM browser_events WHERE line = 6") == [
        ("999", "PageView", datetime(2026, 10, 1, 12, 0))]
    third = ingest_file(db, "browser-events", path, Options(pixel_id="999"))
    assert (third.loaded, third.duplicates) == (0, 3)


def _entry(n: int, method: str, url: str, **request: object) -> dict:
    return {"startedDateTime": f"2026-10-01T12:00:0{n}.500+02:00", "time": 40.0,
            "request": {"method": method, "url": url, "headers": [{"name": "User-Agent", "value": "UA/1"}],
                        "queryString": [], **request},
            "response": {"status": 200}}


def test_har_get_post_and_ignored_requests(tmp_path: Path) -> None:
    entries = [
        _entry(1, "GET", "https://shop.example.com/?email=jane@example.com"),
        _entry(2, "GET", "https://connect.facebook.net/en_US/fbevents.js"),
        _entry(3, "POST", TR, postData={"mimeType": "application/x-www-form-urlencoded", "text":
               "id=111&ev=AddToCart&eid=a-1&cd%5Bvalue%5D=19.90&cd%5Bcurrency%5D=usd&ud%5Bem%5D=jane%40example.com"}),
        _entry(4, "POST", TR + "?id=111", postData={"mimeType": "multipart/form-data; boundary=x", "params": [
               {"name": "ev", "value": "Purchase"}, {"name": "ts", "value": "1790856000123"},
               {"name": "cd[value]", "value": "59"}, {"name": "dl", "value": "https%3A%2F%2Fs.example%2Fty"},
               {"name": "ud[em]", "value": EM}]}),
        _entry(5, "GET", "https://facebook.com/tr?id=111&eid=x"),
        _entry(6, "GET", "https://notfacebook.com/tr/?id=111&ev=Lead"),
        _entry(7, "GET", "https://www.facebook.com/translations?id=111&ev=Lead"),
    ]
    path = tmp_path / "checkout.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "browser-events", path, Options())
    assert (res.rows_read, res.loaded) == (3, 2)
    assert [(r.line, r.reason) for r in res.rejects] == [(5, "entry 5: no event name (ev=)")]
    got = rows(db, f"SELECT {COLS}, client_user_agent, user_data_keys, em FROM browser_events ORDER BY line")
    assert got == [
        # No ts: the event time is the request's start (10:00:03.5 UTC).
        (3, "har", "111", "AddToCart", "a-1", datetime(2026, 10, 1, 10, 0, 3, 500000),
         datetime(2026, 10, 1, 10, 0, 3, 500000), None, 19.9, "USD", None, "UA/1", ["em"], None),
        (4, "har", "111", "Purchase", None, datetime(2026, 10, 1, 12, 0, 0, 123000),
         datetime(2026, 10, 1, 10, 0, 4, 500000), "https://s.example/ty", 59.0, None, None, "UA/1", ["em"], EM),
    ]
    no_plaintext(db)
    assert ingest_file(db, "browser-events", path, Options()).loaded == 0


def test_har_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.har"
    path.write_text('{"log": {"entries": [')
    res = ingest_file(tmp_path / "db.duckdb", "browser-events", path, Options())
    assert res.error == (f"{path}: is not a readable HAR file (line 1). Export it again from the browser's "
                         "developer tools (Network tab → Export HAR).")
    path.write_text('{"log": {"pages": []}}')
    res = ingest_file(tmp_path / "db.duckdb", "browser-events", path, Options())
    assert res.error is not None and "has no log.entries" in res.error


def test_jsonl_records(tmp_path: Path) -> None:
    recs = [
        {"pixel_id": 111, "event_name": "Purchase", "event_id": "o-1", "event_time": 1790856000123,
         "event_source_url": "https://s.example/ty", "fbp": "fb.1.1759001000000.1", "client_ip_address": "203.0.113.7",
         "user_data": {"em": "jane@example.com", "ph": [PH.upper()], "fn": ""},
         "custom_data": {"value": "59.5", "currency": "eur", "order_id": 1001}, "note": "jane@example.com"},
        {"event_name": "Lead", "event_time": "2026-10-01T14:00:00+02:00", "source": "mirror",
         "received_at": "2026-10-01T12:00:01Z"},
        {"pixel_id": "111", "event_time": 1790856000},
        {"pixel_id": "111", "event_name": "PageView", "event_time": "soon"},
        {"pixel_id": "111", "event_name": "PageView", "event_time": 1000},
        {"pixel_id": "111", "event_name": ["PageView"], "event_time": 1790856000},
    ]
    text = "\n".join(json.dumps(r) for r in recs) + "\n\nnot json\n[1, 2]\n"
    path = tmp_path / "events.jsonl"
    path.write_text(text)
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "browser-events", path, Options(pixel_id="222"))
    assert (res.rows_read, res.loaded) == (8, 2)
    assert [(r.line, r.reason) for r in res.rejects] == [
        (3, "line 3: missing event_name"),
        (4, "line 4: event_time is not a Unix time or an ISO 8601 timestamp"),
        (5, "line 5: event_time is outside 2015–2100"),
        (6, "line 6: event_name is not a non-empty string"),
        (8, "line 8: line is not valid JSON"),
        (9, "line 9: line is a JSON array, not an object"),
    ]
    got = rows(db, f"SELECT {COLS}, fbp, client_ip_address, user_data_keys, em, ph FROM browser_events ORDER BY line")
    assert got == [
        (1, "jsonl", "111", "Purchase", "o-1", datetime(2026, 10, 1, 12, 0, 0, 123000), None, "https://s.example/ty",
         59.5, "EUR", "1001", "fb.1.1759001000000.1", "203.0.113.7", ["em", "ph"], None, PH),
        (2, "mirror", "222", "Lead", None, datetime(2026, 10, 1, 12, 0), datetime(2026, 10, 1, 12, 0, 1), None,
         None, None, None, None, None, [], None, None),
    ]
    no_plaintext(db)


def test_jsonl_without_pixel_id(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text('{"event_name": "Lead", "event_time": 1790856000}\n')
    res = ingest_file(tmp_path / "db.duckdb", "browser-events", path, Options())
    assert [(r.line, r.reason) for r in res.rejects] == [(1, "line 1: no pixel_id in the record and no --pixel-id")]


@pytest.mark.parametrize("content, form", [
    ('\n  {"log": {"entries": []}}', "har"),
    ('{"pixel_id": "1", "event_name": "Lead"}\n', "jsonl"),
    (f"{TR}?id=1&ev=Lead\n", "lines"),
    (f"2026-10-01T12:00:00Z {TR}?id=1&ev=Lead\n", "lines"),
])
def test_detect_by_content(tmp_path: Path, content: str, form: str) -> None:
    path = tmp_path / "capture.dat"
    path.write_text(content)
    assert detect(path) == form
