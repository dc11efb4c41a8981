"""A bad-input corpus for the ingest property tests: good records with known identities mixed with broken ones."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from hypothesis import strategies as st

from analysis import store
from analysis.ingest import Options, commit, stage

# DuckDB's and Python's own words: a reject quoting them tells the user nothing.
JARGON = re.compile(r"(?i)csv error|conversion error|json varchar|could not convert|invalid input|binder error|"
                    r"duckdb|traceback|exception|unicodedecode|errno")
# Every personal value the corpus writes contains one of these; none may reach a reject.
PERSONAL = ("@example.com", "person", "Jürgen", "Müller", "J\ufffdrgen", "555")
HUGE = 300_000            # characters in a huge (but allowed) field
T0 = 1790856000           # 2026-10-01T12:00:00Z


@dataclass
class Corpus:
    """One generated file and what ingesting it must give."""

    name: str
    data: bytes
    good: set[str]                      # identities of the records that must load
    reject_lines: list[int]             # one reject per broken record, at the line (or entry) it starts on
    options: dict = field(default_factory=dict)


# A record is made by (variant, n) -> (its lines, its identity if it must load, else None).
Maker = Callable[[str, int], tuple[list[bytes], "str | None"]]


@st.composite
def plans(draw: st.DrawFn, variants: tuple[str, ...]) -> tuple[list[str], list[bool], bool]:
    """Record variants (the first one good), a blank line after each or not, and a truncated last line or not."""
    body = draw(st.lists(st.sampled_from(("good", "good") + variants), max_size=7))
    kinds = ["good", *body]
    blanks = draw(st.lists(st.booleans(), min_size=len(kinds), max_size=len(kinds)))
    return kinds, blanks, draw(st.booleans())


def lines_file(name: str, header: bytes | None, make: Maker, plan: tuple[list[str], list[bool], bool],
               truncated: Callable[[int], bytes] | None = None, options: dict | None = None) -> Corpus:
    """A line-based file (JSON Lines, pixel log, CSV): records in plan order, blank lines between, maybe a cut last line."""
    kinds, blanks, cut = plan
    out: list[bytes] = [header] if header is not None else []
    good: set[str] = set()
    rejects: list[int] = []
    for n, (kind, blank) in enumerate(zip(kinds, blanks), 1):
        lines, ident = make(kind, n)
        if ident is None:
            rejects.append(len(out) + 1)
        else:
            good.add(ident)
        out.extend(lines)
        if blank:
            out.append(b"")
    data = b"\n".join(out) + b"\n"
    if cut and truncated is not None:
        rejects.append(len(out) + 1)
        data += truncated(len(kinds) + 1)           # the last line, cut short: no newline
    return Corpus(name, data, good, rejects, options or {})


@dataclass
class Outcome:
    rows_read: int
    loaded: int
    duplicates: int
    rejects: list[tuple[int | None, str]]
    stored: list[tuple]


def ingest(kind: str, corpus: Corpus, identity_sql: str) -> Outcome:
    """Stage and commit one corpus file into a fresh in-memory store; `identity_sql` reads back what loaded.

    The same two steps `ingest_file` runs, without a database file per example (the suite stays fast).
    """
    work = Path(tempfile.mkdtemp(prefix="capi-bad-"))
    try:
        path = work / corpus.name
        path.write_bytes(corpus.data)
        con = store.connect(":memory:")
        try:
            staged = stage(kind, path, Options(**corpus.options))
            try:
                res = commit(con, staged, datetime(2026, 12, 1))
            finally:
                shutil.rmtree(staged.staging.parent, ignore_errors=True)
            stored = con.execute(identity_sql).fetchall()
            in_db = con.execute("SELECT file, line, reason FROM rejects ORDER BY line").fetchall()
        finally:
            con.close()
        assert all(p == str(path) and line is not None for p, line, _ in in_db)
        return Outcome(res.rows_read, res.loaded, res.duplicates, [(r.line, r.reason) for r in res.rejects], stored)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def assert_sound(out: Outcome, corpus: Corpus) -> None:
    """The invariants every kind shares: counts add up, each broken record is one plain-worded reject."""
    assert out.loaded + len(out.rejects) + out.duplicates == out.rows_read
    assert sorted(line for line, _ in out.rejects) == sorted(corpus.reject_lines)
    for _, reason in out.rejects:
        assert reason and not JARGON.search(reason), reason
        assert not any(p in reason for p in PERSONAL), reason


def server_event(n: int, kind: str) -> bytes:
    """One envelope line; `kind` breaks it (or makes it huge but valid)."""
    event = {"event_name": "Purchase", "event_time": T0 + n, "event_id": f"ev-{n}", "action_source": "website",
             "event_source_url": "https://shop.example.com/thanks",
             "user_data": {"em": [f"person{n}@example.com"], "fn": "Jürgen"},
             "custom_data": {"value": 10.5, "currency": "EUR"}}
    if kind == "huge":
        event["event_source_url"] += "?q=" + "a" * HUGE
    if kind == "time":
        event["event_time"] = 10 ** 20
    if kind == "old":
        event["event_time"] = 946684800
    sent_at = "99999999999999999999" if kind == "sent_at" else "2026-10-01T12:00:05Z"   # Unix time past any unit
    text = json.dumps({"pixel_id": "111", "sent_at": sent_at, "request": {"data": [event]}}, ensure_ascii=False)
    if kind == "nan":
        text = text.replace('"value": 10.5', '"value": NaN')
    if kind == "inf":
        text = text.replace('"value": 10.5', '"value": 1e309')
    if kind == "nesting":
        text = "[" + text + "]"
    raw = text.encode()
    if kind == "utf8":
        raw = raw.replace(b"ev-", b"ev-\xff", 1)
    if kind == "truncated":
        raw = raw[: len(raw) // 2]
    return raw


def browser_record(n: int, kind: str) -> bytes:
    """One browser-events JSON line. NaN and Infinity values are good records: stored without a value."""
    rec = {"pixel_id": "111", "event_name": "PageView", "event_id": f"ev-{n}", "event_time": T0 + n,
           "event_source_url": "https://shop.example.com/", "custom_data": {"value": 5},
           "user_data": {"em": f"person{n}@example.com"}}
    if kind == "huge":
        rec["event_source_url"] += "?q=" + "a" * HUGE
    if kind == "time":
        rec["event_time"] = 10 ** 20
    if kind == "no_name":
        del rec["event_name"]
    text = json.dumps(rec, ensure_ascii=False)
    if kind in ("nan", "inf"):
        text = text.replace('"value": 5', '"value": ' + ("NaN" if kind == "nan" else "1e309"))
    if kind == "nesting":
        text = '{"wrapper": ' + text + "}"          # an object, but not an event: no pixel_id at the top
    raw = text.encode()
    if kind == "utf8":
        raw = raw.replace(b"ev-", b"ev-\xc3\x28", 1)
    if kind == "truncated":
        raw = raw[: len(raw) // 2]
    return raw


def pixel_url(n: int, kind: str) -> str:
    ts = {"time": "1", "nan": str((T0 + n) * 1000)}.get(kind, str((T0 + n) * 1000))
    url = f"https://www.facebook.com/tr/?id=111&ev=PageView&eid=ev-{n}&ts={ts}&ud[em]=person{n}%40example.com"
    if kind == "nan":
        url += "&cd[value]=NaN"                      # a good record, stored without a value
    if kind == "huge":
        url += "&dl=https%3A%2F%2Fshop.example.com%2F%3Fq%3D" + "a" * HUGE
    if kind == "no_name":
        url = url.replace("&ev=PageView", "")
    return url


def log_line(n: int, kind: str) -> bytes:
    line = f"2026-10-01T12:00:{n % 60:02d}Z {pixel_url(n, kind)}"
    if kind == "prefix":
        line = "yesterday " + pixel_url(n, kind)
    if kind == "not_url":
        line = f"GET /checkout?order={n}"
    raw = line.encode()
    if kind == "utf8":
        raw = raw.replace(b"ev-", b"ev-\xff", 1)
    if kind == "truncated":
        raw = raw[:20]
    return raw


def har(kinds: list[str]) -> Corpus:
    """A HAR whose entries are pixel requests (good or broken) and other requests (no records)."""
    entries: list[object] = []
    good: set[str] = set()
    rejects: list[int] = []
    for n, kind in enumerate(kinds, 1):
        if kind == "other":
            entries.append({"startedDateTime": "2026-10-01T12:00:00Z",
                            "request": {"method": "GET", "url": "https://shop.example.com/", "headers": []}})
            continue
        if kind == "nesting":
            entries.append([[{"request": {"url": pixel_url(n, "good")}}]])   # not an entry object: skipped
            continue
        if kind == "bad_url":                          # no host can be read: not a pixel request
            entries.append({"request": {"url": "https://[::1/tr/?id=111&ev=PageView"}})
            continue
        if kind == "odd_types":                        # wrong types around a good pixel request
            entries.append({"startedDateTime": 5, "request": {"url": pixel_url(n, "good"), "headers": {"a": 1},
                                                              "postData": {"text": 5, "mimeType": None}}})
            good.add(f"ev-{n}")
            continue
        entries.append({"startedDateTime": "2026-10-01T12:00:00Z",
                        "request": {"method": "GET", "url": pixel_url(n, kind),
                                    "headers": [{"name": "User-Agent", "value": "Mozilla/5.0"}]}})
        if kind in ("time", "no_name"):
            rejects.append(len(entries))
        else:
            good.add(f"ev-{n}")
    data = json.dumps({"log": {"version": "1.2", "entries": entries}}, ensure_ascii=False).encode()
    return Corpus("capture.har", data, good, rejects)


# Orders: (layout, header, column map). Every good order has accented UTF-8 (Jürgen, Köln).
ORDER_LAYOUTS = {
    "canonical": ("order_id,created_at,total,currency,email,phone,first_name,city", {}),
    "shopify": ("Name,Email,Financial Status,Created at,Currency,Total,Billing Name,Billing City,Id", {}),
    "mapped": ("OrderNumber,Date,Amount,Cur,Mail,Vorname",
               {"order_id": "OrderNumber", "created_at": "Date", "total": "Amount", "currency": "Cur",
                "email": "Mail", "first_name": "Vorname"}),
}


def order_row(layout: str, n: int, kind: str) -> tuple[list[bytes], str | None]:
    created = {"time": "1999-10-01T10:00:00Z"}.get(kind, f"2026-10-01T10:{n % 60:02d}:00Z")
    total = {"nan": "NaN", "inf": "1e309"}.get(kind, f"{10 + n}.50")
    city = "Köln" + ("x" * HUGE if kind == "huge" else "") + (' 5" Hof' if kind == "inch" else "")  # a quote mid-value
    email = ('"' if kind == "quote" else "") + f"person{n}@example.com"
    if layout == "canonical":
        cells = [str(n), created, total, "EUR", email, f"+49 151 555{n:04d}", "Jürgen", city]
    elif layout == "shopify":
        cells = [f"#{1000 + n}", email, "paid", created, "EUR", total, "Jürgen Müller", city, str(5000 + n)]
    else:
        cells = [f"A-{n}", created, total, "EUR", email, "Jürgen"]
    raw = ",".join(cells).encode()
    if kind == "utf8":
        raw = raw.replace("Jürgen".encode(), b"J\xfcrgen")
    if kind == "columns":
        raw += b",x,y,z,w,v,u,t,s,r"
    lines = [raw]
    if kind == "items" and layout == "shopify":
        lines.append(f"#{1000 + n},,,,,,,,".encode())   # a second line item of the same order
    ident = {"canonical": str(n), "shopify": str(1000 + n), "mapped": f"A-{n}"}[layout]
    return lines, (ident if kind in ("good", "huge", "items", "inch") else None)


def deployment_row(n: int, kind: str) -> tuple[list[bytes], str | None]:
    at = {"time": "1999-10-01T10:00:00Z", "nan": "NaN", "inf": "1e20"}.get(kind, f"2026-10-{1 + n % 28:02d}T10:00:00Z")
    component = "Kassenübersicht" + ("x" * HUGE if kind == "huge" else "")    # UTF-8 beyond ASCII in every row
    component += ' 27" screen' if kind == "inch" else ""                      # a quote mid-value
    raw = ",".join([at, ('"' if kind == "quote" else "") + f"release-{n}", component]).encode()
    if kind == "utf8":
        raw = raw.replace(b"release-", b"r\xe9lease-", 1)
    if kind == "columns":
        raw += b",x,y,z"
    return [raw], (f"release-{n}" if kind in ("good", "huge", "inch") else None)


def deployments_json(kinds: list[str]) -> Corpus:
    items: list[object] = []
    good: set[str] = set()
    rejects: list[int] = []
    for n, kind in enumerate(kinds, 1):
        item: object = {"deployed_at": f"2026-10-{1 + n % 28:02d}T10:00:00Z", "name": f"release-{n}",
                        "component": "checkout" + ("x" * HUGE if kind == "huge" else "")}
        if kind in ("time", "nan", "inf"):
            item["deployed_at"] = {"time": 946684800, "nan": float("nan"), "inf": float("inf")}[kind]  # type: ignore[index]
        if kind == "nesting":
            item = [item]
        if kind == "no_name":
            del item["name"]  # type: ignore[attr-defined]
        items.append(item)
        if kind in ("good", "huge"):
            good.add(f"release-{n}")
        else:
            rejects.append(n)
    return Corpus("deployments.json", json.dumps(items).encode(), good, rejects)


def quality(kinds: list[str]) -> tuple[Corpus, dict[str, float | None]]:
    """A Dataset Quality response; a bad composite_score loses only the score, a bad item the item."""
    bad_scores = {"nan": "NaN", "nan_text": '"NaN"', "inf": "1e309", "negative": "-3", "high": "11"}
    web: list[str] = []                      # JSON text per item: NaN is no JSON json.dumps would write
    scores: dict[str, float | None] = {}
    rejects: list[int] = []
    for n, kind in enumerate(kinds, 1):
        name = f"Event{n}"
        if kind == "nesting":
            web.append(json.dumps([name]))
        elif kind == "no_name":
            web.append('{"event_match_quality": {"composite_score": 5}}')
        else:
            web.append(f'{{"event_name": "{name}", "event_match_quality": {{"composite_score": '
                       f'{bad_scores.get(kind, "7.5")}, "match_key_feedback": [{{"identifier": "email", '
                       f'"coverage": {{"percentage": 80}}}}]}}, "event_coverage": {{"percentage": 50}}}}')
            scores[name] = None if kind in bad_scores else 7.5
        if kind in bad_scores or kind in ("nesting", "no_name"):
            rejects.append(1)                # one document: every reject is on line 1
    text = ('{"pixel_id": "111", "fetched_at": "2026-10-03T06:00:00Z", "response": {"web": ['
            + ", ".join(web) + "]}}")
    return Corpus("quality.json", text.encode(), set(scores), rejects), scores


def stats_line(n: int, kind: str) -> bytes:
    start = "1999-10-01T00:00:00+0000" if kind == "time" else f"2026-10-{1 + n // 24:02d}T{n % 24:02d}:00:00+0000"
    count = {"nan": "NaN", "inf": "1e309", "negative": "-1"}.get(kind, "3")
    page = {"pixel_id": "111", "fetched_at": "99999999999999999999" if kind == "fetched" else "2026-10-03T06:00:00Z",
            "params": {"aggregation": "event", "event_source": "SERVER_ONLY"},
            "response": {"data": [{"start_time": start, "aggregation": "event",
                                   "data": [{"value": "Purchase", "count": "@COUNT@"}]}]}}
    text = json.dumps(page).replace('"@COUNT@"', count)
    if kind == "nesting":
        text = "[" + text + "]"
    raw = text.encode()
    if kind == "utf8":
        raw = raw.replace(b"Purchase", b"Purch\xe4se")
    if kind == "truncated":
        raw = raw[: len(raw) // 2]
    return raw
