"""Hostile input for every ingest parser: the reproduced defects, then property tests over a bad-input corpus."""
from __future__ import annotations

import hashlib
import importlib
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import normalize
from analysis.ingest import KINDS, Options, ingest_file
from analysis.ingest.base import IngestError, new_staging
from tests import badinput as bad

PROPERTY = settings(max_examples=25, deadline=None)
HEADER = b"order_id,created_at,total,currency,email\n"


def _row(n: int, email: str = "") -> bytes:
    return f"{n},2026-10-01T10:00:00Z,10,USD,{email or f'person{n}@example.com'}\n".encode()


def _ingest(tmp_path: Path, kind: str, name: str, data: bytes, **options: str):
    path = tmp_path / name
    path.write_bytes(data)
    return ingest_file(tmp_path / "db.duckdb", kind, path, Options(**options))


def _query(tmp_path: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- the reproduced defects ---------------------------------------------------------------------

def test_an_unclosed_quote_rejects_its_line_and_the_rows_after_it_load(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "orders", "o.csv",
                  HEADER + _row(1) + b'2,2026-10-01T10:00:00Z,"10,USD,person2@example.com\n' + _row(3) + _row(4))
    assert (res.error, res.rows_read, res.loaded) == (None, 4, 3)
    assert [(r.line, r.reason) for r in res.rejects] == [(3, "line 3: a quote opened on this line is never closed")]
    assert _query(tmp_path, "SELECT order_id FROM orders ORDER BY order_id") == [("1",), ("3",), ("4",)]
    assert _query(tmp_path, "SELECT status FROM ingestions") == [("partial",)]


def test_two_stray_quotes_do_not_swallow_the_rows_between_them(tmp_path: Path) -> None:
    rows = [_row(n) for n in range(1, 9)]
    rows[2], rows[5] = b'3,"2026-10-01T10:00:00Z,10,USD,x\n', b'6,"2026-10-01T10:00:00Z,10,USD,x\n'
    res = _ingest(tmp_path, "orders", "o.csv", HEADER + b"".join(rows))
    assert (res.rows_read, res.loaded) == (8, 6)
    assert [r.line for r in res.rejects] == [4, 7]
    assert _query(tmp_path, "SELECT list(order_id ORDER BY order_id) FROM orders") == [(["1", "2", "4", "5", "7", "8"],)]


def test_deployments_with_an_unclosed_quote_account_for_every_row(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "deployments", "d.csv", b'deployed_at,name\n2026-10-01T10:00:00Z,a\n'
                  b'2026-10-02T10:00:00Z,"b\n2026-10-03T10:00:00Z,c\n')
    assert (res.rows_read, res.loaded, [r.line for r in res.rejects]) == (3, 2, [3])
    assert _query(tmp_path, "SELECT list(name ORDER BY name) FROM deployments") == [(["a", "c"],)]


def test_blank_lines_between_rows_keep_reject_line_numbers_true(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "orders", "o.csv",
                  HEADER + _row(1) + b"\n\n" + b"2,2026-10-01T10:00:00Z,x,USD,a\n" + _row(3))
    assert [(r.line, r.reason) for r in res.rejects] == [(5, "line 5: total is not a number")]


def test_a_non_utf8_row_is_rejected_not_the_file_re_read_as_latin1(tmp_path: Path) -> None:
    data = (b"order_id,created_at,total,currency,first_name\n" + "1,2026-10-01T10:00:00Z,10,USD,Müller\n".encode()
            + b"2,2026-10-01T10:00:00Z,10,USD,M\xfcller\n")
    res = _ingest(tmp_path, "orders", "o.csv", data)
    assert (res.rows_read, res.loaded) == (2, 1)
    assert [(r.line, r.reason) for r in res.rejects] == [
        (3, "line 3: the row is not valid UTF-8 text (save the file as UTF-8)")]
    # Müller hashed as Müller, not as the Latin-1 misreading mã¼ller.
    assert _query(tmp_path, "SELECT hash FROM order_hashes WHERE key = 'fn' AND variant = 'correct'") == [
        (normalize.hash_value("fn", "Müller"),)]
    assert normalize.hash_value("fn", "Müller") == hashlib.sha256("müller".encode()).hexdigest()


def test_a_file_wholly_in_latin1_is_refused_naming_the_encoding(tmp_path: Path) -> None:
    data = HEADER + b"1,2026-10-01T10:00:00Z,10,USD,m\xfcller@example.com\n2,2026-10-01T10:00:00Z,10,USD,j\xf6rg@example.com\n"
    res = _ingest(tmp_path, "orders", "o.csv", data)
    assert res.error is not None and "Windows-1252 or Latin-1" in res.error and "CSV UTF-8" in res.error
    assert not (tmp_path / "db.duckdb").exists() or _query(tmp_path, "SELECT count(*) FROM orders") == [(0,)]


def test_utf8_with_bom_is_read_and_utf16_is_refused_naming_it(tmp_path: Path) -> None:
    text = HEADER.decode() + "1,2026-10-01T10:00:00Z,10,USD,müller@example.com\n"
    res = _ingest(tmp_path, "orders", "bom.csv", b"\xef\xbb\xbf" + text.encode())
    assert (res.error, res.loaded, res.rejected) == (None, 1, 0)
    assert _query(tmp_path, "SELECT hash FROM order_hashes WHERE key = 'em' AND variant = 'correct'") == [
        (hashlib.sha256("müller@example.com".encode()).hexdigest(),)]
    res = _ingest(tmp_path, "orders", "u16.csv", text.encode("utf-16"))
    assert res.error == ('u16.csv is UTF-16 text, not UTF-8; save it as "CSV UTF-8" (or convert it to UTF-8) '
                         "and ingest it again.")


@pytest.mark.parametrize("kind, name, data", [
    ("deployments", "d.json", b'[{"deployed_at": "2026-10-01T10:00:00Z", "name": "a"}]'),
    ("deployments", "d.csv", b"deployed_at,name\n2026-10-01T10:00:00Z,a\n"),
    ("browser-events", "b.log", b"https://www.facebook.com/tr/?id=1&ev=PageView&ts=1790856000000\n"),
    ("server-events", "s.jsonl", b'{"pixel_id":"1","request":{"data":[{"event_name":"Lead","event_time":1790856000}]}}\n'),
    ("meta-quality", "q.json", b'{"pixel_id":"1","fetched_at":"2026-10-01T00:00:00Z","response":{"web":[]}}'),
])
def test_utf8_with_a_byte_order_mark_is_read(tmp_path: Path, kind: str, name: str, data: bytes) -> None:
    res = _ingest(tmp_path, kind, name, b"\xef\xbb\xbf" + data)
    assert (res.error, res.loaded, res.rejected) == (None, 1, 0)


GOOD_ENVELOPE = ('{"pixel_id":"111","sent_at":"2026-10-01T12:00:05Z","request":{"data":[{"event_name":"Purchase",'
                 '"event_time":1790856000,"event_id":"@"}]}}')


@pytest.mark.parametrize("kind, name, good, reason", [
    ("server-events", "s.jsonl", lambda i: GOOD_ENVELOPE.replace("@", f"e{i}"), "line is not valid UTF-8"),
    ("browser-events", "b.jsonl", lambda i: json.dumps({"pixel_id": "111", "event_name": "PageView",
                                                       "event_id": f"e{i}", "event_time": 1790856000 + i}),
     "line 2: line is not valid UTF-8"),
    ("browser-events", "b.log", lambda i: f"https://www.facebook.com/tr/?id=111&ev=PageView&eid=e{i}&ts=1790856000000",
     "line 2: line is not valid UTF-8"),
    ("meta-stats", "m.jsonl", lambda i: json.dumps({"pixel_id": "111", "fetched_at": "2026-10-03T06:00:00Z",
        "params": {"aggregation": "event"}, "response": {"data": [{"start_time": f"2026-10-01T0{i}:00:00+0000",
        "data": [{"value": "Purchase", "count": 3}]}]}}), "line is not valid UTF-8"),
])
def test_one_invalid_utf8_line_is_one_reject_and_the_rest_loads(tmp_path: Path, kind, name, good, reason) -> None:
    data = good(1).encode() + b"\n" + good(2).encode().replace(b"111", b"1\xff1", 1) + b"\n" + good(3).encode() + b"\n"
    res = _ingest(tmp_path, kind, name, data)
    assert (res.error, res.rows_read, res.loaded, [(r.line, r.reason) for r in res.rejects]) == (None, 3, 2, [(2, reason)])


@pytest.mark.parametrize("kind, name", [("server-events", "s.jsonl"), ("browser-events", "b.jsonl"),
                                        ("meta-stats", "m.jsonl"), ("meta-quality", "q.json"),
                                        ("deployments", "d.json")])
def test_utf16_json_is_refused_naming_the_encoding(tmp_path: Path, kind: str, name: str) -> None:
    res = _ingest(tmp_path, kind, name, (GOOD_ENVELOPE + "\n").encode("utf-16"), pixel_id="111")
    assert res.error == f"{name} is UTF-16 text, not UTF-8; save it as UTF-8 and ingest it again."


@pytest.mark.parametrize("kind", ["meta-stats", "meta-quality", "deployments"])
def test_a_json_document_with_bytes_that_are_not_utf8_is_refused_naming_the_line(tmp_path: Path, kind: str) -> None:
    res = _ingest(tmp_path, kind, "doc.json", b'{\n "pixel_id": "1\xff1",\n "response": {"data": []}\n}\n', pixel_id="111")
    assert res.error == (f"{tmp_path / 'doc.json'}: line 2 is not valid UTF-8 text; save the file as UTF-8 JSON "
                         "(not UTF-16 or Windows-1252) and ingest it again.")


@pytest.mark.parametrize("score", ["1e309", '"NaN"', "NaN", "-3", "11"])
def test_an_impossible_composite_score_is_rejected_and_the_event_kept_without_it(tmp_path: Path, score: str) -> None:
    doc = ('{"pixel_id":"111","fetched_at":"2026-10-03T06:00:00Z","response":{"web":['
           '{"event_name":"Purchase","event_match_quality":{"composite_score":@}},'
           '{"event_name":"Lead","event_match_quality":{"composite_score":10}}]}}').replace("@", score)
    res = _ingest(tmp_path, "meta-quality", "q.json", doc.encode())
    assert [(r.line, r.reason) for r in res.rejects] == [
        (1, "event 1: composite_score is not a number from 0 to 10 (left empty; the rest is kept)")]
    assert (res.rows_read, res.loaded) == (2, 1)
    assert _query(tmp_path, "SELECT event_name, composite_score FROM meta_quality_events ORDER BY event_name") == [
        ("Lead", 10.0), ("Purchase", None)]


@pytest.mark.parametrize("value", ["NaN", "1e309", "-Infinity", '"NaN"'])
def test_a_server_event_with_a_non_finite_value_is_rejected(tmp_path: Path, value: str) -> None:
    bad_line = GOOD_ENVELOPE.replace("@", "e1").replace('"e1"}', '"e1","custom_data":{"value":' + value + "}}")
    res = _ingest(tmp_path, "server-events", "s.jsonl", (bad_line + "\n" + GOOD_ENVELOPE.replace("@", "e2") + "\n").encode())
    assert [(r.line, r.reason) for r in res.rejects] == [
        (1, "event 1: custom_data.value is not a finite number (NaN or Infinity)")]
    assert _query(tmp_path, "SELECT event_id, value FROM server_events") == [("e2", None)]


def test_a_unix_time_too_large_for_any_unit_is_a_reject_not_a_failed_file(tmp_path: Path) -> None:
    line = GOOD_ENVELOPE.replace("@", "e1").replace("2026-10-01T12:00:05Z", "99999999999999999999")
    res = _ingest(tmp_path, "server-events", "s.jsonl", (line + "\n" + GOOD_ENVELOPE.replace("@", "e2") + "\n").encode())
    assert (res.error, res.loaded) == (None, 1)
    assert [(r.line, r.reason) for r in res.rejects] == [(1, "sent_at is not a timestamp between 2015 and 2100")]


def test_a_pixel_value_of_nan_is_stored_as_no_value(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "browser-events", "b.log",
                  b"https://www.facebook.com/tr/?id=111&ev=Purchase&eid=e1&ts=1790856000000&cd[value]=NaN\n")
    assert (res.loaded, res.rejected) == (1, 0)
    values = _query(tmp_path, "SELECT value FROM browser_events")
    assert values == [(None,)] and not any(isinstance(v, float) and math.isnan(v) for (v,) in values)


def test_a_har_nested_ten_thousand_deep_is_a_one_line_error(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "browser-events", "deep.har", b'{"log":{"entries":' + b"[" * 10000 + b"]" * 10000 + b"}}")
    assert res.error is not None and "nested thousands of levels deep" in res.error and "\n" not in res.error


def test_a_csv_header_over_128_kb_loads(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "orders", "o.csv", HEADER.rstrip(b"\n") + b"," + b"x" * 200_000 + b"\n"
                  + b"1,2026-10-01T10:00:00Z,10,USD,a@example.com,1\n")
    assert (res.error, res.loaded, res.rejected) == (None, 1, 0)


def test_old_mac_line_endings_and_broken_gzip_or_parquet_are_one_line_errors(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "orders", "mac.csv", (HEADER + _row(1) + _row(2)).replace(b"\n", b"\r"))
    assert res.error == ('mac.csv ends its lines with a bare carriage return (old Mac "CSV"); save it as '
                         '"CSV UTF-8" and ingest it again.')
    for kind, name, data in (("server-events", "s.jsonl.gz", b"\x1f\x8b\x08\x00not gzip at all"),
                             ("orders", "o.csv.gz", b"\x1f\x8b\x08\x00not gzip at all"),
                             ("orders", "o.parquet", b"PAR1 cut short")):
        res = _ingest(tmp_path, kind, name, data)
        assert res.error is not None and "\n" not in res.error and not bad.JARGON.search(res.error), res.error


@pytest.mark.parametrize("kind", ["orders", "deployments", "server-events", "browser-events", "meta-quality",
                                  "meta-stats"])
def test_an_unreadable_file_is_a_sentence_not_a_traceback(tmp_path: Path, kind: str) -> None:
    # A directory passed off as a file: no reader (Python's or DuckDB's), root or not, can read it. The
    # parser itself is called (the runner's own checks come first in `ingest_file`).
    path = tmp_path / "data.csv"
    path.mkdir()
    staged, con = new_staging(kind, path, tmp_path, digest=("0" * 64, 0))
    try:
        with pytest.raises(IngestError) as caught:
            importlib.import_module(KINDS[kind]).parse(path, staged, con, Options(pixel_id="111", at="2026-10-03T06:00:00Z"))
    finally:
        con.close()
    message = str(caught.value)
    assert str(path) in message and "\n" not in message and not bad.JARGON.search(message)


# --- property tests over the corpus -------------------------------------------------------------

LINE_VARIANTS = ("utf8", "truncated", "nesting", "nan", "inf", "time", "huge")


@PROPERTY
@given(bad.plans(LINE_VARIANTS + ("old", "sent_at")))
def test_server_events_corpus(plan) -> None:
    corpus = bad.lines_file("s.jsonl", None, lambda k, n: ([bad.server_event(n, k)], f"ev-{n}" if k in ("good", "huge") else None),
                            plan, lambda n: bad.server_event(n, "truncated"))
    out = bad.ingest("server-events", corpus, "SELECT event_id FROM server_events")
    bad.assert_sound(out, corpus)
    assert out.rows_read == len(corpus.good) + len(corpus.reject_lines)
    assert sorted(i for (i,) in out.stored) == sorted(corpus.good) and out.loaded == len(corpus.good)


@PROPERTY
@given(st.sampled_from(("jsonl", "log", "har")), st.data())
def test_browser_events_corpus(form, data) -> None:
    if form == "har":
        kinds = ["good", *data.draw(st.lists(st.sampled_from(("good", "huge", "nan", "other", "nesting", "time",
                                                               "no_name", "bad_url", "odd_types")), max_size=8))]
        corpus = bad.har(kinds)
    else:
        variants = ("utf8", "truncated", "nesting", "nan", "inf", "time", "huge", "no_name") if form == "jsonl" else \
                   ("utf8", "truncated", "nan", "time", "huge", "no_name", "prefix", "not_url")
        line = bad.browser_record if form == "jsonl" else bad.log_line
        corpus = bad.lines_file(f"b.{form}", None,
                                lambda k, n: ([line(n, k)], f"ev-{n}" if k in ("good", "huge", "nan", "inf") else None),
                                data.draw(bad.plans(variants)), lambda n: line(n, "truncated"))
    out = bad.ingest("browser-events", corpus, "SELECT event_id, value FROM browser_events")
    bad.assert_sound(out, corpus)
    assert out.rows_read == len(corpus.good) + len(corpus.reject_lines)
    assert sorted(i for i, _ in out.stored) == sorted(corpus.good) and out.loaded == len(corpus.good)
    assert all(v is None or math.isfinite(v) for _, v in out.stored)


@PROPERTY
@given(st.sampled_from(tuple(bad.ORDER_LAYOUTS)), st.data())
def test_orders_corpus(layout, data) -> None:
    header, column_map = bad.ORDER_LAYOUTS[layout]
    variants = ("utf8", "quote", "columns", "nan", "inf", "time", "huge", "inch") + (("items",) if layout == "shopify" else ())
    corpus = bad.lines_file("o.csv", header.encode(), lambda k, n: bad.order_row(layout, n, k),
                            data.draw(bad.plans(variants)), lambda n: f"{n},2026-10-0".encode(),
                            {"column_map": column_map})
    out = bad.ingest("orders", corpus, "SELECT o.order_id, h.hash FROM orders o LEFT JOIN order_hashes h "
                                       "ON h.order_id = o.order_id AND h.key = 'fn' AND h.variant = 'correct'")
    bad.assert_sound(out, corpus)
    assert out.rows_read == len(corpus.good) + len(corpus.reject_lines)
    assert sorted(i for i, _ in out.stored) == sorted(corpus.good) and out.loaded == len(corpus.good)
    # Every good order's first name is Jürgen, hashed from UTF-8: never a re-decoded jã¼rgen.
    assert {h for _, h in out.stored} == {normalize.hash_value("fn", "Jürgen")}


@PROPERTY
@given(st.sampled_from(("csv", "json")), st.data())
def test_deployments_corpus(form, data) -> None:
    if form == "json":
        corpus = bad.deployments_json(["good", *data.draw(st.lists(st.sampled_from(
            ("good", "huge", "time", "nan", "inf", "nesting", "no_name")), max_size=7))])
    else:
        corpus = bad.lines_file("d.csv", b"deployed_at,name,component", lambda k, n: bad.deployment_row(n, k),
                                data.draw(bad.plans(("utf8", "quote", "columns", "nan", "inf", "time", "huge", "inch"))),
                                lambda n: b"2026-10-0")
    out = bad.ingest("deployments", corpus, "SELECT name FROM deployments")
    bad.assert_sound(out, corpus)
    assert out.rows_read == len(corpus.good) + len(corpus.reject_lines)
    assert sorted(i for (i,) in out.stored) == sorted(corpus.good) and out.loaded == len(corpus.good)


@PROPERTY
@given(st.lists(st.sampled_from(("good", "nan", "nan_text", "inf", "negative", "high", "nesting", "no_name")),
                max_size=8))
def test_meta_quality_corpus(kinds) -> None:
    corpus, scores = bad.quality(["good", *kinds])
    out = bad.ingest("meta-quality", corpus, "SELECT event_name, composite_score FROM meta_quality_events")
    bad.assert_sound(out, corpus)
    assert (out.loaded, out.rows_read) == (1, 1 + len(corpus.reject_lines))
    assert dict(out.stored) == scores


@PROPERTY
@given(bad.plans(("utf8", "truncated", "nesting", "nan", "inf", "negative", "time", "fetched")))
def test_meta_stats_corpus(plan) -> None:
    def make(kind: str, n: int) -> tuple[list[bytes], str | None]:
        hour = f"2026-10-{1 + n // 24:02d} {n % 24:02d}:00:00"
        return [bad.stats_line(n, kind)], (hour if kind == "good" else None)

    corpus = bad.lines_file("m.jsonl", None, make, plan, lambda n: bad.stats_line(n, "truncated"))
    out = bad.ingest("meta-stats", corpus, "SELECT strftime(hour, '%Y-%m-%d %H:%M:%S') FROM meta_stats")
    bad.assert_sound(out, corpus)
    assert out.rows_read == len(corpus.good) + len(corpus.reject_lines)
    assert sorted(i for (i,) in out.stored) == sorted(corpus.good) and out.loaded == len(corpus.good)
