"""meta-quality and meta-stats ingest: what Meta says it received, from saved Graph API responses."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analysis.ingest import Options, Result, ingest_file

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
PIXEL = "1234567890"


def _ingest(tmp_path: Path, kind: str, name: str, content: str | None = None, source: Path | None = None,
            **opts: str) -> Result:
    path = source or tmp_path / name
    if content is not None:
        path.write_text(content)
    return ingest_file(tmp_path / "db.duckdb", kind, path, Options(**opts))


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _page(fetched: str, buckets: dict[str, dict[str, int]], source: str | None = "SERVER_ONLY",
          paging: dict | None = None) -> str:
    params = {"aggregation": "event"} | ({"event_source": source} if source else {})
    data = [{"aggregation": "event", "start_time": t, "data": [{"value": v, "count": n} for v, n in counts.items()]}
            for t, counts in buckets.items()]
    return json.dumps({"pixel_id": PIXEL, "fetched_at": fetched, "params": params,
                       "response": {"data": data, "paging": paging or {}}})


# --- meta-quality ------------------------------------------------------------------------------

def test_quality_sample_is_one_snapshot(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "meta-quality", "", source=SAMPLES / "meta-quality.json")
    assert (res.error, res.rows_read, res.loaded, res.duplicates, res.rejects) == (None, 1, 1, 0, [])
    snap = _rows(tmp_path, "SELECT pixel_id, fetched_at, agent_name, response FROM meta_quality_snapshots")
    assert [s[:3] for s in snap] == [(PIXEL, datetime(2026, 10, 3, 6, 0), None)]
    assert json.loads(snap[0][3]) == json.loads((SAMPLES / "meta-quality.json").read_text())["response"]
    assert _rows(tmp_path, "SELECT event_name, composite_score, event_coverage_pct, acr_pct FROM meta_quality_events "
                           "ORDER BY event_name") == [("AddToCart", 6.2, 100.0, None), ("Purchase", 7.9, 57.1, None)]
    keys = _rows(tmp_path, "SELECT event_name, identifier, coverage_pct FROM meta_quality_match_keys "
                           "WHERE identifier IN ('email', 'fbc', 'state', 'fbp') ORDER BY event_name, identifier")
    assert keys == [("AddToCart", "fbp", 100.0), ("Purchase", "email", 85.7), ("Purchase", "fbc", 14.3),
                    ("Purchase", "fbp", 100.0), ("Purchase", "state", 42.9)]
    assert _rows(tmp_path, "SELECT count(*) FROM meta_quality_match_keys") == [(16,)]
    again = _ingest(tmp_path, "meta-quality", "", source=SAMPLES / "meta-quality.json")
    assert (again.loaded, again.duplicates) == (0, 1)
    assert _rows(tmp_path, "SELECT count(*) FROM meta_quality_events") == [(2,)]


BARE_QUALITY = {"web": [
    {"event_name": "Purchase",
     "event_match_quality": {"composite_score": "7.2",
                             "match_key_feedback": [{"identifier": "email", "coverage": {"percentage": "99.5%"}},
                                                    {"identifier": "email", "coverage": {"percentage": 1}},
                                                    {"coverage": {"percentage": 50}},
                                                    {"identifier": "fbp"}]},
     "event_coverage": {"percentage": "34.1", "goal_percentage": 75},
     "dedup_key_feedback": [{"dedupe_key": "event_id"}],
     "acr": {"percentage": 37.9, "description": "…"}},
    {"event_match_quality": {"composite_score": 5.0}},
    {"event_name": "Lead", "data_freshness": {"upload_frequency": "real_time"}},
    "ViewContent",
]}


def test_quality_bare_body_with_options_is_read_defensively(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "meta-quality", "q.json", json.dumps(BARE_QUALITY),
                  pixel_id="555", at="2026-10-01T02:00:00+0200")
    assert res.error is None
    assert [(r.line, r.reason) for r in res.rejects] == [
        (1, "event 1, match key 2: a second entry for email (the first is kept)"),
        (1, "event 1, match key 3: missing identifier"),
        (1, "event 2: missing event_name"),
        (1, "event 4 is not a JSON object"),
    ]
    assert (res.rows_read, res.loaded) == (5, 1)
    assert _rows(tmp_path, "SELECT pixel_id, fetched_at FROM meta_quality_snapshots") == [
        ("555", datetime(2026, 10, 1, 0, 0))]
    assert _rows(tmp_path, "SELECT event_name, composite_score, event_coverage_pct, acr_pct FROM meta_quality_events "
                           "ORDER BY event_name") == [("Lead", None, None, None), ("Purchase", 7.2, 34.1, 37.9)]
    assert _rows(tmp_path, "SELECT event_name, identifier, coverage_pct FROM meta_quality_match_keys "
                           "ORDER BY identifier") == [("Purchase", "email", 99.5), ("Purchase", "fbp", None)]
    assert _rows(tmp_path, "SELECT line, reason FROM rejects ORDER BY reason")[0] == (
        1, "event 1, match key 2: a second entry for email (the first is kept)")


def test_quality_envelope_keeps_agent_name_and_drops_paging(tmp_path: Path) -> None:
    doc = {"pixel_id": 987, "fetched_at": 1790834400, "agent_name": "shopify",
           "response": {"web": [{"event_name": "Purchase"}], "paging": {"next": "https://x/?access_token=EAABsecret"}}}
    res = _ingest(tmp_path, "meta-quality", "q.json", json.dumps(doc))
    assert (res.error, res.loaded, res.rejects) == (None, 1, [])
    assert _rows(tmp_path, "SELECT pixel_id, fetched_at, agent_name, response FROM meta_quality_snapshots") == [
        ("987", datetime(2026, 10, 1, 6, 0), "shopify", '{"web":[{"event_name":"Purchase"}]}')]


@pytest.mark.parametrize(("content", "opts", "words"), [
    (json.dumps(BARE_QUALITY), {}, "pass --pixel-id and --at"),
    (json.dumps(BARE_QUALITY), {"pixel_id": "555"}, "pass --at"),
    (json.dumps(BARE_QUALITY), {"pixel_id": "555", "at": "yesterday"}, "is not a timestamp between 2015 and 2100"),
    ('{"web": [', {}, "is not valid JSON"),
    ('[{"web": []}]', {}, "holds a JSON array, not an object"),
    ('{"pixel_id": "1", "fetched_at": "2026-10-01T00:00:00Z", "response": {"data": []}}', {}, "has no web array"),
    ('{"error": {"code": 190, "message": "expired"}}', {}, "holds a Graph API error (code 190)"),
])
def test_quality_unreadable_file_says_what_to_do(tmp_path: Path, content: str, opts: dict, words: str) -> None:
    res = _ingest(tmp_path, "meta-quality", "q.json", content, **opts)
    assert res.error is not None and words in res.error
    assert res.loaded == 0


# --- meta-stats --------------------------------------------------------------------------------

def test_stats_sample_gives_hourly_counts_per_source(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "meta-stats", "", source=SAMPLES / "meta-stats.jsonl")
    assert (res.error, res.rows_read, res.loaded, res.duplicates, res.rejects) == (None, 42, 42, 0, [])
    assert _rows(tmp_path, "SELECT event_source, count(*), sum(count)::BIGINT FROM meta_stats GROUP BY 1 ORDER BY 1") == [
        ("SERVER_ONLY", 22, 23), ("WEB_ONLY", 20, 20)]
    assert _rows(tmp_path, "SELECT pixel_id, aggregation, event_source, hour, value, count, fetched_at FROM meta_stats "
                           "WHERE hour = '2026-10-02 17:00' ORDER BY event_source") == [
        (PIXEL, "event", "SERVER_ONLY", datetime(2026, 10, 2, 17), "Purchase", 2, datetime(2026, 10, 3, 6, 5)),
        (PIXEL, "event", "WEB_ONLY", datetime(2026, 10, 2, 17), "purchase", 1, datetime(2026, 10, 3, 6, 5))]
    again = _ingest(tmp_path, "meta-stats", "", source=SAMPLES / "meta-stats.jsonl")
    assert (again.rows_read, again.loaded, again.duplicates) == (42, 0, 42)
    assert _rows(tmp_path, "SELECT count(*) FROM meta_stats") == [(42,)]


BARE_STATS = json.dumps({"data": [
    {"aggregation": "event", "start_time": "2026-10-01T02:30:00+0000", "data": [{"value": "Purchase", "count": 12},
                                                                             {"value": "Lead", "count": "3"}]},
    {"start_time": "1790830800", "data": [{"value": "Purchase", "count": 4}]},
]}, indent=2)


def test_stats_bare_body_takes_the_command_line(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "meta-stats", "s.json", BARE_STATS, pixel_id="555")
    assert (res.error, res.rows_read, res.loaded, res.rejects) == (None, 3, 3, [])
    assert _rows(tmp_path, "SELECT pixel_id, aggregation, event_source, hour, value, count, fetched_at FROM meta_stats "
                           "ORDER BY hour, value") == [
        ("555", "event", "ALL", datetime(2026, 10, 1, 2), "Lead", 3, None),
        ("555", "event", "ALL", datetime(2026, 10, 1, 2), "Purchase", 12, None),
        ("555", "event", "ALL", datetime(2026, 10, 1, 5), "Purchase", 4, None)]
    res = _ingest(tmp_path, "meta-stats", "s.json", None, pixel_id="555", event_source="server_only",
                  at="2026-10-02T06:00:00Z")
    assert res.loaded == 3
    assert _rows(tmp_path, "SELECT event_source, count(*), max(fetched_at) FROM meta_stats GROUP BY 1 ORDER BY 1") == [
        ("ALL", 3, None), ("SERVER_ONLY", 3, datetime(2026, 10, 2, 6))]


def test_stats_bare_body_without_pixel_is_an_error(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "meta-stats", "s.json", BARE_STATS)
    assert res.error is not None and "pass --pixel-id" in res.error
    assert res.loaded == 0


def test_stats_not_json_at_all_is_an_error(tmp_path: Path) -> None:
    res = _ingest(tmp_path, "meta-stats", "s.jsonl", "<html>rate limited</html>\n")
    assert res.error is not None and "neither a JSON document nor JSON Lines" in res.error


def test_stats_malformed_records_are_rejected_by_line(tmp_path: Path) -> None:
    good = _page("2026-10-02T06:05:00Z", {"2026-10-01T09:00:00+0000": {"Purchase": 2}})
    bad_bucket = json.dumps({"pixel_id": PIXEL, "fetched_at": "2026-10-02T06:05:00Z", "params": {"event_source": "WEB_ONLY"},
                             "response": {"data": [
                                 {"start_time": "soon", "data": [{"value": "Lead", "count": 1}]},
                                 {"start_time": "2026-10-01T10:00:00+0000",
                                  "data": [{"value": "Lead", "count": 1.5}, {"count": 2}, {"value": "ViewContent", "count": 7}]},
                                 {"start_time": "2026-10-01T11:00:00+0000"}]}})
    lines = [good, '{"pixel_id": "1", "response": {"data": [', "", '{"pixel_id": "1", "response": {"paging": {}}}',
             bad_bucket, '{"error": {"code": 4, "message": "Application request limit reached"}}', "[1]"]
    res = _ingest(tmp_path, "meta-stats", "s.jsonl", "\n".join(lines) + "\n")
    assert res.error is None
    assert [(r.line, r.reason) for r in res.rejects] == [
        (2, "line is not valid JSON"),
        (4, "response has no data array"),
        (5, "data item 1: start_time is not a timestamp between 2015 and 2100"),
        (5, "data item 2, entry 1: count is not a whole number"),
        (5, "data item 2, entry 2: missing value"),
        (5, "data item 3: no data array"),
        (6, "response is a Graph API error (code 4), not stats; fetch the page again"),
        (7, "line is a JSON array, not an object"),
    ]
    assert (res.rows_read, res.loaded) == (10, 2)
    assert _rows(tmp_path, "SELECT event_source, hour, value, count FROM meta_stats ORDER BY hour") == [
        ("SERVER_ONLY", datetime(2026, 10, 1, 9), "Purchase", 2),
        ("WEB_ONLY", datetime(2026, 10, 1, 10), "ViewContent", 7)]
    assert _rows(tmp_path, "SELECT count(*), min(line), max(line) FROM rejects") == [(8, 2, 7)]


def test_stats_a_newer_fetch_updates_an_older_one_does_not(tmp_path: Path) -> None:
    hour = "2026-10-01T09:00:00+0000"
    assert _ingest(tmp_path, "meta-stats", "a.jsonl", _page("2026-10-02T06:05:00Z", {hour: {"Purchase": 3}})).loaded == 1
    newer = _ingest(tmp_path, "meta-stats", "b.jsonl", _page("2026-10-03T06:05:00Z", {hour: {"Purchase": 5}}))
    assert (newer.loaded, newer.duplicates) == (1, 0)
    older = _ingest(tmp_path, "meta-stats", "c.jsonl", _page("2026-10-01T12:00:00Z", {hour: {"Purchase": 4}}))
    assert (older.loaded, older.duplicates) == (0, 1)
    assert _rows(tmp_path, "SELECT count, fetched_at FROM meta_stats") == [(5, datetime(2026, 10, 3, 6, 5))]


def test_stats_overlapping_pages_keep_the_higher_count(tmp_path: Path) -> None:
    fetched = "2026-10-02T06:05:00Z"
    lines = [_page(fetched, {"2026-10-01T09:00:00+0000": {"Purchase": 3}, "2026-10-01T10:00:00+0000": {"Lead": 1}}),
             _page(fetched, {"2026-10-01T10:00:00+0000": {"Lead": 2}, "2026-10-01T11:00:00+0000": {"Lead": 1}}),
             _page("2026-10-02T06:00:00Z", {"2026-10-01T09:00:00+0000": {"Purchase": 9}})]
    res = _ingest(tmp_path, "meta-stats", "s.jsonl", "\n".join(lines))
    assert (res.rows_read, res.loaded, res.rejects) == (3, 3, [])
    assert _rows(tmp_path, "SELECT hour, value, count FROM meta_stats ORDER BY hour") == [
        (datetime(2026, 10, 1, 9), "Purchase", 3),   # the 06:05 fetch is newer than 06:00's 9
        (datetime(2026, 10, 1, 10), "Lead", 2),      # one fetch, two pages: the higher, not the sum
        (datetime(2026, 10, 1, 11), "Lead", 1)]


def test_stats_single_document_and_missing_event_source(tmp_path: Path) -> None:
    pages = [json.loads(_page("2026-10-02T06:05:00Z", {"2026-10-01T09:00:00+0000": {"Purchase": 1}}, source=None)),
             {"pixel_id": PIXEL, "response": {"data": "oops"}}]
    res = _ingest(tmp_path, "meta-stats", "s.json", json.dumps(pages, indent=2))
    assert [(r.line, r.reason) for r in res.rejects] == [(1, "response has no data array")]
    assert _rows(tmp_path, "SELECT aggregation, event_source, value, count FROM meta_stats") == [
        ("event", "ALL", "Purchase", 1)]


def test_stats_never_store_the_access_token_in_paging(tmp_path: Path) -> None:
    token = "EAABwzLixnjYBOZBZCsecret"
    nxt = f"https://graph.facebook.com/v25.0/{PIXEL}/stats?aggregation=event&access_token={token}&after=MTc5"
    lines = [_page("2026-10-02T06:05:00Z", {"2026-10-01T09:00:00+0000": {"Purchase": 2}},
                   paging={"cursors": {"before": "MTc4", "after": "MTc5"}, "next": nxt}),
             json.dumps({"pixel_id": PIXEL, "response": {"paging": {"next": nxt}}}),
             f'{{"paging": {{"next": "{nxt}"']
    res = _ingest(tmp_path, "meta-stats", "s.jsonl", "\n".join(lines))
    assert (res.loaded, len(res.rejects)) == (1, 2)
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        found = []
        for table in tables:
            for (col,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall():
                n = con.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{col}" AS VARCHAR) ILIKE ? '
                                f'OR CAST("{col}" AS VARCHAR) LIKE ?', ["%access_token%", f"%{token}%"]).fetchone()[0]
                if n:
                    found.append((table, col))
    finally:
        con.close()
    assert "meta_stats" in tables and "rejects" in tables
    assert found == []


def _one_by_one_and_together(tmp_path: Path, kind: str, files: list[Path], queries: list[str]) -> tuple[list, list]:
    """Each file in a command of its own, then all in one command: (per-file outcomes, each query's rows) of each."""
    from analysis.ingest import ingest_files
    out = []
    for name, commands in (("alone", [[f] for f in files]), ("together", [files])):
        db = tmp_path / f"{name}.duckdb"
        res = [r for cmd in commands for r in ingest_files(db, kind, cmd, Options())]
        con = duckdb.connect(str(db))
        try:
            stored = [con.execute(sql).fetchall() for sql in queries]
        finally:
            con.close()
        out.append(([(r.path.name, r.error, r.rows_read, r.loaded, r.duplicates,
                      [(x.line, x.reason) for x in r.rejects]) for r in res], stored))
    return out[0], out[1]


def test_quality_files_of_one_command_load_as_each_would_alone(tmp_path: Path) -> None:
    # Daily snapshots are parsed together; a file that is no snapshot fails alone, a snapshot already
    # staged by an earlier file of the command is a duplicate, and rejects stay each file's own.
    (tmp_path / "in").mkdir()
    doc = lambda at, web: json.dumps({"pixel_id": PIXEL, "fetched_at": at, "response": {"web": web}})
    purchase = {"event_name": "Purchase", "event_match_quality": {
        "composite_score": 7.1, "match_key_feedback": [{"identifier": "email", "coverage": {"percentage": 80}}]}}
    docs = {"a.json": doc("2026-10-01T06:00:00Z", [purchase, {"event_name": "Lead"}]),
            "b.json": doc("2026-10-02T06:00:00Z", [purchase, purchase, "x", {"event_name": "Lead",
                                                                               "event_coverage": {"percentage": 140}}]),
            "c.json": '{"web": [',
            "d.json": doc("2026-10-01T06:00:00Z", [purchase]),
            "e.json": json.dumps(BARE_QUALITY)}
    files = []
    for name, text in docs.items():
        files.append(tmp_path / "in" / name)
        files[-1].write_text(text)
    # Every row with the file it came from (events and keys through their snapshot).
    whose = "JOIN meta_quality_snapshots o USING (pixel_id, fetched_at) JOIN ingestions i ON i.ingestion_id = o.ingestion_id"
    alone, together = _one_by_one_and_together(tmp_path, "meta-quality", files, [
        "SELECT i.path, s.* EXCLUDE (ingestion_id) FROM meta_quality_snapshots s JOIN ingestions i USING (ingestion_id) "
        "ORDER BY ALL",
        f"SELECT i.path, s.* FROM meta_quality_events s {whose} ORDER BY ALL",
        f"SELECT i.path, s.* FROM meta_quality_match_keys s {whose} ORDER BY ALL"])
    assert together == alone
    outcomes = {name: (error is None, loaded, duplicates, len(rejects))
                for name, error, _, loaded, duplicates, rejects in alone[0]}
    assert outcomes == {"a.json": (True, 1, 0, 0), "b.json": (True, 1, 0, 3), "c.json": (False, 0, 0, 0),
                        "d.json": (True, 0, 1, 0), "e.json": (False, 0, 0, 0)}


@pytest.mark.parametrize("shared_hour", [False, True])
def test_stats_files_of_one_command_load_as_each_would_alone(tmp_path: Path, shared_hour: bool) -> None:
    # Daily fetches are parsed together and merged in one pass when no (hour, value) is in two of them;
    # when one is (a re-fetch, an older fetch after a newer one), they are merged file by file.
    # Either way every file's outcome and the stored rows are those of loading each file alone.
    (tmp_path / "in").mkdir()
    day2 = "2026-10-01T09:00:00+0000" if shared_hour else "2026-10-02T09:00:00+0000"
    pages = {
        "a.jsonl": [_page("2026-10-02T06:05:00Z", {"2026-10-01T09:00:00+0000": {"Purchase": 3, "Lead": 1}})],
        "b.jsonl": [_page("2026-10-03T06:05:00Z", {day2: {"Purchase": 5}}), "{", "[1]"],
        "c.jsonl": ["<html>rate limited</html>"],
        "d.json": [json.dumps({"data": [{"start_time": "2026-10-03T09:00:00+0000",
                                         "data": [{"value": "Purchase", "count": 1}]}]})],
        "e.jsonl": [_page("2026-10-01T12:00:00Z", {day2: {"Purchase": 4}, "2026-10-04T09:00:00+0000": {"Lead": 2}},
                          source="WEB_ONLY" if not shared_hour else "SERVER_ONLY")],
    }
    files = []
    for name, lines in pages.items():
        files.append(tmp_path / "in" / name)
        files[-1].write_text("\n".join(lines) + "\n")
    # A line that is not UTF-8 (an editor's Latin-1) is a reject of its own; the file's other lines load.
    files.append(tmp_path / "in" / "f.jsonl")
    files[-1].write_bytes(_page("2026-10-05T06:05:00Z", {"2026-10-05T09:00:00+0000": {"Lead": 1}}).encode()
                          + b'\n{"note": "caf\xe9"}\n')
    alone, together = _one_by_one_and_together(tmp_path, "meta-stats", files, [
        "SELECT i.path, s.* EXCLUDE (ingestion_id) FROM meta_stats s JOIN ingestions i USING (ingestion_id) ORDER BY ALL"])
    assert together == alone
    outcomes = {name: (error is None, loaded, duplicates) for name, error, _, loaded, duplicates, _ in alone[0]}
    assert outcomes["c.jsonl"][0] is False and outcomes["d.json"][0] is False
    # With the shared hour the older fetch (e) loses to b's newer one: a duplicate, not a replacement.
    assert outcomes["e.jsonl"] == ((True, 1, 1) if shared_hour else (True, 2, 0))
    assert outcomes["f.jsonl"] == (True, 1, 0) and len(alone[0][-1][5]) == 1
